// Issue 3: the hand-written OTLP protobuf, decoded with the OpenTelemetry
// protocol definitions (opentelemetry-proto, compiled by protobufjs in
// @opentelemetry/otlp-transformer).
import { describe, expect, it } from 'vitest';
import { MetricPoints } from '../../reports/metric-points';
import { buildResource, encodeMetricsRequest, ProtoWriter } from '../../reports/otlp-encode';
import { fillTick, testView } from './metric-view';
import { redactUrl } from '../../agent/otel-env';

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
