/**
 * Prometheus: `/metrics` in the text exposition format (0.0.4), with
 * prom-client's default metric names and labels, served on loopback by
 * default; or, for an application that already runs prom-client, the same
 * metrics registered into its registry (`registerPrometheusMetrics`).
 *
 * The format is written here rather than through prom-client: it is a few
 * lines of text, and prom-client would keep a second copy of every value
 * (see the README, Runtime metrics, for the load cost measured).
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type * as http from 'node:http';
import type { AgentView } from '../agent/agent-view';
import type { Exporter } from './exporters';
import { GC_BUCKETS_S, type MetricDef } from './metric-names';
import { type HistogramPoint, MetricPoints, type ScalarPoint, type Series } from './metric-points';
import { readPromClientDefaultNames } from './prom-client-names';
import { findFamilyAgents, readPeerExpositions } from './prometheus-cluster';
import { CONTENT_TYPE, formatExposition } from './prometheus-format';
import { mergeExpositions } from './prometheus-merge';

/**
 * How often a process of a cluster that could not bind the port tries again,
 * so that another one takes over when the one that held it exits.
 */
const TAKEOVER_RETRY_MS = 10_000;

/** Serves `/metrics` on config.prometheus; unref'd, never in the host's way. */
export function createPrometheusExporter(view: AgentView, where: { host: string; port: number }): Exporter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const httpMod = require('node:http') as typeof http;
  const points = new MetricPoints(view);
  const addr = `${where.host.includes(':') ? `[${where.host}]` : where.host}:${where.port}`;
  const server = httpMod.createServer((req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('leakwatch serves /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
        res.end('/metrics answers GET and HEAD\n');
        return;
      }
      servePeers().then(
        (body) => {
          res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => fail(res, err),
      );
    } catch (err) {
      fail(res, err);
    }
  });
  const fail = (res: http.ServerResponse, err: unknown): void => {
    view.onError('prometheus scrape', err);
    try {
      res.writeHead(500);
      res.end();
    } catch {
      // The response was already under way.
    }
  };
  // Once this process has served a peer, its own samples keep their pid
  // label even in a scrape no peer answered: a series never changes identity.
  let clustered = false;
  /**
   * This process's text, or with its cluster peers' (reports/prometheus-cluster.ts).
   * Its own points are collected after the peers answered, so peers left out
   * are already in this scrape's drop counters.
   */
  const servePeers = async (): Promise<string> => {
    // With the control channel off none of its modules is loaded, here too.
    const peers = view.config.control ? await readPeerExpositions(addr) : { parts: [], missed: 0 };
    if (peers.missed > 0) view.onDrop('prometheus', `prometheus ${addr}`, peers.missed, 'cluster peers not answering');
    points.collect();
    const own = formatExposition(points);
    if (peers.parts.length > 0) clustered = true;
    if (!clustered) return own;
    return mergeExpositions([{ pid: process.pid, text: own }, ...peers.parts]);
  };
  // Scrapers keep connections alive: those sockets must not hold the host.
  server.on('connection', (socket) => {
    socket.unref();
    socket.on('error', () => {});
  });
  server.on('clientError', (_err, socket) => {
    view.onDrop('prometheus', `prometheus ${addr}`, 1, 'malformed scrape request');
    socket.destroy();
  });
  // A process of a cluster that could not bind keeps trying, so that the
  // port is served again when the process that held it is gone.
  let takeover = false;
  let retrying = false;
  let ticksToRetry = 0;
  const retryEveryTicks = Math.max(1, Math.ceil(TAKEOVER_RETRY_MS / view.config.intervalMs));
  server.on('error', (err: NodeJS.ErrnoException) => {
    const taken = err.code === 'EADDRINUSE';
    if (retrying) {
      retrying = false;
      // Still held: said once already. Anything else ends the retries.
      if (taken) {
        if (view.debug.enabled) view.debug(`prometheus: ${addr} is still held by a peer`);
        return;
      }
      takeover = false;
    }
    // One line; the host keeps running without the endpoint.
    // In a cluster the port is taken by design: one process serves them all.
    const peer = taken && view.config.control && findFamilyAgents().length > 0;
    if (peer) {
      takeover = true;
      ticksToRetry = retryEveryTicks;
    }
    view.onChannelDown(
      'prometheus',
      `${err.code ?? err.message}: cannot serve /metrics on ${addr}${taken ? ' (port already taken)' : ''}; ${
        peer
          ? `the leakwatch of this cluster that holds it serves this process's metrics, labelled pid="${process.pid}"`
          : 'Prometheus endpoint off'
      }`,
    );
  });
  server.on('listening', () => {
    if (retrying) {
      retrying = false;
      takeover = false;
      // It was served as a peer: its series keep their pid label.
      clustered = true;
      view.onNotice('prometheus', `now serving /metrics on ${addr}, with its peers: the process that held it is gone`);
      return;
    }
    view.debug(`prometheus: serving http://${addr}/metrics`);
  });
  // exclusive: in a cluster worker a shared listen is made by the primary
  // and scrapes are handed round-robin to every worker listening on the
  // port, so each scrape would read another process. Bound here, the first
  // process gets the port and the others are told (EADDRINUSE above).
  // https://nodejs.org/api/net.html#serverlistenoptions-callback
  const listen = () => server.listen({ port: where.port, host: where.host, exclusive: true });
  listen();
  server.unref();

  return {
    name: 'prometheus',
    onTick() {
      points.observe();
      if (takeover && !retrying && --ticksToRetry <= 0) {
        ticksToRetry = retryEveryTicks;
        retrying = true;
        listen();
      }
    },
    exposition(address) {
      // Given only by a process that could not bind the address its peer holds.
      if (address !== addr || server.listening) return null;
      clustered = true;
      points.collect();
      return formatExposition(points);
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
        if (!server.listening) resolve();
      });
    },
  };
}

