import * as path from 'node:path';
import { type Env, DEFAULTS } from './config';
import { type Milliseconds, parseDuration } from './duration';

// What the CLI, the test helpers and `leakwatch why` read from the
// environment. The agent's own variables are read in ./config; these two
// files are the only readers of process.env (eslint.config.mjs).

/** The report directory the CLI should look in (no agent running). */
export function reportDirFromEnv(env: Env = process.env): string {
  const raw = env.LEAKWATCH_REPORT_DIR;
  return raw && raw.trim() !== '' && !raw.includes('\0') ? path.resolve(raw.trim()) : DEFAULTS.reportDir;
}

/**
 * Whether the CLI's viewers colour their output. `FORCE_COLOR` decides
 * first, read as Node's own tty.getColorDepth reads it ('', 1, 2, 3, true:
 * on; anything else: off); then `NO_COLOR` (https://no-color.org) turns
 * colour off; otherwise only a terminal that is not `TERM=dumb` gets it.
 * @param isTTY whether the output stream is a terminal
 */
export function colorFromEnv(isTTY: boolean, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/** What the test helpers and the `why` preload read from the environment. */
export interface TestingEnv {
  /** `LEAKWATCH_TEST_SCOPE`: check leaks per `test` (default) or per `file`. */
  readonly testScope: 'test' | 'file';
  /** `LEAKWATCH_WHY_IDLE`: report after the loop has idled this long (set by `leakwatch why --idle`); null: only on SIGINT. */
  readonly whyIdleMs: Milliseconds | null;
  /** Lines for stderr, one per bad value (its fallback is used). */
  readonly warnings: readonly string[];
}

/** Reads `LEAKWATCH_TEST_SCOPE` and `LEAKWATCH_WHY_IDLE`; bad values warn and fall back. */
export function testingFromEnv(env: Env = process.env): TestingEnv {
  const warnings: string[] = [];
  let testScope: TestingEnv['testScope'] = 'test';
  const scope = env.LEAKWATCH_TEST_SCOPE?.trim();
  if (scope === 'file' || scope === 'test') testScope = scope;
  else if (scope !== undefined && scope !== '') {
    warnings.push(`leakwatch: LEAKWATCH_TEST_SCOPE="${scope.slice(0, 32)}" is not test or file; using test`);
  }
  let whyIdleMs: Milliseconds | null = null;
  const idle = env.LEAKWATCH_WHY_IDLE?.trim();
  if (idle !== undefined && idle !== '') {
    const ms = parseDuration(idle);
    if (ms === undefined || ms <= 0) {
      warnings.push(
        `leakwatch: LEAKWATCH_WHY_IDLE="${idle.slice(0, 32)}" is not a duration (expected e.g. 500ms, 2s); reporting on SIGINT only`,
      );
    } else whyIdleMs = ms;
  }
  return { testScope, whyIdleMs, warnings };
}

/**
 * The environment `leakwatch why` gives its child: this process's, with a
 * `--require` of the why preload added to `NODE_OPTIONS` and
 * `LEAKWATCH_WHY_IDLE` set to `idle` (or removed).
 * @param preload absolute path of the preload script
 * @param idle the `--idle` duration as typed, or null
 */
export function whyChildEnv(preload: string, idle: string | null, env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'LEAKWATCH_WHY_IDLE') out[k] = v;
  // Quoted: the path may hold spaces (NODE_OPTIONS accepts double quotes).
  const req = `--require ${JSON.stringify(preload)}`;
  const existing = env.NODE_OPTIONS;
  out.NODE_OPTIONS = existing !== undefined && existing.trim() !== '' ? `${existing} ${req}` : req;
  if (idle !== null) out.LEAKWATCH_WHY_IDLE = idle;
  return out;
}
