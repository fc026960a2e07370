// Issue 3: the hand-written OTLP protobuf, decoded with the OpenTelemetry
// protocol definitions (opentelemetry-proto, compiled by protobufjs in
// @opentelemetry/otlp-transformer).
import { describe, expect, it } from 'vitest';
import { MetricPoints } from '../../reports/metric-points';
import {
  buildResource,
  commitExport,
  type EncodeOptions,
  encodeMetricsRequest,
  ProtoWriter,
} from '../../reports/otlp-encode';
import { fillTick, testView } from './metric-view';
import { redactUrl } from '../../agent/otlp-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const NumberDataPoint = root.opentelemetry.proto.metrics.v1.NumberDataPoint;
const AnyValue = root.opentelemetry.proto.common.v1.AnyValue;

describe('OTLP encoding', () => {
  it('writes varints, fixed64 and doubles as protobuf does', () => {
    const bytes = new ProtoWriter().fixed64(3, 1_700_000_000_123_456_789n).double(4, 0.125).finish();
    const dp = NumberDataPoint.toObject(NumberDataPoint.decode(bytes), { longs: String });
    expect(dp.timeUnixNano).toBe('1700000000123456789');
    expect(dp.asDouble).toBe(0.125);
    // A multi-byte varint in an int64 field (AnyValue.int_value).
    const big = new ProtoWriter().uint(3, 2 ** 40 + 5).finish();
    expect(AnyValue.toObject(AnyValue.decode(big), { longs: String }).intValue).toBe('1099511627781');
  });

  it('encodes every OpenTelemetry-named point into one ExportMetricsServiceRequest', () => {
    const v = testView({ otlp: 'http://127.0.0.1:4318/v1/metrics' });
    const p = new MetricPoints(v, 1_000);
    fillTick(v, {
      timers: 2,
      pausesMs: [
        ['scavenge', 2],
        ['incremental_marking', 0.2],
      ],
    });
    p.observe();
    p.collect();
    const body = encodeMetricsRequest(p, buildResource(v.config.otlp?.resource ?? {}), 61_000);
    const req = Request.toObject(Request.decode(body), { longs: String, arrays: true });
    const rm = req.resourceMetrics[0];
    const resource = Object.fromEntries(
      rm.resource.attributes.map((a: { key: string; value: Record<string, unknown> }) => [
        a.key,
        Object.values(a.value)[0],
      ]),
    );
    expect(resource['service.name']).toBe('svc');
    expect(resource['service.version']).toBe('1.0.0');
    expect(resource['deployment.environment.name']).toBe('test');
    expect(Number(resource['process.pid'])).toBe(process.pid);
    const metrics = rm.scopeMetrics[0].metrics as {
      name: string;
      unit: string;
      gauge?: {
        dataPoints: {
          asDouble: number;
          attributes: { key: string; value: { stringValue: string } }[];
          timeUnixNano: string;
        }[];
      };
      sum?: {
        isMonotonic: boolean;
        aggregationTemporality: number;
        dataPoints: { asDouble: number; startTimeUnixNano: string }[];
      };
      histogram?: {
        dataPoints: {
          count: string;
          sum: number;
          bucketCounts: string[];
          explicitBounds: number[];
          attributes: { key: string; value: { stringValue: string } }[];
        }[];
      };
    }[];
    const byName = new Map(metrics.map((m) => [m.name, m]));
    expect(byName.get('nodejs.eventloop.delay.p99')?.gauge?.dataPoints[0]?.asDouble).toBeCloseTo(0.013);
    expect(byName.get('nodejs.eventloop.delay.p99')?.gauge?.dataPoints[0]?.timeUnixNano).toBe('61000000000');
    expect(byName.get('nodejs.eventloop.utilization')?.gauge?.dataPoints[0]?.asDouble).toBe(0.25);
    const timeout = byName
      .get('v8js.resource.active')
      ?.gauge?.dataPoints.find((d) => d.attributes[0]?.value.stringValue === 'Timeout');
    expect(timeout?.asDouble).toBe(2);
    const ticks = byName.get('leakwatch.agent.ticks')?.sum;
    expect(ticks?.isMonotonic).toBe(true);
    expect(ticks?.aggregationTemporality).toBe(2);
    expect(ticks?.dataPoints[0]?.startTimeUnixNano).toBe('1000000000');
    const gc = byName.get('v8js.gc.duration');
    expect(gc?.unit).toBe('s');
    const minor = gc?.histogram?.dataPoints.find((d) => d.attributes[0]?.value.stringValue === 'minor');
    expect(minor?.count).toBe('1');
    expect(minor?.sum).toBeCloseTo(0.002);
    expect(minor?.bucketCounts).toEqual(['0', '1', '0', '0', '0', '0', '0']);
    expect(minor?.explicitBounds).toEqual([0.001, 0.01, 0.1, 1, 2, 5]);
    // Names without an OpenTelemetry spelling stay out.
    expect(metrics.some((m) => m.name.startsWith('runtime.node') || m.name.startsWith('nodejs_'))).toBe(false);
  });
});

describe('OTLP endpoint in lines', () => {
  it('names the endpoint without its credentials; a URL without any is shown as written', () => {
    expect(redactUrl('http://user:s3cret@collector:4318/v1/metrics')).toBe('http://***:***@collector:4318/v1/metrics');
    expect(redactUrl('https://token@collector/v1/metrics')).toBe('https://***@collector/v1/metrics');
    expect(redactUrl('http://127.0.0.1:4318/v1/metrics')).toBe('http://127.0.0.1:4318/v1/metrics');
  });
});

