// Issue 3: the Prometheus text exposition, checked line by line.
import { describe, expect, it } from 'vitest';
import { MetricPoints } from '../../reports/metric-points';
import { formatExposition } from '../../reports/prometheus-format';
import { fillTick, testView } from './metric-view';

/** Parses exposition text strictly: every sample has a TYPE declared before it. */
function parse(text: string): {
  types: Map<string, string>;
  samples: { name: string; labels: string; value: number }[];
} {
  const types = new Map<string, string>();
  const samples: { name: string; labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|histogram)$/.exec(line);
    if (t) {
      expect(types.has(t[1] as string), `duplicate TYPE ${t[1]}`).toBe(false);
      types.set(t[1] as string, t[2] as string);
      continue;
    }
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (s === null) throw new Error(`malformed line ${JSON.stringify(line)}`);
    const name = s[1] as string;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `no TYPE before ${name}`).toBe(true);
    samples.push({ name, labels: s[2] ?? '', value: Number(s[3]) });
  }
  return { types, samples };
}

describe('Prometheus exposition', () => {
  it("uses prom-client names and labels, with leakwatch's own beside them", () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, {
      timers: 4,
      pausesMs: [
        ['mark_sweep_compact', 20],
        ['scavenge', 0.5],
      ],
    });
    p.observe();
    p.collect();
    const text = formatExposition(p);
    const { types, samples } = parse(text);
    const get = (name: string, labels = '') => samples.find((s) => s.name === name && s.labels === labels)?.value;
    expect(get('nodejs_active_handles', '{type="Timeout"}')).toBe(4);
    expect(get('nodejs_heap_size_used_bytes')).toBe(10_000_000);
    expect(get('nodejs_eventloop_lag_p99_seconds')).toBeCloseTo(0.013);
    expect(get('nodejs_heap_space_size_used_bytes', '{space="old"}')).toBe(3_000);
    expect(get('leakwatch_state')).toBe(0);
    expect(get('leakwatch_reports_written_total')).toBe(0);
    expect(types.get('leakwatch_reports_written_total')).toBe('counter');
    // Drops by channel: absent until a channel drops one.
    expect(types.has('leakwatch_exports_dropped_by_channel_total')).toBe(false);
    v.self.exportsDroppedByChannel.dogstatsd = 7;
    p.collect();
    const after = parse(formatExposition(p));
    expect(after.types.get('leakwatch_exports_dropped_by_channel_total')).toBe('counter');
    expect(
      after.samples.find(
        (x) => x.name === 'leakwatch_exports_dropped_by_channel_total' && x.labels === '{channel="dogstatsd"}',
      )?.value,
    ).toBe(7);
    expect(types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    // Cumulative buckets, +Inf equal to _count.
    expect(get('nodejs_gc_duration_seconds_bucket', '{kind="major",le="0.01"}')).toBe(0);
    expect(get('nodejs_gc_duration_seconds_bucket', '{kind="major",le="0.1"}')).toBe(1);
    expect(get('nodejs_gc_duration_seconds_bucket', '{kind="major",le="+Inf"}')).toBe(1);
    expect(get('nodejs_gc_duration_seconds_count', '{kind="major"}')).toBe(1);
    expect(get('nodejs_gc_duration_seconds_sum', '{kind="major"}')).toBeCloseTo(0.02);
    expect(get('nodejs_gc_duration_seconds_bucket', '{kind="minor",le="0.001"}')).toBe(1);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves out what has no value yet instead of writing NaN', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v);
    v.readings.gc.floorBytes = NaN;
    p.observe();
    p.collect();
    expect(formatExposition(p)).not.toContain('leakwatch_heap_floor_bytes');
    expect(formatExposition(p)).not.toContain('NaN');
  });
});
