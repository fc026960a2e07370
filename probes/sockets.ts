/**
 * Every live socket and server — TCP, TLS, pipes, UDP — unref'd ones
 * included, grouped by endpoint. `process._getActiveHandles()` misses
 * unref'd sockets (measured on Node 20: a TCP or UDP socket after
 * `.unref()` is in neither it nor `getActiveResourcesInfo()`), so this goes
 * through the inspector (`Runtime.queryObjects` on EventEmitter.prototype,
 * then sorted by class).
 */
import dgram = require('node:dgram');
import { EventEmitter } from 'node:events';
import net = require('node:net');
import type { CreationRecord, SampledCreation } from './creation-sites';
import { type InspectorProbe, yieldToLoop } from './inspector-session';
import { accountSockets } from './socket-fds';

/** What a socket is, as reports name it. */
export type SocketKind = 'tcp' | 'tls' | 'pipe' | 'udp' | 'tty' | 'unknown';

/** Live sockets (or servers) with the same kind, role and endpoint. */
export interface SocketGroup {
  role: 'client' | 'accepted' | 'server' | 'udp';
  kind: SocketKind;
  /**
   * The endpoint that names the group: the remote address of a client
   * socket, the local one of an accepted socket or a server, `connecting`
   * while a connect is pending.
   */
  endpoint: string;
  count: number;
  refed: number;
  /** Up to 5 members' full endpoints (servers group by host only). */
  endpoints: string[];
  bytesRead: number;
  bytesWritten: number;
  /** Members by readyState / listening state. */
  states: Record<string, number>;
  createdWhileArmed: number;
  samples: SampledCreation[];
}

/** The live sockets and servers, grouped, with what was left out. */
export interface SocketsResult {
  groups: SocketGroup[];
  /** Destroyed or closed objects still referenced (not live handles). */
  inactive: number;
  /** Members left out by the caller's `exclude`, by filter name. */
  excluded: Record<string, number>;
  /**
   * How they were found: the ref'd handles when the kernel's fd table shows
   * nothing else, or a heap walk.
   */
  via: 'active-handles' | 'heap-walk';
  /** Own sockets known only from the fd table (not listed, not walked). */
  ownUnlisted: number;
}

/** One live member, as the caller's exclusion predicates see it. */
export interface SocketMember {
  role: SocketGroup['role'];
  kind: SocketKind;
  /** Full endpoint (with port) or pipe path. */
  exact: string;
  fd: number | null;
  record: CreationRecord | undefined;
}

/** Returns the name of the filter that excludes a member, or null. */
export type ExcludeSocket = (m: SocketMember) => string | null;

const SAMPLES_PER_GROUP = 8;
/** Sockets read between two yields to the event loop. */
const YIELD_EVERY = 250;

interface HandleLike {
  fd?: number;
  hasRef?: () => boolean;
  constructor?: { name?: string };
}

function handleOf(o: object): HandleLike | null {
  const h = (o as { _handle?: HandleLike | null })._handle;
  return typeof h === 'object' && h !== null ? h : null;
}

/** Prototype objects themselves (e.g. tls.TLSSocket.prototype) match too. */
function isPrototypeObject(o: object): boolean {
  return Object.prototype.hasOwnProperty.call(o, 'constructor');
}

/** Reads a property of a live handle that may throw (a destroyed socket). */
export function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** `host:port`, `[v6]:port`, or `unknown`. */
export function addr(host: unknown, port: unknown): string {
  if (typeof host !== 'string' || host === '') return 'unknown';
  const h = host.includes(':') ? `[${host}]` : host;
  return typeof port === 'number' ? `${h}:${port}` : h;
}

/**
 * Lists live sockets and servers.
 * @param recordOf creation records from the armed wrappers, if any
 */
