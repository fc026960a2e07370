import { describe, expect, it } from 'vitest';
import { closeHistogramWindow, fillPercentiles, newHistogram, recordPause } from '../../reports/metric-histogram';
import { GC_BUCKETS_S, METRICS } from '../../reports/metric-names';

describe('GC pause histogram', () => {
  it('puts a pause in the first bucket whose bound it does not exceed (Prometheus "le"), the rest in +Inf', () => {
    const h = newHistogram(METRICS.gcPause, null);
    expect(h.buckets).toHaveLength(GC_BUCKETS_S.length + 1);
    for (const s of [0.0005, 0.001, 0.0011, 0.1, 5, 6, 60]) recordPause(h, s);
    // Bounds 0.001, 0.01, 0.1, 1, 2, 5, then +Inf; counts per bucket, not cumulative.
    expect(Array.from(h.buckets)).toEqual([2, 1, 1, 0, 0, 1, 2]);
    expect(h.count).toBe(7);
    expect(h.sum).toBeCloseTo(0.0005 + 0.001 + 0.0011 + 0.1 + 5 + 6 + 60, 12);
  });

  it('publishes a window on close and starts the next one empty, keeping the totals', () => {
    const h = newHistogram(METRICS.gcPause, null);
    recordPause(h, 0.004);
    recordPause(h, 0.002);
    recordPause(h, 0.009);
    closeHistogramWindow(h);
    expect([h.wCount, h.wMin, h.wMax]).toEqual([3, 0.002, 0.009]);
    expect(h.wSum).toBeCloseTo(0.015, 12);
    // An empty window reads zeros, not Infinity, and the totals stay.
    closeHistogramWindow(h);
    expect([h.wCount, h.wSum, h.wMin, h.wMax, h.wP50, h.wP95]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(0.015, 12);
  });

  it('takes nearest-rank p50 and p95 of the kept pauses, of one kind or of all', () => {
    const all = Float64Array.from({ length: 20 }, (_, i) => (i + 1) / 1_000);
    // Even positions are kind 0, odd ones kind 1.
    const kinds = Int8Array.from({ length: 20 }, (_, i) => i % 2);
    const scratch = new Float64Array(all.length);
    const every = newHistogram(METRICS.gcPause, null);
    fillPercentiles(every, scratch, all, null, kinds);
    expect([every.wP50, every.wP95]).toEqual([0.01, 0.019]);
    const odd = newHistogram(METRICS.gcPauseByKind, null);
    fillPercentiles(odd, scratch, all, 1, kinds);
    // Kind 1 holds 0.002, 0.004, ..., 0.020: rank 5 and rank 10 of 10.
    expect([odd.wP50, odd.wP95]).toEqual([0.01, 0.02]);
    const none = newHistogram(METRICS.gcPauseByKind, null);
    fillPercentiles(none, scratch, all, 3, kinds);
    expect([none.wP50, none.wP95]).toEqual([0, 0]);
  });
});
