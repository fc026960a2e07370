/**
 * The attach client: opens a running Node.js process's inspector
 * (SIGUSR1, as `process._debugProcess` sends it), loads the agent through
 * `Runtime.evaluate`, checks that it answers, and closes the inspector
 * again. Also the inspector fallback of status/snapshot/detach.
 *
 * Safety, in order: nothing is signalled unless /proc shows a Node.js
 * process that catches SIGUSR1 (for any other process SIGUSR1 is fatal);
 * nothing is loaded unless the inspector that answers reports the target's
 * pid; the inspector leakwatch opened is closed in every outcome and the
 * port is checked to refuse connections before `attach` returns.
 * Node: https://nodejs.org/api/process.html#signal-events (SIGUSR1),
 * https://nodejs.org/api/inspector.html#inspectorclose
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type WebSocket from 'ws';
import { AttachError } from './attach-errors';
import {
  type InspectorAddress, findPortOwner, inspectorAddressOf, isLoopback, isRunning,
  listeningPortsOf, looksLikeNode, readTarget,
} from './attach-proc';
import type { ControlCommand } from './control';
import type { EntryAnswer, EntryOptions } from './attach-entry';
import { checkProcess } from './control-client';
import { MIN_NODE_MAJOR } from './version';

/** The module the target loads (compiled beside this file). */
export const ENTRY_PATH = path.join(__dirname, 'attach-entry.js');
const POLL_MS = 25;

export interface SessionOptions {
  /** How long to wait for the inspector to open and to close (ms). */
  timeoutMs: number;
  /** Accept an executable whose name does not look like node. */
  anyExecutable?: boolean;
}

/** How the inspector was used, for the CLI to report. */
export interface InspectorUse {
  url: string;
  /** The target had its own inspector open; it was used and left open. */
  preexisting: boolean;
  /** ms the inspector leakwatch opened was open (0 when preexisting). */
  openMs: number;
}

type Evaluate = (expression: string) => Promise<unknown>;

/**
 * Runs `fn` with an inspector session in `pid`, opening and closing the
 * inspector around it unless the target had one open already.
 */
