import { type PerformanceEntry, PerformanceObserver, constants } from 'node:perf_hooks';
import { readOldGenUsed } from './heap';

/** GC kinds, named as Datadog and prom-client name them. */
export const GC_KINDS = ['scavenge', 'mark_sweep_compact', 'incremental_marking', 'process_weak_callbacks'] as const;
/** One of `GC_KINDS`. */
export type GcKind = (typeof GC_KINDS)[number];

const KIND_BY_FLAG: ReadonlyMap<number, GcKind> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark_sweep_compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental_marking'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'process_weak_callbacks'],
]);

/** GC activity since the previous read. */
export interface GcReading {
  /** Collections per kind since the last read, in `GC_KINDS` order. */
  readonly count: number[];
  /** Pause time per kind since the last read (ms). */
  readonly pauseMs: number[];
  /** Every pause since the last read, for a pause histogram (ms, capped). */
  readonly pauses: number[];
  /** The `GC_KINDS` index of each entry of `pauses` (-1 if unknown). */
  readonly pauseKinds: number[];
  /** Pauses beyond the cap above; counted, never silently lost. */
  pausesDropped: number;
  /**
   * Old-generation bytes right after the latest major GC: the post-GC heap
   * floor, the signal a leak shows in. NaN until the first major GC.
   */
  floorBytes: number;
  /** Major GCs seen since the probe started. */
  majorTotal: number;
}

/** Per-pause detail kept per interval; beyond it, pauses are only summed. */
const MAX_PAUSES_PER_READ = 1_024;

/** Whether this Node delivers `gc` performance entries. */
export function isSupported(): boolean {
  return (
    typeof PerformanceObserver === 'function' &&
    (PerformanceObserver as unknown as { supportedEntryTypes: string[] }).supportedEntryTypes.includes('gc')
  );
}

/** The `gc` observer and its accumulated counts. */
export interface GcProbe {
  /** Moves the counts since the last read into `out` and zeroes them. */
  read(out: GcReading): GcReading;
  disable(): void;
}

/** A reading object to pass to the probe's `read` again and again. */
export function createGcReading(): GcReading {
  return {
    count: GC_KINDS.map(() => 0),
    pauseMs: GC_KINDS.map(() => 0),
    pauses: [],
    pauseKinds: [],
    pausesDropped: 0,
    floorBytes: NaN,
    majorTotal: 0,
  };
}

/**
 * Observes `gc` performance entries. Node delivers them in batches (32 in
 * one callback seen here), so every entry of a batch is consumed.
 * https://nodejs.org/api/perf_hooks.html#garbage-collection-gc-details
 */
export function createGcProbe(): GcProbe {
  const acc = createGcReading();
  const observer = new PerformanceObserver((list) => {
    try {
      let sawMajor = false;
      const entries = list.getEntries();
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as PerformanceEntry & { detail?: { kind?: number } };
        const kind = KIND_BY_FLAG.get(entry.detail?.kind ?? -1);
        const k = kind === undefined ? -1 : GC_KINDS.indexOf(kind);
        if (k >= 0) {
          (acc.count[k] as number)++;
          acc.pauseMs[k] = (acc.pauseMs[k] as number) + entry.duration;
        }
        if (acc.pauses.length < MAX_PAUSES_PER_READ) {
          acc.pauses.push(entry.duration);
          acc.pauseKinds.push(k);
        } else {
          acc.pausesDropped++;
        }
        if (kind === 'mark_sweep_compact') {
          sawMajor = true;
          acc.majorTotal++;
        }
      }
      // The callback runs shortly after the GC: only promotions since then
      // are added to the old generation, so this is a close post-GC floor.
      if (sawMajor) acc.floorBytes = readOldGenUsed();
    } catch {
      // A probe never throws into the host.
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    read(out) {
      for (let k = 0; k < GC_KINDS.length; k++) {
        out.count[k] = acc.count[k] as number;
        out.pauseMs[k] = acc.pauseMs[k] as number;
        acc.count[k] = 0;
        acc.pauseMs[k] = 0;
      }
      out.pauses.length = 0;
      out.pauseKinds.length = 0;
      for (let i = 0; i < acc.pauses.length; i++) {
        out.pauses.push(acc.pauses[i] as number);
        out.pauseKinds.push(acc.pauseKinds[i] as number);
      }
      acc.pauses.length = 0;
      acc.pauseKinds.length = 0;
      out.pausesDropped = acc.pausesDropped;
      acc.pausesDropped = 0;
      out.floorBytes = acc.floorBytes;
      out.majorTotal = acc.majorTotal;
      return out;
    },
    disable() {
      observer.disconnect();
    },
  };
}
