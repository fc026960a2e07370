/**
 * Open files: the file descriptors that are not sockets (files, pipes,
 * event and timer fds), what each points at, and, while armed, where the
 * user's code opened them.
 *
 * - What is open: `/proc/self/fd`, each link read once, at arming (the
 *   baseline) and at a report; never per tick (the tick reads only the fd
 *   count). Linux only; elsewhere, and beyond 50,000 fds, nothing is read.
 * - Where: while armed, `fs.open`, `fs.openSync`, `fs.promises.open`,
 *   `fs.createReadStream` and `fs.createWriteStream` capture the caller's
 *   stack, at most FILE_STACKS_PER_SECOND a second. A cached open and
 *   close takes about 1.6 µs here and a capture 15 µs (20 frames down), so
 *   capturing every open could slow a file-heavy service tenfold in its
 *   opens; the cap bounds the capture at about 1.5 ms a second. Skipped
 *   openings are counted; a leaking line repeats, so it is still caught. A record is kept
 *   per fd number, so there are never more records than open fds, and a
 *   record is used only while its fd still points at the path it opened.
 */
import fs = require('node:fs');
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_CAPTURED_FRAMES, type SampledCreation } from './creation-sites';
import { readFdLinks } from './fd-links';
import { captureHolder } from './stack-frames';
import { type AnyFn, createPatcher, tokenBucket } from './wrap';

/** Most opening stacks captured per second (bursts of as many). */
export const FILE_STACKS_PER_SECOND = 100;

/** The non-socket fds above stdio, by what they point at (`/path`, `pipe`, `anon_inode:[eventfd]`). */
export type FdTargets = Map<string, number[]>;

/** What a link says about a deleted file. */
const DELETED = ' (deleted)';

/**
 * Reads `/proc/self/fd`. Pipes are one group (each has its own inode).
 * @returns null when not on Linux, unreadable, or over MAX_FDS
 */
export function readFdTargets(): FdTargets | null {
  const links = readFdLinks();
  if (links === null) return null;
  const out: FdTargets = new Map();
  for (const [fd, link] of links) {
    if (link.startsWith('socket:[')) continue;
    const key = link.startsWith('pipe:[') ? 'pipe' : link;
    const fds = out.get(key);
    if (fds === undefined) out.set(key, [fd]);
    else fds.push(fd);
  }
  return out;
}

/** An opening captured while armed, with the path it was asked for (absolute). */
export interface FileOpening extends SampledCreation {
  readonly path: string;
}

/** File-open capture while armed. */
export interface FileSites {
  readonly armedAt: number;
  /** Open fds per target at arming; null where they could not be read. */
  readonly baseline: ReadonlyMap<string, number> | null;
  /** Opens seen while armed, and those whose stack the cap skipped. */
  readonly counts: { opens: number; capped: number };
  /**
   * How `fd` was opened while armed, if it was opened through `fs` and
   * still points at `target` (a link of `/proc/self/fd`).
   */
  recordOf(fd: number, target: string): FileOpening | undefined;
  /** Restores every original. Idempotent. */
  disarm(): void;
}

/** The path an `fs.open` call was given, absolute; null when it is not a path. */
function asPath(p: unknown): string | null {
  try {
    if (typeof p === 'string') return path.resolve(p);
    if (Buffer.isBuffer(p)) return path.resolve(p.toString());
    if (p instanceof URL) return fileURLToPath(p);
  } catch {
    // Not a path fs would take either.
  }
  return null;
}

/** Whether a link names `opened`: the same path, a deleted one, or where its symlinks lead. */
export function sameFile(target: string, opened: string): boolean {
  const t = target.endsWith(DELETED) ? target.slice(0, -DELETED.length) : target;
  if (t === opened) return true;
  try {
    return fs.realpathSync(opened) === t;
  } catch {
    return false;
  }
}

/** Options of `armFileSites`. */
export interface FileArmOptions {
  /** Stacks captured per second at most (default FILE_STACKS_PER_SECOND; Infinity: every open, as the test helpers want). */
  stacksPerSecond?: number;
  /** Read the fds open at arming (default true). */
  baseline?: boolean;
  /** Called with every open recorded while armed. Exceptions are swallowed. */
  onOpen?: (fd: number, opening: FileOpening) => void;
}

