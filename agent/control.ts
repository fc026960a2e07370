/**
 * The control channel every agent opens (preloaded or attached), so that
 * `leakwatch status|snapshot|detach <pid>` work without the inspector.
 *
 * A Unix socket `${tmpdir}/leakwatch-${uid}/${pid}.sock` in a directory
 * that is the user's own and mode 0700: only that user (and root) can reach
 * it, which is exactly who may signal the process anyway. The protocol is
 * one JSON line in, one JSON line out, then the server closes the
 * connection. The server and every connection are unref'd: the channel never
 * keeps the host alive.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { LeakwatchAgent } from './agent';
import {
  controlSocketPath,
  currentUid,
  ensurePrivateDir,
  removeDeadPeers,
  removeIfRefused,
  socketFileExists,
} from './control-files';
import { describeAgent } from './control-status';

/** Protocol version; a client refuses answers of another major. */
export const CONTROL_PROTOCOL = 1;
/** A request longer than this is refused (it is a one-word command). */
const MAX_REQUEST_BYTES = 4_096;
/** A connection idle this long is dropped. */
const IDLE_TIMEOUT_MS = 10_000;

/** The process-wide holders shared by every copy of leakwatch loaded. */
export const AGENT_KEY = Symbol.for('leakwatch.agent');
const CONTROL_KEY = Symbol.for('leakwatch.control');
/** `sun_path` is 108 bytes on Linux, the terminating NUL included (104 on macOS). */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
/** Set by attach-entry: when and how this agent was attached. */
export const ATTACHED_KEY = Symbol.for('leakwatch.attached');

/** The commands the control socket answers. */
export type ControlCommand = 'status' | 'snapshot' | 'detach' | 'metrics';

/** One request line on the control socket; `v` is the protocol version the client speaks. */
export interface ControlRequest {
  cmd: ControlCommand;
  v?: number;
  /**
   * `metrics`: the Prometheus address (`host:port`) the asking agent serves;
   * answered only by an agent configured for that address that could not
   * bind it (reports/prometheus-cluster.ts).
   */
  address?: string;
}

/** The one answer line: the command's fields, or a stable error `code` and a message. */
export type ControlResponse =
  ({ ok: true; v: number } & Record<string, unknown>) | { ok: false; v: number; code: string; message: string };

/** What the control server needs of an agent. */
export type ControlledAgent = Pick<
  LeakwatchAgent,
  'config' | 'state' | 'self' | 'history' | 'readings' | 'startedAt' | 'snapshot' | 'stop' | 'debug' | 'onError'
>;

/** The agent's listening control socket. */
export interface ControlServer {
  readonly path: string;
  /** Closes the server and removes the socket file. Idempotent. */
  close(): void;
}

/**
 * The process-wide slots (on `globalThis`, under registered symbols) that find
 * the running agent, its control server and its attach record.
 */
export type Holder = { [AGENT_KEY]?: unknown; [CONTROL_KEY]?: ControlServer; [ATTACHED_KEY]?: AttachedMark };

/** What attach-entry records about an attached agent. */
export interface AttachedMark {
  readonly at: number;
  /** The modules loaded by the attach, dropped from the cache on detach. */
  readonly root: string;
  /** The `--duration` timer, if any. */
  timer?: NodeJS.Timeout;
}

/**
 * Opens the control socket for `agent`. One per process: when another agent
 * in this process already has one, returns null. Never throws; a failure
 * is counted in the agent's errors and explained in debug mode.
 */
export function startControl(agent: ControlledAgent): ControlServer | null {
  const holder = globalThis as Holder;
  if (holder[CONTROL_KEY] !== undefined) {
    agent.debug(`control: another agent in this process owns ${holder[CONTROL_KEY].path}; none opened for this one`);
    return null;
  }
  if (currentUid() < 0) {
    agent.debug('control: no Unix user ids on this platform; control channel off');
    return null;
  }
  const file = controlSocketPath(process.pid);
  const dir = path.dirname(file);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES) {
    // The kernel would cut the path, and the socket would land outside the
    // private directory.
    agent.debug(
      `control: ${file} is longer than a Unix socket path may be (${MAX_SOCKET_PATH_BYTES} bytes); control channel off (a shorter TMPDIR fixes it)`,
    );
    return null;
  }
  let leftover: boolean;
  try {
    ensurePrivateDir(dir);
    leftover = socketFileExists(file);
  } catch (err) {
    agent.onError('control', err);
    return null;
  }
  const server = net.createServer({ allowHalfOpen: false }, (socket) => serve(agent, socket));
  let closed = false;
  let bound = false;
  const removeFile = (): void => {
    // Only a file this process bound: never another process's.
    if (!bound) return;
    try {
      fs.unlinkSync(file);
    } catch {
      // Already gone (libuv removes it when the server closes).
    }
  };
  const control: ControlServer = {
    path: file,
    close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', removeFile);
      if (holder[CONTROL_KEY] === control) delete holder[CONTROL_KEY];
      try {
        server.close();
      } catch (err) {
        agent.onError('control close', err);
      }
      removeFile();
    },
  };
  server.on('error', (err) => {
    agent.onError('control', err);
    control.close();
  });
  const listen = (): void => {
    if (closed) return;
    // exclusive: in a cluster worker a shared listen is made by the
    // primary, which would then own this process's socket.
    // https://nodejs.org/api/net.html#serverlistenoptions-callback
    server.listen({ path: file, exclusive: true }, () => {
      try {
        // The umask may have left group/other bits; the directory is what
        // guards access, this is a second lock.
        fs.chmodSync(file, 0o600);
      } catch (err) {
        agent.onError('control chmod', err);
      }
      agent.debug(`control: listening on ${file}`);
    });
    bound = true;
    // Another process's leftovers never cost this agent its own socket.
    removeDeadPeers(dir, (message) => agent.debug(message));
  };
  if (!leftover) {
    listen();
  } else {
    // A socket under this pid: left by a dead process that had it, or the
    // live one of a process with the same pid in another pid namespace
    // sharing this directory. Only a refused connection makes it stale.
    removeIfRefused(file, (state) => {
      if (closed) return;
      if (state === 'live') {
        agent.debug(
          `control: ${file} answers: a process with pid ${process.pid} in another pid namespace owns it; control channel off`,
        );
        control.close();
        return;
      }
      listen();
    });
  }
  server.unref();
  // A process that exits without stop() would leave the file behind.
  process.once('exit', removeFile);
  holder[CONTROL_KEY] = control;
  return control;
}

