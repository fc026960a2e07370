/**
 * What `attach` learns about a target from Linux's /proc before it sends
 * any signal: is it Node.js, will SIGUSR1 open its inspector (rather than
 * kill it), where will the inspector listen, and who holds that port.
 * See proc(5): /proc/<pid>/status (SigCgt), /proc/net/tcp, /proc/<pid>/fd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sanitizeText } from '../reports/safe-text';
import { splitNodeOptions } from './node-options';

/** SIGUSR1 is signal 10 on Linux: bit 9 of the SigCgt mask. */
const SIGUSR1_BIT = 1n << 9n;
/** /proc/net/tcp state 0A is TCP_LISTEN. */
const TCP_LISTEN = '0A';
/** Node's default inspector address (node --help: --inspect-port). */
export const DEFAULT_INSPECTOR_HOST = '127.0.0.1';
/** The port Node's inspector opens on after SIGUSR1 unless told otherwise. */
export const DEFAULT_INSPECTOR_PORT = 9229;

/** What /proc says about a process leakwatch is asked to attach to. */
export interface TargetInfo {
  pid: number;
  /** The executable (`/proc/<pid>/exe`), or argv[0] when unreadable. */
  exe: string;
  argv: string[];
  /** Whether the process catches SIGUSR1 (Node's inspector trigger). */
  catchesSigusr1: boolean;
  /** Whether it runs (not a zombie). */
  alive: boolean;
  /** Stopped by a signal (SIGSTOP, ^Z) or held by a tracer: it cannot answer. */
  stopped: boolean;
  /** NODE_OPTIONS from its environment, when readable. */
  nodeOptions: string;
}

/** Reads what /proc says about `pid`; null when it is gone. */
export function readTarget(pid: number): TargetInfo | null {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const sigCgt = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  const state = /^State:\s*(\S)/m.exec(status)?.[1] ?? '?';
  const argv = readNulList(`/proc/${pid}/cmdline`);
  let exe = argv[0] ?? '';
  try {
    exe = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // Not ours to read, or a kernel thread: argv[0] will do.
  }
  const env = readNulList(`/proc/${pid}/environ`);
  const nodeOptions = env.find((e) => e.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length) ?? '';
  return {
    pid,
    exe,
    argv,
    catchesSigusr1: (BigInt(`0x${sigCgt}`) & SIGUSR1_BIT) !== 0n,
    alive: state !== 'Z' && state !== 'X',
    stopped: state === 'T' || state === 't',
    nodeOptions,
  };
}

/**
 * Where the agent in `pid` keeps its control socket: its owner's uid and
 * the temporary directory its environment names (as os.tmpdir() reads
 * TMPDIR there), not the CLI's: root asking about another user's process,
 * or a service started with its own TMPDIR, must still be found.
 */
export function targetSocketBase(pid: number): { uid: number; tmpdir: string } | null {
  let uid: number;
  try {
    uid = fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
  const env = readNulList(`/proc/${pid}/environ`);
  let tmpdir = '/tmp';
  for (const name of ['TMPDIR', 'TMP', 'TEMP']) {
    const v = env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
    if (v !== undefined && v !== '') {
      tmpdir = v.length > 1 && v.endsWith('/') ? v.slice(0, -1) : v;
      break;
    }
  }
  return { uid, tmpdir };
}

/** True when `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  return readTarget(pid)?.alive ?? false;
}

/** A NUL-separated /proc file (cmdline, environ) as its entries; empty when unreadable. */
export function readNulList(file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\0')
      .filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

/** The executable looks like Node.js: `node`, `nodejs`, `node20`, `node-v20…`. */
export function looksLikeNode(exe: string): boolean {
  return /^node(js)?([-._]?v?\d[\w.-]*)?$/i.test(path.basename(exe));
}

/** Where a target's inspector listens or will listen, from its command line and `NODE_OPTIONS`. */
export interface InspectorAddress {
  host: string;
  /** 0 means "a free port, chosen when it opens". */
  port: number;
  /** The process was started with --inspect, --inspect-brk or --inspect-wait. */
  inspectFlag: boolean;
}

/** Node options that take their value as the next argument. */
const VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-e',
  '--eval',
  '-p',
  '--print',
  '--inspect-port',
  '--debug-port',
  '--title',
  '-C',
  '--conditions',
  '--env-file',
  '--input-type',
  '--stack-trace-limit',
]);

