/**
 * Every metric name leakwatch emits, on every channel, in one table.
 *
 * Each entry names the Node API its value comes from. Values are held in
 * base units (bytes, seconds, ratio 0..1, counts); `ddScale` converts to
 * what Datadog's Node.js runtime metrics use (nanoseconds for time, percent
 * for CPU), because "ALL metrics that relate to time are handled in
 * nanoseconds in the backend" (dd-trace-js runtime_metrics.js).
 *
 * Names follow, per channel:
 * - DogStatsD: dd-trace-js `runtime_metrics.js` (`runtime.node.*`), so the
 *   Datadog Node.js runtime dashboard lights up;
 * - Prometheus: prom-client's default metrics (`nodejs_*`, `process_*`);
 * - OTLP: OpenTelemetry semantic conventions for V8 and Node.js runtime
 *   metrics (`v8js.*`, `nodejs.*`, `process.*`).
 * A `null` name means the metric is not sent on that channel.
 */

import { RESOLUTION_MS } from '../probes/event-loop';

/** A point's value per series: gauge (a level), counter (monotonic total) or histogram. */
export type MetricKind = 'gauge' | 'counter' | 'histogram';

/** The attribute a series is split by, if any. */
export type AttrKind = 'space' | 'handle' | 'gc' | 'channel';

/** One runtime metric: its name on each channel (null where it is not sent), kind, unit and source. */
export interface MetricDef {
  /** DogStatsD name, or null. */
  readonly dd: string | null;
  /** Prometheus name (counters end in `_total`), or null. */
  readonly prom: string | null;
  /** OpenTelemetry name, or null. */
  readonly otel: string | null;
  readonly kind: MetricKind;
  /** Unit of the held value, as OTLP writes it (UCUM): By, s, 1, {handle}... */
  readonly unit: string;
  /** Multiplier from the held value to the DogStatsD value. */
  readonly ddScale: number;
  /**
   * Subtracted (held units) before scaling for DogStatsD, floored at 0. The
   * delay histogram samples on a timer, so every sample includes its
   * resolution; dd-trace subtracts it on such Node versions so that an idle
   * loop reads 0 (runtime_metrics.js captureEventLoopDelay).
   */
  readonly ddOffset: number;
  readonly attr: AttrKind | null;
  /**
   * OTLP only: the semantic conventions make this level an UpDownCounter,
   * sent as a non-monotonic cumulative Sum rather than a Gauge.
   */
  readonly otelUpDown: boolean;
  /**
   * prom-client's `AggregatorRegistry` only (a cluster's workers merged into
   * one series): how this metric combines, as prom-client's own metrics say
   * it (`sum` for sizes and counts, `average` for ratios and means).
   */
  readonly promAggregator: 'sum' | 'max' | 'average';
  readonly help: string;
  /** The Node API (or agent field) the value comes from. */
  readonly source: string;
}

const NS_PER_S = 1e9;
/** The delay histogram's sampling resolution (s). */
const LOOP_RESOLUTION_S = RESOLUTION_MS / 1_000;

function def(d: Partial<MetricDef> & Pick<MetricDef, 'kind' | 'unit' | 'help' | 'source'>): MetricDef {
  return Object.freeze({
    dd: null,
    prom: null,
    otel: null,
    ddScale: 1,
    ddOffset: 0,
    attr: null,
    otelUpDown: false,
    promAggregator: 'sum',
    ...d,
  });
}

/** Attribute names per channel. */
export const ATTR_NAMES = Object.freeze({
  // v8.getHeapSpaceStatistics() space_name. prom-client strips `_space`.
  space: { dd: 'heap_space', prom: 'space', otel: 'v8js.heap.space.name' },
  // process.getActiveResourcesInfo() entries.
  handle: { dd: 'handle_type', prom: 'type', otel: 'v8js.resource.type' },
  // PerformanceEntry detail.kind of 'gc' entries.
  gc: { dd: 'gc_type', prom: 'kind', otel: 'v8js.gc.type' },
  // The metrics channel a send was lost on: dogstatsd, prometheus or otlp.
  channel: { dd: 'channel', prom: 'channel', otel: 'leakwatch.channel' },
});

/**
 * GC kind names per channel, in `GC_KINDS` order (probes/gc.ts): Datadog's
 * `gc_type` values, prom-client's and OpenTelemetry's `kind`/`v8js.gc.type`.
 */
