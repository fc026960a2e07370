/**
 * `leakwatch/node-test`: the same check for `node:test`.
 *
 * ```sh
 * node --test --import leakwatch/node-test        # every test file
 * node --require leakwatch/node-test --test ...   # same, CommonJS preload
 * ```
 *
 * or in a test file: `require('leakwatch/node-test').leakCheck({...})`.
 * Loading the module registers root-level `beforeEach`/`afterEach` (and
 * `before`/`after` for the file scope) hooks of `node:test`, which run
 * around every test of the file (`node --test` runs each file in its own
 * process, so "file" is "process"). A test that leaves a timer, interval,
 * socket, server or UDP socket alive fails from its `afterEach` with the
 * line that created it.
 */
import type * as NodeTest from 'node:test';
import { closeAndCheck, openLeakWindow } from './leak-window';
import { configureLeakCheck, type LeakScope, type RunnerLeakOptions, sharedState } from './shared-state';

export { configureLeakCheck, type RunnerLeakOptions, type LeakScope } from './shared-state';
export { expectNoLeaks } from './expect-no-leaks';
export { LeakError, type LeakCheckOptions } from './leak-format';
export type { Leak, LeakType } from './leak-window';

const INSTALLED = Symbol.for('leakwatch.node-test.installed');
/** The key of the process-wide (file scope) window. */
const FILE_KEY = {};

interface ContextLike {
  name?: string;
}

function install(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED] === true) return;
  g[INSTALLED] = true;
  // Loaded lazily: importing leakwatch for anything else never loads the runner.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const t = require('node:test') as typeof NodeTest;
  const state = sharedState();
  const owner = Symbol('leakwatch.node-test');
  const open = (key: object, scope: LeakScope) => {
    if (state.scope !== scope || state.open.has(key)) return;
    state.open.set(key, { window: openLeakWindow(), owner });
  };
  const check = async (key: object, what: string) => {
    const e = state.open.get(key);
    if (e === undefined) return;
    state.open.delete(key);
    await closeAndCheck(e.window, state.options, what);
  };
  t.before(() => open(FILE_KEY, 'file'));
  t.beforeEach((ctx: ContextLike) => open(ctx as object, 'test'));
  t.afterEach((ctx: ContextLike) => check(ctx as object, 'this test'));
  t.after(() => check(FILE_KEY, 'this file'));
}

/**
 * Installs the check (if the preload did not) and sets its options.
 * @param options ignore rules, `settleMs`, and `scope` (`test` or `file`)
 */
export function leakCheck(options: RunnerLeakOptions = {}): void {
  configureLeakCheck(options);
  /**
 * `node --test` is an orchestrator: it runs each file in a child process
 * (which gets the preload again, without `--test`). Hooks registered in
 * the orchestrator would only add an empty report of its own.
 */
const isOrchestrator = process.execArgv.includes('--test');
if (!isOrchestrator) install();
}

/**
 * `node --test` is an orchestrator: it runs each file in a child process
 * (which gets the preload again, without `--test`). Hooks registered in
 * the orchestrator would only add an empty report of its own.
 */
const isOrchestrator = process.execArgv.includes('--test');
if (!isOrchestrator) install();
