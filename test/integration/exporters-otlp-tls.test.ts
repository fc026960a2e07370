// LEAKWATCH_OTLP=true with a collector behind TLS, configured the
// OpenTelemetry way: OTEL_EXPORTER_OTLP_CERTIFICATE names the CA the
// collector's certificate chains to, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
// and _CLIENT_KEY the client identity for mutual TLS. A real https server
// on 127.0.0.1 that requires a client certificate; certificates made by
// openssl for the test.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { makePki, type TestPki } from '../support/certs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');
const TLS_VARS = ['', 'METRICS_'].flatMap((s) =>
  ['CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY'].map((v) => `OTEL_EXPORTER_OTLP_${s}${v}`),
);
const NO_OTEL: Record<string, string> = Object.fromEntries(
  [...TLS_VARS, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_SDK_DISABLED'].map((k) => [
    k,
    '',
  ]),
);

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

const servers: https.Server[] = [];
afterEach(() => {
  killSurvivors();
  for (const s of servers.splice(0)) s.close();
});

interface Export {
  url: string | undefined;
  /** CN of the client certificate the connection presented. */
  client: string | undefined;
  metrics: string[];
}

/** An OTLP/HTTP collector on https://127.0.0.1 that refuses connections without a client certificate from the test CA. */
async function tlsCollector(): Promise<{ url: string; exports: Export[]; handshakes: () => number }> {
  const exports: Export[] = [];
  let handshakes = 0;
  const server = https.createServer(
    {
      cert: fs.readFileSync(pki.serverCert),
      key: fs.readFileSync(pki.serverKey),
      ca: fs.readFileSync(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const decoded = Request.toObject(Request.decode(Buffer.concat(chunks)), { arrays: true });
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        exports.push({
          url: req.url,
          client: peer?.subject?.CN,
          metrics: decoded.resourceMetrics[0].scopeMetrics[0].metrics.map((m: { name: string }) => m.name),
        });
        res.writeHead(200);
        res.end();
      });
    },
  );
  server.on('secureConnection', () => handshakes++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    exports,
    handshakes: () => handshakes,
  };
}

const EXPORTING = {
  ...NO_OTEL,
  TIMERS: '1',
  LEAKWATCH_OTLP: 'true',
  LEAKWATCH_INTERVAL: '100ms',
  LEAKWATCH_FLUSH_INTERVAL: '300ms',
};

describe('LEAKWATCH_OTLP=true to a collector behind mutual TLS', () => {
  it('trusts the CA and presents the client certificate the OTel variables name', async () => {
    const c = await tlsCollector();
    const app = runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        LEAKWATCH_DEBUG: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
        OTEL_EXPORTER_OTLP_CERTIFICATE: pki.ca,
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pki.clientCert,
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: pki.clientKey,
      },
    });
    const line = await app.waitFor(/otlp: exporting to [^\n]*/, 'stderr');
    expect(line[0]).toBe(
      `otlp: exporting to ${c.url}/v1/metrics every 300ms, cumulative temporality, CA from OTEL_EXPORTER_OTLP_CERTIFICATE, client certificate from OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`,
    );
    const deadline = Date.now() + 20_000;
    while (c.exports.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(c.exports.length, app.stderr()).toBeGreaterThanOrEqual(2);
    expect(c.exports[0]).toMatchObject({ url: '/v1/metrics', client: pki.clientName });
    expect(c.exports[0]?.metrics).toContain('v8js.memory.heap.used');
  });

  it('without them, the collector is not trusted and no export is made; each drop says why', async () => {
    const c = await tlsCollector();
    const app = runNode([FIXTURE], {
      env: { ...EXPORTING, LEAKWATCH_DEBUG: '1', OTEL_EXPORTER_OTLP_ENDPOINT: c.url },
    });
    await app.waitFor(/dropped[^\n]*SELF_SIGNED_CERT_IN_CHAIN posting to https:\/\/127\.0\.0\.1/, 'stderr');
    expect(c.exports).toEqual([]);
    expect(c.handshakes()).toBe(0);
  });

  it('an unreadable CA or a key of another certificate is one line each, and the app runs on', async () => {
    const c = await tlsCollector();
    const missing = path.join(pki.dir, 'missing.pem');
    const app = runNode([FIXTURE], {
      env: {
        ...EXPORTING,
        EXIT_AFTER_MS: '1500',
        OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
        OTEL_EXPORTER_OTLP_CERTIFICATE: missing,
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pki.clientCert,
        OTEL_EXPORTER_OTLP_CLIENT_KEY: pki.serverKey,
      },
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    const lines = app.stderr().trim().split('\n');
    const where = `leakwatch: otlp ${c.url}/v1/metrics: `;
    expect(lines).toEqual([
      `${where}OTEL_EXPORTER_OTLP_CERTIFICATE="${missing}" cannot be used (ENOENT); expected a PEM file of CA certificates; the collector is verified against Node's trusted CAs`,
      expect.stringMatching(
        new RegExp(
          `^${where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}OTEL_EXPORTER_OTLP_CLIENT_KEY=".*server\\.key" cannot be used with OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE \\(.*key values mismatch.*\\); expected the PEM private key of that certificate; no client certificate sent$`,
        ),
      ),
    ]);
    expect(c.exports).toEqual([]);
  });
});