function serve(agent: ControlledAgent, socket: net.Socket): void {
  socket.unref();
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  let buf = '';
  let handled = false;
  socket.on('data', (chunk: Buffer) => {
    if (handled) return;
    buf += chunk.toString('utf8');
    const nl = buf.indexOf('\n');
    if (nl < 0 && buf.length <= MAX_REQUEST_BYTES) return;
    handled = true;
    const line = nl < 0 ? '' : buf.slice(0, nl);
    handleLine(agent, line).then(
      (res) => socket.end(`${JSON.stringify(res.response)}\n`, res.after),
      (err: unknown) => {
        agent.onError('control', err);
        socket.destroy();
      },
    );
  });
}

/**
 * Answers one request line. `after` runs once the answer is sent (detach
 * answers first, then stops: the agent's stop closes this very socket).
 */
async function handleLine(
  agent: ControlledAgent,
  line: string,
): Promise<{ response: ControlResponse; after?: () => void }> {
  let req: ControlRequest;
  try {
    req = JSON.parse(line) as ControlRequest;
  } catch {
    return { response: fail('LEAKWATCH_ERR_CONTROL_REQUEST', 'not a JSON request line') };
  }
  return handleRequest(agent, req);
}

/**
 * Answers a control request. Also called through the inspector by
 * `status|snapshot|detach --inspector` for an agent without a socket.
 */
export async function handleRequest(
  agent: ControlledAgent,
  req: ControlRequest,
): Promise<{ response: ControlResponse; after?: () => void }> {
  switch (req?.cmd) {
    case 'status':
      return { response: { ok: true, v: CONTROL_PROTOCOL, ...(await describeAgent(agent)) } };
    case 'snapshot':
      try {
        const file = await agent.snapshot();
        return { response: { ok: true, v: CONTROL_PROTOCOL, path: file } };
      } catch (err) {
        const e = err as Error & { code?: string };
        return { response: fail(e.code ?? 'LEAKWATCH_ERR_SNAPSHOT', e.message) };
      }
    case 'metrics': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { readExposition } = require('../reports/exporters') as typeof import('../reports/exporters');
      const text = typeof req.address === 'string' ? readExposition(agent, req.address) : null;
      return text === null
        ? { response: fail('LEAKWATCH_ERR_NOT_SERVED', 'this agent serves no Prometheus metrics for that address') }
        : { response: { ok: true, v: CONTROL_PROTOCOL, pid: process.pid, text } };
    }
    case 'detach':
      return {
        response: { ok: true, v: CONTROL_PROTOCOL, detached: true, pid: process.pid },
        after: () => {
          detachAgent(agent).catch((err: unknown) => agent.onError('detach', err));
        },
      };
    default:
      return {
        response: fail(
          'LEAKWATCH_ERR_CONTROL_REQUEST',
          `unknown command ${JSON.stringify(String(req?.cmd)).slice(0, 40)}`,
        ),
      };
  }
}

function fail(code: string, message: string): ControlResponse {
  return { ok: false, v: CONTROL_PROTOCOL, code, message };
}

/**
 * Stops the agent and releases what leakwatch holds in the process: the
 * global holder, the attach mark and its timer, and (for an attached agent)
 * the modules the attach loaded, so the process is as before the attach.
 */
export async function detachAgent(agent: ControlledAgent): Promise<void> {
  await agent.stop();
  const holder = globalThis as Holder;
  if (holder[AGENT_KEY] === agent) delete holder[AGENT_KEY];
  const mark = holder[ATTACHED_KEY];
  if (mark === undefined) return;
  delete holder[ATTACHED_KEY];
  if (mark.timer !== undefined) clearTimeout(mark.timer);
  const cache = require.cache;
  for (const key of Object.keys(cache)) if (key.startsWith(mark.root)) delete cache[key];
}
