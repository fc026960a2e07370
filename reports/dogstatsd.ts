/**
 * DogStatsD: runtime metrics under Datadog's own Node.js names, batched into
 * datagrams that never exceed the DogStatsD limit, flushed every 10 s.
 *
 * A small hand-written client rather than hot-shots: see docs/metrics.md
 * ("Why no hot-shots") for the measurements. In short, hot-shots sends UDP
 * unconnected (a dead agent is invisible) and its Unix-socket transport
 * cannot be unref'd, so it keeps the host alive. UDP here is a connected,
 * unref'd `dgram` socket; Unix datagram sockets use `unix-dgram` (loaded
 * only for `unix://`), opened per flush and closed straight after.
 *
 * Protocol: https://docs.datadoghq.com/developers/dogstatsd/datagram_shell
 */
import type * as dgram from 'node:dgram';
import type { AgentView } from '../agent/agent';
import type { Config } from '../agent/config';
import type { Endpoint } from '../agent/endpoint';
import type { Exporter } from './exporters';
import { DD_EVENT_SOURCE } from './metric-names';
import { MetricPoints } from './metric-points';
import type { LeakReport } from './report-schema';

/** dd-trace's choice for UDP: fits a 1500-byte MTU after IP/UDP headers. */
export const UDP_MAX_DATAGRAM = 1_432;
/** Datadog's recommended buffer for Unix datagram sockets. */
export const UDS_MAX_DATAGRAM = 8_192;

/**
 * Global tags: service, env, version, pid, then `DD_TAGS`. Values are
 * stripped to the characters Datadog allows, as dd-trace does.
 * https://docs.datadoghq.com/getting_started/tagging/#define-tags
 */