describe('OTLP temporality', () => {
  interface DP {
    asDouble?: number;
    count?: string;
    sum?: number;
    bucketCounts?: string[];
    startTimeUnixNano?: string;
    attributes?: { key: string; value: { stringValue: string } }[];
  }
  interface M {
    name: string;
    sum?: { aggregationTemporality: number; dataPoints: DP[] };
    histogram?: { aggregationTemporality: number; dataPoints: DP[] };
  }
  /** The export's metrics by name. */
  function exported(p: MetricPoints, nowMs: number, opts: EncodeOptions): Map<string, M> {
    const req = Request.toObject(Request.decode(encodeMetricsRequest(p, {}, nowMs, opts)), {
      longs: String,
      arrays: true,
    });
    return new Map((req.resourceMetrics[0].scopeMetrics[0].metrics as M[]).map((m) => [m.name, m]));
  }
  const minor = (m: Map<string, M>) =>
    m.get('v8js.gc.duration')?.histogram?.dataPoints.find((d) => d.attributes?.[0]?.value.stringValue === 'minor');
  /** One tick that brings the agent's tick count to `ticks`, with scavenges of these lengths (ms). */
  function tick(v: ReturnType<typeof testView>, p: MetricPoints, ticks: number, scavengesMs: number[]): void {
    v.self.ticks = ticks - 1; // fillTick counts its own
    fillTick(v, { pausesMs: scavengesMs.map((ms) => ['scavenge', ms] as ['scavenge', number]) });
    p.observe();
    p.collect();
  }

  it('delta: counters and GC pauses as what changed since the last export the collector took', () => {
    const v = testView({ otlp: 'http://127.0.0.1:4318/v1/metrics' });
    const p = new MetricPoints(v, 1_000);
    tick(v, p, 5, [2]);
    const first = exported(p, 61_000, { temporality: 'delta', sinceMs: 1_000 });
    const ticks1 = first.get('leakwatch.agent.ticks')?.sum;
    expect(ticks1?.aggregationTemporality).toBe(1);
    expect(ticks1?.dataPoints[0]).toMatchObject({ asDouble: 5, startTimeUnixNano: '1000000000' });
    expect(first.get('v8js.gc.duration')?.histogram?.aggregationTemporality).toBe(1);
    expect(minor(first)).toMatchObject({ count: '1', bucketCounts: ['0', '1', '0', '0', '0', '0', '0'] });
    // An UpDownCounter is a level: cumulative whatever the preference.
    const rss = first.get('process.memory.usage')?.sum;
    expect(rss?.aggregationTemporality).toBe(2);
    expect(rss?.dataPoints[0]?.asDouble).toBe(50_000_000);
    commitExport(p);

    tick(v, p, 8, [0.5, 20]);
    const second = exported(p, 62_000, { temporality: 'delta', sinceMs: 61_000 });
    expect(second.get('leakwatch.agent.ticks')?.sum?.dataPoints[0]).toMatchObject({
      asDouble: 3,
      startTimeUnixNano: '61000000000',
    });
    expect(minor(second)).toMatchObject({
      count: '2',
      startTimeUnixNano: '61000000000',
      bucketCounts: ['1', '0', '1', '0', '0', '0', '0'],
    });
    expect(minor(second)?.sum).toBeCloseTo(0.0205);
    // Not committed: that export was dropped. The next one carries its
    // changes too, from the same start.
    tick(v, p, 10, [3]);
    const third = exported(p, 63_000, { temporality: 'delta', sinceMs: 61_000 });
    expect(third.get('leakwatch.agent.ticks')?.sum?.dataPoints[0]).toMatchObject({
      asDouble: 5,
      startTimeUnixNano: '61000000000',
    });
    expect(minor(third)).toMatchObject({ count: '3', bucketCounts: ['1', '1', '1', '0', '0', '0', '0'] });
  });

  it('lowmemory: GC pauses as changes, counters as totals; cumulative: both as totals', () => {
    const v = testView({ otlp: 'http://127.0.0.1:4318/v1/metrics' });
    const p = new MetricPoints(v, 1_000);
    tick(v, p, 5, [2]);
    commitExport(p);
    tick(v, p, 8, [0.5]);
    const low = exported(p, 62_000, { temporality: 'lowmemory', sinceMs: 61_000 });
    expect(low.get('leakwatch.agent.ticks')?.sum).toMatchObject({ aggregationTemporality: 2 });
    expect(low.get('leakwatch.agent.ticks')?.sum?.dataPoints[0]).toMatchObject({
      asDouble: 8,
      startTimeUnixNano: '1000000000',
    });
    expect(low.get('v8js.gc.duration')?.histogram?.aggregationTemporality).toBe(1);
    expect(minor(low)).toMatchObject({ count: '1', startTimeUnixNano: '61000000000' });
    const cumulative = exported(p, 62_000, { temporality: 'cumulative', sinceMs: 61_000 });
    expect(cumulative.get('v8js.gc.duration')?.histogram?.aggregationTemporality).toBe(2);
    expect(minor(cumulative)).toMatchObject({ count: '2', startTimeUnixNano: '1000000000' });
    expect(cumulative.get('leakwatch.agent.ticks')?.sum?.dataPoints[0]?.asDouble).toBe(8);
  });
});
