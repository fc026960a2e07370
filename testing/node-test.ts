/**
 * `leakwatch/node-test`: the same check for `node:test`.
 *
 * ```sh
 * node --test --import leakwatch/node-test        # every test file
 * node --require leakwatch/node-test --test ...   # same, CommonJS preload
 * ```
 *
 * or in a test file: `require('leakwatch/node-test').leakCheck({...})`.
 * Loading the module registers a root-level `beforeEach` hook of
 * `node:test` that arms capture for each test and checks it when the test
 * and its `afterEach` hooks are done. A test that leaves a timer, interval,
 * socket, server or UDP socket alive fails from its `afterEach` with the
 * line that created it. Per test only (see `install`).
 */
import type * as NodeTest from 'node:test';
import { closeAndCheck, openLeakWindow } from './leak-window';
import { writeStderr } from '../agent/debug';
import type { LeakCheckOptions } from './leak-format';
import { configureLeakCheck, type RunnerLeakOptions, sharedState } from './shared-state';

export { configureLeakCheck, type RunnerLeakOptions, type LeakScope } from './shared-state';
export { expectNoLeaks } from './expect-no-leaks';
export { LeakError, type LeakCheckOptions } from './leak-format';
export type { Leak, LeakType } from './leak-window';

const INSTALLED = Symbol.for('leakwatch.node-test.installed');

interface ContextLike {
  after?: (fn: () => unknown) => void;
}

/**
 * Per test only. node:test runs `afterEach` hooks first-registered-first
 * and a preload registers before the file, so the check is not an
 * `afterEach`: it is a `t.after()` added in `beforeEach`, which node:test
 * runs after every `afterEach` hook (the file's cleanup included). A
 * per-file check has no such slot: root `after()` hooks also run in
 * registration order, and one that throws stops the file's own `after()`
 * cleanup (measured on Node 20.20), so the file scope is vitest's only.
 */
function install(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED] === true) return;
  g[INSTALLED] = true;
  // Loaded lazily: importing leakwatch for anything else never loads the runner.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const t = require('node:test') as typeof NodeTest;
  const state = sharedState();
  if (state.scope === 'file') {
    writeStderr(
      'leakwatch: LEAKWATCH_TEST_SCOPE=file is not supported by leakwatch/node-test (node --test already runs each file in its own process); checking each test\n',
    );
  }
  t.beforeEach((c: unknown) => {
    const ctx = c as ContextLike;
    const key = ctx as object;
    if (state.open.has(key) || typeof ctx.after !== 'function') return;
    state.open.set(key, { window: openLeakWindow(), owner: OWNER });
    ctx.after(async () => {
      const e = state.open.get(key);
      if (e === undefined) return;
      state.open.delete(key);
      await closeAndCheck(e.window, state.options, 'this test');
    });
  });
}

const OWNER = Symbol('leakwatch.node-test');

/**
 * Installs the check (if the preload did not) and sets its options.
 * @param options ignore rules and `settleMs`
 */
export function leakCheck(options: LeakCheckOptions = {}): void {
  if ((options as RunnerLeakOptions).scope === 'file') {
    throw new RangeError(
      'scope "file" is not supported by leakwatch/node-test; node --test runs each file in its own process, and leaks are checked per test',
    );
  }
  configureLeakCheck(options);
  install();
}

/**
 * `node --test` is an orchestrator: it runs each file in a child process
 * (which gets the preload again, without `--test`). Hooks registered in
 * the orchestrator would only add an empty report of its own.
 */
const isOrchestrator = process.execArgv.includes('--test');
if (!isOrchestrator) install();
