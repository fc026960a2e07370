/**
 * `leakwatch/vitest`: one line in vitest.config,
 *
 * ```ts
 * export default defineConfig({ test: { setupFiles: ['leakwatch/vitest'] } });
 * ```
 *
 * and every test that leaves a timer, interval, socket, server or UDP
 * socket alive fails, with the line that created it. Capture is armed in a
 * `beforeEach` registered before the file's own hooks and checked in an
 * `afterEach` that runs after them (vitest runs after-hooks in reverse,
 * `sequence.hooks: 'stack'`), so a server opened in `beforeEach` and
 * closed in `afterEach` is clean. `LEAKWATCH_TEST_SCOPE=file` or
 * `configureLeakCheck({ scope: 'file' })` checks once per file instead
 * (for `beforeAll` fixtures and concurrent tests).
 *
 * Vitest runs setup files through its module runner, where a CommonJS
 * `require('vitest')` is refused; the hooks come from the runner's own
 * index, which vitest publishes as `globalThis.__vitest_index__` (the
 * object behind `import.meta.vitest`) before any setup file runs.
 */
import { closeAndCheck, openLeakWindow } from './leak-window';
import { configureLeakCheck, type LeakScope, resetLeakCheck, sharedState } from './shared-state';

export { configureLeakCheck, type RunnerLeakOptions, type LeakScope } from './shared-state';
export { expectNoLeaks } from './expect-no-leaks';
export { LeakError, type LeakCheckOptions } from './leak-format';
export type { Leak, LeakType } from './leak-window';

type Hook<A> = (fn: (arg: A) => unknown) => void;
interface TaskLike {
  result?: { state?: string };
}
interface VitestIndex {
  beforeEach: Hook<{ task: TaskLike }>;
  afterEach: Hook<{ task: TaskLike }>;
  beforeAll: Hook<unknown>;
  afterAll: Hook<unknown>;
}

/** The test file being run, from vitest's worker state. */
function currentFile(): string {
  const w = (globalThis as { __vitest_worker__?: { filepath?: unknown } }).__vitest_worker__;
  return typeof w?.filepath === 'string' ? w.filepath : '';
}

/**
 * One key object per running file, for the file scope. (vitest 4 parses
 * the first parameter of `beforeAll` as a fixture pattern, so the suite
 * object is not taken from there.)
 */
function fileKey(): object {
  const files = sharedState().files;
  const f = currentFile();
  let k = files.get(f);
  if (k === undefined) files.set(f, (k = { file: f }));
  return k;
}

function vitestIndex(): VitestIndex | null {
  const v = (globalThis as { __vitest_index__?: Partial<VitestIndex> }).__vitest_index__;
  return v !== undefined && typeof v.beforeEach === 'function' && typeof v.afterAll === 'function'
    ? (v as VitestIndex)
    : null;
}

/** A failed test often leaves things open on its way out: its own error says more. */
function hasFailed(task: TaskLike): boolean {
  return task.result?.state === 'fail';
}

/**
 * Registers the hooks in the file being collected. Safe to run twice (the
 * setup file and a test file's import): each test's window belongs to the
 * installation that opened it.
 */
function installHooks(v: VitestIndex): void {
  const owner = Symbol('leakwatch.vitest');
  const state = sharedState();
  const open = (key: object, scope: LeakScope) => {
    if (state.scope !== scope || state.open.has(key)) return;
    state.open.set(key, { window: openLeakWindow(), owner });
  };
  const check = async (key: object, failed: boolean, what: string) => {
    const e = state.open.get(key);
    if (e === undefined || e.owner !== owner) return;
    state.open.delete(key);
    if (failed) {
      e.window.close();
      return;
    }
    await closeAndCheck(e.window, state.options, what);
  };
  v.beforeAll(() => open(fileKey(), 'file'));
  v.beforeEach((ctx) => open(ctx.task, 'test'));
  v.afterEach((ctx) => check(ctx.task, hasFailed(ctx.task), 'this test'));
  v.afterAll(async () => {
    const key = fileKey();
    sharedState().files.delete(currentFile());
    await check(key, false, 'this file');
  });
}

/**
 * Vitest evaluates setup files itself, once per test file, with a stand-in
 * `module` (no `children`); a test file's import gets Node's module. A
 * setup run starts the file with default options, so `configureLeakCheck`
 * in a later setup file applies to every file and in a test file to that
 * file only.
 */
const runAsSetupFile = !Array.isArray((module as { children?: unknown }).children);
const index = vitestIndex();
if (index !== null) {
  if (runAsSetupFile) resetLeakCheck();
  installHooks(index);
}

/** Kept for symmetry with `leakwatch/node-test`: options for the installed check. */
export const leakCheck = configureLeakCheck;
