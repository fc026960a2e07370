// Issue 3: OTLP/HTTP out of a preloaded child, received by a local HTTP
// server and decoded with the OpenTelemetry protocol definitions (the
// protobufjs module generated from opentelemetry-proto that
// @opentelemetry/otlp-transformer ships), not by string matching.
import * as http from 'node:http';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');

interface KV {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number };
}
interface NumberDP {
  attributes?: KV[];
  asDouble?: number;
  asInt?: string;
  startTimeUnixNano?: string;
  timeUnixNano: string;
}
interface HistDP {
  attributes?: KV[];
  count: string;
  sum?: number;
  bucketCounts: string[];
  explicitBounds: number[];
  startTimeUnixNano: string;
}
interface Metric {
  name: string;
  unit?: string;
  gauge?: { dataPoints: NumberDP[] };
  sum?: { dataPoints: NumberDP[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: HistDP[]; aggregationTemporality: number };
}
interface Decoded {
  resourceMetrics: {
    resource: { attributes: KV[] };
    scopeMetrics: { scope: { name: string; version: string }; metrics: Metric[] }[];
  }[];
}

const servers: http.Server[] = [];
afterEach(() => {
  killSurvivors();
  for (const s of servers.splice(0)) s.close();
});

function attr(list: KV[] | undefined, key: string): string | number | undefined {
  const kv = (list ?? []).find((a) => a.key === key);
  if (kv === undefined) return undefined;
  return kv.value.stringValue ?? (kv.value.intValue !== undefined ? Number(kv.value.intValue) : kv.value.doubleValue);
}

describe('OTLP exporter', () => {
  it('posts protobuf that decodes as an ExportMetricsServiceRequest with semantic-convention names', async () => {
    const TIMERS = 5;
    const bodies: { contentType: string | undefined; decoded: Decoded }[] = [];
    let wake = () => {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const msg = Request.decode(Buffer.concat(chunks));
        const decoded = Request.toObject(msg, { longs: String, defaults: false, arrays: true }) as Decoded;
        bodies.push({ contentType: req.headers['content-type'], decoded });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
        wake();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    runNode(['--expose-gc', FIXTURE], {
      env: {
        TIMERS: String(TIMERS),
        LEAKWATCH_OTLP: `http://127.0.0.1:${port}/v1/metrics`,
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '300ms',
        DD_SERVICE: 'orders',
        DD_ENV: 'prod',
        DD_VERSION: '4.5.6',
      },
    });
    // Wait for an export that carries a major GC.
    const find = (): Decoded | undefined =>
      bodies
        .map((b) => b.decoded)
        .find((d) =>
          d.resourceMetrics[0]?.scopeMetrics[0]?.metrics.some(
            (m) =>
              m.name === 'v8js.gc.duration' &&
              m.histogram?.dataPoints.some(
                (p) => attr(p.attributes, 'v8js.gc.type') === 'major' && Number(p.count) > 0,
              ),
          ),
        );
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no export with a major GC; got ${bodies.length} exports`)), 30_000);
      wake = () => {
        if (find() !== undefined) {
          clearTimeout(t);
          resolve();
        }
      };
      wake();
    });
    const req = find() as Decoded;
    expect(bodies[0]?.contentType).toBe('application/x-protobuf');

    const rm = req.resourceMetrics[0] as Decoded['resourceMetrics'][number];
    expect(attr(rm.resource.attributes, 'service.name')).toBe('orders');
    expect(attr(rm.resource.attributes, 'deployment.environment.name')).toBe('prod');
    expect(attr(rm.resource.attributes, 'service.version')).toBe('4.5.6');
    expect(attr(rm.resource.attributes, 'process.runtime.name')).toBe('nodejs');
    expect(typeof attr(rm.resource.attributes, 'process.pid')).toBe('number');
    const sm = rm.scopeMetrics[0] as Decoded['resourceMetrics'][number]['scopeMetrics'][number];
    expect(sm.scope.name).toBe('leakwatch');
    const byName = new Map(sm.metrics.map((m) => [m.name, m]));

    for (const name of [
      'nodejs.eventloop.delay.min',
      'nodejs.eventloop.delay.max',
      'nodejs.eventloop.delay.mean',
      'nodejs.eventloop.delay.p50',
      'nodejs.eventloop.delay.p90',
      'nodejs.eventloop.delay.p99',
    ]) {
      const m = byName.get(name);
      expect(m?.unit, name).toBe('s');
      const v = m?.gauge?.dataPoints[0]?.asDouble as number;
      // Seconds, not ms or ns: a loop delay on an idle child is well under 1 s.
      expect(v, name).toBeGreaterThanOrEqual(0);
      expect(v, name).toBeLessThan(1);
    }
    const elu = byName.get('nodejs.eventloop.utilization')?.gauge?.dataPoints[0]?.asDouble as number;
    expect(elu).toBeGreaterThanOrEqual(0);
    expect(elu).toBeLessThanOrEqual(1);

    // The semantic conventions make heap use an UpDownCounter: a non-monotonic Sum.
    const heapUsed = byName.get('v8js.memory.heap.used');
    expect(heapUsed?.unit).toBe('By');
    expect(heapUsed?.sum?.isMonotonic).toBe(false);
    expect(heapUsed?.sum?.aggregationTemporality).toBe(2);
    const old = heapUsed?.sum?.dataPoints.find((p) => attr(p.attributes, 'v8js.heap.space.name') === 'old_space');
    expect(old?.asDouble).toBeGreaterThan(0);

    const timers = byName
      .get('v8js.resource.active')
      ?.gauge?.dataPoints.find((p) => attr(p.attributes, 'v8js.resource.type') === 'Timeout');
    expect(timers?.asDouble).toBe(TIMERS);

    const gc = byName.get('v8js.gc.duration')?.histogram;
    expect(gc?.aggregationTemporality).toBe(2); // cumulative
    for (const p of gc?.dataPoints ?? []) {
      expect(p.explicitBounds).toEqual([0.001, 0.01, 0.1, 1, 2, 5]);
      expect(p.bucketCounts.length).toBe(7);
      expect(p.bucketCounts.reduce((a, b) => a + Number(b), 0)).toBe(Number(p.count));
      expect(['minor', 'major', 'incremental', 'weakcb']).toContain(attr(p.attributes, 'v8js.gc.type'));
    }

    const state = byName.get('leakwatch.agent.state')?.gauge?.dataPoints[0]?.asDouble;
    expect(state).toBe(0);
    const ticks = byName.get('leakwatch.agent.ticks')?.sum;
    expect(ticks?.isMonotonic).toBe(true);
    expect(ticks?.aggregationTemporality).toBe(2);
    const tickPoint = ticks?.dataPoints[0] as NumberDP;
    expect(tickPoint.asDouble).toBeGreaterThan(0);
    expect(BigInt(tickPoint.startTimeUnixNano as string) < BigInt(tickPoint.timeUnixNano)).toBe(true);
    for (const name of [
      'leakwatch.agent.errors',
      'leakwatch.agent.reports_written',
      'leakwatch.agent.exports_dropped',
    ]) {
      expect(byName.get(name)?.sum?.dataPoints[0]?.asDouble, name).toBe(0);
    }
    expect(byName.get('process.memory.usage')?.sum?.dataPoints[0]?.asDouble).toBeGreaterThan(1e6);
  });
});
