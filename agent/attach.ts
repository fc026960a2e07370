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
import * as path from 'node:path';
import type WebSocket from 'ws';
import { AttachError } from './attach-errors';
import {
  type Evaluate,
  accepts,
  closeInspector,
  connect,
  evaluator,
  exited,
  findOpenInspector,
  inspectorUrl,
  waitForInspector,
} from './attach-inspector';
import {
  findPortOwner,
  inspectorAddressOf,
  isLoopback,
  isRunning,
  listeningPortsOf,
  looksLikeNode,
  readTarget,
} from './attach-proc';
import type { ControlCommand } from './control';
import type { EntryAnswer, EntryOptions } from './attach-entry';
import { checkProcess } from './control-client';
import { MIN_NODE_MAJOR } from './version';

/** The module the target loads (compiled beside this file). */
export const ENTRY_PATH = path.join(__dirname, 'attach-entry.js');

/** How one inspector session with a target is opened and closed. */
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

/**
 * Runs `fn` with an inspector session in `pid`, opening and closing the
 * inspector around it unless the target had one open already.
 */
export async function withInspector<T>(
  pid: number,
  opts: SessionOptions,
  fn: (evaluate: Evaluate) => Promise<T>,
): Promise<{ value: T; inspector: InspectorUse }> {
  checkProcess(pid);
  if (process.platform !== 'linux') {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_UNSUPPORTED',
      `attach reads /proc to check a process before signalling it, so it runs on Linux only (this is ${process.platform}); preload leakwatch instead (node --require leakwatch/register)`,
      { pid },
    );
  }
  const target = readTarget(pid);
  if (target === null || !target.alive) throw exited(pid);
  if (target.stopped) {
    // SIGUSR1 would stay pending and open the inspector whenever it resumes,
    // long after leakwatch gave up: refuse before sending anything.
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_STOPPED',
      `pid ${pid} is stopped (SIGSTOP, ^Z or a tracer); resume it (kill -CONT ${pid}) and attach again. Nothing was sent to it.`,
      { pid },
    );
  }
  if (!target.catchesSigusr1) {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_NOT_NODE',
      `pid ${pid} (${target.exe}) is not a Node.js process that opens an inspector on SIGUSR1; nothing was sent to it`,
      { pid, exe: target.exe },
    );
  }
  if (!looksLikeNode(target.exe) && opts.anyExecutable !== true) {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_NOT_NODE',
      `pid ${pid} runs ${target.exe}, which does not look like Node.js; nothing was sent to it (if it is Node.js under another name, pass --any-executable)`,
      { pid, exe: target.exe },
    );
  }
  const addr = inspectorAddressOf(target);
  if (!isLoopback(addr.host)) {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_UNSAFE_HOST',
      `pid ${pid} would open its inspector on ${addr.host}:${addr.port}, beyond loopback (--inspect-port); leakwatch will not expose it`,
      { pid, host: addr.host },
    );
  }

  let url = await findOpenInspector(pid, addr);
  const preexisting = url !== null;
  let openedAt = 0;
  if (url === null) {
    if (addr.port !== 0 && (await accepts(addr.host, addr.port))) {
      const owner = findPortOwner(addr.port);
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_PORT_IN_USE',
        `port ${addr.host}:${addr.port}, where pid ${pid} would open its inspector, is taken by ${owner?.pid != null ? `pid ${owner.pid} (${owner.command})` : "a process leakwatch cannot see (another user's)"}; stop that process or wait until it frees the port, then run attach again. Nothing was sent to pid ${pid}.`,
        { pid, port: addr.port, holder: owner?.pid ?? null, holderCommand: owner?.command ?? null },
      );
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
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_PORT_IN_USE',
        `the inspector at ${url} belongs to pid ${String(seen)}, not ${pid}; nothing was loaded`,
        { pid, holder: seen },
      );
    }
    const node = String(await evaluate('process.version'));
    if (Number(node.slice(1).split('.')[0]) < MIN_NODE_MAJOR) {
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_NODE_VERSION',
        `pid ${pid} runs Node.js ${node}; leakwatch needs ${MIN_NODE_MAJOR} or newer. Nothing was loaded.`,
        { pid, node },
      );
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
export async function attachTo(
  pid: number,
  options: EntryOptions,
  opts: SessionOptions,
): Promise<{ answer: EntryAnswer; inspector: InspectorUse }> {
  const { value, inspector } = await withInspector(pid, opts, (evaluate) =>
    evaluate(loadExpression(`attach(${JSON.stringify(options)})`, opts.timeoutMs)),
  );
  // The agent answered, but the process may have ended right after.
  if (!isRunning(pid)) throw exited(pid);
  return { answer: value as EntryAnswer, inspector };
}

/** Sends a control command through the inspector (agents without a socket). */
export async function requestViaInspector(
  pid: number,
  cmd: ControlCommand,
  opts: SessionOptions,
): Promise<{ answer: unknown; inspector: InspectorUse }> {
  const { value, inspector } = await withInspector(pid, opts, (evaluate) =>
    evaluate(loadExpression(`request(${JSON.stringify(cmd)})`, opts.timeoutMs)),
  );
  return { answer: value, inspector };
}