/**
 * Where SIGUSR1 will make the target's inspector listen, from its Node
 * options (command line before the script, then NODE_OPTIONS), as Node
 * reads them: `--inspect[-brk|-wait][=[host:]port]`, `--inspect-port=[host:]port`.
 */
export function inspectorAddressOf(target: Pick<TargetInfo, 'argv' | 'nodeOptions'>): InspectorAddress {
  const out: InspectorAddress = { host: DEFAULT_INSPECTOR_HOST, port: DEFAULT_INSPECTOR_PORT, inspectFlag: false };
  const options: string[] = splitNodeOptions(target.nodeOptions);
  const argv = target.argv.slice(1);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (!a.startsWith('-')) break;
    if (VALUE_OPTIONS.has(a) && i + 1 < argv.length) {
      options.push(`${a}=${argv[i + 1] as string}`);
      i++;
      continue;
    }
    options.push(a);
  }
  for (const o of options) {
    const m = /^--(inspect(?:-brk|-wait)?|inspect-port|debug-port)(?:=(.*))?$/.exec(o);
    if (m === null) continue;
    if (m[1] !== 'inspect-port' && m[1] !== 'debug-port') out.inspectFlag = true;
    if (m[2] !== undefined) Object.assign(out, parseHostPort(m[2], out.host));
  }
  return out;
}

function parseHostPort(text: string, defaultHost: string): { host: string; port: number } | Record<string, never> {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text);
  if (m === null) return /^[\w.:-]+$/.test(text) ? { host: text, port: DEFAULT_INSPECTOR_PORT } : {};
  return { host: m[1] ?? defaultHost, port: Number(m[2]) };
}

/** Loopback addresses an inspector may listen on without exposing it. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A listening TCP socket from `/proc/net/tcp*`, matched to a process by its inode. */
export interface Listener {
  host: string;
  port: number;
  inode: string;
}

/** Every listening TCP socket on this host (IPv4 and IPv6). */
export function readListeners(): Listener[] {
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      const [addr, port] = (f[1] as string).split(':') as [string, string];
      out.push({ host: decodeAddress(addr), port: parseInt(port, 16), inode: f[9] as string });
    }
  }
  return out;
}

/** /proc/net/tcp addresses are little-endian hex words. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  if (hex === '00000000000000000000000000000000') return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  return `ipv6:${hex}`;
}

/** The socket inodes a process holds open (`socket:[inode]` links). */
export function socketInodesOf(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) out.add(m[1] as string);
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/** The TCP ports `pid` listens on. */
export function listeningPortsOf(pid: number): Listener[] {
  const mine = socketInodesOf(pid);
  return readListeners().filter((l) => mine.has(l.inode));
}

/** The process that holds a port the inspector needs. */
export interface PortOwner {
  /** null when the owner's fds cannot be read (another user's process). */
  pid: number | null;
  command: string;
}

/**
 * Who listens on `port`: scans /proc/*\/fd for the listening socket's inode.
 * Only processes we may read are found; root finds all.
 */
export function findPortOwner(port: number): PortOwner | null {
  const inodes = new Set(
    readListeners()
      .filter((l) => l.port === port)
      .map((l) => l.inode),
  );
  if (inodes.size === 0) return null;
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // No /proc: say we do not know.
  }
  for (const p of pids) {
    const held = socketInodesOf(Number(p));
    for (const inode of inodes) {
      if (held.has(inode))
        return { pid: Number(p), command: sanitizeText(readNulList(`/proc/${p}/cmdline`).join(' ').slice(0, 200)) };
    }
  }
  return { pid: null, command: '' };
}
