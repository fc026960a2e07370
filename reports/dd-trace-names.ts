/**
 * The DogStatsD names dd-trace's runtime metrics send, and whether they run
 * in this process. A service that already runs dd-trace with runtime metrics
 * on (`DD_RUNTIME_METRICS_ENABLED=true` or `init({ runtimeMetrics: true })`)
 * would otherwise get every such name twice, from two readings and under two
 * tag sets; leakwatch then leaves these names to dd-trace and sends only the
 * ones dd-trace has not (its `leakwatch.*` metrics and the handle counts).
 *
 * The names are dd-trace 5's, from
 * `packages/dd-trace/src/runtime_metrics/runtime_metrics.js`; a test checks
 * them against the installed dd-trace.
 */

/** dd-trace's plain gauges. */
const GAUGES = [
  'runtime.node.cpu.system',
  'runtime.node.cpu.user',
  'runtime.node.cpu.total',
  'runtime.node.mem.heap_total',
  'runtime.node.mem.heap_used',
  'runtime.node.mem.rss',
  'runtime.node.mem.total',
  'runtime.node.mem.free',
  'runtime.node.mem.external',
  'runtime.node.process.uptime',
  'runtime.node.heap.total_heap_size',
  'runtime.node.heap.total_heap_size_executable',
  'runtime.node.heap.total_physical_size',
  'runtime.node.heap.total_available_size',
  'runtime.node.heap.heap_size_limit',
  'runtime.node.heap.malloced_memory',
  'runtime.node.heap.peak_malloced_memory',
  'runtime.node.heap.size.by.space',
  'runtime.node.heap.used_size.by.space',
  'runtime.node.heap.available_size.by.space',
  'runtime.node.heap.physical_size.by.space',
  'runtime.node.event_loop.utilization',
];

/** dd-trace's histograms, each sent as the eight fields below. */
const HISTOGRAMS = ['runtime.node.event_loop.delay', 'runtime.node.gc.pause', 'runtime.node.gc.pause.by.type'];
const HISTOGRAM_FIELDS = ['min', 'max', 'sum', 'total', 'avg', 'count', 'median', '95percentile'];

/** Every DogStatsD name dd-trace's runtime metrics send, histogram fields included. */
export const DD_TRACE_RUNTIME_NAMES: ReadonlySet<string> = new Set([
  ...GAUGES,
  ...HISTOGRAMS.flatMap((h) => HISTOGRAM_FIELDS.map((f) => `${h}.${f}`)),
]);

/**
 * dd-trace 5 requires this module only when its runtime metrics start
 * (`runtime_metrics/index.js`, `start()`); with them off only `index.js` is
 * loaded. Its OpenTelemetry variant sends over OTLP, not DogStatsD.
 */
const RUNTIME_METRICS_MODULE =
  /[\\/]dd-trace[\\/]packages[\\/]dd-trace[\\/]src[\\/]runtime_metrics[\\/]runtime_metrics\.js$/;

/**
 * Whether dd-trace's DogStatsD runtime metrics run in this process: the
 * tracer is there (`global._ddtrace`, set by dd-trace's bootstrap) and has
 * loaded its runtime-metrics module.
 * @param cache the module cache to look in (`require.cache`)
 */
export function isDdTraceRuntimeMetricsOn(cache: NodeJS.Dict<NodeJS.Module> = require.cache): boolean {
  if ((globalThis as { _ddtrace?: unknown })._ddtrace === undefined) return false;
  for (const file of Object.keys(cache)) if (RUNTIME_METRICS_MODULE.test(file)) return true;
  return false;
}
