/**
 * A leak window: creation-site capture armed for every call while some
 * code runs (a test, a file, an `expectNoLeaks` callback), then a list of
 * what that code created and left alive: timers, intervals, client sockets,
 * servers, UDP sockets, child processes still running, and files it opened
 * through `fs` and did not close (Linux: an fd is known open from
 * `/proc/self/fd`).
 *
 * The window holds the handles it saw strongly until it is checked: it
 * lasts one test, and a handle it holds is by definition one the code under
 * test forgot. Windows nest (a per-test window around an `expectNoLeaks`):
 * each arms its own wrappers and each sees every call.
 */
import childProcess = require('node:child_process');
import fs = require('node:fs');
import dgram = require('node:dgram');
import net = require('node:net');
import timers = require('node:timers');
import { armCreationSites, type CreatedKind, type CreationRecord } from '../probes/creation-sites';
import { type FileOpening, armFileSites, sameFile } from '../probes/files';
import { batched } from '../probes/wrap';
import { armWorkerSites } from '../probes/workers';
import {
  type Frame,
  LeakError,
  MAX_FRAMES,
  type ResolvedLeakOptions,
  childDetail,
  filterLeaks,
  framesOf,
  workerLeak,
} from './leak-format';
import { pickSite } from '../probes/stack-frames';
import { timeoutPrototype } from '../probes/timers';

/** What kind of handle was left alive. */
export type LeakType = 'timeout' | 'interval' | 'socket' | 'server' | 'udp' | 'process' | 'worker' | 'file';

/** One handle created in the window and alive at its end. */
export interface Leak {
  type: LeakType;
  /** Whether it keeps the event loop (and the process) alive (an open file never does). */
  refed: boolean;
  /** `every 1000ms`, `in 5000ms`, `to 127.0.0.1:4000`, `on 127.0.0.1:39211`, `thread 3 (./task.js)`, `/tmp/a.log (fd 23)`. */
  detail: string;
  /** The creation stack, innermost first (source-mapped when vitest or `--enable-source-maps` maps stacks). */
  frames: Frame[];
  /** The frame to fix: innermost user-code frame, null if none. */
  site: Frame | null;
  /** A socket with no HTTP request on it (`_httpMessage` null): idle in a pool. */
  pooled: boolean;
}

/** Creation tracking around one test (or file): what was created and is still alive. */
export interface LeakWindow {
  /** Stops capture (idempotent). Handles created after this are not seen. */
  close(): void;
  /** Handles created while open that are alive now. */
  alive(): Leak[];
}

interface Seen {
  handle: object;
  kind: CreatedKind;
}

/** Node's Timeout internals (lib/internal/timers.js). */
interface TimeoutLike {
  _destroyed?: boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  hasRef?: () => boolean;
}

interface HandleLike {
  hasRef?: () => boolean;
}

// Captured at load: a test may install fake timers on globalThis later.
const realSetTimeout = timers.setTimeout;
const TIMEOUT_PROTO = timeoutPrototype();

/** Opens a window: every timer, socket and server call is recorded until `close()`. */
export function openLeakWindow(): LeakWindow {
  const seen: Seen[] = [];
  // The latest opening per fd number: a number closed and opened again is
  // the new file.
  const opened = new Map<number, FileOpening>();
  // All armed, then the ES bindings synced once (and once on close).
  const { sites, files, workers } = batched(() => ({
    sites: armCreationSites({
      timers: true,
      sockets: true,
      processes: true,
      timerSampleMean: 1,
      onCreate: (handle, kind) => {
        seen.push({ handle, kind });
      },
    }),
    files: armFileSites({
      stacksPerSecond: Infinity,
      baseline: false,
      onOpen: (fd, opening) => opened.set(fd, opening),
    }),
    workers: armWorkerSites(),
  }));
  return {
    close: () =>
      batched(() => {
        sites.disarm();
        files.disarm();
        workers.disarm();
      }),
    alive() {
      const out: Leak[] = [];
      for (const s of seen) {
        const leak = describeIfAlive(s, sites.recordOf(s.handle));
        if (leak !== null) out.push(leak);
      }
      for (const { worker, record } of workers.running()) {
        out.push(workerLeak(worker, record, (h) => framesOf(h, MAX_FRAMES)));
      }
      for (const [fd, o] of opened) {
        const leak = describeFileIfOpen(fd, o);
        if (leak !== null) out.push(leak);
      }
      return out;
    },
  };
}

