/**
 * Creation-site capture, armed only while *suspect*: wraps the calls that
 * create timers, sockets and servers, and remembers where they were made.
 *
 * - Timers: one call in 16 on average captures its stack
 *   (`Error.captureStackTrace`, frames left unformatted until a report
 *   reads them), and at most 50 a second. Measured on this machine:
 *   capturing every call cost 0.80× requests/s on an HTTP service making
 *   2 timers per request, one in 16 cost 0.98× (DESIGN.md). A leaking
 *   site repeats, so sampling still names it; counts come from
 *   enumerating live handles, never from here.
 *   The gap between samples is random (mean 16) so a fixed pattern of
 *   calls per request cannot alias with the sampler and hide a site.
 *   One capture costs 4 µs in a shallow stack and 11–16 µs 30 frames
 *   down (`node bench/snapshot.js`), so one in 16 alone grows with the
 *   timer rate: it added 0.5–1.1 µs to every setTimeout + clearTimeout
 *   pair, 0.07–0.11 µs with the cap. The cap holds captures under about
 *   0.8 ms a second whatever the rate. Which sample points it skips
 *   depends on time, not on the call pattern, so every site keeps its
 *   share of the stacks.
 * - Sockets and servers: every call is captured; a connect costs far more
 *   than a stack capture.
 * - Growth since arming needs no per-call record: a handle's async id
 *   (one counter that only grows) above the id taken at arming means it was
 *   created after it.
 *
 * Records live in a WeakMap keyed by the timer or socket, so nothing here
 * keeps alive what leaks. Disarm restores the originals exactly; if someone
 * wrapped them after us, our wrapper stays but passes straight through.
 */
// `import x = require()` keeps the real module objects: a namespace import
// would be a copy, and patching a copy changes nothing for the app.
import childProcess = require('node:child_process');
import dgram = require('node:dgram');
import net = require('node:net');
import timers = require('node:timers');
import { asyncIdOf, connectTarget, nextAsyncId } from './handle-identity';
import { type StackHolder, captureHolder } from './stack-frames';
import { type AnyFn, createPatcher, tokenBucket } from './wrap';

/** Frames kept per captured stack: the user's call is rarely deeper. */
export const MAX_CAPTURED_FRAMES = 32;
/** Mean calls between two timer stack captures. */
export const TIMER_SAMPLE_MEAN = 16;
/** Most timer stacks captured per second (bursts of as many). */
export const TIMER_STACKS_PER_SECOND = 50;

/** A sampled creation: when, and the unformatted stack. */
export interface SampledCreation {
  readonly at: number;
  readonly holder: StackHolder;
  /**
   * Sockets: where `connect` was asked to go (`host:port` or a pipe path).
   * A pipe client has no readable peer address afterwards.
   */
  readonly target?: string;
}

/** `1`: created while armed, stack not sampled. */
export type CreationRecord = SampledCreation | 1;

/** Creation-site tracking while armed: the wrappers' records, looked up by handle. */
export interface CreationSites {
  readonly armedAt: number;
  /**
   * The sampled creation of a timer, socket or server; `1` when it was
   * created while armed without a sampled stack; undefined when it is
   * older than the arming.
   */
  recordOf(handle: object): CreationRecord | undefined;
  /** Calls seen and stacks captured, per kind, for the report's notes. */
  readonly counts: {
    timers: number;
    timerStacks: number;
    /** Timer sample points skipped by the per-second cap. */
    timerStacksCapped: number;
    sockets: number;
    servers: number;
    processes: number;
  };
  /** Mean timer calls between two captures. */
  readonly timerSampleMean: number;
  /** The cap in force: stacks per second, Infinity when none. */
  readonly timerStacksPerSecond: number;
  /** Restores every original. Idempotent. */
  disarm(): void;
}

/** What a wrapped call created: a timer, a client socket or a server. */
export type CreatedKind = 'timer' | 'socket' | 'server' | 'process';

/** What to wrap when arming, and how often to capture a stack. */
export interface ArmOptions {
  timers: boolean;
  sockets: boolean;
  /** Child processes (`ChildProcess#spawn`, which spawn, exec, execFile and fork reach). */
  processes?: boolean;
  /**
   * Mean timer calls between two stack captures (default
   * `TIMER_SAMPLE_MEAN`). `1` captures every call: what test helpers and
   * `leakwatch why` want, where every handle must be named and the window
   * is short or the program is under a debugger anyway.
   */
  timerSampleMean?: number;
  /**
   * Most timer stacks captured per second, bursts of as many (default
   * `TIMER_STACKS_PER_SECOND`; Infinity when `timerSampleMean` is 1).
   */
  timerStacksPerSecond?: number;
  /**
   * Called with every handle created while armed, after its record is set.
   * Exceptions are swallowed: the caller's call must not fail because of it.
   */
  onCreate?: (handle: object, kind: CreatedKind) => void;
}

/** Stack capture needs V8's `Error.captureStackTrace`. */
export function isSupported(): boolean {
  return typeof Error.captureStackTrace === 'function';
}

/** Random gap in 1..2·mean−1 (mean `mean`). */
function nextGap(mean: number): number {
  return 1 + Math.floor(Math.random() * (2 * mean - 1));
}