export async function withInspector<T>(pid: number, opts: SessionOptions, fn: (evaluate: Evaluate) => Promise<T>): Promise<{ value: T; inspector: InspectorUse }> {
  checkProcess(pid);
  if (process.platform !== 'linux') {
    throw new AttachError('LEAKWATCH_ERR_ATTACH_UNSUPPORTED', `attach reads /proc to check a process before signalling it, so it runs on Linux only (this is ${process.platform}); preload leakwatch instead (node --require leakwatch/register)`, { pid });
  }
  const target = readTarget(pid);
  if (target === null || !target.alive) throw exited(pid);
  if (target.stopped) {
    // SIGUSR1 would stay pending and open the inspector whenever it resumes,
    // long after leakwatch gave up: refuse before sending anything.
    throw new AttachError('LEAKWATCH_ERR_ATTACH_STOPPED', `pid ${pid} is stopped (SIGSTOP, ^Z or a tracer); resume it (kill -CONT ${pid}) and attach again. Nothing was sent to it.`, { pid });
  }
  if (!target.catchesSigusr1) {
    throw new AttachError('LEAKWATCH_ERR_ATTACH_NOT_NODE',
      `pid ${pid} (${target.exe}) is not a Node.js process that opens an inspector on SIGUSR1; nothing was sent to it`, { pid, exe: target.exe });
  }
  if (!looksLikeNode(target.exe) && opts.anyExecutable !== true) {
    throw new AttachError('LEAKWATCH_ERR_ATTACH_NOT_NODE',
      `pid ${pid} runs ${target.exe}, which does not look like Node.js; nothing was sent to it (if it is Node.js under another name, pass --any-executable)`, { pid, exe: target.exe });
  }
  const addr = inspectorAddressOf(target);
  if (!isLoopback(addr.host)) {
    throw new AttachError('LEAKWATCH_ERR_ATTACH_UNSAFE_HOST',
      `pid ${pid} would open its inspector on ${addr.host}:${addr.port}, beyond loopback (--inspect-port); leakwatch will not expose it`, { pid, host: addr.host });
  }

  let url = await findOpenInspector(pid, addr);
  const preexisting = url !== null;
  let openedAt = 0;
  if (url === null) {
    if (addr.port !== 0 && (await accepts(addr.host, addr.port))) {
      const owner = findPortOwner(addr.port);
      throw new AttachError('LEAKWATCH_ERR_ATTACH_PORT_IN_USE',
        `port ${addr.host}:${addr.port}, where pid ${pid} would open its inspector, is taken by ${owner?.pid != null ? `pid ${owner.pid} (${owner.command})` : 'a process leakwatch cannot see (another user\'s)'}; stop that process or wait until it frees the port, then run attach again. Nothing was sent to pid ${pid}.`,
        { pid, port: addr.port, holder: owner?.pid ?? null, holderCommand: owner?.command ?? null });
    }
    const before = new Set(listeningPortsOf(pid).map((l) => l.port));
    openedAt = Date.now();
    (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
    try {
      url = await waitForInspector(pid, addr, before, opts.timeoutMs);
    } catch (err) {
      // An inspector that opens just after the deadline must not stay open.
      const late = addr.port !== 0 ? await inspectorUrl(addr.host, addr.port, 1_000) : null;
      if (late !== null) await closeInspector(null, null, pid, late, opts.timeoutMs).catch(() => {});
      throw err;
    }
  }
  const inspector: InspectorUse = { url, preexisting, openMs: 0 };
  let ws: WebSocket | null = null;
  let evaluate: Evaluate | null = null;
  // Until the inspector proves to be the target's, it is not ours to close.
  let foreign = false;
  try {
    ws = await connect(url, opts.timeoutMs);
    evaluate = evaluator(ws, pid, opts.timeoutMs);
    const seen = await evaluate('process.pid');
    if (seen !== pid) {
      foreign = true;
      throw new AttachError('LEAKWATCH_ERR_ATTACH_PORT_IN_USE', `the inspector at ${url} belongs to pid ${String(seen)}, not ${pid}; nothing was loaded`, { pid, holder: seen });
    }
    const node = String(await evaluate('process.version'));
    if (Number(node.slice(1).split('.')[0]) < MIN_NODE_MAJOR) {
      throw new AttachError('LEAKWATCH_ERR_ATTACH_NODE_VERSION', `pid ${pid} runs Node.js ${node}; leakwatch needs ${MIN_NODE_MAJOR} or newer. Nothing was loaded.`, { pid, node });
    }
    const value = await fn(evaluate);
    return { value, inspector };
  } catch (err) {
    if ((err as AttachError).code === 'LEAKWATCH_ERR_ATTACH_TARGET_EXITED' || !isRunning(pid)) throw exited(pid);
    throw err;
  } finally {
    if (!preexisting && !foreign) {
      await closeInspector(ws, evaluate, pid, url, opts.timeoutMs);
      inspector.openMs = Date.now() - openedAt;
    } else {
      ws?.terminate();
    }
  }
}

function exited(pid: number): AttachError {
  return new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `pid ${pid} exited while leakwatch was attaching`, { pid });
}

/** The target's own inspector, if it has one open (started with --inspect, or inspector.open()). */
async function findOpenInspector(pid: number, addr: InspectorAddress): Promise<string | null> {
  for (const l of listeningPortsOf(pid)) {
    if (addr.port !== 0 && l.port !== addr.port && !addr.inspectFlag) continue;
    if (!isLoopback(l.host) && l.host !== '0.0.0.0' && l.host !== '::') continue;
    const url = await inspectorUrl(isLoopback(l.host) ? l.host : '127.0.0.1', l.port, 1_000);
    if (url !== null) return url;
  }
  return null;
}

/** Polls until the inspector answers /json/list, the target dies, or time runs out. */
async function waitForInspector(pid: number, addr: InspectorAddress, before: Set<number>, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) throw exited(pid);
    const ports = addr.port !== 0 ? [addr.port] : listeningPortsOf(pid).map((l) => l.port).filter((p) => !before.has(p));
    for (const port of ports) {
      const url = await inspectorUrl(addr.host, port, 500);
      if (url !== null) return url;
    }
    await sleep(POLL_MS);
  }
  throw new AttachError('LEAKWATCH_ERR_ATTACH_TIMEOUT',
    `pid ${pid} did not open its inspector within ${timeoutMs} ms of SIGUSR1 (does it handle SIGUSR1 itself, or run with --disable-sigusr1?)`, { pid });
}

