import * as v8 from 'node:v8';

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

/** V8's heap size limit in bytes (`--max-old-space-size` and friends). */
export function readHeapLimit(): number {
  return v8.getHeapStatistics().heap_size_limit;
}
