// LEAKWATCH_OTLP=true in a process configured the OpenTelemetry way: a
// preloaded child sends to the endpoint its OTEL_EXPORTER_OTLP_* variables
// name, with their headers, under the resource OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES describe. Received by a real HTTP server on
// 127.0.0.1 and decoded with the OpenTelemetry protocol definitions.
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');

interface Received {
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  resource: Record<string, string | number>;
  metrics: string[];
  /** The leakwatch.agent.ticks point, and its sum's temporality (1 delta, 2 cumulative). */
  ticks: { asDouble: number; startTimeUnixNano: string; timeUnixNano: string; temporality: number } | undefined;
  /** The answer this export got. */
  status: number;
}

/** Every OTel variable unset, whatever the environment running the tests has. */
const NO_OTEL: Record<string, string> = Object.fromEntries(
  [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
    'OTEL_SERVICE_NAME',
    'OTEL_RESOURCE_ATTRIBUTES',
    'OTEL_SDK_DISABLED',
    'OTEL_METRIC_EXPORT_INTERVAL',
    'OTEL_EXPORTER_OTLP_COMPRESSION',
    'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION',
    'OTEL_EXPORTER_OTLP_TIMEOUT',
    'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
    'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  ].map((k) => [k, '']),
);

/** A child with one interval that exports every 300 ms and explains itself. */
const EXPORTING: Record<string, string> = {
  ...NO_OTEL,
  TIMERS: '1',
  LEAKWATCH_DEBUG: '1',
  LEAKWATCH_INTERVAL: '100ms',
  LEAKWATCH_FLUSH_INTERVAL: '300ms',
};

const servers: http.Server[] = [];
afterEach(() => {
  killSurvivors();
  for (const s of servers.splice(0)) s.close();
});

/** A collector stand-in: records each export's path, headers, resource and tick count; `statusOf` answers the nth (from 1). */
async function collector(
  statusOf: (n: number) => number = () => 200,
): Promise<{ port: number; received: Received[]; next: () => Promise<Received> }> {
  const received: Received[] = [];
  let wake = () => {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      const decoded = Request.toObject(Request.decode(body), {
        longs: String,
        arrays: true,
        defaults: true,
      });
      const rm = decoded.resourceMetrics[0];
      const resource = Object.fromEntries(
        rm.resource.attributes.map((a: { key: string; value: Record<string, string | number> }) => [
          a.key,
          Object.values(a.value)[0],
        ]),
      );
      const all = rm.scopeMetrics[0].metrics as {
        name: string;
        sum?: { aggregationTemporality: number; dataPoints: Received['ticks'][] };
      }[];
      const ticks = all.find((m) => m.name === 'leakwatch.agent.ticks')?.sum;
      const status = statusOf(received.length + 1);
      received.push({
        url: req.url,
        headers: req.headers,
        resource,
        metrics: all.map((m) => m.name),
        ticks: ticks && {
          ...(ticks.dataPoints[0] as NonNullable<Received['ticks']>),
          temporality: ticks.aggregationTemporality,
        },
        status,
      });
      res.writeHead(status);
      res.end();
      wake();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const next = () =>
    new Promise<Received>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no export within 20 s')), 20_000);
      wake = () => {
        clearTimeout(t);
        resolve(received[received.length - 1] as Received);
      };
    });
  return { port: (server.address() as { port: number }).port, received, next };
}

