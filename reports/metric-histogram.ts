/**
 * The GC pause histogram behind every channel's pause metric: running
 * totals and fixed buckets since start, plus a window (count, sum, min,
 * max, p50, p95) that each collect publishes and restarts. Pure.
 */
import type { Attr } from './metric-attrs';
import { GC_BUCKETS_S, type MetricDef } from './metric-names';

/** GC pauses: running totals since start, plus the current window. */
export interface HistogramPoint {
  readonly def: MetricDef;
  readonly attr: Attr | null;
  /** Pauses since the agent started. */
  count: number;
  /** Sum of pauses since start (s). */
  sum: number;
  /** Pauses per bucket since start: `GC_BUCKETS_S` bounds, then +Inf (not cumulative). */
  readonly buckets: Float64Array;
  /** The window closed by the latest collect (all s): */
  wCount: number;
  wSum: number;
  wMin: number;
  wMax: number;
  wP50: number;
  wP95: number;
  /** Channel-private: totals last sent, for DogStatsD and OTLP deltas. */
  sentCount: number;
  sentSum: number;
  /** Channel-private: buckets last sent, for OTLP deltas. */
  readonly sentBuckets: Float64Array;
  /** The open window's accumulators, published into w* by collect. */
  aCount: number;
  aSum: number;
  aMin: number;
  aMax: number;
}

/** An empty GC pause histogram for `def`, with the attribute of its kind (or null for all kinds). */
export function newHistogram(def: MetricDef, attr: Attr | null): HistogramPoint {
  return {
    def,
    attr,
    count: 0,
    sum: 0,
    buckets: new Float64Array(GC_BUCKETS_S.length + 1),
    wCount: 0,
    wSum: 0,
    wMin: 0,
    wMax: 0,
    wP50: 0,
    wP95: 0,
    sentCount: 0,
    sentSum: 0,
    sentBuckets: new Float64Array(GC_BUCKETS_S.length + 1),
    aCount: 0,
    aSum: 0,
    aMin: Infinity,
    aMax: 0,
  };
}

/**
 * Records one pause.
 * @param s the pause in seconds
 */
export function recordPause(h: HistogramPoint, s: number): void {
  h.count++;
  h.sum += s;
  let b = 0;
  while (b < GC_BUCKETS_S.length && s > (GC_BUCKETS_S[b] as number)) b++;
  h.buckets[b] = (h.buckets[b] as number) + 1;
  h.aCount++;
  h.aSum += s;
  if (s < h.aMin) h.aMin = s;
  if (s > h.aMax) h.aMax = s;
}

/** Publishes the open window and starts a new one. */
export function closeHistogramWindow(h: HistogramPoint): void {
  h.wCount = h.aCount;
  h.wSum = h.aSum;
  h.wMin = h.aCount > 0 ? h.aMin : 0;
  h.wMax = h.aMax;
  h.wP50 = 0;
  h.wP95 = 0;
  h.aCount = 0;
  h.aSum = 0;
  h.aMin = Infinity;
  h.aMax = 0;
}

/** Nearest-rank percentiles of the kept samples of one kind (or all: kind null). */
export function fillPercentiles(
  h: HistogramPoint,
  scratch: Float64Array,
  all: Float64Array,
  kind: number | null,
  kinds: Int8Array,
): void {
  let n = 0;
  for (let i = 0; i < all.length; i++) {
    if (kind === null || kinds[i] === kind) scratch[n++] = all[i] as number;
  }
  if (n === 0) return;
  const sorted = scratch.subarray(0, n).sort();
  h.wP50 = sorted[Math.max(0, Math.ceil(0.5 * n) - 1)] as number;
  h.wP95 = sorted[Math.max(0, Math.ceil(0.95 * n) - 1)] as number;
}
