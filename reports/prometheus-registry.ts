/**
 * leakwatch's metrics registered into an application's prom-client registry
 * (`registerPrometheusMetrics`), instead of a second port: metric objects
 * with prom-client's `get()` contract, so prom-client itself is never loaded
 * by leakwatch. Values are collected once per scrape.
 */
import type { AgentView } from '../agent/agent-view';
import { GC_BUCKETS_S, type MetricDef } from './metric-names';
import type { HistogramPoint, MetricPoints, ScalarPoint, Series } from './metric-points';
import { readPromClientDefaultNames } from './prom-client-names';

/** The part of a prom-client `Registry` leakwatch uses. */
export interface PromRegistry {
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
}

/** What `registerPrometheusMetrics` did. */
export interface PrometheusRegistration {
  /** Metric names added to the registry. */
  readonly registered: readonly string[];
  /**
   * Names left out: those of prom-client's `collectDefaultMetrics()`, whether
   * it has run or not, and any other the registry already had.
   */
  readonly skipped: readonly string[];
}

interface PromValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * Registers leakwatch's metrics into a prom-client registry, as metric
 * objects with prom-client's `get()` contract, so prom-client itself is
 * never loaded by leakwatch. Values are collected once per scrape.
 *
 * Names prom-client's `collectDefaultMetrics()` uses are left to it even
 * when it has not run yet: taken first, they would make it throw in the
 * application's start-up (prom-client refuses a second metric of a name).
 * Names the registry already has are skipped too.
 */
export function registerIntoRegistry(
  view: AgentView,
  registry: PromRegistry,
  points: MetricPoints,
): PrometheusRegistration {
  let fresh = false;
  const collect = () => {
    if (fresh) return;
    points.collect();
    fresh = true;
    // One collect per scrape: every metric's get() of one scrape runs
    // before the next turn of the event loop.
    setImmediate(() => {
      fresh = false;
    }).unref();
  };
  const labelCache = new Map<object, Record<string, string>>();
  const labels = (p: ScalarPoint | HistogramPoint): Record<string, string> => {
    let l = labelCache.get(p);
    if (l === undefined) {
      l = p.attr === null ? {} : { [p.attr.promKey]: p.attr.promValue };
      labelCache.set(p, l);
    }
    return l;
  };
  const promClientNames = readPromClientDefaultNames();
  const registered: string[] = [];
  const skipped: string[] = [];
  const taken: string[] = [];
  const add = (
    name: string,
    help: string,
    type: string,
    aggregator: MetricDef['promAggregator'],
    values: () => PromValue[],
  ) => {
    if (promClientNames.has(name)) {
      skipped.push(name);
      return;
    }
    if (registry.getSingleMetric(name) !== undefined) {
      skipped.push(name);
      taken.push(name);
      return;
    }
    // prom-client renames counters on an OpenMetrics registry (it strips
    // `_total` from `metric.name`): report the current name, as its own
    // metrics do, or the line would read `_total_total`.
    const metric = {
      name,
      help,
      type,
      aggregator,
      get: async () => {
        try {
          collect();
          return { name: metric.name, help, type, aggregator, values: values() };
        } catch (err) {
          view.onError('prometheus registry', err);
          return { name: metric.name, help, type, aggregator, values: [] };
        }
      },
      reset: () => {},
    };
    registry.registerMetric(metric);
    registered.push(name);
  };
  for (const series of points.scalars) {
    const name = series.def.prom;
    if (name === null) continue;
    const s: Series<ScalarPoint> = series;
    add(name, series.def.help, series.def.kind, series.def.promAggregator, () =>
      s.points.filter((p) => p.present).map((p) => ({ value: p.value, labels: labels(p) })),
    );
  }
  // Today's one Prometheus histogram, nodejs_gc_duration_seconds, is
  // prom-client's name, so this adds nothing yet; it serves the next one.
  for (const series of points.histograms) {
    const name = series.def.prom;
    if (name === null) continue;
    const s: Series<HistogramPoint> = series;
    add(name, series.def.help, 'histogram', series.def.promAggregator, () => {
      const values: PromValue[] = [];
      for (const h of s.points) {
        const base = labels(h);
        let cum = 0;
        for (let b = 0; b < GC_BUCKETS_S.length; b++) {
          cum += h.buckets[b] as number;
          values.push({ metricName: `${name}_bucket`, labels: { ...base, le: GC_BUCKETS_S[b] as number }, value: cum });
        }
        values.push({ metricName: `${name}_bucket`, labels: { ...base, le: '+Inf' }, value: h.count });
        values.push({ metricName: `${name}_sum`, labels: base, value: h.sum });
        values.push({ metricName: `${name}_count`, labels: base, value: h.count });
      }
      return values;
    });
  }
  if (view.debug.enabled) {
    const left = skipped.length - taken.length;
    view.debug(
      `prometheus: registered ${registered.length} metrics into the application's registry; left ${left} to prom-client's collectDefaultMetrics()${taken.length > 0 ? `; skipped ${taken.join(', ')} (already registered)` : ''}`,
    );
  }
  return { registered, skipped };
}