describe('LEAKWATCH_OTLP=true and the OpenTelemetry variables', () => {
  it('sends to OTEL_EXPORTER_OTLP_ENDPOINT + v1/metrics, with the OTel headers and resource', async () => {
    const c = await collector();
    const first = c.next();
    const app = runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        LEAKWATCH_OTLP: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${c.port}/gateway/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20t0ken-1234,x-team=core',
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-team=metrics',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        // LEAKWATCH_FLUSH_INTERVAL (300ms) is set, and wins.
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        OTEL_SERVICE_NAME: 'checkout',
        OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=api-7,deployment.environment.name=staging',
        DD_SERVICE: 'dd-checkout',
      },
    });
    const got = await first;
    expect(got.url).toBe('/gateway/v1/metrics');
    expect(got.headers.authorization).toBe('Bearer t0ken-1234');
    expect(got.headers['x-team']).toBe('metrics');
    expect(got.headers['content-type']).toBe('application/x-protobuf');
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.resource).toMatchObject({
      'service.name': 'checkout',
      'deployment.environment.name': 'staging',
      'k8s.pod.name': 'api-7',
      'telemetry.sdk.name': 'leakwatch',
    });
    expect(got.resource['process.pid']).toBe(String(app.child.pid));
    expect(got.metrics).toContain('v8js.memory.heap.used');
    // Debug mode names the headers it sends, never their values.
    const line = await app.waitFor(/otlp: exporting to \S+ every 300ms, [^\n]*/, 'stderr');
    expect(line[0]).toBe(
      `otlp: exporting to http://127.0.0.1:${c.port}/gateway/v1/metrics every 300ms, cumulative temporality, gzip, headers authorization, x-team`,
    );
    expect(app.stderr()).not.toContain('t0ken');
  });

  it('keeps the OTel headers from a URL of its own, and says so in debug mode', async () => {
    const c = await collector();
    const first = c.next();
    const app = runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        LEAKWATCH_OTLP: `http://127.0.0.1:${c.port}/v1/metrics`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken-1234',
        OTEL_SERVICE_NAME: 'checkout',
      },
    });
    const got = await first;
    expect(got.url).toBe('/v1/metrics');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.resource['service.name']).toBe('checkout');
    await app.waitFor(
      /otlp: OTEL_EXPORTER_OTLP_HEADERS not sent: LEAKWATCH_OTLP names its own URL \(LEAKWATCH_OTLP=true sends/,
      'stderr',
    );
  });

  it('stays off with one line when the OTel protocol is gRPC, and the app runs on', async () => {
    const c = await collector();
    const app = runNode([FIXTURE], {
      env: {
        ...NO_OTEL,
        TIMERS: '1',
        EXIT_AFTER_MS: '2000',
        LEAKWATCH_OTLP: 'true',
        LEAKWATCH_FLUSH_INTERVAL: '200ms',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${c.port}`,
      },
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    const lines = app.stderr().trim().split('\n');
    expect(lines).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not a protocol leakwatch sends (expected http/protobuf or http/json: leakwatch speaks OTLP over HTTP, not gRPC); OTLP export disabled (set LEAKWATCH_OTLP to the collector\'s OTLP/HTTP URL, e.g. http://localhost:4318/v1/metrics)',
    ]);
    // Ten flush intervals passed: with the channel on, exports would have come.
    expect(c.received).toEqual([]);
    const last = app.stdout().trim().split('\n').pop() as string;
    const { modules } = JSON.parse(last) as { modules: string[] };
    expect(modules.filter((m) => /[\\/]dist[\\/]reports[\\/]otlp/.test(m))).toEqual([]);
  });

  it('delta temporality: each export holds what changed since the last one the collector took', async () => {
    // The second export is refused: its changes must reach the collector in the third.
    const c = await collector((n) => (n === 2 ? 500 : 200));
    runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        LEAKWATCH_OTLP: `http://127.0.0.1:${c.port}/v1/metrics`,
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      },
    });
    while (c.received.length < 4) await c.next();
    const [e1, e2, e3, e4] = c.received.map((r) => r.ticks as NonNullable<Received['ticks']>) as [
      NonNullable<Received['ticks']>,
      NonNullable<Received['ticks']>,
      NonNullable<Received['ticks']>,
      NonNullable<Received['ticks']>,
    ];
    expect(c.received.map((r) => r.status)).toEqual([200, 500, 200, 200]);
    for (const e of [e1, e2, e3, e4]) expect(e.temporality).toBe(1);
    // Each window starts where the last accepted export ended.
    expect(e2.startTimeUnixNano).toBe(e1.timeUnixNano);
    expect(e3.startTimeUnixNano).toBe(e1.timeUnixNano);
    expect(e4.startTimeUnixNano).toBe(e3.timeUnixNano);
    // The third covers the refused second's window and its own: a count
    // since the same start, later, is never smaller.
    expect(e1.asDouble).toBeGreaterThan(0);
    expect(e3.asDouble).toBeGreaterThanOrEqual(e2.asDouble);
  });

  it('cuts an export at OTEL_EXPORTER_OTLP_TIMEOUT and counts it, with one debug line', async () => {
    // A collector that takes the request and never answers.
    const held: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const app = runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        LEAKWATCH_FLUSH_INTERVAL: '3s',
        LEAKWATCH_OTLP: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '400',
      },
    });
    const line = await app.waitFor(/otlp \S+: dropped 1 \(([^)]*)\)/, 'stderr', 20_000);
    expect(line[1]).toBe(`no answer from http://127.0.0.1:${port}/v1/metrics within 400ms`);
    expect(held.length).toBeGreaterThan(0);
  });
});
