/**
 * leakwatch's programmatic API. Everything exported here is a promise to
 * users: keep it small and list it by name.
 */
import type { Agent } from './agent';
import { type StartOptions, resolveConfig } from './config';
import { writeStderr } from './debug';
import { noopAgent } from './noop';

/**
 * Starts an agent in this process. Options override `LEAKWATCH_*`
 * environment variables; a bad option throws a TypeError or RangeError
 * naming it, a bad environment value prints one line and falls back.
 */
export function start(options: StartOptions = {}): Agent {
  const { config, warnings } = resolveConfig(options);
  for (const w of warnings) writeStderr(`${w}\n`);
  if (!config.enabled) return noopAgent(config);
  // Loaded only when enabled: a disabled agent loads no probe at all.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LeakwatchAgent } = require('./agent') as typeof import('./agent');
  return new LeakwatchAgent(config).start();
}

export { VERSION } from './version';
export type { Agent } from './agent';
export type { Config, StartOptions } from './config';
export type { DurationString, Milliseconds } from './duration';
export type { LeakState } from './state-machine';
export type {
  LeakReport,
  ProfileFile,
  SignalTrend,
  Suspect,
  SuspectKind,
  TimeToOom,
} from '../reports/report-schema';