/** Wraps the `fs` calls that open files. */
export function armFileSites(opts: FileArmOptions = {}): FileSites {
  let armed = true;
  const { patch, publish, restore } = createPatcher(() => armed);
  const records = new Map<number, FileOpening>();
  const counts = { opens: 0, capped: 0 };
  const mayCapture = tokenBucket(opts.stacksPerSecond ?? FILE_STACKS_PER_SECOND);
  const targets = opts.baseline === false ? null : readFdTargets();
  const baseline = targets === null ? null : new Map([...targets].map(([k, fds]) => [k, fds.length]));
  const onOpen = opts.onOpen;

  /** Runs inside the host's open: never throws. Null when the cap skips it. */
  const capture = (skip: AnyFn): SampledCreation | null => {
    const at = Date.now();
    return mayCapture(at) ? { at, holder: captureHolder(skip, MAX_CAPTURED_FRAMES) } : null;
  };
  const remember = (fd: unknown, given: unknown, rec: SampledCreation | null, isNew = true) => {
    if (!armed || typeof fd !== 'number' || !(fd > 2)) return;
    if (isNew) {
      counts.opens++;
      if (rec === null) counts.capped++;
    }
    const p = rec === null ? null : asPath(given);
    if (rec === null || p === null) {
      // An fd number reused since: its old record must not name this open.
      if (isNew) records.delete(fd);
      return;
    }
    const opening = { ...rec, path: p };
    records.set(fd, opening);
    if (onOpen !== undefined) {
      try {
        onOpen(fd, opening);
      } catch {
        // The host's open must succeed whatever the observer does.
      }
    }
  };

  patch(fs, 'openSync', (original) => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const fd = Reflect.apply(original, this, args);
      if (armed) remember(fd, args[0], capture(wrapper));
      return fd;
    };
    return wrapper;
  });
  patch(fs, 'open', (original) => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const last = args.length - 1;
      const cb = args[last];
      // Without a callback Node throws: let it, unchanged.
      if (!armed || typeof cb !== 'function') return Reflect.apply(original, this, args);
      const rec = capture(wrapper);
      args[last] = function (this: unknown, err: unknown, fd: unknown, ...rest: unknown[]) {
        if (err == null) remember(fd, args[0], rec);
        return Reflect.apply(cb as AnyFn, this, [err, fd, ...rest]);
      };
      return Reflect.apply(original, this, args);
    };
    return wrapper;
  });
  patch(fs.promises, 'open', (original) => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const p = Reflect.apply(original, this, args) as Promise<{ fd?: unknown }>;
      if (!armed || typeof p?.then !== 'function') return p;
      const rec = capture(wrapper);
      // The caller gets the chained promise: a rejection reaches it as before.
      return p.then((fh) => {
        remember(fh?.fd, args[0], rec);
        return fh;
      });
    };
    return wrapper;
  });

  // A stream opens its file on a later tick, from Node's own code: the
  // line that made the stream is on the stack only here. Its `open` event
  // comes after the fs.open callback, so this record is the one kept.
  const wrapStream = (original: AnyFn): AnyFn => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const stream = Reflect.apply(original, this, args) as { once?: (e: string, f: AnyFn) => unknown };
      if (armed && typeof stream?.once === 'function') {
        const rec = capture(wrapper);
        // The same open, already counted by the fs.open wrapper: a better record.
        if (rec !== null) stream.once('open', ((fd: unknown) => remember(fd, args[0], rec, false)) as AnyFn);
      }
      return stream;
    };
    return wrapper;
  };
  patch(fs, 'createReadStream', wrapStream);
  patch(fs, 'createWriteStream', wrapStream);
  publish();

  return {
    armedAt: Date.now(),
    baseline,
    counts,
    recordOf(fd, target) {
      const r = records.get(fd);
      return r !== undefined && sameFile(target, r.path) ? r : undefined;
    },
    disarm() {
      if (!armed) return;
      armed = false;
      restore();
      records.clear();
    },
  };
}