/**
 * Installs the wrappers.
 * @param opts which kinds to wrap
 */
export function armCreationSites(opts: ArmOptions): CreationSites {
  const records = new WeakMap<object, CreationRecord>();
  const counts = { timers: 0, timerStacks: 0, timerStacksCapped: 0, sockets: 0, servers: 0, processes: 0 };
  let armed = true;
  const { patch, publish, restore } = createPatcher(() => armed);
  const sampleMean = opts.timerSampleMean ?? TIMER_SAMPLE_MEAN;
  if (!(Number.isInteger(sampleMean) && sampleMean >= 1)) {
    throw new RangeError(`timerSampleMean must be an integer >= 1, got ${String(sampleMean)}`);
  }
  const perSecond = opts.timerStacksPerSecond ?? (sampleMean === 1 ? Infinity : TIMER_STACKS_PER_SECOND);
  if (!(perSecond > 0)) throw new RangeError(`timerStacksPerSecond must be > 0, got ${String(perSecond)}`);
  // Read only at sample points: one Date.now() per 16 calls.
  const mayCapture = tokenBucket(perSecond);
  const onCreate = opts.onCreate;
  const notify = (handle: object, kind: CreatedKind) => {
    if (onCreate === undefined) return;
    try {
      onCreate(handle, kind);
    } catch {
      // The host's setTimeout/connect must succeed whatever the observer does.
    }
  };
  let gap = nextGap(sampleMean);

  /** Runs inside the host's setTimeout/connect/listen: never throws. */
  const capture = (skip: AnyFn, at = Date.now()): SampledCreation => ({
    at,
    holder: captureHolder(skip, MAX_CAPTURED_FRAMES),
  });

  if (opts.timers) {
    const wrapTimer = (original: AnyFn): AnyFn => {
      const wrapper = function (this: unknown, ...args: unknown[]) {
        const handle = Reflect.apply(original, this, args);
        if (armed && typeof handle === 'object' && handle !== null) {
          counts.timers++;
          if (--gap <= 0) {
            gap = nextGap(sampleMean);
            const now = Date.now();
            if (mayCapture(now)) {
              counts.timerStacks++;
              records.set(handle, capture(wrapper, now));
            } else {
              counts.timerStacksCapped++;
            }
          }
          notify(handle, 'timer');
        }
        return handle;
      };
      return wrapper;
    };
    // `globalThis.setTimeout` and `require('timers').setTimeout` are the
    // same function; code may call either.
    for (const key of ['setTimeout', 'setInterval']) {
      patch(globalThis, key, wrapTimer);
      if (
        (timers as unknown as Record<string, unknown>)[key] !== (globalThis as unknown as Record<string, unknown>)[key]
      ) {
        patch(timers, key, wrapTimer);
      }
    }
  }

  // Every call is captured: a connect, a listen or a spawn costs far more
  // than a stack capture.
  const NOTIFIED = { sockets: 'socket', servers: 'server', processes: 'process' } as const;
  const wrapCreate =
    (kind: 'sockets' | 'servers' | 'processes', self: boolean) =>
    (original: AnyFn): AnyFn => {
      const wrapper = function (this: unknown, ...args: unknown[]) {
        const result = Reflect.apply(original, this, args);
        const handle = self ? this : result;
        if (armed && typeof handle === 'object' && handle !== null && !records.has(handle)) {
          counts[kind]++;
          const rec = capture(wrapper);
          const target = kind === 'sockets' && self ? connectTarget(args) : undefined;
          records.set(handle, target === undefined ? rec : { ...rec, target });
          notify(handle, NOTIFIED[kind]);
        }
        return result;
      };
      return wrapper;
    };
  if (opts.processes) {
    // child_process.spawn, exec, execFile and fork all call it.
    patch(childProcess.ChildProcess.prototype, 'spawn', wrapCreate('processes', true));
  }
  if (opts.sockets) {
    // net.connect, net.createConnection, http.Agent and tls.connect all end
    // in Socket#connect.
    patch(net.Socket.prototype, 'connect', wrapCreate('sockets', true));
    patch(net.Server.prototype, 'listen', wrapCreate('servers', true));
    patch(dgram, 'createSocket', wrapCreate('sockets', false));
  }
  publish();

  // Async ids only grow: anything whose id is above this one was created
  // after arming, through our wrappers or not (a reference taken earlier).
  // That makes growth exact with nothing stored per unsampled call.
  const armedAsyncId = nextAsyncId();
  let disarmedAsyncId = Infinity;
  const createdWhileArmed = (handle: object) => {
    const id = asyncIdOf(handle);
    return id > armedAsyncId && id < disarmedAsyncId;
  };

  return {
    armedAt: Date.now(),
    counts,
    timerSampleMean: sampleMean,
    timerStacksPerSecond: perSecond,
    recordOf: (handle) => records.get(handle) ?? (createdWhileArmed(handle) ? 1 : undefined),
    disarm() {
      if (!armed) return;
      armed = false;
      disarmedAsyncId = nextAsyncId();
      restore();
    },
  };
}
