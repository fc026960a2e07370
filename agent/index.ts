/**
 * leakwatch's programmatic API. Everything exported here is a promise to
 * users: keep it small and list it by name.
 */
import type { Agent } from './agent-view';
import { type StartOptions, resolveConfig } from './config';
import { writeStderr } from './debug';
import { noopAgent } from './noop';
import type { PromRegistry, PrometheusRegistration } from '../reports/prometheus-registry';

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

/**
 * Registers leakwatch's metrics into an application's prom-client registry
 * (e.g. `require('prom-client').register`), for services that already serve
 * `/metrics` and so need no port of leakwatch's own. The names of
 * prom-client's `collectDefaultMetrics()` are left to it, so the two may be
 * called in either order; those and any name the registry already has are
 * skipped and listed.
 * With no agent running (not preloaded, or disabled) it registers nothing.
 * @param registry a prom-client `Registry`
 * @param agent the agent from `start()`; by default the preloaded one
 * @throws TypeError when `registry` is not a prom-client registry
 */
export function registerPrometheusMetrics(registry: PromRegistry, agent?: Agent): PrometheusRegistration {
  const running = agent ?? (globalThis as { [key: symbol]: unknown })[Symbol.for('leakwatch.agent')];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { registerIntoPromRegistry } = require('../reports/exporters') as typeof import('../reports/exporters');
  return registerIntoPromRegistry(running as import('./agent-view').AgentView | undefined, registry);
}

export { VERSION } from './version';
export type { Agent } from './agent-view';
export type { Config, StartOptions } from './config';
export type { DurationString, Milliseconds } from './duration';
export type { LeakState } from './state-machine';
export type { PromRegistry, PrometheusRegistration } from '../reports/prometheus-registry';
export type { LeakReport, ProfileFile, SignalTrend, Suspect, SuspectKind, TimeToOom } from '../reports/report-schema';
