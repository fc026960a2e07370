/**
 * The optional full `.heapsnapshot` (`LEAKWATCH_HEAP_SNAPSHOT=true`, off by
 * default). Writing one stops the process for the whole write and needs
 * far more memory than the heap it describes, so it is guarded: it is
 * skipped, with the reason in the report's notes, unless free disk and free
 * memory cover what it needs.
 *
 * Measured on this machine (Node v20.20.2) with 51 MB of used heap: a
 * 134 MB file (2.6×), RSS up by ~520 MB while writing (~10×), 19 s on a
 * loaded 2-core box. https://nodejs.org/api/v8.html#v8writeheapsnapshotfilenameoptions
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as v8 from 'node:v8';

/** Free disk needed, as a multiple of the used heap (measured 2.6×). */
export const DISK_FACTOR = 3;
/** Free memory needed, as a multiple of the used heap (measured ~10×). */
export const MEMORY_FACTOR = 10;
/** No snapshot above this used heap: the pause would be minutes long. */
export const MAX_HEAP_BYTES = 1024 * 1_048_576;

/** A snapshot written (size in bytes, time in ms), or the reason it was not. */
export type HeapSnapshotOutcome =
  { written: true; file: string; bytes: number; ms: number } | { written: false; reason: string };

/**
 * Writes a heap snapshot to `file` if the guards allow it.
 * @param memoryLimitBytes the container memory limit, if any
 */
export function writeGuardedHeapSnapshot(
  file: string,
  dir: string,
  memoryLimitBytes: number | null,
): HeapSnapshotOutcome {
  const used = v8.getHeapStatistics().used_heap_size;
  const mb = (n: number) => `${(n / 1_048_576).toFixed(0)} MB`;
  if (used > MAX_HEAP_BYTES)
    return { written: false, reason: `heap in use ${mb(used)} is above ${mb(MAX_HEAP_BYTES)}` };
  let freeDisk: number;
  try {
    const st = fs.statfsSync(dir);
    freeDisk = st.bavail * st.bsize;
  } catch (err) {
    return { written: false, reason: `free disk unknown (${(err as Error).message})` };
  }
  if (freeDisk < used * DISK_FACTOR)
    return { written: false, reason: `${mb(freeDisk)} free on disk, needs ${mb(used * DISK_FACTOR)}` };
  const rss = process.memoryUsage.rss();
  const freeMem = Math.min(os.freemem(), memoryLimitBytes === null ? Infinity : Math.max(0, memoryLimitBytes - rss));
  if (freeMem < used * MEMORY_FACTOR)
    return { written: false, reason: `${mb(freeMem)} memory free, needs ${mb(used * MEMORY_FACTOR)}` };
  const t0 = Date.now();
  const written = v8.writeHeapSnapshot(file);
  return { written: true, file: written, bytes: fs.statSync(written).size, ms: Date.now() - t0 };
}

let nearLimitSet = false;

/**
 * Asks Node to write one snapshot when the heap nears its limit, before an
 * out-of-memory crash (into `--diagnostic-dir`, by default the working
 * directory). A no-op when already set, here or by
 * `--heapsnapshot-near-heap-limit`.
 * https://nodejs.org/api/v8.html#v8setheapsnapshotnearheaplimitlimit
 */
export function armNearHeapLimitSnapshot(): boolean {
  if (nearLimitSet || typeof v8.setHeapSnapshotNearHeapLimit !== 'function') return false;
  nearLimitSet = true;
  v8.setHeapSnapshotNearHeapLimit(1);
  return true;
}
