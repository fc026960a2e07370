/**
 * Installing wrappers around the host's functions, and taking them off
 * again, for the modules that arm creation-site capture. A disarm restores
 * the original exactly; if someone wrapped on top of ours after us, our
 * layer stays under theirs and passes straight through.
 */

import { syncBuiltinESMExports } from 'node:module';

/** Any function, as wrappers see it. */
export type AnyFn = (...args: unknown[]) => unknown;

/**
 * Every wrapper ever installed, with what it wrapped. A wrapper left in
 * place by a disarm (someone wrapped on top of it, or an arm raced a
 * pending disarm) is skipped when arming again, so repeated cycles never
 * stack dead layers.
 */
const WRAPPED = new WeakMap<AnyFn, { original: AnyFn; isArmed: () => boolean }>();

function unwrapDead(fn: AnyFn): AnyFn {
  let f = fn;
  for (let w = WRAPPED.get(f); w !== undefined && !w.isArmed(); w = WRAPPED.get(f)) f = w.original;
  return f;
}

interface Patch {
  target: Record<string, unknown>;
  key: string;
}

/** Wrappers installed together and taken off together. */
export interface Patcher {
  /** Replaces `target[key]` (when it is a function) by `make(original)`. */
  patch(target: object, key: string, make: (original: AnyFn) => AnyFn): void;
  /**
   * Makes ES modules see the wrappers: `import { openSync } from 'node:fs'`
   * is bound to Node's ES view of the module, which follows assignments to
   * the CommonJS exports only on `syncBuiltinESMExports()`. Call once after
   * the last `patch`.
   */
  publish(): void;
  /** Takes every wrapper off (ES bindings too); call after `isArmed` turned false. */
  restore(): void;
}

let batchDepth = 0;
let syncPending = false;

/**
 * Updates the ES bindings of every builtin to its CommonJS exports (Node's
 * `module.syncBuiltinESMExports`, which walks every export of every builtin
 * imported as an ES module: a test helper's window, synced at open and at
 * close, costs 150–210 µs more with a dozen such builtins, and nothing
 * measurable without: `node bench/leak-window-cost.js [--esm]`). Inside
 * `batched`, once at its end.
 */
function syncEsmBindings(): void {
  if (batchDepth > 0) {
    syncPending = true;
    return;
  }
  try {
    syncBuiltinESMExports();
  } catch {
    // A builtin export whose getter throws: those bindings stay as they were.
  }
}

/** Runs `fn`; the ES bindings its patchers publish or restore are synced once, at the end. */
export function batched<T>(fn: () => T): T {
  batchDepth++;
  try {
    return fn();
  } finally {
    if (--batchDepth === 0 && syncPending) {
      syncPending = false;
      syncEsmBindings();
    }
  }
}

/** @param isArmed whether these wrappers are live: a dead one passes through */
export function createPatcher(isArmed: () => boolean): Patcher {
  const patches: Patch[] = [];
  return {
    patch(target, key, make) {
      const t = target as Record<string, unknown>;
      if (typeof t[key] !== 'function') return;
      const original = unwrapDead(t[key] as AnyFn);
      const wrapper = make(original);
      WRAPPED.set(wrapper, { original, isArmed });
      // Keep what callers may read off the original: name, length and
      // `util.promisify.custom` (setTimeout/setImmediate carry one).
      for (const k of Reflect.ownKeys(original)) {
        if (k === 'prototype' || k === 'caller' || k === 'arguments') continue;
        const d = Object.getOwnPropertyDescriptor(original, k);
        if (d !== undefined) {
          try {
            Object.defineProperty(wrapper, k, d);
          } catch {
            // A non-configurable own key: the wrapper keeps its own.
          }
        }
      }
      t[key] = wrapper;
      patches.push({ target: t, key });
    },
    publish() {
      if (patches.length > 0) syncEsmBindings();
    },
    restore() {
      for (const p of patches) {
        // Ours on top (possibly over dead layers of ours): put back the
        // first live function below. Someone else's on top: leave it; our
        // layer under it now passes straight through.
        const top = p.target[p.key] as AnyFn;
        if (WRAPPED.has(top)) {
          const below = unwrapDead(top);
          if (below !== top) p.target[p.key] = below;
        }
      }
      if (patches.length > 0) syncEsmBindings();
      patches.length = 0;
    },
  };
}

/**
 * A token bucket: `perSecond` tokens a second, bursts of as many, at least
 * one held, so a rate under 1 a second still passes. Infinity always passes.
 * @returns take(now): true when a token was taken
 */
export function tokenBucket(perSecond: number): (now: number) => boolean {
  if (perSecond === Infinity) return () => true;
  const burst = Math.max(1, perSecond);
  let tokens = burst;
  let refilledAt = Date.now();
  return (now) => {
    // A wall clock set back refills nothing, and the bucket restarts there.
    tokens = Math.min(burst, tokens + (Math.max(0, now - refilledAt) * perSecond) / 1_000);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens--;
    return true;
  };
}