export function buildGlobalTags(config: Pick<Config, 'service' | 'env' | 'version' | 'tags'>, pid = process.pid): string {
  const tags: string[] = [];
  const add = (k: string, v: string) => {
    if (v !== '') tags.push(`${k}:${v.replace(/[^a-z0-9_:./-]/gi, '_')}`);
  };
  add('service', config.service);
  add('env', config.env);
  add('version', config.version);
  add('pid', String(pid));
  for (const t of config.tags) {
    const clean = t.replace(/[,|#\s]/g, '_');
    if (clean !== '') tags.push(clean);
  }
  return tags.join(',');
}

/** A DogStatsD number: integers as they are, others to 6 decimals. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const r = Math.round(v * 1e6) / 1e6;
  return String(r);
}

function line(name: string, value: number, type: 'g' | 'c', attrTag: string | null, tags: string): string {
  const t = attrTag === null ? tags : tags === '' ? attrTag : `${attrTag},${tags}`;
  return `${name}:${formatValue(value)}|${type}${t === '' ? '' : `|#${t}`}`;
}

/**
 * Formats every point as DogStatsD lines. Gauges are sent as levels,
 * counters as the increase since the previous call (the agent sums them),
 * GC pauses as dd-trace's aggregated histogram: `.min .max .avg .median
 * .95percentile` gauges and `.sum .total .count` counters, in nanoseconds.
 */
export function formatPoints(points: MetricPoints, tags: string, emit: (line: string) => void): void {
  for (const series of points.scalars) {
    const def = series.def;
    if (def.dd === null) continue;
    for (const p of series.points) {
      if (!p.present) continue;
      const tag = p.attr === null ? null : p.attr.dd;
      if (def.kind === 'counter') {
        const delta = p.value - p.sent;
        p.sent = p.value;
        emit(line(def.dd, delta, 'c', tag, tags));
      } else {
        const v = def.ddOffset === 0 ? p.value : Math.max(0, p.value - def.ddOffset);
        emit(line(def.dd, v * def.ddScale, 'g', tag, tags));
      }
    }
  }
  for (const series of points.histograms) {
    const def = series.def;
    if (def.dd === null) continue;
    for (const h of series.points) {
      const count = h.count - h.sentCount;
      const sum = h.sum - h.sentSum;
      h.sentCount = h.count;
      h.sentSum = h.sum;
      if (count === 0) continue;
      const tag = h.attr === null ? null : h.attr.dd;
      const k = def.ddScale;
      emit(line(`${def.dd}.min`, h.wMin * k, 'g', tag, tags));
      emit(line(`${def.dd}.max`, h.wMax * k, 'g', tag, tags));
      emit(line(`${def.dd}.avg`, (sum / count) * k, 'g', tag, tags));
      emit(line(`${def.dd}.median`, h.wP50 * k, 'g', tag, tags));
      emit(line(`${def.dd}.95percentile`, h.wP95 * k, 'g', tag, tags));
      emit(line(`${def.dd}.sum`, Math.round(sum * k), 'c', tag, tags));
      emit(line(`${def.dd}.total`, Math.round(sum * k), 'c', tag, tags));
      emit(line(`${def.dd}.count`, count, 'c', tag, tags));
    }
  }
}

/**
 * A DogStatsD event, cut to fit one datagram. Lengths are in UTF-8 bytes,
 * as the agent slices the payload; newlines in the text are escaped.
 */
export function formatEvent(title: string, text: string, tags: string, maxBytes: number, aggregationKey: string): string {
  const t = title.replace(/\n/g, ' ');
  let body = text.replace(/\r?\n/g, '\\n');
  const tail = `|t:error|s:${DD_EVENT_SOURCE}|k:${aggregationKey}${tags === '' ? '' : `|#${tags}`}`;
  const build = () => `_e{${Buffer.byteLength(t)},${Buffer.byteLength(body)}}:${t}|${body}${tail}`;
  let ev = build();
  while (Buffer.byteLength(ev) > maxBytes && body.length > 0) {
    body = body.slice(0, Math.max(0, body.length - (Buffer.byteLength(ev) - maxBytes) - 1));
    if (body.endsWith('\\')) body = body.slice(0, -1);
    ev = build();
  }
  return ev;
}

/**
 * Packs lines into datagrams of at most `maxBytes`, newline-separated.
 * A line longer than a datagram is dropped and counted, never split.
 */
export class DatagramBatcher {
  private readonly buf: Buffer;
  private used = 0;
  private lines = 0;
  /** Lines dropped because one alone exceeded the limit. */
  oversized = 0;

  constructor(readonly maxBytes: number, private readonly send: (datagram: Buffer, lines: number) => void) {
    this.buf = Buffer.allocUnsafe(maxBytes);
  }

  add(text: string): void {
    const len = Buffer.byteLength(text);
    if (len > this.maxBytes) {
      this.oversized++;
      return;
    }
    if (this.used > 0 && this.used + 1 + len > this.maxBytes) this.flush();
    if (this.used > 0) this.buf[this.used++] = 0x0a;
    this.used += this.buf.write(text, this.used, 'utf8');
    this.lines++;
  }

  flush(): void {
    if (this.used === 0) return;
    // The socket keeps the buffer until sent: hand over a copy.
    const out = Buffer.from(this.buf.subarray(0, this.used));
    const n = this.lines;
    this.used = 0;
    this.lines = 0;
    this.send(out, n);
  }
}

function describe(ep: Endpoint): string {
  return ep.protocol === 'udp' ? `udp://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}` : `unix://${ep.path}`;
}

/** Why a send failed, worded the same whichever path reported it. */
function sendError(err: unknown, ep: Endpoint): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `ECONNREFUSED: nothing listens on ${describe(ep)}`;
  return `${code ?? (err as Error).message} sending to ${describe(ep)}`;
}

/** A datagram sink: one per endpoint kind. */
interface Transport {
  /** Sends the datagrams; reports how many failed and why. */
  send(datagrams: readonly Buffer[], done: (failed: number, why: string) => void): void;
  close(): void;
}

function udpTransport(ep: Extract<Endpoint, { protocol: 'udp' }>, view: AgentView, refused: { n: number }): Transport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dgramMod = require('node:dgram') as typeof dgram;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof import('node:net');
  let socket: dgram.Socket | null = null;
  let state: 'idle' | 'connecting' | 'connected' = 'idle';
  let connectError = '';

  const open = () => {
    const s = dgramMod.createSocket(net.isIPv6(ep.host) ? 'udp6' : 'udp4');
    s.unref();
    // A connected UDP socket learns of a dead peer: the kernel's ICMP
    // "port unreachable" comes back as ECONNREFUSED here, one per datagram.
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') refused.n++;
      else view.onError('dogstatsd socket', `${err.code ?? err.message} on ${describe(ep)}`);
    });
    socket = s;
    state = 'connecting';
    s.connect(ep.port, ep.host, (err?: Error) => {
      if (socket !== s) return;
      if (err) {
        connectError = `${(err as NodeJS.ErrnoException).code ?? err.message} connecting to ${describe(ep)}`;
        state = 'idle';
        socket = null;
        try {
          s.close();
        } catch {
          // Already closed.
        }
      } else {
        state = 'connected';
      }
    });
  };
  open();

  return {
    send(datagrams, done) {
      if (state !== 'connected') {
        const why = state === 'connecting' ? `still connecting to ${describe(ep)}` : connectError || `not connected to ${describe(ep)}`;
        // Retry (including the DNS lookup) at the next flush.
        if (state === 'idle') open();
        done(datagrams.length, why);
        return;
      }
      const s = socket as dgram.Socket;
      let pending = datagrams.length;
      let failed = 0;
      let why = '';
      const finish = () => {
        if (--pending === 0) done(failed, why);
      };
      if (pending === 0) done(0, '');
      for (const d of datagrams) {
        try {
          s.send(d, (err) => {
            if (err) {
              failed++;
              why = sendError(err, ep);
            }
            finish();
          });
        } catch (err) {
          failed++;
          why = sendError(err, ep);
          finish();
        }
      }
    },
    close() {
      const s = socket;
      socket = null;
      state = 'idle';
      try {
        s?.close();
      } catch {
        // Already closed.
      }
    },
  };
}

