/**
 * Listener leaks: Node emits a `MaxListenersExceededWarning` the first time
 * an emitter gets more than `getMaxListeners()` listeners for one event.
 * While armed we keep each such warning's stack (where the listener that
 * crossed the line was added) and a weak reference to the emitter, so the
 * report can give the listener count now without keeping the emitter.
 * https://nodejs.org/api/events.html#emittersetmaxlistenersn
 */
import type { StackHolder } from './stack-frames';

/** Warnings kept per arming; more are counted, not stored. */
export const MAX_LISTENER_WARNINGS = 32;

/** One `MaxListenersExceededWarning` caught while armed. */
export interface ListenerWarning {
  at: number;
  /** The event name, as the warning gives it. */
  type: string | symbol;
  /** Listeners when the warning fired. */
  countAtWarning: number;
  emitterName: string;
  emitter: WeakRef<object> | null;
  /** The warning itself: its stack is where the listener was added. */
  holder: StackHolder;
}

/** Emitter facts read at report time. */
export interface ListenerReading {
  warning: ListenerWarning;
  /** Listeners now, or null if the emitter was collected. */
  countNow: number | null;
  maxListeners: number | null;
  /** The newest listener function, for its location. */
  newest: unknown;
}

/** The warnings caught since arming; `dropped` counts those beyond the cap. */
export interface ListenerCapture {
  readonly warnings: readonly ListenerWarning[];
  readonly dropped: number;
  read(): ListenerReading[];
  disarm(): void;
}

interface MaxListenersWarning extends Error {
  emitter?: unknown;
  type?: unknown;
  count?: unknown;
}

/**
 * One `warning` listener on `process` however many captures are armed: an
 * agent must never itself push `process` over its listener limit.
 */
const active = new Set<(w: MaxListenersWarning) => void>();
const dispatch = (w: MaxListenersWarning): void => {
  for (const f of active) f(w);
};

/**
 * Starts catching `MaxListenersExceededWarning`s (with the stack of the code
 * that added the listener) until `disarm()`.
 */
export function armListenerWarnings(): ListenerCapture {
  const warnings: ListenerWarning[] = [];
  let dropped = 0;
  const onWarning = (w: MaxListenersWarning) => {
    try {
      if (w?.name !== 'MaxListenersExceededWarning') return;
      if (warnings.length >= MAX_LISTENER_WARNINGS) {
        dropped++;
        return;
      }
      const emitter = typeof w.emitter === 'object' && w.emitter !== null ? w.emitter : null;
      warnings.push({
        at: Date.now(),
        type: typeof w.type === 'symbol' ? w.type : String(w.type),
        countAtWarning: typeof w.count === 'number' ? w.count : 0,
        emitterName: emitter?.constructor?.name ?? 'EventEmitter',
        emitter: emitter === null ? null : new WeakRef(emitter),
        // Only the text: the warning object holds the emitter strongly.
        holder: { stack: typeof w.stack === 'string' ? w.stack : '' },
      });
    } catch {
      // A malformed warning: nothing to keep.
    }
  };
  if (active.size === 0) process.on('warning', dispatch);
  active.add(onWarning);
  return {
    warnings,
    get dropped() {
      return dropped;
    },
    read() {
      return warnings.map((warning) => {
        const e = warning.emitter?.deref() as
          | {
              listenerCount?: (t: string | symbol) => number;
              getMaxListeners?: () => number;
              rawListeners?: (t: string | symbol) => unknown[];
            }
          | undefined;
        if (e === undefined) return { warning, countNow: null, maxListeners: null, newest: undefined };
        const type = warning.type;
        let countNow: number | null = null;
        let max: number | null = null;
        let newest: unknown;
        try {
          countNow = e.listenerCount?.(type) ?? null;
          max = e.getMaxListeners?.() ?? null;
          const raw = e.rawListeners?.(type) ?? [];
          newest = raw[raw.length - 1];
        } catch {
          // Leave what could not be read as null.
        }
        return { warning, countNow, maxListeners: max, newest };
      });
    },
    disarm() {
      if (!active.delete(onWarning)) return;
      if (active.size === 0) process.off('warning', dispatch);
    },
  };
}
