import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';

/** Event-loop delay over the last interval (ms) and utilization (0..1). */
export interface EventLoopReading {
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  /** For Datadog's `runtime.node.event_loop.delay.95percentile`. */
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  utilization: number;
}

/**
 * Resolution of the delay histogram's own timer, in ms. Node's default is
 * 10 ms; finer costs more wake-ups and the leak detector does not need it.
 * https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions
 */
export const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

export function isSupported(): boolean {
  return typeof monitorEventLoopDelay === 'function';
}

/** The histogram and the ELU baseline; `read` resets the histogram. */
export interface EventLoopProbe {
  read(out: EventLoopReading): EventLoopReading;
  disable(): void;
}

export function createEventLoopReading(): EventLoopReading {
  return { minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, utilization: 0 };
}

/** Starts the histogram. Its timer is internal to Node and does not ref. */
export function createEventLoopProbe(): EventLoopProbe {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    read(out) {
      if (histogram.count > 0) {
        out.minMs = histogram.min / NS_PER_MS;
        out.meanMs = histogram.mean / NS_PER_MS;
        out.p50Ms = histogram.percentile(50) / NS_PER_MS;
        out.p90Ms = histogram.percentile(90) / NS_PER_MS;
        out.p95Ms = histogram.percentile(95) / NS_PER_MS;
        out.p99Ms = histogram.percentile(99) / NS_PER_MS;
        out.maxMs = histogram.max / NS_PER_MS;
      } else {
        out.minMs = out.meanMs = out.p50Ms = out.p90Ms = out.p95Ms = out.p99Ms = out.maxMs = 0;
      }
      // Per-interval figures, as prom-client and dd-trace report them.
      histogram.reset();
      const now = performance.eventLoopUtilization();
      out.utilization = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return out;
    },
    disable() {
      histogram.disable();
    },
  };
}