export const GC_KIND_NAMES = Object.freeze({
  dd: ['scavenge', 'mark_sweep_compact', 'incremental_marking', 'process_weak_callbacks'],
  prom: ['minor', 'major', 'incremental', 'weakcb'],
  otel: ['minor', 'major', 'incremental', 'weakcb'],
});

/** Bucket bounds (s) of GC pause histograms: prom-client's `nodejs_gc_duration_seconds`. */
export const GC_BUCKETS_S: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

/** Every metric leakwatch emits. Each entry's comment names the Node API its value comes from. */
export const METRICS = Object.freeze({
  // process.memoryUsage().heapUsed
  heapUsed: def({
    dd: 'runtime.node.mem.heap_used',
    prom: 'nodejs_heap_size_used_bytes',
    kind: 'gauge',
    unit: 'By',
    help: 'V8 heap in use.',
    source: 'process.memoryUsage().heapUsed',
  }),
  // process.memoryUsage().heapTotal
  heapTotal: def({
    dd: 'runtime.node.mem.heap_total',
    prom: 'nodejs_heap_size_total_bytes',
    kind: 'gauge',
    unit: 'By',
    help: 'V8 heap allocated.',
    source: 'process.memoryUsage().heapTotal',
  }),
  // process.memoryUsage().heapTotal, which is v8.getHeapStatistics().total_heap_size
  heapTotalV8: def({
    dd: 'runtime.node.heap.total_heap_size',
    kind: 'gauge',
    unit: 'By',
    help: 'V8 heap allocated (V8 statistics name).',
    source: 'process.memoryUsage().heapTotal (= v8 total_heap_size)',
  }),
  // process.memoryUsage().external
  external: def({
    dd: 'runtime.node.mem.external',
    prom: 'nodejs_external_memory_bytes',
    kind: 'gauge',
    unit: 'By',
    help: 'Memory of C++ objects bound to JavaScript objects.',
    source: 'process.memoryUsage().external',
  }),
  // process.memoryUsage().rss
  rss: def({
    dd: 'runtime.node.mem.rss',
    prom: 'process_resident_memory_bytes',
    otel: 'process.memory.usage',
    kind: 'gauge',
    otelUpDown: true,
    unit: 'By',
    help: 'Resident set size.',
    source: 'process.memoryUsage().rss',
  }),
  // v8.getHeapStatistics().heap_size_limit, read once at start
  heapLimit: def({
    dd: 'runtime.node.heap.heap_size_limit',
    prom: 'leakwatch_heap_limit_bytes',
    otel: 'leakwatch.heap.limit',
    kind: 'gauge',
    unit: 'By',
    help: 'V8 heap size limit.',
    source: 'v8.getHeapStatistics().heap_size_limit',
  }),
  // v8.getHeapSpaceStatistics()[i].space_used_size
  spaceUsed: def({
    dd: 'runtime.node.heap.used_size.by.space',
    prom: 'nodejs_heap_space_size_used_bytes',
    otel: 'v8js.memory.heap.used',
    kind: 'gauge',
    otelUpDown: true,
    unit: 'By',
    attr: 'space',
    help: 'V8 heap space in use.',
    source: 'v8.getHeapSpaceStatistics().space_used_size',
  }),
  // old-generation bytes read right after the latest major GC (probes/gc.ts)
  heapFloor: def({
    dd: 'leakwatch.heap.floor',
    prom: 'leakwatch_heap_floor_bytes',
    otel: 'leakwatch.heap.floor',
    kind: 'gauge',
    unit: 'By',
    help: 'Old generation after the latest major GC: the post-GC heap floor a leak shows in.',
    source: 'v8.getHeapSpaceStatistics() after a PerformanceObserver gc entry of kind major',
  }),

  // process.cpuUsage() delta over the sampling interval / elapsed time
  cpuUser: def({
    dd: 'runtime.node.cpu.user',
    prom: 'leakwatch_cpu_user_percent',
    otel: 'leakwatch.process.cpu.user',
    kind: 'gauge',
    unit: '%',
    help: 'User CPU over the interval, percent of one core.',
    source: 'process.cpuUsage().user',
  }),
  cpuSystem: def({
    dd: 'runtime.node.cpu.system',
    prom: 'leakwatch_cpu_system_percent',
    otel: 'leakwatch.process.cpu.system',
    kind: 'gauge',
    unit: '%',
    help: 'System CPU over the interval, percent of one core.',
    source: 'process.cpuUsage().system',
  }),
  cpuTotal: def({
    dd: 'runtime.node.cpu.total',
    kind: 'gauge',
    unit: '%',
    help: 'User + system CPU, percent of one core.',
    source: 'process.cpuUsage()',
  }),
  // process.uptime()
  uptime: def({
    dd: 'runtime.node.process.uptime',
    kind: 'gauge',
    unit: 's',
    help: 'Process uptime.',
    source: 'process.uptime()',
  }),

  // monitorEventLoopDelay() histogram, reset every tick; window min/max/mean
  loopMin: def({
    dd: 'runtime.node.event_loop.delay.min',
    prom: 'nodejs_eventloop_lag_min_seconds',
    otel: 'nodejs.eventloop.delay.min',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, minimum.',
    source: 'perf_hooks.monitorEventLoopDelay().min',
  }),
  loopMax: def({
    dd: 'runtime.node.event_loop.delay.max',
    prom: 'nodejs_eventloop_lag_max_seconds',
    otel: 'nodejs.eventloop.delay.max',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, maximum.',
    source: 'perf_hooks.monitorEventLoopDelay().max',
  }),
  loopMean: def({
    dd: 'runtime.node.event_loop.delay.avg',
    prom: 'nodejs_eventloop_lag_mean_seconds',
    otel: 'nodejs.eventloop.delay.mean',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, mean.',
    source: 'perf_hooks.monitorEventLoopDelay().mean',
  }),
  // monitorEventLoopDelay().percentile(p): the highest per-tick value in the window
  loopP50: def({
    dd: 'runtime.node.event_loop.delay.median',
    prom: 'nodejs_eventloop_lag_p50_seconds',
    otel: 'nodejs.eventloop.delay.p50',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, 50th percentile.',
    source: 'perf_hooks.monitorEventLoopDelay().percentile(50)',
  }),
  loopP90: def({
    prom: 'nodejs_eventloop_lag_p90_seconds',
    otel: 'nodejs.eventloop.delay.p90',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, 90th percentile.',
    source: 'perf_hooks.monitorEventLoopDelay().percentile(90)',
  }),
  loopP95: def({
    dd: 'runtime.node.event_loop.delay.95percentile',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, 95th percentile.',
    source: 'perf_hooks.monitorEventLoopDelay().percentile(95)',
  }),
  loopP99: def({
    prom: 'nodejs_eventloop_lag_p99_seconds',
    otel: 'nodejs.eventloop.delay.p99',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    ddOffset: LOOP_RESOLUTION_S,
    help: 'Event-loop delay, 99th percentile.',
    source: 'perf_hooks.monitorEventLoopDelay().percentile(99)',
  }),
  // performance.eventLoopUtilization() between ticks, mean over the window
  loopUtilization: def({
    dd: 'runtime.node.event_loop.utilization',
    prom: 'nodejs_eventloop_utilization_ratio',
    otel: 'nodejs.eventloop.utilization',
    kind: 'gauge',
    unit: '1',
    promAggregator: 'average',
    help: 'Event-loop utilization (0 idle, 1 busy).',
    source: 'performance.eventLoopUtilization()',
  }),

  // PerformanceObserver 'gc' entries: duration by detail.kind
  gcPauseByKind: def({
    dd: 'runtime.node.gc.pause.by.type',
    prom: 'nodejs_gc_duration_seconds',
    otel: 'v8js.gc.duration',
    kind: 'histogram',
    unit: 's',
    ddScale: NS_PER_S,
    attr: 'gc',
    help: 'Garbage collection pauses by kind.',
    source: "PerformanceObserver({ entryTypes: ['gc'] }) entry.duration, detail.kind",
  }),
  // the same entries, all kinds together (Datadog only)
  gcPause: def({
    dd: 'runtime.node.gc.pause',
    kind: 'histogram',
    unit: 's',
    ddScale: NS_PER_S,
    help: 'Garbage collection pauses, all kinds.',
    source: "PerformanceObserver({ entryTypes: ['gc'] }) entry.duration",
  }),

  // process.getActiveResourcesInfo(), counted by type
  handles: def({
    dd: 'runtime.node.handles.by.type',
    prom: 'nodejs_active_handles',
    otel: 'v8js.resource.active',
    kind: 'gauge',
    unit: '{resource}',
    attr: 'handle',
    help: "Active resources keeping the event loop alive, by type (ref'd only).",
    source: 'process.getActiveResourcesInfo()',
  }),
  handlesTotal: def({
    dd: 'runtime.node.handles.total',
    prom: 'nodejs_active_handles_total',
    kind: 'gauge',
    unit: '{resource}',
    help: 'Active resources keeping the event loop alive.',
    source: 'process.getActiveResourcesInfo().length',
  }),
  // fs.statSync('/proc/self/fd').size (Linux >= 6.2)
  openFds: def({
    dd: 'leakwatch.process.open_fds',
    prom: 'process_open_fds',
    otel: 'process.unix.file_descriptor.count',
    kind: 'gauge',
    otelUpDown: true,
    unit: '{file_descriptor}',
    help: "Open file descriptors (unref'd sockets included).",
    source: "fs.statSync('/proc/self/fd').size",
  }),

  // The agent's own metrics (agent/agent-view.ts SelfMetrics, and the state)
  state: def({
    dd: 'leakwatch.agent.state',
    prom: 'leakwatch_state',
    otel: 'leakwatch.agent.state',
    kind: 'gauge',
    unit: '1',
    // A cluster reads as its most advanced worker: a sum of codes means nothing.
    promAggregator: 'max',
    help: 'Leak state: 0 watching, 1 suspect, 2 leaking, 3 cooldown.',
    source: 'agent state machine (STATE_CODE)',
  }),
  tickDuration: def({
    dd: 'leakwatch.agent.tick.duration',
    prom: 'leakwatch_tick_duration_seconds',
    otel: 'leakwatch.agent.tick.duration',
    kind: 'gauge',
    unit: 's',
    ddScale: NS_PER_S,
    promAggregator: 'average',
    help: 'Mean cost of one sampling tick over the window.',
    source: 'process.hrtime.bigint() around each tick',
  }),
  ticks: def({
    dd: 'leakwatch.agent.ticks',
    prom: 'leakwatch_ticks_total',
    otel: 'leakwatch.agent.ticks',
    kind: 'counter',
    unit: '{tick}',
    help: 'Sampling ticks.',
    source: 'agent self metrics',
  }),
  errors: def({
    dd: 'leakwatch.agent.errors',
    prom: 'leakwatch_errors_total',
    otel: 'leakwatch.agent.errors',
    kind: 'counter',
    unit: '{error}',
    help: 'Failures inside the agent (caught, never thrown into the host).',
    source: 'agent self metrics',
  }),
  reportsWritten: def({
    dd: 'leakwatch.agent.reports_written',
    prom: 'leakwatch_reports_written_total',
    otel: 'leakwatch.agent.reports_written',
    kind: 'counter',
    unit: '{report}',
    help: 'Leak reports written.',
    source: 'agent self metrics',
  }),
  reportsSuppressed: def({
    dd: 'leakwatch.agent.reports_suppressed',
    prom: 'leakwatch_reports_suppressed_total',
    otel: 'leakwatch.agent.reports_suppressed',
    kind: 'counter',
    unit: '{report}',
    help: 'Leak reports not written (hourly cap, file cap, write error).',
    source: 'agent self metrics',
  }),
  // GcReading.pausesDropped: pauses beyond the probe's per-tick cap, absent from the GC histograms
  gcPausesDropped: def({
    dd: 'leakwatch.agent.gc_pauses_dropped',
    prom: 'leakwatch_gc_pauses_dropped_total',
    otel: 'leakwatch.agent.gc_pauses_dropped',
    kind: 'counter',
    unit: '{pause}',
    help: "GC pauses beyond the probe's per-tick cap (1024), counted but absent from the GC histograms.",
    source: 'probes/gc.ts GcReading.pausesDropped',
  }),
  exportsDropped: def({
    dd: 'leakwatch.agent.exports_dropped',
    prom: 'leakwatch_exports_dropped_total',
    otel: 'leakwatch.agent.exports_dropped',
    kind: 'counter',
    unit: '{send}',
    help: 'Exporter sends that failed or were dropped (datagrams, exports, scrapes).',
    source: 'agent self metrics',
  }),
  exportsDroppedByChannel: def({
    dd: 'leakwatch.agent.exports_dropped.by.channel',
    prom: 'leakwatch_exports_dropped_by_channel_total',
    otel: 'leakwatch.agent.exports_dropped.by_channel',
    kind: 'counter',
    unit: '{send}',
    attr: 'channel',
    help: 'Exporter sends that failed or were dropped, by channel (dogstatsd, prometheus, otlp).',
    source: 'agent self metrics',
  }),
});

/** The key of a metric in `METRICS`. */
export type MetricKey = keyof typeof METRICS;

/** DogStatsD event title prefix sent when a report is written. */
export const DD_EVENT_SOURCE = 'leakwatch';