/** The webSocketDebuggerUrl from http://host:port/json/list, or null. */
function inspectorUrl(host: string, port: number, timeoutMs: number): Promise<string | null> {
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

function connect(url: string, timeoutMs: number): Promise<WebSocket> {
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
function evaluator(ws: WebSocket, pid: number, timeoutMs: number): Evaluate {
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (data) => {
    let msg: { id?: number; result?: { result?: { value?: unknown }; exceptionDetails?: { text?: string; exception?: { description?: string } } }; error?: { message?: string } };
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
      p.reject(new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `pid ${pid} exited while leakwatch was attaching`, { pid }));
      ws.terminate();
    } else if (msg.error !== undefined) p.reject(new Error(msg.error.message ?? 'inspector error'));
    else if (ex !== undefined) p.reject(new Error(ex.exception?.description ?? ex.text ?? 'exception in the target'));
    else p.resolve(msg.result?.result?.value);
  });
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new AttachError('LEAKWATCH_ERR_ATTACH_TARGET_EXITED', `the inspector of pid ${pid} closed the connection`, { pid }));
    pending.clear();
  });
  ws.on('error', () => {});
  return (expression) => new Promise((resolve, reject) => {
    const id = ++nextId;
    // A stopped or wedged target never answers; the CLI must not hang.
    const timer = setTimeout(() => {
      if (!pending.delete(id)) return;
      reject(new AttachError('LEAKWATCH_ERR_ATTACH_TIMEOUT', `pid ${pid} did not answer the inspector within ${timeoutMs} ms (is its event loop blocked?)`, { pid }));
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
    ws.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, returnByValue: true, awaitPromise: true, includeCommandLineAPI: true } }), (err) => {
      if (err) {
        pending.delete(id);
        reject(err);
      }
    });
  });
}

/**
 * Has the target close its inspector (scheduled inside it, so our session
 * is not waited for), then checks the port refuses connections.
 * @throws AttachError INSPECTOR_OPEN when it stays open
 */
async function closeInspector(ws: WebSocket | null, evaluate: Evaluate | null, pid: number, url: string, timeoutMs: number): Promise<void> {
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
      await evaluate("setTimeout(() => { try { process.getBuiltinModule ? process.getBuiltinModule('inspector').close() : require('inspector').close(); } catch {} }, 0); true");
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
  throw new AttachError('LEAKWATCH_ERR_ATTACH_INSPECTOR_OPEN',
    `the inspector of pid ${pid} is still open at ${host}:${port}; close it from inside the process (require('inspector').close()) or restart it`, { pid, port: Number(port) });
}

function sleep(ms: number): Promise<void> {
  // The CLI's own wait, not the host's: it must keep the CLI alive.
  // eslint-disable-next-line leakwatch/timer-unref
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The expression that loads attach-entry in the target, CommonJS or ESM alike. */
function loadExpression(call: string, timeoutMs: number): string {
  const entry = JSON.stringify(ENTRY_PATH);
  // In an ES module `require` is not global: createRequire from the module
  // builtin (process.getBuiltinModule, Node ≥ 20.16; else the inspector's
  // command-line `require`).
  // Run from setImmediate, in an ordinary turn of the target's event loop,
  // not inside the inspector's message dispatch: a target that exits
  // meanwhile then answers "context destroyed" instead of hanging the
  // session (Node waits for connected sessions before it exits).
  // A loop blocked past the CLI's deadline must not start the agent after
  // the CLI has reported failure.
  return `(() => { const m = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('module') : require('module'); const r = m.createRequire(${entry}); const deadline = Date.now() + ${Math.max(0, timeoutMs - 500)}; return new Promise((resolve, reject) => setImmediate(() => { if (Date.now() > deadline) { reject(new Error('leakwatch gave up waiting; nothing was started')); return; } try { resolve(r(${entry}).${call}); } catch (e) { reject(e); } })); })()`;
}

/** Attaches: loads and starts the agent in `pid`. */
export async function attachTo(pid: number, options: EntryOptions, opts: SessionOptions): Promise<{ answer: EntryAnswer; inspector: InspectorUse }> {
  const { value, inspector } = await withInspector(pid, opts, (evaluate) => evaluate(loadExpression(`attach(${JSON.stringify(options)})`, opts.timeoutMs)));
  // The agent answered, but the process may have ended right after.
  if (!isRunning(pid)) throw exited(pid);
  return { answer: value as EntryAnswer, inspector };
}

/** Sends a control command through the inspector (agents without a socket). */
export async function requestViaInspector(pid: number, cmd: ControlCommand, opts: SessionOptions): Promise<{ answer: unknown; inspector: InspectorUse }> {
  const { value, inspector } = await withInspector(pid, opts, (evaluate) => evaluate(loadExpression(`request(${JSON.stringify(cmd)})`, opts.timeoutMs)));
  return { answer: value, inspector };
}
