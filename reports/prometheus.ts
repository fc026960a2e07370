/**
 * Prometheus: `/metrics` in the text exposition format (0.0.4), with
 * prom-client's default metric names and labels, served on loopback by
 * default (in a cluster, for every process: ./prometheus-cluster). For an
 * application that already runs prom-client, the same metrics go into its
 * registry instead (./prometheus-registry).
 *
 * The format is written here rather than through prom-client: it is a few
 * lines of text, and prom-client would keep a second copy of every value
 * (see the README, Runtime metrics, for the load cost measured).
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type * as http from 'node:http';
import type { AgentView } from '../agent/agent-view';
import type { Exporter } from './exporters';
import { MetricPoints } from './metric-points';
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
    if (taken && view.config.control) {
      // Perhaps a peer of this cluster holds it: said at the next tick, when
      // the peer that bound first surely has its control socket too.
      takenPending = true;
      return;
    }
    down(err.code ?? err.message);
  });
  let takenPending = false;
  /** One line; the host keeps running without the endpoint. */
  const down = (code: string): void => {
    const taken = code === 'EADDRINUSE';
    // In a cluster the port is taken by design: one process serves them all.
    const peer = taken && view.config.control && findFamilyAgents().length > 0;
    if (peer) {
      takeover = true;
      ticksToRetry = retryEveryTicks;
    }
    view.onChannelDown(
      'prometheus',
      `${code}: cannot serve /metrics on ${addr}${taken ? ' (port already taken)' : ''}; ${
        peer
          ? `the leakwatch of this cluster that holds it serves this process's metrics, labelled pid="${process.pid}"`
          : 'Prometheus endpoint off'
      }`,
    );
  };
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
      if (takenPending) {
        takenPending = false;
        down('EADDRINUSE');
      }
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