export async function readLiveSockets(
  insp: InspectorProbe,
  recordOf: ((h: object) => CreationRecord | undefined) | null,
  exclude: ExcludeSocket | null = null,
  opts: { ownEndpoints?: ReadonlySet<string>; via?: SocketsResult['via'] } = {},
): Promise<SocketsResult> {
  const groups = new Map<string, SocketGroup>();
  const excluded: Record<string, number> = {};
  let inactive = 0;
  const add = (
    role: SocketGroup['role'],
    kind: SocketKind,
    endpoint: string,
    o: object,
    state: string,
    extra: { refed: boolean; fd: number | null; read: number; written: number; exact?: string },
  ) => {
    const rec = recordOf?.(o);
    const exact = extra.exact ?? endpoint;
    const why = exclude?.({ role, kind, exact, fd: extra.fd, record: rec }) ?? null;
    if (why !== null) {
      excluded[why] = (excluded[why] ?? 0) + 1;
      return;
    }
    const key = `${role}\0${kind}\0${endpoint}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        role,
        kind,
        endpoint,
        count: 0,
        refed: 0,
        endpoints: [],
        bytesRead: 0,
        bytesWritten: 0,
        states: {},
        createdWhileArmed: 0,
        samples: [],
      };
      groups.set(key, g);
    }
    g.count++;
    if (extra.refed) g.refed++;
    if (g.endpoints.length < 5 && !g.endpoints.includes(exact)) g.endpoints.push(exact);
    g.bytesRead += extra.read;
    g.bytesWritten += extra.written;
    g.states[state] = (g.states[state] ?? 0) + 1;
    if (rec !== undefined) {
      g.createdWhileArmed++;
      if (rec !== 1 && g.samples.length < SAMPLES_PER_GROUP) g.samples.push(rec);
    }
  };

  // One heap walk for all three kinds: each `queryObjects` forces a full
  // GC, and sockets, servers and UDP sockets are all EventEmitters.
  const acc = opts.via === 'heap-walk' ? null : accountSockets(fdOf, opts.ownEndpoints ?? new Set());
  const emitters = acc?.handles ?? ((await insp.queryObjects(EventEmitter.prototype)) as object[]);
  const sockets: net.Socket[] = [];
  const servers: net.Server[] = [];
  const udp: dgram.Socket[] = [];
  for (const o of emitters) {
    if (isPrototypeObject(o)) continue;
    if (o instanceof net.Socket) sockets.push(o);
    else if (o instanceof net.Server) servers.push(o);
    else if (o instanceof dgram.Socket) udp.push(o);
  }
  emitters.length = 0;

  let seen = 0;
  for (const o of sockets) {
    // Reading endpoints costs syscalls: let the host's loop run now and then.
    if (++seen % YIELD_EVERY === 0) await yieldToLoop();
    const s = o as net.Socket & { server?: unknown; encrypted?: boolean; pending?: boolean };
    if (s.destroyed) {
      inactive++;
      continue;
    }
    const h = handleOf(s);
    const hname = h?.constructor?.name ?? '';
    const kind: SocketKind =
      s.encrypted === true
        ? 'tls'
        : hname === 'Pipe'
          ? 'pipe'
          : hname === 'TTY'
            ? 'tty'
            : hname === 'TCP'
              ? 'tcp'
              : 'unknown';
    const accepted = s.server !== undefined && s.server !== null;
    const rec = recordOf?.(s);
    // A pipe client has no peer address to read: use the connect target.
    const target = rec !== undefined && rec !== 1 ? rec.target : undefined;
    const endpoint = accepted
      ? serverEndpoint(s.server, () =>
          addr(
            safe(() => s.localAddress, undefined),
            safe(() => s.localPort, undefined),
          ),
        )
      : s.connecting || s.pending === true
        ? 'connecting'
        : kind === 'pipe' && target !== undefined
          ? target
          : addr(
              safe(() => s.remoteAddress, undefined),
              safe(() => s.remotePort, undefined),
            );
    add(
      accepted ? 'accepted' : 'client',
      kind,
      endpoint,
      s,
      safe(() => s.readyState, 'unknown'),
      {
        refed: safe(() => h?.hasRef?.() ?? false, false),
        fd: typeof h?.fd === 'number' && h.fd >= 0 ? h.fd : null,
        read: safe(() => s.bytesRead, 0),
        written: safe(() => s.bytesWritten, 0),
      },
    );
  }

  for (const s of servers) {
    const h = handleOf(s);
    if (!s.listening || h === null) {
      inactive++;
      continue;
    }
    // Servers each get their own port: group by host, list ports in detail.
    const a = safe(() => s.address(), null);
    const endpoint = typeof a === 'string' ? a : a === null ? 'unknown' : addr(a.address, undefined);
    const kind: SocketKind = h.constructor?.name === 'Pipe' ? 'pipe' : 'tcp';
    const exact = typeof a === 'string' ? a : a === null ? 'unknown' : addr(a.address, a.port);
    add('server', kind, endpoint, s, 'listening', {
      refed: safe(() => h.hasRef?.() ?? false, false),
      fd: typeof h.fd === 'number' && h.fd >= 0 ? h.fd : null,
      read: 0,
      written: 0,
      exact,
    });
  }

  for (const s of udp) {
    const state = udpState(s);
    if (state === null) {
      inactive++;
      continue;
    }
    const remote = safe(() => s.remoteAddress(), null);
    const local = safe(() => s.address(), null);
    // Unconnected UDP sockets each bind their own port: group them together.
    const endpoint =
      remote !== null
        ? addr(remote.address, remote.port)
        : local !== null
          ? `unconnected on ${addr(local.address, undefined)}`
          : 'unbound';
    add('udp', 'udp', endpoint, s, remote !== null ? 'connected' : local !== null ? 'bound' : 'unbound', {
      refed: safe(() => state.hasRef?.() ?? false, false),
      fd: typeof state.fd === 'number' && state.fd >= 0 ? state.fd : null,
      read: 0,
      written: 0,
      exact:
        remote !== null
          ? addr(remote.address, remote.port)
          : local !== null
            ? addr(local.address, local.port)
            : 'unbound',
    });
  }
  return {
    groups: [...groups.values()],
    inactive,
    excluded,
    via: acc === null ? 'heap-walk' : 'active-handles',
    ownUnlisted: acc?.own ?? 0,
  };
}

/** The fd of a socket, server or UDP socket object; null otherwise. */
function fdOf(o: object): number | null {
  let fd: unknown;
  if (o instanceof net.Socket || o instanceof net.Server) fd = handleOf(o)?.fd;
  else if (o instanceof dgram.Socket) fd = udpState(o)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** A server's address: a pipe path, else what `fallback` gives. */
function serverEndpoint(server: unknown, fallback: () => string): string {
  const a = safe(() => (server as net.Server).address(), null);
  return typeof a === 'string' ? a : fallback();
}

/**
 * The UDP handle, or null once closed. dgram keeps it behind a private
 * symbol (`Symbol('state symbol')` in lib/dgram.js), found by description.
 */
function udpState(s: dgram.Socket): HandleLike | null {
  for (const sym of Object.getOwnPropertySymbols(s)) {
    if (sym.description !== 'state symbol') continue;
    const st = (s as unknown as Record<symbol, { handle?: HandleLike | null }>)[sym];
    return st?.handle ?? null;
  }
  return null;
}
