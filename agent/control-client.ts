/**
 * The CLI side of the control channel (agent/control.ts): one JSON line to
 * `${tmpdir}/leakwatch-${uid}/${pid}.sock`, one JSON line back.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { AttachError } from './attach-errors';
import { targetSocketBase } from './attach-proc';
import { CONTROL_PROTOCOL, type ControlCommand, type ControlRequest, type ControlResponse } from './control';
import { controlSocketPath, socketIdentity, unlinkIfSame } from './control-files';

/** An answer larger than this is not a control answer. */
const MAX_RESPONSE_BYTES = 1_048_576;
/** Default wait for an answer; a snapshot of a large heap can take a while. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 30_000;

/**
 * Checks that `pid` is a live process we may signal.
 * @throws AttachError ESRCH or EPERM
 */
export function checkProcess(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new AttachError('LEAKWATCH_ERR_ATTACH_ESRCH', `no process with pid ${pid}`, { pid });
    if (code === 'EPERM') {
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_EPERM',
        `pid ${pid} belongs to another user; run leakwatch as that user (or as root)`,
        { pid },
      );
    }
    throw err;
  }
}

/**
 * The control socket of `pid`: under its owner's uid and the TMPDIR of its
 * environment (see targetSocketBase), else under this CLI's own tmpdir (a
 * process that changed TMPDIR at run time); the first that exists.
 */
export function socketPathOf(pid: number): string {
  const base = targetSocketBase(pid);
  const candidates =
    base === null
      ? [controlSocketPath(pid)]
      : [controlSocketPath(pid, base.uid, base.tmpdir), controlSocketPath(pid, base.uid)];
  return candidates.find((f) => fs.existsSync(f)) ?? (candidates[0] as string);
}

/**
 * Sends one command to the agent in `pid` over its control socket.
 * @param timeoutMs how long to wait for the answer, in milliseconds
 * @param args the command's own fields (`metrics` takes an `address`)
 * @param options `unref`: the connection does not keep the process alive
 * @returns the agent's answer (`ok: false` answers are returned, not thrown)
 * @throws AttachError NO_AGENT when nothing listens there, TIMEOUT, EPERM
 */
export async function requestControl(
  pid: number,
  cmd: ControlCommand,
  timeoutMs: number = DEFAULT_CONTROL_TIMEOUT_MS,
  args: Omit<ControlRequest, 'cmd' | 'v'> = {},
  options: { unref?: boolean } = {},
): Promise<ControlResponse> {
  const file = socketPathOf(pid);
  // Read before connecting: only the socket that refuses is removed.
  const id = socketIdentity(file);
  const line = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(file);
    // An agent asking a peer (reports/prometheus-cluster.ts) must not hold
    // its host open for the answer; the CLI waits for it.
    if (options.unref === true) socket.unref();
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new AttachError(
          'LEAKWATCH_ERR_ATTACH_TIMEOUT',
          `the agent in pid ${pid} did not answer "${cmd}" within ${timeoutMs} ms`,
          { pid },
        ),
      );
    }, timeoutMs);
    timer.unref();
    socket.on('connect', () => socket.write(`${JSON.stringify({ ...args, cmd, v: CONTROL_PROTOCOL })}\n`));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.length > MAX_RESPONSE_BYTES) socket.destroy(new Error('answer too large'));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(buf);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(pid, file, id, err));
    });
  });
  const nl = line.indexOf('\n');
  let res: ControlResponse;
  try {
    res = JSON.parse(nl < 0 ? line : line.slice(0, nl)) as ControlResponse;
  } catch {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_FAILED',
      `the agent in pid ${pid} sent an unreadable answer to "${cmd}"`,
      { pid },
    );
  }
  if (res.v !== CONTROL_PROTOCOL) {
    throw new AttachError(
      'LEAKWATCH_ERR_ATTACH_FAILED',
      `the agent in pid ${pid} speaks control protocol ${String(res.v)}, this leakwatch ${CONTROL_PROTOCOL}; use the leakwatch that started it`,
      { pid },
    );
  }
  return res;
}

function connectError(pid: number, file: string, id: string | undefined, err: NodeJS.ErrnoException): Error {
  switch (err.code) {
    case 'ENOENT':
      return new AttachError(
        'LEAKWATCH_ERR_ATTACH_NO_AGENT',
        `no leakwatch agent runs in pid ${pid} (no control socket ${file})`,
        { pid, socket: file },
      );
    case 'ECONNREFUSED':
      // Nobody listens: the file outlived its process (SIGKILL skips the
      // agent's exit cleanup), and the pid is free or reused.
      unlinkIfSame(file, id);
      return new AttachError(
        'LEAKWATCH_ERR_ATTACH_NO_AGENT',
        `no leakwatch agent answers in pid ${pid} (stale control socket ${file})`,
        { pid, socket: file },
      );
    case 'EACCES':
    case 'EPERM':
      return new AttachError(
        'LEAKWATCH_ERR_ATTACH_EPERM',
        `cannot open ${file} (${err.code}); run leakwatch as the user that owns pid ${pid}`,
        { pid, socket: file },
      );
    default:
      return new AttachError(
        'LEAKWATCH_ERR_ATTACH_FAILED',
        `cannot reach the agent in pid ${pid} at ${file}: ${err.message}`,
        { pid, socket: file },
      );
  }
}