interface UnixDgramSocket {
  on(event: 'error', fn: (err: NodeJS.ErrnoException) => void): void;
  connect(path: string): void;
  send(buf: Buffer, cb: (err?: Error) => void): void;
  close(): void;
  connected?: boolean;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

function unixTransport(ep: Extract<Endpoint, { protocol: 'unix' }>, view: AgentView): Transport {
  let mod: UnixDgramModule | null = null;
  let loadError = '';
  try {
    // Node has no Unix datagram sockets; this optional native module does.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('unix-dgram') as UnixDgramModule;
  } catch (err) {
    loadError = `unix-dgram is not installed (${(err as Error).message.split('\n')[0]}); cannot send to ${describe(ep)}`;
    view.onError('dogstatsd', loadError);
  }
  return {
    send(datagrams, done) {
      if (mod === null) {
        done(datagrams.length, loadError);
        return;
      }
      // unix-dgram sockets cannot be unref'd (they would keep the host
      // alive), so each flush opens one, sends synchronously and closes it.
      let failed = 0;
      let why = '';
      const m = mod;
      let s: UnixDgramSocket | null = null;
      try {
        s = m.createSocket('unix_dgram');
        const sock = s;
        sock.on('error', (err) => {
          why = `${err.code ?? err.message} on ${describe(ep)}`;
        });
        sock.connect(ep.path);
        if (sock.connected !== true) {
          done(datagrams.length, why || `cannot connect to ${describe(ep)}`);
          return;
        }
        for (const d of datagrams) {
          sock.send(d, (err) => {
            if (err) {
              failed++;
              why = `${err.message} sending to ${describe(ep)}`;
            }
          });
        }
        done(failed, why);
      } catch (err) {
        done(datagrams.length - failed, `${(err as Error).message} on ${describe(ep)}`);
      } finally {
        try {
          s?.close();
        } catch {
          // Already closed.
        }
      }
    },
    close() {},
  };
}

/** Starts the DogStatsD channel: one unref'd flush timer, one socket. */
export function createDogStatsDExporter(view: AgentView, ep: Endpoint): Exporter {
  const points = new MetricPoints(view);
  const tags = buildGlobalTags(view.config);
  const where = `dogstatsd ${describe(ep)}`;
  const refused = { n: 0 };
  const transport = ep.protocol === 'udp' ? udpTransport(ep, view, refused) : unixTransport(ep, view);
  const maxBytes = ep.protocol === 'udp' ? UDP_MAX_DATAGRAM : UDS_MAX_DATAGRAM;
  let queue: Buffer[] = [];
  const batcher = new DatagramBatcher(maxBytes, (d) => {
    queue.push(d);
  });
  const emit = (l: string) => batcher.add(l);

  const sendQueue = () => {
    const datagrams = queue;
    queue = [];
    if (batcher.oversized > 0) {
      view.onDrop(where, batcher.oversized, `line longer than ${maxBytes} bytes`);
      batcher.oversized = 0;
    }
    transport.send(datagrams, (failed, why) => {
      if (failed > 0) view.onDrop(where, failed, why);
    });
  };

  const flush = () => {
    try {
      if (refused.n > 0) {
        view.onDrop(where, refused.n, `ECONNREFUSED: nothing listens on ${describe(ep)}`);
        refused.n = 0;
      }
      points.collect();
      formatPoints(points, tags, emit);
      batcher.flush();
      sendQueue();
    } catch (err) {
      view.onError(where, err);
    }
  };

  const timer = setInterval(flush, view.config.flushIntervalMs);
  timer.unref();
  view.debug(`dogstatsd: sending to ${describe(ep)} every ${view.config.flushIntervalMs}ms, datagrams up to ${maxBytes} bytes, tags ${tags}`);

  return {
    name: 'dogstatsd',
    onTick() {
      points.observe();
    },
    onReport(report: LeakReport, file: string) {
      try {
        const what = report.suspects[0]?.title ?? report.signals.filter((s) => s.leaking).map((s) => s.name).join(', ');
        const title = `leakwatch: ${report.verdict === 'leaking' ? 'leak detected' : 'snapshot'} in ${view.config.service}`;
        const text = `${what || 'no suspect named'}\nreport: ${file}\npid ${process.pid}`;
        batcher.add(formatEvent(title, text, tags, maxBytes, `leakwatch-${view.config.service}`));
        batcher.flush();
        sendQueue();
      } catch (err) {
        view.onError(where, err);
      }
    },
    async stop() {
      clearInterval(timer);
      flush();
      // Let the last datagrams leave before the socket closes.
      await new Promise<void>((resolve) => setImmediate(resolve));
      transport.close();
    },
  };
}
