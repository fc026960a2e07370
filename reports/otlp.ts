/**
 * OpenTelemetry: OTLP/HTTP protobuf export of the runtime metrics under the
 * semantic-convention names (`v8js.*`, `nodejs.eventloop.*`), every flush.
 *
 * The protobuf is written here: the export is one message shape, about a
 * hundred lines to encode, whereas the OpenTelemetry SDK + exporter load
 * 217 modules in 138 ms and would aggregate a second time what the agent
 * already aggregates (README, Runtime metrics). The test suite decodes what is sent
 * with the OpenTelemetry protocol definitions.
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/metrics/v1/metrics.proto
 * https://opentelemetry.io/docs/specs/otlp/#otlphttp
 */
import type * as http from 'node:http';
import type { AgentView } from '../agent/agent-view';
import type { OtlpTarget } from '../agent/config';
import { redactUrl } from '../agent/otlp-config';
import type { Exporter } from './exporters';
import { MetricPoints } from './metric-points';
import { buildResource, commitExport, encodeMetricsRequest } from './otlp-encode';
import { loadOtlpTls } from './otlp-tls';

/**
 * Connection deadline. A pending TCP connect keeps the event loop alive
 * whatever its socket's ref state (libuv counts the connect request), so a
 * collector that never answers the SYN (a firewall that drops it, a full
 * accept queue) would hold a finished app until the kernel gives up,
 * about two minutes on Linux. This bounds that to 2 s (half the flush
 * interval, when that is shorter); a collector that needs longer to accept
 * a connection is counted as a drop.
 */
const MAX_CONNECT_MS = 2_000;

/** Starts the OTLP channel: one unref'd flush timer, one request at a time. */
export function createOtlpExporter(view: AgentView, otlp: OtlpTarget): Exporter {
  const target = new URL(otlp.url);
  // Every line and drop reason names it without its credentials.
  const url = redactUrl(otlp.url);
  // Only the module the endpoint's scheme needs is loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: typeof http = target.protocol === 'https:' ? require('node:https') : require('node:http');
  const points = new MetricPoints(view);
  const resource = buildResource(otlp.resource);
  // Ours last: the body is protobuf of this length, whatever a variable says.
  const headers: Record<string, string> = { ...otlp.headers, 'content-type': 'application/x-protobuf' };
  if (otlp.compression === 'gzip') headers['content-encoding'] = 'gzip';
  // zlib only when asked for. A body is about 4 KB: compressed synchronously
  // (cost: bench/exporters.js).
  const gzip =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    otlp.compression === 'gzip' ? (require('node:zlib') as typeof import('node:zlib')).gzipSync : null;
  const where = `otlp ${url}`;
  // CA and client certificate from the OTel variables: read once, here.
  const tls = otlp.tls === null ? {} : loadOtlpTls(otlp.tls, (line) => view.onNotice(where, line));
  // An export never outlives its flush interval (10 s at most unless OTEL_EXPORTER_OTLP_TIMEOUT says).
  const timeoutMs = Math.min(otlp.timeoutMs, otlp.intervalMs);
  // Under half the flush interval, so that a connect cut short leaves the
  // loop free before the next flush starts another.
  const connectMs = Math.min(MAX_CONNECT_MS, Math.floor(otlp.intervalMs / 2));
  let inFlight: Promise<boolean> | null = null;
  /** The time of the last export the collector took: where deltas start. */
  let sinceMs = points.startTimeMs;

  /** Resolves true when the collector took the export, false when it was dropped. */
  const post = (body: Uint8Array): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const settle = (ok: boolean) => {
        settled = true;
        for (const t of timers) clearTimeout(t);
        resolve(ok);
      };
      const fail = (why: string) => {
        if (settled) return;
        view.onDrop('otlp', where, 1, why);
        settle(false);
      };
      const deadline = (ms: number, why: string, req: http.ClientRequest): NodeJS.Timeout => {
        const t = setTimeout(() => {
          fail(why);
          req.destroy();
        }, ms);
        t.unref();
        timers.push(t);
        return t;
      };
      try {
        const req = mod.request(
          target,
          {
            method: 'POST',
            agent: false,
            ...tls,
            headers: { ...headers, 'content-length': body.length },
          },
          (res) => {
            res.on('error', () => {});
            res.resume();
            res.on('end', () => {
              if (settled) return;
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) {
                settle(true);
              } else {
                fail(`HTTP ${status} from ${url}`);
              }
            });
          },
        );
        // The whole export, from now: a collector that answers byte by byte
        // never lets an idle timeout fire.
        deadline(timeoutMs, `no answer from ${url} within ${timeoutMs}ms`, req);
        req.on('socket', (s) => {
          // The export must never keep the host alive: the socket does not
          // ref, and a connect that hangs is cut short (MAX_CONNECT_MS).
          s.unref();
          if (!s.connecting) return;
          const t = deadline(connectMs, `no connection to ${url} within ${connectMs}ms`, req);
          s.once('connect', () => clearTimeout(t));
        });
        req.on('error', (err: NodeJS.ErrnoException) => fail(`${err.code ?? err.message} posting to ${url}`));
        req.end(body);
      } catch (err) {
        fail(`${(err as Error).message} posting to ${url}`);
      }
    });

  const flush = (): Promise<boolean> => {
    try {
      if (inFlight !== null) {
        view.onDrop('otlp', where, 1, 'previous export still in flight');
        return inFlight;
      }
      points.collect();
      const now = Date.now();
      const encoded = encodeMetricsRequest(points, resource, now, { temporality: otlp.temporality, sinceMs });
      const body = gzip === null ? encoded : gzip(encoded);
      const p = post(body)
        .then((ok) => {
          // Deltas restart only from what the collector took.
          if (ok) {
            commitExport(points);
            sinceMs = now;
          }
          return ok;
        })
        .finally(() => {
          inFlight = null;
        });
      inFlight = p;
      return p;
    } catch (err) {
      view.onError(where, err);
      return Promise.resolve(false);
    }
  };

  const timer = setInterval(() => {
    void flush();
  }, otlp.intervalMs);
  timer.unref();
  const names = Object.keys(otlp.headers);
  view.debug(
    `otlp: exporting to ${url} every ${otlp.intervalMs}ms, ${otlp.temporality} temporality${otlp.compression === 'gzip' ? ', gzip' : ''}${names.length > 0 ? `, headers ${names.join(', ')}` : ''}${tls.ca !== undefined ? `, CA from ${otlp.tls?.ca?.variable}` : ''}${tls.cert !== undefined ? `, client certificate from ${otlp.tls?.client?.cert.variable}` : ''}`,
  );
  if (otlp.headersNotSent.length > 0) {
    view.debug(
      `otlp: ${otlp.headersNotSent.join(' and ')} not sent: LEAKWATCH_OTLP names its own URL (LEAKWATCH_OTLP=true sends to the OTEL_EXPORTER_OTLP_* endpoint, with them)`,
    );
  }

  return {
    name: 'otlp',
    onTick() {
      points.observe();
    },
    onReport() {
      // Monitors see reports_written move now, not at the next flush.
      void flush();
    },
    async stop() {
      clearInterval(timer);
      // At most one deadline: when the export in flight fails, the last one
      // would wait out the same collector again, and is dropped instead.
      if (inFlight !== null && !(await inFlight)) {
        view.onDrop('otlp', where, 1, 'final export not tried: the one before it failed');
        return;
      }
      await flush();
    },
  };
}
