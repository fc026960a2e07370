/**
 * State the test-runner entries share across module copies. Vitest runs a
 * setup file through its own module runner, while a test file importing
 * `leakwatch/vitest` gets Node's copy: two module instances, one set of
 * options and open windows, kept on a global symbol.
 */
import { testingFromEnv } from '../agent/cli-env';
import { writeStderr } from '../agent/debug';
import {
  DEFAULT_LEAK_OPTIONS,
  type LeakCheckOptions,
  type ResolvedLeakOptions,
  resolveLeakOptions,
} from './leak-format';
import type { LeakWindow } from './leak-window';

/** When the runner integrations check: after each test, or once per file. */
export type LeakScope = 'test' | 'file';

/** Options of the runner integrations: the leak-check options plus the scope. */
export interface RunnerLeakOptions extends LeakCheckOptions {
  /** Check after each `test` (default) or once per `file`. Overrides `LEAKWATCH_TEST_SCOPE`. */
  scope?: LeakScope;
}

/** State shared by every installation of the runner integrations in one process. */
export interface SharedState {
  options: ResolvedLeakOptions;
  scope: LeakScope;
  /** Open windows by test (or file) object, with the installation that owns each. */
  readonly open: WeakMap<object, { window: LeakWindow; owner: symbol }>;
  /** One key object per running file (file scope). */
  readonly files: Map<string, object>;
}

const KEY = Symbol.for('leakwatch.testing.state');

/** The one shared state, created on first use (reads the environment once). */
export function sharedState(): SharedState {
  const g = globalThis as { [KEY]?: SharedState };
  let s = g[KEY];
  if (s === undefined) {
    const env = testingFromEnv();
    for (const w of env.warnings) writeStderr(`${w}\n`);
    s = { options: DEFAULT_LEAK_OPTIONS, scope: env.testScope, open: new WeakMap(), files: new Map() };
    g[KEY] = s;
  }
  return s;
}

/** Back to the defaults and the environment's scope (a new test file starts). */
export function resetLeakCheck(): void {
  const s = sharedState();
  s.options = DEFAULT_LEAK_OPTIONS;
  s.scope = testingFromEnv().testScope;
}

/**
 * Changes the options of the installed leak check, from then on. Fields
 * left out keep their current value.
 * @throws TypeError / RangeError naming an option that makes no sense
 */
export function configureLeakCheck(options: RunnerLeakOptions): void {
  const s = sharedState();
  if (options.scope !== undefined && options.scope !== 'test' && options.scope !== 'file') {
    throw new RangeError(`scope must be "test" or "file", got ${String(options.scope)}`);
  }
  const { scope, ...rest } = options;
  s.options = resolveLeakOptions(rest, s.options);
  if (scope !== undefined) s.scope = scope;
}
