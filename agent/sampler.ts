import { createEventLoopProbe, createEventLoopReading, type EventLoopProbe } from '../probes/event-loop';
import { createGcProbe, createGcReading, GC_KINDS, type GcProbe } from '../probes/gc';
import { createHandlesReading, readHandles } from '../probes/handles';
import { createHeapReading, readHeap, spaceNames } from '../probes/heap';
import { createProcessProbe, createProcessReading, type ProcessProbe } from '../probes/process';
import { FloorSteps } from './floor-steps';
import type { History } from './history';

/** History column names: the report's `series` uses the same. */
export const COLUMN = Object.freeze({
  heapUsed: 'heap.used',
  heapTotal: 'heap.total',
  heapExternal: 'heap.external',
  heapArrayBuffers: 'heap.arrayBuffers',
  /** Old generation in use at each tick. */
  heapOld: 'heap.old',
  /** Old generation right after the latest major GC: the post-GC floor. */
  heapFloor: 'heap.floor',
  rss: 'rss',
  cpuUser: 'cpu.user',
  cpuSystem: 'cpu.system',
  loopMin: 'loop.min',
  loopMean: 'loop.mean',
  loopP50: 'loop.p50',
  loopP90: 'loop.p90',
  loopP99: 'loop.p99',
  loopMax: 'loop.max',
  loopUtilization: 'loop.utilization',
  fds: 'fds',
  gcPause: 'gc.pauseMs',
  gcCount: 'gc.count',
});
/** `space.old_space`, ... per V8 heap space (bytes used). */
export const spaceColumn = (space: string): string => `space.${space}`;
/** `handles.Timeout`, ... per active resource type (count). */
export const handleColumn = (type: string): string => `handles.${type}`;
/** History columns of handle counts are named `handles.<type>`. */
export const HANDLE_PREFIX = 'handles.';

const SPACE_COLUMNS = spaceNames.map(spaceColumn);

/** The newest readings of every probe; exporters read these after a tick. */
export interface Readings {
  readonly heap: ReturnType<typeof createHeapReading>;
  readonly handles: ReturnType<typeof createHandlesReading>;
  readonly loop: ReturnType<typeof createEventLoopReading>;
  readonly gc: ReturnType<typeof createGcReading>;
  readonly process: ReturnType<typeof createProcessReading>;
}

/**
 * Reads every probe into the history. Owns the probes' resources (the delay
 * histogram and the GC observer) but no timer: the agent drives `sample()`.
 */
export class Sampler {
  readonly readings: Readings = {
    heap: createHeapReading(),
    handles: createHandlesReading(),
    loop: createEventLoopReading(),
    gc: createGcReading(),
    process: createProcessReading(),
  };
  private readonly loop: EventLoopProbe;
  private readonly gc: GcProbe;
  private readonly proc: ProcessProbe;
  private readonly handleColumns = new Map<string, string>();
  /** The floors read at the latest major GCs, for the judge. */
  readonly floorSteps = new FloorSteps();
  private majorsSeen = 0;

  constructor(
    private readonly history: History,
    intervalMs = 1_000,
  ) {
    this.loop = createEventLoopProbe(intervalMs);
    this.gc = createGcProbe();
    this.proc = createProcessProbe();
  }

  /** One tick: read every probe, write one history row. */
  sample(now: number): void {
    const { heap, handles, loop, gc, process: proc } = this.readings;
    readHeap(heap);
    readHandles(handles);
    this.loop.read(loop);
    this.gc.read(gc);
    this.proc.read(proc);

    const h = this.history;
    h.beginRow(now);
    h.set(COLUMN.heapUsed, heap.usedBytes);
    h.set(COLUMN.heapTotal, heap.totalBytes);
    h.set(COLUMN.heapExternal, heap.externalBytes);
    h.set(COLUMN.heapArrayBuffers, heap.arrayBuffersBytes);
    h.set(COLUMN.heapOld, heap.oldGenUsedBytes);
    // Before the first major GC there is no post-GC reading yet: the old
    // generation in use is the best upper bound of the floor.
    h.set(COLUMN.heapFloor, Number.isNaN(gc.floorBytes) ? heap.oldGenUsedBytes : gc.floorBytes);
    // One reading per tick with a major GC in it (the newest, if several),
    // timed at the tick: at most one interval late.
    if (gc.majorTotal !== this.majorsSeen && !Number.isNaN(gc.floorBytes)) {
      this.majorsSeen = gc.majorTotal;
      this.floorSteps.push(now, gc.floorBytes);
    }
    for (let i = 0; i < SPACE_COLUMNS.length; i++) {
      h.set(SPACE_COLUMNS[i] as string, heap.spaceUsedBytes[i] as number);
    }
    h.set(COLUMN.rss, heap.rssBytes);
    h.set(COLUMN.cpuUser, proc.cpuUserPercent);
    h.set(COLUMN.cpuSystem, proc.cpuSystemPercent);
    h.set(COLUMN.loopMin, loop.minMs);
    h.set(COLUMN.loopMean, loop.meanMs);
    h.set(COLUMN.loopP50, loop.p50Ms);
    h.set(COLUMN.loopP90, loop.p90Ms);
    h.set(COLUMN.loopP99, loop.p99Ms);
    h.set(COLUMN.loopMax, loop.maxMs);
    h.set(COLUMN.loopUtilization, loop.utilization);
    h.set(COLUMN.fds, handles.openFds);
    let gcCount = 0;
    let gcPause = 0;
    for (let k = 0; k < GC_KINDS.length; k++) {
      gcCount += gc.count[k] as number;
      gcPause += gc.pauseMs[k] as number;
    }
    h.set(COLUMN.gcCount, gcCount, 0);
    h.set(COLUMN.gcPause, gcPause, 0);
    for (const [type, n] of handles.byType) {
      let name = this.handleColumns.get(type);
      if (name === undefined) {
        name = handleColumn(type);
        this.handleColumns.set(type, name);
      }
      h.set(name, n, 0);
    }
  }

  /** Releases the histogram and the observer. Idempotent. */
  stop(): void {
    this.loop.disable();
    this.gc.disable();
  }
}