/** A file the window saw opened, if its fd still points at it. */
function describeFileIfOpen(fd: number, o: FileOpening): Leak | null {
  const link = safe(() => fs.readlinkSync(`/proc/self/fd/${fd}`), null);
  if (link === null || !sameFile(link, o.path)) return null;
  const frames = framesOf(o.holder, MAX_FRAMES);
  return { type: 'file', refed: false, detail: `${o.path} (fd ${fd})`, frames, site: pickSite(frames), pooled: false };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function refOf(h: HandleLike | null | undefined): boolean {
  return safe(() => (typeof h?.hasRef === 'function' ? h.hasRef() : false), false);
}

function addr(host: unknown, port: unknown): string {
  if (typeof host !== 'string' || host === '') return 'unknown';
  const h = host.includes(':') ? `[${host}]` : host;
  return typeof port === 'number' ? `${h}:${port}` : h;
}

/** The UDP handle behind dgram's private state symbol, or null once closed. */
function udpHandle(s: dgram.Socket): HandleLike | null {
  for (const sym of Object.getOwnPropertySymbols(s)) {
    if (sym.description !== 'state symbol') continue;
    const st = (s as unknown as Record<symbol, { handle?: HandleLike | null }>)[sym];
    return st?.handle ?? null;
  }
  return null;
}

function describeIfAlive(s: Seen, record: CreationRecord | undefined): Leak | null {
  const h = s.handle;
  let type: LeakType;
  let refed: boolean;
  let detail: string;
  let pooled = false;
  if (s.kind === 'timer') {
    // Fake timers (vi.useFakeTimers, sinon) return other objects: not Node timers.
    if (!TIMEOUT_PROTO.isPrototypeOf(h)) return null;
    const t = h as TimeoutLike;
    if (t._destroyed === true || t._idleTimeout === -1) return null;
    const repeat = typeof t._repeat === 'number' ? t._repeat : null;
    type = repeat === null ? 'timeout' : 'interval';
    refed = refOf(t);
    detail = repeat === null ? `in ${t._idleTimeout ?? 0}ms` : `every ${repeat}ms`;
  } else if (h instanceof childProcess.ChildProcess) {
    if (h.exitCode !== null || h.signalCode !== null) return null;
    const handle = (h as unknown as { _handle?: HandleLike | null })._handle;
    if (handle == null) return null;
    type = 'process';
    refed = refOf(handle);
    detail = childDetail(h);
  } else if (h instanceof dgram.Socket) {
    const handle = udpHandle(h);
    if (handle === null) return null;
    type = 'udp';
    refed = refOf(handle);
    const local = safe(() => h.address(), null);
    detail = local === null ? 'unbound' : `on ${addr(local.address, local.port)}`;
  } else if (h instanceof net.Server) {
    if (!h.listening) return null;
    type = 'server';
    refed = refOf((h as unknown as { _handle?: HandleLike })._handle);
    const a = safe(() => h.address(), null);
    detail = `listening on ${typeof a === 'string' ? a : a === null ? 'unknown' : addr(a.address, a.port)}`;
  } else if (h instanceof net.Socket) {
    if (h.destroyed) return null;
    type = 'socket';
    refed = refOf((h as unknown as { _handle?: HandleLike })._handle);
    pooled = (h as unknown as { _httpMessage?: unknown })._httpMessage === null;
    // Still connecting (or a pipe with no peer address): the connect call's target.
    const target = record !== undefined && record !== 1 ? record.target : undefined;
    const remote = safe(() => h.remoteAddress, undefined);
    detail = h.connecting
      ? `connecting to ${target ?? 'unknown'}`
      : remote === undefined
        ? `to ${target ?? 'unknown'}`
        : `to ${addr(
            remote,
            safe(() => h.remotePort, undefined),
          )}`;
  } else {
    return null;
  }
  const frames = record !== undefined && record !== 1 ? framesOf(record.holder, MAX_FRAMES) : [];
  return { type, refed, detail, frames, site: pickSite(frames), pooled };
}

/**
 * Resolves after `ms` on a real (never faked) timer. Ref'd: when all that a
 * test left alive is unref'd, nothing else holds the loop, and node:test
 * would cancel the check ("the event loop has already resolved") instead
 * of failing the test. Bounded by `settleMs`.
 */
export function sleepReal(ms: number): Promise<void> {
  return new Promise((resolve) => {
    realSetTimeout(resolve, ms);
  });
}

/** Poll step while waiting for closes in flight. */
const SETTLE_STEP_MS = 10;

/**
 * Closes the window and throws a `LeakError` (code `LEAKWATCH_ERR_LEAKS`)
 * if what it saw is still alive after `settleMs`. The wait only happens
 * when something is alive, so clean code pays nothing; it covers closes
 * that complete a turn later (`socket.end()`, a peer's FIN).
 * @param scope what ran, for the message (`this test`, `the function`)
 */
export async function closeAndCheck(w: LeakWindow, opts: ResolvedLeakOptions, scope: string): Promise<void> {
  w.close();
  let leaks = filterLeaks(w.alive(), opts);
  const deadline = Date.now() + opts.settleMs;
  while (leaks.length > 0 && Date.now() < deadline) {
    await sleepReal(Math.min(SETTLE_STEP_MS, Math.max(1, deadline - Date.now())));
    leaks = filterLeaks(w.alive(), opts);
  }
  if (leaks.length > 0) throw new LeakError(leaks, scope);
}
