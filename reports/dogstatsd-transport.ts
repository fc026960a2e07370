/**
 * DogStatsD transports (I/O): a connected, unref'd UDP socket, and Unix
 * datagram sockets through the optional `unix-dgram` package, opened per
 * flush because they cannot be unref'd. See the README (Runtime metrics).
 */
import type * as dgram from 'node:dgram';
import type { AgentView } from '../agent/agent-view';
import { type Endpoint, formatEndpoint } from '../agent/endpoint';

/** Why a send failed, worded the same whichever path reported it. */
function sendError(err: unknown, ep: Endpoint): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `ECONNREFUSED: nothing listens on ${formatEndpoint(ep)}`;
  return `${code ?? (err as Error).message} sending to ${formatEndpoint(ep)}`;
}

/** A datagram sink: one per endpoint kind. */
export interface Transport {
  /** Sends the datagrams; reports how many failed and why. */
  send(datagrams: readonly Buffer[], done: (failed: number, why: string) => void): void;
  close(): void;
}

/** A connected UDP socket to the agent: each refused datagram is counted in `refused`, never hidden. Unref'd. */
export function udpTransport(
  ep: Extract<Endpoint, { protocol: 'udp' }>,
  view: AgentView,
  refused: { n: number },
): Transport {
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
      else view.onError('dogstatsd socket', `${err.code ?? err.message} on ${formatEndpoint(ep)}`);
    });
    socket = s;
    state = 'connecting';
    s.connect(ep.port, ep.host, (err?: Error) => {
      if (socket !== s) return;
      if (err) {
        connectError = `${(err as NodeJS.ErrnoException).code ?? err.message} connecting to ${formatEndpoint(ep)}`;
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
        const why =
          state === 'connecting'
            ? `still connecting to ${formatEndpoint(ep)}`
            : connectError || `not connected to ${formatEndpoint(ep)}`;
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
        // Never more than this flush's datagrams and the one before them.
        if (--pending === 0) done(Math.min(failed, datagrams.length + 1), why);
      };
      if (pending === 0) done(0, '');
      for (const d of datagrams) {
        try {
          s.send(d, (err) => {
            if (err) {
              // A refused send stands for two lost datagrams: this one, which
              // the kernel did not send, and the earlier one whose "port
              // unreachable" it reports (a socket holds one pending error).
              failed += (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 2 : 1;
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

/** unix-dgram reports libuv's negative errno as `code` (-2): named as Node names it (ENOENT). */
function errnoName(err: NodeJS.ErrnoException): string {
  const code = err.code as unknown;
  if (typeof code === 'number' && code < 0) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('node:util') as typeof import('node:util')).getSystemErrorName(code);
    } catch {
      return String(code);
    }
  }
  return err.code ?? err.message;
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

/** A Unix datagram socket through the optional `unix-dgram` module; without it, every send fails with the reason. */
export function unixTransport(ep: Extract<Endpoint, { protocol: 'unix' }>, view: AgentView): Transport {
  let mod: UnixDgramModule | null = null;
  let loadError = '';
  try {
    // Node has no Unix datagram sockets; this optional native module does.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('unix-dgram') as UnixDgramModule;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Installed but built for another Node version (another ABI) is the
    // usual failure after an upgrade of Node: say how to fix it.
    const why =
      e.code === 'MODULE_NOT_FOUND'
        ? 'unix-dgram, an optional dependency, is not installed (`npm install unix-dgram`)'
        : `unix-dgram could not be loaded (${String(e.message).replace(/\s*\n\s*/g, ' ')} \`npm rebuild unix-dgram\` builds it for this Node)`;
    loadError = `${why}; cannot send to ${formatEndpoint(ep)}`;
    // Every send would fail: one line whatever the debug mode, since the
    // metric that counts the drops would go the same way.
    view.onChannelDown('dogstatsd', loadError);
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
          why = `${errnoName(err)} on ${formatEndpoint(ep)}`;
        });
        sock.connect(ep.path);
        if (sock.connected !== true) {
          done(datagrams.length, why || `cannot connect to ${formatEndpoint(ep)}`);
          return;
        }
        for (const d of datagrams) {
          sock.send(d, (err) => {
            if (err) {
              failed++;
              why = `${err.message} sending to ${formatEndpoint(ep)}`;
            }
          });
        }
        done(failed, why);
      } catch (err) {
        done(datagrams.length - failed, `${(err as Error).message} on ${formatEndpoint(ep)}`);
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
