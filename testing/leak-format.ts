/**
 * The pure half of the test helpers: options, filters, the failure message
 * and the error it is thrown in. No timers, no wrappers.
 */
import {
  type Frame,
  type StackHolder,
  formatFrame,
  formatLocation,
  isNodeInternal,
  isOwnFrame,
  parseStackText,
  pickSite,
  printedFrames,
  readHolder,
} from '../probes/stack-frames';
import type { WorkerRecord } from '../probes/workers';
import type { ChildProcess } from 'node:child_process';
import type { Leak, LeakType } from './leak-window';

export type { Frame };

/** Frames kept per creation stack in a failure message. */
export const MAX_FRAMES = 12;
/** Frames printed under each leak: the site and a little context. */
const PRINTED_FRAMES = 4;
/** Default wait for closes still in flight (a socket's FIN, a server's close) before failing. */
export const DEFAULT_SETTLE_MS = 100;

/** The handle types the test helpers check, as `ignoreTypes` names them. */
export const LEAK_TYPES: readonly LeakType[] = [
  'timeout',
  'interval',
  'socket',
  'server',
  'udp',
  'process',
  'worker',
  'file',
];

/** Options of the test helpers (`configureLeakCheck`, `leakCheck`, `expectNoLeaks`). */
export interface LeakCheckOptions {
  /** Handle types never reported (e.g. `['timeout']`). */
  ignoreTypes?: readonly LeakType[];
  /**
   * Known handles: a leak is ignored when any frame of its creation stack,
   * written `file:line:column`, matches one of these (a RegExp, or a
   * string it contains), e.g. `/node_modules\/pg-pool\//`.
   */
  ignoreSites?: readonly (string | RegExp)[];
  /** Also ignore unref'd handles (they do not keep the process alive). Default false. */
  ignoreUnref?: boolean;
  /**
   * Report what the named benign filters leave out (`BENIGN`: idle
   * keep-alive sockets of connection pools, Node's own unref'd timers).
   * Default false.
   */
  strict?: boolean;
  /** How long to wait for closes in flight before failing, in ms (default 250). */
  settleMs?: number;
}

/** Options with every field set. */
export interface ResolvedLeakOptions {
  readonly ignoreTypes: readonly LeakType[];
  readonly ignoreSites: readonly (string | RegExp)[];
  readonly ignoreUnref: boolean;
  readonly strict: boolean;
  readonly settleMs: number;
}

/** The test helpers' options when none are given. */
export const DEFAULT_LEAK_OPTIONS: ResolvedLeakOptions = Object.freeze({
  ignoreTypes: [],
  ignoreSites: [],
  ignoreUnref: false,
  strict: false,
  settleMs: DEFAULT_SETTLE_MS,
});

/**
 * Merges options over a base; explicit nonsense throws naming the option.
 * @param base what is already configured
 */
export function resolveLeakOptions(
  opts: LeakCheckOptions | undefined,
  base: ResolvedLeakOptions = DEFAULT_LEAK_OPTIONS,
): ResolvedLeakOptions {
  if (opts === undefined) return base;
  if (typeof opts !== 'object' || opts === null) throw new TypeError('leak check options must be an object');
  if (opts.ignoreTypes !== undefined) {
    if (!Array.isArray(opts.ignoreTypes)) throw new TypeError('ignoreTypes must be an array');
    for (const t of opts.ignoreTypes) {
      if (!LEAK_TYPES.includes(t))
        throw new RangeError(`ignoreTypes: unknown type "${String(t)}" (expected one of ${LEAK_TYPES.join(', ')})`);
    }
  }
  if (opts.ignoreSites !== undefined) {
    if (!Array.isArray(opts.ignoreSites)) throw new TypeError('ignoreSites must be an array');
    for (const p of opts.ignoreSites) {
      if (typeof p !== 'string' && !(p instanceof RegExp))
        throw new TypeError('ignoreSites entries must be strings or RegExps');
    }
  }
  if (opts.settleMs !== undefined && !(Number.isFinite(opts.settleMs) && opts.settleMs >= 0)) {
    throw new RangeError(`settleMs must be a finite number >= 0, got ${String(opts.settleMs)}`);
  }
  if (opts.ignoreUnref !== undefined && typeof opts.ignoreUnref !== 'boolean')
    throw new TypeError('ignoreUnref must be a boolean');
  if (opts.strict !== undefined && typeof opts.strict !== 'boolean') throw new TypeError('strict must be a boolean');
  return Object.freeze({
    ignoreTypes: opts.ignoreTypes ?? base.ignoreTypes,
    ignoreSites: opts.ignoreSites ?? base.ignoreSites,
    ignoreUnref: opts.ignoreUnref ?? base.ignoreUnref,
    strict: opts.strict ?? base.strict,
    settleMs: opts.settleMs ?? base.settleMs,
  });
}

/**
 * Handles a test did not leak although it made them, each with its reason
 * (house style 17: named benign filters). Both are unref'd, so they never
 * keep a process alive, and both belong to a process-wide pool that
 * outlives any one test by design.
 */
