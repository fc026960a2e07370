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
import type { AgentView } from '../agent/agent';
import type { Exporter } from './exporters';
import { MetricPoints } from './metric-points';
import { buildResource, encodeMetricsRequest } from './otlp-encode';

/** Export deadline: an export never outlives its flush interval (max 10 s). */
const MAX_EXPORT_MS = 10_000;

/** Starts the OTLP channel: one unref'd flush timer, one request at a time. */
export function createOtlpExporter(view: AgentView, url: string): Exporter {
  const target = new URL(url);
  const mod = (target.protocol === 'https:'
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ? require('node:https') : require('node:http')) as typeof http;
  const points = new MetricPoints(view);
  const resource = buildResource(view);
  const where = `otlp ${url}`;
  const timeoutMs = Math.min(MAX_EXPORT_MS, view.config.flushIntervalMs);
  let inFlight: Promise<void> | null = null;

  const post = (body: Uint8Array): Promise<void> =>
    new Promise<void>((resolve) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        view.onDrop(where, 1, why);
        resolve();
      };
      try {
        const req = mod.request(target, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        }, (res) => {
          res.on('error', () => {});
          res.resume();
          res.on('end', () => {
            if (settled) return;
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              settled = true;
              resolve();
            } else {
              fail(`HTTP ${status} from ${url}`);
            }
          });
        });
        // The export must never keep the host alive.
        req.on('socket', (s) => s.unref());
        req.setTimeout(timeoutMs, () => {
          fail(`no answer from ${url} within ${timeoutMs}ms`);
          req.destroy();
        });
        req.on('error', (err: NodeJS.ErrnoException) => fail(`${err.code ?? err.message} posting to ${url}`));
        req.end(body);
      } catch (err) {
        fail(`${(err as Error).message} posting to ${url}`);
      }
    });

  const flush = (): Promise<void> => {
    try {
      if (inFlight !== null) {
        view.onDrop(where, 1, 'previous export still in flight');
        return inFlight;
      }
      points.collect();
      const body = encodeMetricsRequest(points, resource, Date.now());
      const p = post(body).finally(() => {
        inFlight = null;
      });
      inFlight = p;
      return p;
    } catch (err) {
      view.onError(where, err);
      return Promise.resolve();
    }
  };

  const timer = setInterval(() => {
    void flush();
  }, view.config.flushIntervalMs);
  timer.unref();
  view.debug(`otlp: exporting to ${url} every ${view.config.flushIntervalMs}ms`);

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
      if (inFlight !== null) await inFlight;
      await flush();
    },
  };
}
