// Issue 3: the one function that turns readings into points: windows,
// totals, histograms, and no allocation growth per tick.
import { describe, expect, it } from 'vitest';
import { GC_BUCKETS_S } from '../../reports/metric-names';
import { makeAttr } from '../../reports/metric-attrs';
import { type HistogramPoint, MetricPoints, type ScalarPoint } from '../../reports/metric-points';
import { fillTick, testView } from './metric-view';

function scalar(points: MetricPoints, prom: string, label?: string): ScalarPoint | undefined {
  const s = points.scalars.find((x) => x.def.prom === prom);
  return s?.points.find((p) => (label === undefined ? p.attr === null : p.attr?.prom === label));
}

function gc(points: MetricPoints, kindLabel: string | null): HistogramPoint {
  const all = points.histograms.flatMap((s) => s.points);
  return all.find((h) => (kindLabel === null ? h.attr === null : h.attr?.prom === kindLabel)) as HistogramPoint;
}

describe('MetricPoints', () => {
  it('takes gauges from the newest readings and folds per-interval readings over the window', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, { loopMs: 10 });
    p.observe();
    fillTick(v, { loopMs: 30 });
    p.observe();
    p.collect();
    expect(scalar(p, 'nodejs_heap_size_used_bytes')?.value).toBe(10_000_000);
    expect(scalar(p, 'nodejs_active_handles', 'type="Timeout"')?.value).toBe(3);
    expect(scalar(p, 'nodejs_active_handles_total')?.value).toBe(4);
    // min of mins, max of maxes, mean of means, the highest p99: in seconds.
    expect(scalar(p, 'nodejs_eventloop_lag_min_seconds')?.value).toBeCloseTo(0.009);
    expect(scalar(p, 'nodejs_eventloop_lag_max_seconds')?.value).toBeCloseTo(0.034);
    expect(scalar(p, 'nodejs_eventloop_lag_mean_seconds')?.value).toBeCloseTo(0.02);
    expect(scalar(p, 'nodejs_eventloop_lag_p99_seconds')?.value).toBeCloseTo(0.033);
    expect(scalar(p, 'nodejs_eventloop_utilization_ratio')?.value).toBeCloseTo(0.25);
    expect(scalar(p, 'leakwatch_ticks_total')?.value).toBe(2);
    expect(scalar(p, 'leakwatch_tick_duration_seconds')?.value).toBeCloseTo(40e-6);
    expect(scalar(p, 'leakwatch_state')?.value).toBe(0);
    expect(scalar(p, 'leakwatch_heap_floor_bytes')?.present).toBe(true);
    // A new window starts after collect.
    fillTick(v, { loopMs: 5 });
    p.observe();
    p.collect();
    expect(scalar(p, 'nodejs_eventloop_lag_max_seconds')?.value).toBeCloseTo(0.009);
  });

  it('states are exported as their numeric code', () => {
    const v = testView();
    const p = new MetricPoints(v);
    v.state = 'leaking';
    p.collect();
    expect(scalar(p, 'leakwatch_state')?.value).toBe(2);
  });

  it('no floor before the first major GC, no fd count when unknown', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v);
    v.readings.gc.floorBytes = NaN;
    v.readings.handles.openFds = -1;
    p.observe();
    p.collect();
    expect(scalar(p, 'leakwatch_heap_floor_bytes')?.present).toBe(false);
    expect(scalar(p, 'process_open_fds')?.present).toBe(false);
  });

  it('GC pauses build cumulative histograms by kind and window statistics', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, {
      pausesMs: [
        ['scavenge', 0.5],
        ['scavenge', 2],
        ['mark_sweep_compact', 50],
        ['scavenge', 3],
      ],
    });
    p.observe();
    p.collect();
    const minor = gc(p, 'kind="minor"');
    expect(minor.count).toBe(3);
    expect(minor.sum).toBeCloseTo(0.0055);
    expect(Array.from(minor.buckets)).toEqual([1, 2, 0, 0, 0, 0, 0]);
    expect(minor.buckets.length).toBe(GC_BUCKETS_S.length + 1);
    expect(minor.wMin).toBeCloseTo(0.0005);
    expect(minor.wMax).toBeCloseTo(0.003);
    expect(minor.wP50).toBeCloseTo(0.002);
    expect(minor.wP95).toBeCloseTo(0.003);
    const major = gc(p, 'kind="major"');
    expect(major.count).toBe(1);
    expect(Array.from(major.buckets)).toEqual([0, 0, 1, 0, 0, 0, 0]);
    const all = gc(p, null);
    expect(all.count).toBe(4);
    expect(all.wMax).toBeCloseTo(0.05);
    // Next window: totals stay, window statistics start again.
    fillTick(v, { pausesMs: [['scavenge', 1]] });
    p.observe();
    p.collect();
    expect(gc(p, 'kind="minor"').count).toBe(4);
    expect(gc(p, 'kind="minor"').wCount).toBe(1);
    expect(gc(p, 'kind="major"').wCount).toBe(0);
  });

  it('counts GC pauses the probe could not keep, so none is lost silently', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, { pausesMs: [['scavenge', 1]] });
    v.readings.gc.pausesDropped = 5;
    p.observe();
    fillTick(v);
    v.readings.gc.pausesDropped = 2;
    p.observe();
    p.collect();
    expect(scalar(p, 'leakwatch_gc_pauses_dropped_total')?.value).toBe(7);
  });

  it('a new handle type gets a point once; steady ticks add none', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v);
    p.observe();
    const handles = p.scalars.find((s) => s.def.prom === 'nodejs_active_handles');
    expect(handles?.points.length).toBe(2);
    for (let i = 0; i < 1_000; i++) {
      fillTick(v);
      p.observe();
    }
    expect(handles?.points.length).toBe(2);
    v.readings.handles.byType.set('UDPWrap', 1);
    p.observe();
    expect(handles?.points.length).toBe(3);
  });

  it('labels are formatted once per channel, with prom-client and OpenTelemetry spellings', () => {
    expect(makeAttr('space', 'old_space')).toMatchObject({
      dd: 'heap_space:old_space',
      prom: 'space="old"',
      otelKey: 'v8js.heap.space.name',
      otelValue: 'old_space',
    });
    expect(makeAttr('gc', 'mark_sweep_compact')).toMatchObject({
      dd: 'gc_type:mark_sweep_compact',
      prom: 'kind="major"',
      otelValue: 'major',
    });
    expect(makeAttr('gc', 'scavenge')).toMatchObject({
      prom: 'kind="minor"',
      otelKey: 'v8js.gc.type',
      otelValue: 'minor',
    });
    expect(makeAttr('handle', 'a"b\\c,d|e')).toMatchObject({
      dd: 'handle_type:a"b\\c_d_e',
      prom: 'type="a\\"b\\\\c,d|e"',
    });
  });
});

describe('MetricPoints before the first tick', () => {
  it('sends only what the agent knows of itself, no zeros for unsampled readings', () => {
    const v = testView();
    const p = new MetricPoints(v);
    p.collect();
    const present = p.scalars
      .flatMap((s) => s.points)
      .filter((x) => x.present)
      .map((x) => x.def.prom ?? x.def.dd)
      .sort();
    expect(present).toEqual([
      'leakwatch_errors_total',
      'leakwatch_exports_dropped_total',
      'leakwatch_gc_pauses_dropped_total',
      'leakwatch_heap_limit_bytes',
      'leakwatch_reports_suppressed_total',
      'leakwatch_reports_written_total',
      'leakwatch_state',
      'leakwatch_ticks_total',
      'runtime.node.process.uptime',
    ]);
  });
});
