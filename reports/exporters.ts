/**
 * Metric exporters. Each channel is loaded only when configured, so a
 * service with no exporter loads none of their code or libraries.
 */
import type { AgentView } from '../agent/agent-view';
import type { LeakReport } from './report-schema';
import type { PromRegistry, PrometheusRegistration } from './prometheus-registry';

/** A metric channel driven by the agent's tick. */
export interface Exporter {
  readonly name: string;
  /** Called after each sampling tick with fresh readings. Must be cheap. */
  onTick(): void;
  /** A report was written: emit an event so monitors see it. */
  onReport?(report: LeakReport, file: string): void;
  /** Flushes what is pending and releases sockets and servers. */
  stop(): Promise<void>;
  /**
   * Prometheus only: this process's `/metrics` text, for the process of
   * its cluster that holds `address`; null when this channel serves another
   * address or holds the port itself.
   */
  exposition?(address: string): string | null;
}

/**
 * The channels of one agent. The agent holds this as its one exporter; a
 * channel added later (a prom-client registry) joins the same tick.
 */
class ExporterHub implements Exporter {
  readonly name = 'metrics';
  readonly channels: Exporter[] = [];

  constructor(private readonly view: AgentView) {}

  onTick(): void {
    const channels = this.channels;
    for (let i = 0; i < channels.length; i++) {
      const c = channels[i] as Exporter;
      try {
        c.onTick();
      } catch (err) {
        this.view.onError(`exporter ${c.name}`, err);
      }
    }
  }

  onReport(report: LeakReport, file: string): void {
    for (const c of this.channels) {
      try {
        c.onReport?.(report, file);
      } catch (err) {
        this.view.onError(`exporter ${c.name}`, err);
      }
    }
  }

  async stop(): Promise<void> {
    const channels = this.channels.splice(0);
    await Promise.allSettled(channels.map((c) => c.stop()));
  }
}

/** The hub of each running agent, for `registerPrometheusMetrics`. */
const hubs = new WeakMap<object, ExporterHub>();

/** Starts the exporters the config names. */
export function startExporters(view: AgentView): Exporter[] {
  const hub = new ExporterHub(view);
  hubs.set(view, hub);
  const { config } = view;
  const start = (name: string, make: () => Exporter) => {
    try {
      hub.channels.push(make());
    } catch (err) {
      view.onError(`exporter ${name}`, err);
    }
  };
  // Each channel's module is required here, only when configured.
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (config.dogstatsd !== null) {
    const ep = config.dogstatsd;
    start('dogstatsd', () =>
      (require('./dogstatsd') as typeof import('./dogstatsd')).createDogStatsDExporter(view, ep),
    );
  }
  if (config.prometheus !== null) {
    const where = config.prometheus;
    start('prometheus', () =>
      (require('./prometheus') as typeof import('./prometheus')).createPrometheusExporter(view, where),
    );
  }
  if (config.otlp !== null) {
    const target = config.otlp;
    start('otlp', () => (require('./otlp') as typeof import('./otlp')).createOtlpExporter(view, target));
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return [hub];
}

/**
 * This agent's Prometheus text for a cluster peer that holds `address`
 * (the control channel's `metrics` command); null when it has none to give.
 */
export function readExposition(view: object, address: string): string | null {
  const hub = hubs.get(view);
  if (hub === undefined) return null;
  for (const c of hub.channels) {
    const text = c.exposition?.(address);
    if (text !== undefined && text !== null) return text;
  }
  return null;
}

/**
 * Registers leakwatch's metrics into an application's prom-client registry
 * (`registerPrometheusMetrics` in the public API). With no agent running
 * (not preloaded, or `LEAKWATCH_ENABLED=false`) it registers nothing and
 * returns empty lists: turning leakwatch off must not break the host.
 * @throws TypeError when `registry` is not a prom-client registry.
 */
export function registerIntoPromRegistry(view: AgentView | undefined, registry: PromRegistry): PrometheusRegistration {
  if (
    registry === null ||
    typeof registry !== 'object' ||
    typeof registry.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function'
  ) {
    throw new TypeError(
      'leakwatch: registerPrometheusMetrics needs a prom-client Registry (e.g. require("prom-client").register)',
    );
  }
  const hub = view === undefined || view === null ? undefined : hubs.get(view);
  if (view === undefined || view === null || hub === undefined) return { registered: [], skipped: [] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prom = require('./prometheus-registry') as typeof import('./prometheus-registry');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MetricPoints } = require('./metric-points') as typeof import('./metric-points');
  const points = new MetricPoints(view);
  const result = prom.registerIntoRegistry(view, registry, points);
  hub.channels.push({
    name: 'prometheus-registry',
    onTick: () => points.observe(),
    stop: async () => {},
  });
  return result;
}
