/**
 * The control sockets' files: where they live (a private directory per
 * user), which socket a name holds, and which are stale. A socket is
 * removed only when a connection to it is refused, and only if it is still
 * the very socket that refused (./control).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The directory holding the control sockets of a user's processes. */
export function controlDir(uid: number = currentUid(), tmpdir: string = os.tmpdir()): string {
  return path.join(tmpdir, `leakwatch-${uid}`);
}

/** The control socket of a process. */
export function controlSocketPath(pid: number, uid: number = currentUid(), tmpdir: string = os.tmpdir()): string {
  return path.join(controlDir(uid, tmpdir), `${pid}.sock`);
}

/** This process's uid; -1 where the platform has none (Windows). */
export function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/**
 * Creates the private directory or checks that an existing one is safe:
 * a real directory (not a symlink), owned by us, with no group or other
 * permission bits. Someone else's directory there could be used to
 * intercept the channel, so it is refused.
 * @throws an Error naming what is wrong
 */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== currentUid()) throw new Error(`${dir} belongs to uid ${st.uid}, not to us`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${dir} has mode ${(st.mode & 0o777).toString(8)}, expected 700`);
}

/** Whether a socket file is at `file`; throws for any other kind of file. */
export function socketFileExists(file: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return false;
  }
  if (!st.isSocket()) throw new Error(`${file} exists and is not a socket; not removing it`);
  return true;
}

/**
 * Which socket is at `file`: its inode and change time in ns (tmpfs hands a
 * freed inode number to the next file made); undefined when there is no
 * socket there. Read before a probe, it makes sure that only the very
 * socket that refused is removed, never one bound meanwhile, never a file
 * of another kind.
 */
export function socketIdentity(file: string): string | undefined {
  try {
    const st = fs.lstatSync(file, { bigint: true, throwIfNoEntry: false });
    return st?.isSocket() === true ? `${st.ino}:${st.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/** Unlinks `file` if it is still the socket identified before. */
export function unlinkIfSame(file: string, id: string | undefined): void {
  try {
    if (id !== undefined && socketIdentity(file) === id) fs.unlinkSync(file);
  } catch {
    // Gone already.
  }
}

/**
 * A control socket file: an agent answers on it (`live`), it refuses
 * connections (`stale`), it is not there, or it could not be told.
 */
export type SocketState = 'live' | 'stale' | 'absent' | 'unknown';

/** How long a socket that accepts nothing may take to answer a probe. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Connects to a Unix socket to learn whether a process still serves it:
 * ECONNREFUSED means no one listens (its owner is dead). Unref'd.
 */
function probeSocket(file: string, done: (state: SocketState) => void): void {
  let settled = false;
  const settle = (state: SocketState) => {
    if (settled) return;
    settled = true;
    socket.destroy();
    done(state);
  };
  const socket = net.connect(file);
  socket.unref();
  socket.setTimeout(PROBE_TIMEOUT_MS, () => settle('live'));
  socket.once('connect', () => settle('live'));
  socket.once('error', (err: NodeJS.ErrnoException) =>
    settle(err.code === 'ECONNREFUSED' ? 'stale' : err.code === 'ENOENT' ? 'absent' : 'unknown'),
  );
}

/**
 * Removes the socket at `file` when a connection to it is refused (whoever
 * bound it is gone), and only then: a pid that does not exist here may be
 * a live process in another pid namespace sharing this directory, and its
 * socket answers. `done` learns what the probe found.
 */
export function removeIfRefused(file: string, done: (state: SocketState) => void = () => {}): void {
  const id = socketIdentity(file);
  probeSocket(file, (state) => {
    if (state === 'stale') unlinkIfSame(file, id);
    done(state);
  });
}

/** Sockets of this user's processes that died by SIGKILL are removed, a bounded number per start. */
const MAX_PEERS_CHECKED = 256;

/**
 * Best effort, in the background: a socket whose pid no longer exists here
 * and that refuses connections is removed. One that answers belongs to a
 * process in another pid namespace and stays; an entry that is not a
 * socket is left in place. Both are named in debug mode.
 */
export function removeDeadPeers(dir: string, debug: (message: string) => void): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).slice(0, MAX_PEERS_CHECKED);
  } catch (err) {
    debug(`control: cannot list ${dir} for dead peers' sockets: ${(err as Error).message}`);
    return;
  }
  for (const name of names) {
    const m = /^(\d+)\.sock$/.exec(name);
    if (m === null || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    const peer = path.join(dir, name);
    try {
      if (!socketFileExists(peer)) continue;
    } catch (e) {
      debug(`control: left ${peer} in place: ${(e as Error).message}`);
      continue;
    }
    removeIfRefused(peer, (state) => {
      if (state === 'live') debug(`control: left ${peer} in place: it answers (a process in another pid namespace)`);
    });
  }
}
