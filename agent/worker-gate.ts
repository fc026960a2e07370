/**
 * Whether the preload starts an agent in a worker thread:
 * `LEAKWATCH_WORKERS`, read here rather than through agent/config.ts,
 * because loading the config loads `node:net` and the OpenTelemetry
 * readers, milliseconds that every worker of a pool would pay for nothing
 * when the variable is unset. A bad value is named by agent/config.ts,
 * once, in the main thread.
 */
import { TRUE_WORDS } from './words';

/** True when `LEAKWATCH_WORKERS` is one of the config's true words. */
export function workersWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return TRUE_WORDS.has((env.LEAKWATCH_WORKERS ?? '').trim().toLowerCase());
}