/** The part of a prom-client `Registry` leakwatch uses. */
export interface PromRegistry {
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
}

/** What `registerPrometheusMetrics` did. */
export interface PrometheusRegistration {
  /** Metric names added to the registry. */
  readonly registered: readonly string[];
  /**
   * Names left out: those of prom-client's `collectDefaultMetrics()`, whether
   * it has run or not, and any other the registry already had.
   */
  readonly skipped: readonly string[];
}

interface PromValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * Registers leakwatch's metrics into a prom-client registry, as metric
 * objects with prom-client's `get()` contract, so prom-client itself is
 * never loaded by leakwatch. Values are collected once per scrape.
 *
 * Names prom-client's `collectDefaultMetrics()` uses are left to it even
 * when it has not run yet: taken first, they would make it throw in the
 * application's start-up (prom-client refuses a second metric of a name).
 * Names the registry already has are skipped too.
 */
export function registerIntoRegistry(
  view: AgentView,
  registry: PromRegistry,
  points: MetricPoints,
): PrometheusRegistration {
  let fresh = false;
  const collect = () => {
    if (fresh) return;
    points.collect();
    fresh = true;
    // One collect per scrape: every metric's get() of one scrape runs
    // before the next turn of the event loop.
    setImmediate(() => {
      fresh = false;
    }).unref();
  };
  const labelCache = new Map<object, Record<string, string>>();
  const labels = (p: ScalarPoint | HistogramPoint): Record<string, string> => {
    let l = labelCache.get(p);
    if (l === undefined) {
      l = p.attr === null ? {} : { [p.attr.promKey]: p.attr.promValue };
      labelCache.set(p, l);
    }
    return l;
  };
  const promClientNames = readPromClientDefaultNames();
  const registered: string[] = [];
  const skipped: string[] = [];
  const taken: string[] = [];
  const add = (
    name: string,
    help: string,
    type: string,
    aggregator: MetricDef['promAggregator'],
    values: () => PromValue[],
  ) => {
    if (promClientNames.has(name)) {
      skipped.push(name);
      return;
    }
    if (registry.getSingleMetric(name) !== undefined) {
      skipped.push(name);
      taken.push(name);
      return;
    }
    // prom-client renames counters on an OpenMetrics registry (it strips
    // `_total` from `metric.name`): report the current name, as its own
    // metrics do, or the line would read `_total_total`.
    const metric = {
      name,
      help,
      type,
      aggregator,
      get: async () => {
        try {
          collect();
          return { name: metric.name, help, type, aggregator, values: values() };
        } catch (err) {
          view.onError('prometheus registry', err);
          return { name: metric.name, help, type, aggregator, values: [] };
        }
      },
      reset: () => {},
    };
    registry.registerMetric(metric);
    registered.push(name);
  };
  for (const series of points.scalars) {
    const name = series.def.prom;
    if (name === null) continue;
    const s: Series<ScalarPoint> = series;
    add(name, series.def.help, series.def.kind, series.def.promAggregator, () =>
      s.points.filter((p) => p.present).map((p) => ({ value: p.value, labels: labels(p) })),
    );
  }
  // Today's one Prometheus histogram, nodejs_gc_duration_seconds, is
  // prom-client's name, so this adds nothing yet; it serves the next one.
  for (const series of points.histograms) {
    const name = series.def.prom;
    if (name === null) continue;
    const s: Series<HistogramPoint> = series;
    add(name, series.def.help, 'histogram', series.def.promAggregator, () => {
      const values: PromValue[] = [];
      for (const h of s.points) {
        const base = labels(h);
        let cum = 0;
        for (let b = 0; b < GC_BUCKETS_S.length; b++) {
          cum += h.buckets[b] as number;
          values.push({ metricName: `${name}_bucket`, labels: { ...base, le: GC_BUCKETS_S[b] as number }, value: cum });
        }
        values.push({ metricName: `${name}_bucket`, labels: { ...base, le: '+Inf' }, value: h.count });
        values.push({ metricName: `${name}_sum`, labels: base, value: h.sum });
        values.push({ metricName: `${name}_count`, labels: base, value: h.count });
      }
      return values;
    });
  }
  if (view.debug.enabled) {
    const left = skipped.length - taken.length;
    view.debug(
      `prometheus: registered ${registered.length} metrics into the application's registry; left ${left} to prom-client's collectDefaultMetrics()${taken.length > 0 ? `; skipped ${taken.join(', ')} (already registered)` : ''}`,
    );
  }
  return { registered, skipped };
}
