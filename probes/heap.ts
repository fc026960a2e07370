import * as os from 'node:os';
import * as v8 from 'node:v8';
import { isMainThread, resourceLimits } from 'node:worker_threads';

/** One reading of the V8 heap. All sizes in bytes. */
export interface HeapReading {
  usedBytes: number;
  totalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Resident set size: `process.memoryUsage()` reads it in the same call. */
  rssBytes: number;
  /**
   * Old-generation bytes in use: the heap minus the young generation. Objects
   * that survive two scavenges are promoted here, so a leak shows in it while
   * short-lived garbage does not.
   */
  oldGenUsedBytes: number;
  /** `used_size` per V8 heap space, in the order of `spaceNames`. */
  readonly spaceUsedBytes: number[];
}

/** V8 heap space names, read once (they do not change at run time). */
export const spaceNames: readonly string[] = v8.getHeapSpaceStatistics().map((s) => s.space_name);

/** Spaces that hold the young generation (collected by scavenges). */
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

/** Always available on the Node versions leakwatch supports. */
export function isSupported(): boolean {
  return typeof process.memoryUsage === 'function';
}

/** A reading object to pass to `readHeap` again and again. */
export function createHeapReading(): HeapReading {
  return {
    usedBytes: 0,
    totalBytes: 0,
    externalBytes: 0,
    arrayBuffersBytes: 0,
    rssBytes: 0,
    oldGenUsedBytes: 0,
    spaceUsedBytes: spaceNames.map(() => 0),
  };
}

/**
 * Fills `out` from `process.memoryUsage()` and `v8.getHeapSpaceStatistics()`.
 * https://nodejs.org/api/process.html#processmemoryusage
 */
export function readHeap(out: HeapReading): HeapReading {
  const mem = process.memoryUsage();
  out.usedBytes = mem.heapUsed;
  out.totalBytes = mem.heapTotal;
  out.externalBytes = mem.external;
  out.arrayBuffersBytes = mem.arrayBuffers;
  out.rssBytes = mem.rss;
  out.oldGenUsedBytes = readOldGenUsed(out.spaceUsedBytes);
  return out;
}

/**
 * Old-generation bytes in use; also fills per-space sizes when given.
 * Cheap (about 2 µs): the GC probe calls it right after a major GC.
 */
export function readOldGenUsed(spaceUsed?: number[]): number {
  const spaces = v8.getHeapSpaceStatistics();
  let old = 0;
  for (let i = 0; i < spaces.length; i++) {
    const s = spaces[i] as v8.HeapSpaceInfo;
    if (spaceUsed !== undefined && i < spaceUsed.length) spaceUsed[i] = s.space_used_size;
    if (!YOUNG_SPACES.has(s.space_name)) old += s.space_used_size;
  }
  return old;
}

/**
 * V8's `heap_size_limit` in bytes: the old generation's maximum plus the
 * young generation's reserve. Reported as a metric, as dd-trace does.
 */
export function readHeapLimit(): number {
  return v8.getHeapStatistics().heap_size_limit;
}

/** Where the heap floor runs out of room, and what says so. */
export interface OldSpaceLimit {
  bytes: number;
  /**
   * `v8-old-space`: the old generation's maximum, from the process's
   * options or a worker's resource limits. `v8-heap`: none was set, so
   * `heap_size_limit`, which adds the young generation's reserve (48 MiB on
   * Node 20 and 22, 192 on Node 24, 96 on Node 26, on the development
   * machine).
   */
  source: 'v8-old-space' | 'v8-heap';
}

const MiB = 2 ** 20;

/**
 * The old generation's maximum (bytes) that Node's options set, or null:
 * `--max-old-space-size=N` (MiB; the last one wins, and V8 reads `_` as
 * `-`), or `--max-old-space-size-percentage=P` of the memory available,
 * which takes precedence. `options` are NODE_OPTIONS' words, then
 * `process.execArgv`, in the order Node applies them.
 * @param memoryBytes what the percentage is of: the lower of the machine's
 *   memory and the process's constrained memory, as Node computes it
 */
export function oldSpaceFromOptions(options: readonly string[], memoryBytes: number): number | null {
  let size: number | null = null;
  let percent: number | null = null;
  for (let i = 0; i < options.length; i++) {
    const m = /^--max[-_]old[-_]space[-_]size([-_]percentage)?(?:=(.*))?$/.exec(options[i] as string);
    if (m === null) continue;
    // Node takes the percentage's value as the next word too; V8 takes `=` only.
    const text = m[2] ?? (m[1] !== undefined ? (options[++i] ?? '') : '');
    const value = /^\d+(\.\d+)?%?$/.test(text) ? Number.parseFloat(text) : NaN;
    if (m[1] === undefined) size = value > 0 ? Math.floor(value) * MiB : null;
    else percent = value > 0 && value <= 100 ? value : null;
  }
  if (percent !== null) return Math.floor((memoryBytes * percent) / 100 / MiB) * MiB;
  return size;
}

/**
 * The limit a growing heap floor (old-generation bytes after a major GC)
 * runs into: V8 runs out of memory when the old generation reaches its
 * maximum, not at `heap_size_limit`. On Node 24 with
 * `--max-old-space-size=96` that limit reads 288 MiB, and a leaking
 * process dies with about 100 MiB in use. In a worker thread, the lower of
 * its `resourceLimits.maxOldGenerationSizeMb` and `heap_size_limit` less
 * its young generation (Node 20 reports the one or the other wrongly,
 * depending on which was set). Read once at start.
 * @param options NODE_OPTIONS' words, then `process.execArgv`
 * @param heapSizeLimit `readHeapLimit()`, when the caller has it already
 */
export function readOldSpaceLimit(options: readonly string[], heapSizeLimit = readHeapLimit()): OldSpaceLimit {
  let old: number | null;
  if (isMainThread) {
    const constrained = process.constrainedMemory();
    const total = os.totalmem();
    old = oldSpaceFromOptions(options, constrained > 0 && constrained < total ? constrained : total);
  } else {
    const { maxOldGenerationSizeMb: maxOld = 0, maxYoungGenerationSizeMb: maxYoung = 0 } = resourceLimits;
    old = maxOld > 0 && maxYoung > 0 ? Math.min(maxOld * MiB, heapSizeLimit - maxYoung * MiB) : null;
  }
  return old !== null && old > 0 && old <= heapSizeLimit
    ? { bytes: old, source: 'v8-old-space' }
    : { bytes: heapSizeLimit, source: 'v8-heap' };
}
