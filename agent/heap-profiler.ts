/**
 * The heap sampling profiler, armed while *suspect*: V8 samples
 * allocations (one per `INTERVAL_BYTES` on average) and keeps the samples
 * whose objects are still alive, so at report time the profile is "memory
 * allocated since arming and still live", by allocating function.
 * `@datadog/pprof` is loaded here and nowhere else, only when armed.
 *
 * V8 attributes a sample to a *function* (its start line and column), not
 * to the allocating statement: a heap suspect's site is the allocating
 * function's first line (the column points at its parameter list).
 * https://v8.github.io/api/head/classv8_1_1AllocationProfile.html
 */
import * as fs from 'node:fs/promises';
import type * as Pprof from '@datadog/pprof';
import { type Frame, formatFrame, pickSite } from '../probes/stack-frames';

/**
 * Mean bytes between samples: @datadog/pprof's default, measured at 0.98×
 * requests/s on an HTTP service (DESIGN.md).
 */
export const INTERVAL_BYTES = 512 * 1024;
/** Frames kept per sample. */
export const STACK_DEPTH = 64;

/** Live bytes sampled at one allocation site. */
export interface HeapSite {
  site: Frame;
  bytes: number;
  /** Estimated live objects (V8 scales samples by the interval). */
  count: number;
  /** The heaviest path to the site, innermost first, formatted. */
  stack: string[];
}

/** The `@datadog/pprof` heap sampler while armed. */
export interface HeapProfiler {
  readonly startedAt: number;
  /** Live allocation sites since start, heaviest first. */
  sites(): { sites: HeapSite[]; unattributedBytes: number; totalBytes: number };
  /** Encodes the current profile as gzipped pprof and writes it. */
  writeProfile(file: string): Promise<number>;
  stop(): void;
}

type PprofModule = typeof Pprof;

function loadPprof(): PprofModule {
  // @datadog/pprof reads `module.parent` as it loads (DEP0144, a pending
  // deprecation): under --throw-deprecation that warning is thrown, and it
  // would end the application. The heap profile is optional; the app is not.
  if (process.throwDeprecation === true) {
    throw new Error(
      'not loaded under --throw-deprecation: @datadog/pprof reads module.parent (DEP0144), which would be thrown in the application',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@datadog/pprof') as PprofModule;
}

/**
 * Starts the sampler.
 * @throws if @datadog/pprof cannot load, or another user started its heap
 *   profiler with different parameters
 */
export function startHeapProfiler(): HeapProfiler {
  const pprof = loadPprof();
  pprof.heap.start(INTERVAL_BYTES, STACK_DEPTH);
  let running = true;
  // Stop the native sampler even if the host exits while we are armed.
  const onExit = () => stop();
  process.once('exit', onExit);
  const stop = () => {
    if (!running) return;
    running = false;
    process.off('exit', onExit);
    pprof.heap.stop();
  };
  return {
    startedAt: Date.now(),
    sites() {
      if (!running) return { sites: [], unattributedBytes: 0, totalBytes: 0 };
      return summarise(pprof.heap.v8Profile() as ProfileNode);
    },
    async writeProfile(file) {
      if (!running) throw new Error('heap profiler is stopped');
      const buf = await pprof.encode(pprof.heap.profile());
      await fs.writeFile(file, buf, { mode: 0o600 });
      return buf.length;
    },
    stop,
  };
}

/**
 * A node of V8's allocation profile. With the `allocations` mode (Node ≥ 26)
 * entries carry in-use figures instead of `sizeBytes`/`count`.
 */
interface ProfileNode {
  name: string;
  scriptName: string;
  lineNumber: number;
  columnNumber: number;
  allocations: ({ sizeBytes: number; count: number } | { inuseObjects: number; inuseSpaceBytes: number })[];
  children: ProfileNode[];
}

function toFrame(n: ProfileNode): Frame {
  return { fn: n.name || '(anonymous)', file: n.scriptName, line: n.lineNumber, column: n.columnNumber };
}

/** Groups the sampled live bytes by site (the innermost user frame). */
export function summarise(root: ProfileNode): { sites: HeapSite[]; unattributedBytes: number; totalBytes: number } {
  const bySite = new Map<string, HeapSite & { heaviest: number }>();
  let unattributed = 0;
  let total = 0;
  // Depth-first with an explicit stack: deep recursion in the app must not
  // become deep recursion here.
  const todo: { node: ProfileNode; path: Frame[] }[] = [{ node: root, path: [] }];
  while (todo.length > 0) {
    const { node, path } = todo.pop() as { node: ProfileNode; path: Frame[] };
    const here = node.scriptName || node.name ? [toFrame(node), ...path] : path;
    let bytes = 0;
    let count = 0;
    for (const a of node.allocations) {
      if ('sizeBytes' in a) {
        bytes += a.sizeBytes * a.count;
        count += a.count;
      } else {
        bytes += a.inuseSpaceBytes;
        count += a.inuseObjects;
      }
    }
    if (bytes > 0) {
      total += bytes;
      const site = pickSite(here);
      if (site === null) {
        unattributed += bytes;
      } else {
        const key = `${site.file}:${site.line}:${site.column}`;
        let s = bySite.get(key);
        if (s === undefined) bySite.set(key, (s = { site, bytes: 0, count: 0, stack: [], heaviest: 0 }));
        s.bytes += bytes;
        s.count += count;
        if (bytes > s.heaviest) {
          s.heaviest = bytes;
          s.stack = here.filter((f) => f.file !== '').map(formatFrame);
        }
      }
    }
    for (const c of node.children) todo.push({ node: c, path: here });
  }
  const sites = [...bySite.values()].map(({ heaviest: _h, ...s }) => s).sort((a, b) => b.bytes - a.bytes);
  return { sites, unattributedBytes: unattributed, totalBytes: total };
}
