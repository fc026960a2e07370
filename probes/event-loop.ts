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
  /**
   * The histogram timer's period during the interval (ms); 0 when the timer
   * was off (an asleep loop), and the delay values are bounds (`delayBounds`).
   */
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
/**
 * Below this utilization (10 ms of work in a second) the loop is asleep and
 * the histogram's timer is switched off: its ten wake-ups a second made up
 * most of an idle service's cost (0.67 ms of CPU per second on the
 * development machine, the whole agent 1.1). The delay of an asleep interval
 * is bounded from the loop's busy time instead (`delayBounds`).
 */
export const ASLEEP_UTILIZATION = 0.01;
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
 * Delay bounds for an interval the histogram did not sample, from the loop's
 * busy time alone, on the 10 ms timer's scale. A sample of that timer is late
 * only while the loop is busy, and one busy stretch holds up one pending
 * sample (the timer is re-armed after each fire): the lateness of all its
 * samples adds up to at most the busy time A. It would have taken about
 * idle / 10 ms samples, N; the k-th latest is then at most A / k. So the
 * q-quantile is at most A / ceil((1 - q) N), the mean and the minimum at most
 * A / N, the maximum at most A. One block of the loop is never
 * under-reported; many short callbacks in one second are over-reported, at
 * most as their sum. Lateness from the process not being scheduled is not
 * busy time, and not in these bounds.
 */
export function delayBounds(activeMs: number, idleMs: number, out: EventLoopReading): EventLoopReading {
  const a = Math.max(0, activeMs);
  const n = Math.max(1, Math.floor(idleMs / RESOLUTION_MS));
  const quantile = (q: number): number => RESOLUTION_MS + a / Math.max(1, Math.ceil((1 - q) * n));
  out.minMs = out.meanMs = RESOLUTION_MS + a / n;
  out.p50Ms = quantile(0.5);
  out.p90Ms = quantile(0.9);
  out.p95Ms = quantile(0.95);
  out.p99Ms = quantile(0.99);
  out.maxMs = RESOLUTION_MS + a;
  return out;
}

/**
 * Starts the delay histogram. Its timer is internal to Node and does not
 * ref. The utilization of each interval picks the next one's timer: at
 * least `QUIET_UTILIZATION`, every 10 ms; below it the loop is quiet, every
 * `coarseResolutionMs(intervalMs)` (100 ms at the default 1 s), so a quiet
 * service is not woken 100 times a second; below `ASLEEP_UTILIZATION` the
 * loop is asleep and the timer is off, the values bounds from its busy time
 * (`delayBounds`). An interval of 100 ms or less keeps the 10 ms timer: the
 * agent's own tick would be a large part of 1 % of it. Values read from the
 * coarse timer are moved onto the fine timer's scale (lateness + 10 ms), so a
 * reading means the same whichever timer took it; `resolutionMs` and
 * `samples` say which one did (0: none) and how many samples it holds.
 */
export function createEventLoopProbe(intervalMs = 1_000): EventLoopProbe {
  const coarseMs = coarseResolutionMs(intervalMs);
  const canSleep = coarseMs > RESOLUTION_MS;
  let resolutionMs = RESOLUTION_MS;
  let histogram: IntervalHistogram | null = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let stopped = false;
  const use = (ms: number): void => {
    if (ms === resolutionMs || stopped) return;
    histogram?.disable();
    resolutionMs = ms;
    histogram = ms === 0 ? null : monitorEventLoopDelay({ resolution: ms });
    histogram?.enable();
  };
  return {
    read(out) {
      const now = performance.eventLoopUtilization();
      const interval = performance.eventLoopUtilization(now, last);
      last = now;
      out.utilization = interval.utilization;
      out.resolutionMs = resolutionMs;
      if (histogram === null) {
        out.samples = 0;
        delayBounds(interval.active, interval.idle, out);
      } else {
        const count = histogram.count;
        out.samples = count;
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
      }
      const u = out.utilization;
      use(canSleep && u < ASLEEP_UTILIZATION ? 0 : u < QUIET_UTILIZATION ? coarseMs : RESOLUTION_MS);
      return out;
    },
    disable() {
      stopped = true;
      histogram?.disable();
      histogram = null;
    },
  };
}