export const BENIGN: Readonly<Record<string, (l: Leak) => boolean>> = Object.freeze({
  // `http.get` through an Agent with keepAlive (Node 20's globalAgent):
  // the idle socket waits in the agent's free list, unref'd, and the agent
  // closes it after its keep-alive timeout.
  idleAgentSocket: (l: Leak) =>
    l.type === 'socket' && !l.refed && l.pooled && l.frames.some((f) => f.fn.endsWith('Agent.createSocket')),
  // `fetch` (undici inside Node): its keep-alive sockets and its shared
  // timer are created from Node's own code, unref'd, with no frame of yours.
  nodeInternalUnref: (l: Leak) =>
    isUnrefd(l) &&
    l.site === null &&
    l.frames.length > 0 &&
    l.frames.every((f) => isNodeInternal(f.file) || isOwnFrame(f.file)),
});

/** The name of the benign filter that covers a leak, or null. */
export function benignReason(l: Leak): string | null {
  for (const [name, test] of Object.entries(BENIGN)) if (test(l)) return name;
  return null;
}

/**
 * A handle that could keep the process alive and does not. An open file
 * never could, so it is never "unref'd": `ignoreUnref` and the benign
 * filters leave files alone.
 */
function isUnrefd(l: Leak): boolean {
  return !l.refed && l.type !== 'file';
}

/** `thread 3 (./task.js)`, or `thread 3 (script unknown)` for a worker only the 'worker' event saw. */
export function workerDetail(worker: { threadId: number }, record: WorkerRecord): string {
  return `thread ${worker.threadId} (${record.script ?? 'script unknown'})`;
}

/**
 * A running worker thread as a leak.
 * @param framesFor its creation frames from the record's stack (mapped or not); none without one
 */
export function workerLeak(
  worker: { threadId: number },
  record: WorkerRecord,
  framesFor: (holder: StackHolder) => Frame[],
): Leak {
  const frames = record.holder === null ? [] : framesFor(record.holder);
  return {
    type: 'worker',
    refed: record.refed,
    detail: workerDetail(worker, record),
    frames,
    site: pickSite(frames),
    pooled: false,
  };
}

/** A child process in one line: `/usr/bin/node -e … (pid 4242)`. */
export function childDetail(c: Pick<ChildProcess, 'spawnargs' | 'pid'>): string {
  return `${c.spawnargs.join(' ')} (pid ${c.pid ?? '?'})`;
}

/** The leaks the options do not ignore. */
export function filterLeaks(leaks: readonly Leak[], opts: ResolvedLeakOptions): Leak[] {
  return leaks.filter((l) => {
    if (!opts.strict && benignReason(l) !== null) return false;
    if (opts.ignoreTypes.includes(l.type)) return false;
    if (opts.ignoreUnref && isUnrefd(l)) return false;
    if (opts.ignoreSites.length > 0) {
      for (const f of l.frames) {
        const at = formatLocation(f);
        for (const p of opts.ignoreSites) {
          if (typeof p === 'string' ? at.includes(p) : p.test(at)) return false;
        }
      }
    }
    return true;
  });
}

/**
 * Reads a captured stack. The formatted text first: vitest's stack hook
 * and `--enable-source-maps` map it to the sources (`.ts` lines), which
 * raw call sites are not. Structured call sites if the text is unusable.
 */
export function framesOf(holder: StackHolder, max: number): Frame[] {
  let text: unknown;
  try {
    text = holder.stack;
  } catch {
    text = undefined;
  }
  if (typeof text === 'string') {
    const frames = parseStackText(text, max);
    if (frames.length > 0) return frames;
  }
  return readHolder(holder, max);
}

const NOUN: Readonly<Record<LeakType, string>> = {
  timeout: 'setTimeout',
  interval: 'setInterval',
  socket: 'socket',
  server: 'server',
  udp: 'UDP socket',
  process: 'child process',
  worker: 'worker',
  file: 'open file',
};

/** One leak on one line: `setInterval every 1000ms, created at a.test.ts:12:5`, `open file /tmp/a.log (fd 23), opened at …`. */
export function describeLeak(l: Leak): string {
  const verb = l.type === 'file' ? 'opened' : 'created';
  const at = l.site === null ? 'creation site unknown' : `${verb} at ${formatLocation(l.site)}`;
  return `${NOUN[l.type]} ${l.detail}${isUnrefd(l) ? " (unref'd)" : ''}, ${at}`;
}

/**
 * The failure message.
 * @param scope what ran: `this test`, `this file`, `the function`
 */
export function formatLeaks(leaks: readonly Leak[], scope: string): string {
  const n = leaks.length;
  const lines = [
    `leakwatch: ${n} handle${n === 1 ? '' : 's'} created by ${scope} ${n === 1 ? 'is' : 'are'} still alive:`,
  ];
  for (const l of leaks) {
    lines.push(`  - ${describeLeak(l)}`);
    for (const f of printedFrames(l.frames, PRINTED_FRAMES)) lines.push(`        at ${formatFrame(f)}`);
  }
  return lines.join('\n');
}

/** Thrown when code leaves handles alive; `leaks` lists them. */
export class LeakError extends Error {
  readonly code = 'LEAKWATCH_ERR_LEAKS';
  readonly leaks: readonly Leak[];
  constructor(leaks: readonly Leak[], scope: string) {
    super(formatLeaks(leaks, scope));
    this.name = 'LeakError';
    this.leaks = leaks;
  }
}
