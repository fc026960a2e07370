import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

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
  /** The histogram timer's period during the interval (ms). */
  resolutionMs: number;
  /** Samples the histogram took in the interval. */
  samples: number;
}

/**
 * Resolution of the delay histogram's own timer while the loop is busy, in
 * ms: Node's default, and what every delay value is expressed against (a
 * sample is the timer's period plus its lateness, as prom-client and
 * OpenTelemetry report it).
 * https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions
 */
export const RESOLUTION_MS = 10;
/**
 * Below this utilization the loop sleeps most of the time and the histogram
 * switches to a coarse timer. A timer fire that finds the process asleep
 * wakes it, ~60 µs of CPU on the development machine whatever the callback
 * does: a 10 ms histogram costs 5.6-6.5 ms of CPU per second in an idle
 * process, a 100 ms one 0.63-0.68 (`node bench/idle-wakeups.js`). A fire
 * finds the loop asleep with probability 1 - utilization, so at 10 ms the
 * cost is about 6 ms × (1 - u) per second against the service's own
 * u × 1000 ms: 9 % of a service at u = 0.06 (the HTTP bench service at
 * 300 req/s), 1.4 % at u = 0.3, 0.07 % at u = 0.9.
 */
export const QUIET_UTILIZATION = 0.3;
/** The coarse timer's ceiling (ms): it still sees a blocked loop. */
const COARSE_MAX_MS = 100;
const NS_PER_MS = 1e6;

/** `perf_hooks.monitorEventLoopDelay`, Node 11.10 and later. */
export function isSupported(): boolean {
  return typeof monitorEventLoopDelay === 'function';
}

/** The histogram and the ELU baseline; `read` resets the histogram. */
export interface EventLoopProbe {
  read(out: EventLoopReading): EventLoopReading;
  disable(): void;
}

/** A reading object to pass to the probe's `read` again and again. */
export function createEventLoopReading(): EventLoopReading {
  return {
    minMs: 0,
    meanMs: 0,
    p50Ms: 0,
    p90Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    maxMs: 0,
    utilization: 0,
    resolutionMs: RESOLUTION_MS,
    samples: 0,
  };
}

/**
 * The coarse resolution for a sampling interval: ten samples an interval at
 * most 100 ms apart; never finer than the busy resolution (an interval of
 * 100 ms or less keeps the fine timer throughout).
 */
export function coarseResolutionMs(intervalMs: number): number {
  return Math.max(RESOLUTION_MS, Math.min(COARSE_MAX_MS, Math.floor(intervalMs / 10)));
}

/**
 * Starts the delay histogram. Its timer is internal to Node and does not
 * ref. While the loop is busy (utilization over the last interval at least
 * `QUIET_UTILIZATION`) the histogram samples every 10 ms; while it is quiet,
 * every `coarseResolutionMs(intervalMs)` (100 ms at the default 1 s), so a
 * quiet service is not woken 100 times a second. Values read from the coarse
 * timer are moved onto the fine timer's scale (lateness + 10 ms), so a
 * reading means the same whichever timer took it; `resolutionMs` and
 * `samples` say which one did and how many samples it holds.
 */
export function createEventLoopProbe(intervalMs = 1_000): EventLoopProbe {
  const coarseMs = coarseResolutionMs(intervalMs);
  let resolutionMs = RESOLUTION_MS;
  let histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const use = (ms: number): void => {
    if (ms === resolutionMs) return;
    histogram.disable();
    resolutionMs = ms;
    histogram = monitorEventLoopDelay({ resolution: ms });
    histogram.enable();
  };
  return {
    read(out) {
      const count = histogram.count;
      out.samples = count;
      out.resolutionMs = resolutionMs;
      if (count > 0) {
        // Lateness + the fine period: a no-op for the fine timer.
        const shift = (RESOLUTION_MS - resolutionMs) * NS_PER_MS;
        const ms = (ns: number): number => Math.max(0, ns + shift) / NS_PER_MS;
        out.minMs = ms(histogram.min);
        out.meanMs = ms(histogram.mean);
        out.p50Ms = ms(histogram.percentile(50));
        out.p90Ms = ms(histogram.percentile(90));
        out.p95Ms = ms(histogram.percentile(95));
        out.p99Ms = ms(histogram.percentile(99));
        out.maxMs = ms(histogram.max);
      } else {
        out.minMs = out.meanMs = out.p50Ms = out.p90Ms = out.p95Ms = out.p99Ms = out.maxMs = 0;
      }
      // Per-interval figures, as prom-client and dd-trace report them.
      histogram.reset();
      const now = performance.eventLoopUtilization();
      out.utilization = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      use(out.utilization < QUIET_UTILIZATION ? coarseMs : RESOLUTION_MS);
      return out;
    },
    disable() {
      histogram.disable();
    },
  };
}
