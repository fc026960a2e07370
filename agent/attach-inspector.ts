/**
 * A target's inspector, from the outside: finding one that is open,
 * waiting for one to open after SIGUSR1, evaluating over its WebSocket, and
 * closing it again with a check that the port refuses connections (./attach
 * decides when).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type WebSocket from 'ws';
import { AttachError } from './attach-errors';
import { type InspectorAddress, isLoopback, isRunning, listeningPortsOf } from './attach-proc';

const POLL_MS = 25;

/** Evaluates an expression in the target (awaiting a returned promise) and resolves with its value. */
export type Evaluate = (expression: string) => Promise<unknown>;

/** The error for a target that exited while leakwatch was attaching to it. */
export function exited(pid: number): AttachError {
  return new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `pid ${pid} exited while leakwatch was attaching`, {
    pid,
  });
}

/** The target's own inspector, if it has one open (started with --inspect, or inspector.open()). */
export async function findOpenInspector(pid: number, addr: InspectorAddress): Promise<string | null> {
  for (const l of listeningPortsOf(pid)) {
    if (addr.port !== 0 && l.port !== addr.port && !addr.inspectFlag) continue;
    if (!isLoopback(l.host) && l.host !== '0.0.0.0' && l.host !== '::') continue;
    const url = await inspectorUrl(isLoopback(l.host) ? l.host : '127.0.0.1', l.port, 1_000);
    if (url !== null) return url;
  }
  return null;
}

/** Polls until the inspector answers /json/list, the target dies, or time runs out. */
export async function waitForInspector(
  pid: number,
  addr: InspectorAddress,
  before: Set<number>,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) throw exited(pid);
    const ports =
      addr.port !== 0
        ? [addr.port]
        : listeningPortsOf(pid)
            .map((l) => l.port)
            .filter((p) => !before.has(p));
    for (const port of ports) {
      const url = await inspectorUrl(addr.host, port, 500);
      if (url !== null) return url;
    }
    await sleep(POLL_MS);
  }
  throw new AttachError(
    'LEAKWATCH_ERR_ATTACH_TIMEOUT',
    `pid ${pid} did not open its inspector within ${timeoutMs} ms of SIGUSR1 (does it handle SIGUSR1 itself, or run with --disable-sigusr1?)`,
    { pid },
  );
}

/** The webSocketDebuggerUrl from http://host:port/json/list, or null. */
export function inspectorUrl(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/json/list', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > 65_536) req.destroy();
      });
      res.on('end', () => {
        try {
          const list = JSON.parse(body) as { type?: string; webSocketDebuggerUrl?: string }[];
          const entry = list.find((e) => e.type === 'node' && typeof e.webSocketDebuggerUrl === 'string');
          resolve(entry?.webSocketDebuggerUrl ?? null);
        } catch {
          resolve(null);
        }
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** True when something accepts TCP connections there. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1_000, () => {
      s.destroy();
      resolve(true);
    });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Opens the inspector WebSocket at `url`.
 * @param timeoutMs how long the handshake may take (ms)
 */
export function connect(url: string, timeoutMs: number): Promise<WebSocket> {
  // Loaded only by the CLI, only when attaching.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WS = require('ws') as typeof WebSocket;
  return new Promise((resolve, reject) => {
    const ws = new WS(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** V8's answer to a pending evaluate when the target's context goes away (process exit). */
const CONTEXT_DESTROYED = 'Execution context was destroyed.';

/** Runtime.evaluate over the session; returns the value or throws the exception's text. */
export function evaluator(ws: WebSocket, pid: number, timeoutMs: number): Evaluate {
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (data) => {
    let msg: {
      id?: number;
      result?: {
        result?: { value?: unknown };
        exceptionDetails?: { text?: string; exception?: { description?: string } };
      };
      error?: { message?: string };
    };
    try {
      msg = JSON.parse(String(data)) as typeof msg;
    } catch {
      return;
    }
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (p === undefined) return;
    pending.delete(msg.id as number);
    const ex = msg.result?.exceptionDetails;
    if (msg.error?.message === CONTEXT_DESTROYED) {
      // The target is exiting, and Node makes it wait for connected
      // sessions: let it go.
      p.reject(
        new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `pid ${pid} exited while leakwatch was attaching`, {
          pid,
        }),
      );
      ws.terminate();
    } else if (msg.error !== undefined) p.reject(new Error(msg.error.message ?? 'inspector error'));
    else if (ex !== undefined) p.reject(new Error(ex.exception?.description ?? ex.text ?? 'exception in the target'));
    else p.resolve(msg.result?.result?.value);
  });
  ws.on('close', () => {
    for (const p of pending.values())
      p.reject(
        new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `the inspector of pid ${pid} closed the connection`, {
          pid,
        }),
      );
    pending.clear();
  });
  ws.on('error', () => {});
  return (expression) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      // A stopped or wedged target never answers; the CLI must not hang.
      const timer = setTimeout(() => {
        if (!pending.delete(id)) return;
        reject(
          new AttachError(
            'LEAKWATCH_ERR_ATTACH_TIMEOUT',
            `pid ${pid} did not answer the inspector within ${timeoutMs} ms (is its event loop blocked?)`,
            { pid },
          ),
        );
      }, timeoutMs);
      timer.unref();
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(
        JSON.stringify({
          id,
          method: 'Runtime.evaluate',
          params: { expression, returnByValue: true, awaitPromise: true, includeCommandLineAPI: true },
        }),
        (err) => {
          if (err) {
            pending.delete(id);
            reject(err);
          }
        },
      );
    });
}

/**
 * Has the target close its inspector (scheduled inside it, so our session
 * is not waited for), then checks the port refuses connections.
 * @throws AttachError INSPECTOR_OPEN when it stays open
 */
export async function closeInspector(
  ws: WebSocket | null,
  evaluate: Evaluate | null,
  pid: number,
  url: string,
  timeoutMs: number,
): Promise<void> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  if (ws === null || evaluate === null || ws.readyState !== ws.OPEN) {
    // The first connection failed or dropped: one more try, or the port
    // would stay open.
    try {
      ws?.terminate();
      ws = await connect(url, timeoutMs);
      evaluate = evaluator(ws, pid, timeoutMs);
      // Reconnected: only close an inspector that is the target's.
      if ((await evaluate('process.pid')) !== pid) {
        ws.terminate();
        ws = null;
      }
    } catch {
      ws?.terminate();
      ws = null;
    }
  }
  if (ws !== null && evaluate !== null && ws.readyState === ws.OPEN) {
    try {
      await evaluate(
        "setTimeout(() => { try { process.getBuiltinModule ? process.getBuiltinModule('inspector').close() : require('inspector').close(); } catch {} }, 0); true",
      );
    } catch {
      // The target may have exited or be wedged; the port check below tells.
    }
  }
  ws?.terminate();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid) || !(await accepts(host, Number(port)))) return;
    await sleep(POLL_MS);
  }
  throw new AttachError(
    'LEAKWATCH_ERR_ATTACH_INSPECTOR_OPEN',
    `the inspector of pid ${pid} is still open at ${host}:${port}; close it from inside the process (require('inspector').close()) or restart it`,
    { pid, port: Number(port) },
  );
}

function sleep(ms: number): Promise<void> {
  // The CLI's own wait, not the host's: it must keep the CLI alive.
  // eslint-disable-next-line leakwatch/timer-unref
  return new Promise((resolve) => setTimeout(resolve, ms));
}
