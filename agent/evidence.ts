/**
 * The gatherers behind `gatherEvidence`: each reads one kind of evidence
 * (live timers and sockets, the heap profile, a heap snapshot, listener
 * warnings) into the report's suspects, profiles and notes.
 */
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Suspect } from '../reports/report-schema';
import { reportBaseName } from '../reports/report-names';
import type { InspectorProbe } from '../probes/inspector-session';
import type { ListenerCapture } from '../probes/listeners';
import { readLiveChildren } from '../probes/processes';
import type { WorkerSites } from '../probes/workers';
import { readLiveSockets } from '../probes/sockets';
import { readLiveTimers } from '../probes/timers';
import { formatFrame, pickSite, readHolder } from '../probes/stack-frames';
import type { AgentView } from './agent-view';
import type { HeapProfiler } from './heap-profiler';
import { writeGuardedHeapSnapshot } from './heap-snapshot';
import { HANDLE_PREFIX } from './sampler';
import { childStdioFilter, type OwnEndpoints, socketFilters, TIMER_FILTERS } from './own-filters';
import {
  type SuspectContext,
  bump,
  heapSuspect,
  mapLocation,
  processSuspect,
  workerSuspect,
  type WorkerGroup,
  socketSuspect,
  timerSuspect,
} from './suspects';
import type { Evidence, Tracking } from './tracking';

/** Heap sites listed as suspects (the pprof file has them all). */
export const MAX_HEAP_SUSPECTS = 10;
/** Thread ids listed per worker group. */
const MAX_LISTED_THREADS = 10;

/** `1 timer`, `2 timers`: a count with its noun, for the report's notes. */
function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The addresses of leakwatch's own exporters and control socket. */
function ownEndpoints(view: AgentView): OwnEndpoints {
  const exact = new Set<string>();
  const c = view.config;
  if (c.dogstatsd !== null)
    exact.add(c.dogstatsd.protocol === 'udp' ? `${c.dogstatsd.host}:${c.dogstatsd.port}` : c.dogstatsd.path);
  if (c.prometheus !== null) exact.add(`${c.prometheus.host}:${c.prometheus.port}`);
  if (c.otlp !== null) {
    try {
      const u = new URL(c.otlp.url);
      exact.add(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`);
    } catch {
      // Config validated it; nothing to add otherwise.
    }
  }
  const control = (globalThis as Record<symbol, { path?: unknown } | undefined>)[Symbol.for('leakwatch.control')];
  if (typeof control?.path === 'string') exact.add(control.path);
  return { exact };
}

/**
 * Adds the live timers and sockets to `evidence`: grouped by callback or
 * endpoint, the named filters applied (each exclusion counted and noted),
 * each group turned into a suspect.
 */
export async function gatherHandles(
  view: AgentView,
  insp: InspectorProbe,
  tracking: Tracking | null,
  ctx: SuspectContext,
  evidence: Evidence,
): Promise<void> {
  const recordOf = tracking?.sites ? (h: object) => tracking.sites?.recordOf(h) : null;
  const t0 = Date.now();
  const timers = await readLiveTimers(insp, recordOf);
  const t1 = Date.now();
  for (const g of timers.groups) {
    const filter = TIMER_FILTERS.find((f) => f.test(g));
    if (filter !== undefined) {
      bump(evidence.dropped, `excluded.${filter.name}`, g.count);
      evidence.notes.push(
        `excluded ${counted(g.count, 'timer')} with callback ${g.name || '(anonymous)'}: ${filter.reason}`,
      );
      continue;
    }
    evidence.suspects.push(timerSuspect(g, ctx));
  }
  if (timers.inactive > 0)
    evidence.notes.push(
      `${timers.inactive} cleared or fired timers are still referenced (not live, not listed; the heap profile shows what holds them)`,
    );
  bump(evidence.dropped, 'timerLookups', timers.unsplit);
  if (timers.unsplit > 0)
    evidence.notes.push(
      `${timers.unsplit} timers with identical callback text were not resolved one by one (budget); grouped with the first location`,
    );
  const children = readLiveChildren(recordOf);
  for (const g of children.groups) evidence.suspects.push(processSuspect(g, ctx));
  if (tracking?.workers) for (const g of workerGroups(tracking.workers)) evidence.suspects.push(workerSuspect(g, ctx));
  const own = ownEndpoints(view);
  const filters = [...socketFilters(own), childStdioFilter(children.stdioFds)];
  const sockets = await readLiveSockets(insp, recordOf, (m) => filters.find((f) => f.test(m))?.name ?? null, {
    ownEndpoints: own.exact,
  });
  evidence.notes.push(
    sockets.via === 'active-handles'
      ? "sockets: every open socket fd is a ref'd handle or leakwatch's own, so no heap walk was needed"
      : "sockets: found by a heap walk (unref'd or unexplained socket fds were open)",
  );
  if (sockets.ownUnlisted > 0)
    sockets.excluded['leakwatch-endpoint'] = (sockets.excluded['leakwatch-endpoint'] ?? 0) + sockets.ownUnlisted;
  for (const [name, n] of Object.entries(sockets.excluded)) {
    bump(evidence.dropped, `excluded.${name}`, n);
    evidence.notes.push(
      `excluded ${counted(n, 'socket or server', 'sockets or servers')}: ${filters.find((f) => f.name === name)?.reason ?? name}`,
    );
  }
  for (const g of sockets.groups) evidence.suspects.push(socketSuspect(g, ctx));
  if (sockets.inactive > 0)
    evidence.notes.push(
      `${sockets.inactive} destroyed sockets or closed servers are still referenced (not live, not listed)`,
    );
  const sites = tracking?.sites;
  const s = sites?.counts;
  if (sites && s && s.timers > 0) {
    bump(evidence.dropped, 'timerStacks', s.timerStacksCapped);
    const cap = Number.isFinite(sites.timerStacksPerSecond) ? `, at most ${sites.timerStacksPerSecond} a second` : '';
    const capped = s.timerStacksCapped > 0 ? `; ${s.timerStacksCapped} more sample points skipped by that cap` : '';
    evidence.notes.push(
      `creation stacks: ${s.timerStacks} captured for ${s.timers} timers created while armed (1 in ${sites.timerSampleMean} on average${cap}${capped}); counts come from the live timers, not from these`,
    );
  }
  view.debug(
    `snapshot: ${timers.groups.length} timer groups in ${t1 - t0}ms (via ${timers.via}), ${sockets.groups.length} socket groups in ${Date.now() - t1}ms (via ${sockets.via}) (${insp.calls} inspector calls)${s ? `; while armed: ${s.timers} timers (${s.timerStacks} stacks), ${s.sockets} sockets, ${s.servers} servers` : ''}`,
  );
}

/**
 * Adds the heap sampler's heaviest live allocation sites since arming to
 * `evidence` as suspects; the rest are counted and stay in the pprof file.
 */
export async function gatherHeap(
  view: AgentView,
  heap: HeapProfiler,
  ctx: SuspectContext,
  evidence: Evidence,
): Promise<void> {
  try {
    const { sites, unattributedBytes, totalBytes } = heap.sites();
    for (const h of sites.slice(0, MAX_HEAP_SUSPECTS)) evidence.suspects.push(heapSuspect(h, ctx, heap.startedAt));
    if (sites.length > MAX_HEAP_SUSPECTS) {
      bump(evidence.dropped, 'heapSites', sites.length - MAX_HEAP_SUSPECTS);
      evidence.notes.push(
        `${sites.length - MAX_HEAP_SUSPECTS} smaller heap allocation sites left out (all are in the pprof file)`,
      );
    }
    evidence.notes.push(
      `heap profile: ${(totalBytes / 1_048_576).toFixed(1)} MB sampled live since armed, ${(unattributedBytes / 1_048_576).toFixed(1)} MB of it in Node internals or leakwatch (no user frame); heap sites are per allocating function`,
    );
  } catch (err) {
    view.onError('heap profile', err);
    evidence.notes.push(`heap profile could not be read: ${(err as Error)?.message}`);
  }
  const dir = view.config.reportDir;
  const file = path.join(dir, `${reportBaseName(process.pid, new Date())}.heap.pb.gz`);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const bytes = await heap.writeProfile(file);
    evidence.files.push(file);
    evidence.profiles.push({ kind: 'pprof-heap', path: file, bytes });
  } catch (err) {
    view.onError('heap profile write', err);
    evidence.notes.push(`heap profile not written to ${file}: ${(err as Error)?.message}`);
  }
}

/** Writes the guarded `.heapsnapshot` beside the report, or notes why it was not written. */
export function gatherHeapSnapshot(view: AgentView, evidence: Evidence): void {
  const dir = view.config.reportDir;
  const file = path.join(dir, `${reportBaseName(process.pid, new Date())}.heapsnapshot`);
  try {
    fsSync.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const out = writeGuardedHeapSnapshot(file, dir, view.cgroupLimitBytes);
    if (out.written) {
      evidence.files.push(out.file);
      evidence.profiles.push({ kind: 'heapsnapshot', path: out.file, bytes: out.bytes });
      view.debug(`heap snapshot: ${out.bytes} bytes in ${out.ms}ms`);
    } else {
      bump(evidence.dropped, 'heapSnapshot');
      evidence.notes.push(`heap snapshot skipped: ${out.reason}`);
    }
  } catch (err) {
    view.onError('heap snapshot', err);
    evidence.notes.push(`heap snapshot not written: ${(err as Error)?.message}`);
  }
}

/**
 * Adds the event emitters that passed their listener limit while armed to
 * `evidence`, with where the listener that crossed the limit was added.
 */
export async function gatherListeners(
  capture: ListenerCapture,
  insp: InspectorProbe,
  ctx: SuspectContext,
  evidence: Evidence,
): Promise<void> {
  const readings = capture.read();
  if (capture.dropped > 0) {
    bump(evidence.dropped, 'listenerWarnings', capture.dropped);
    evidence.notes.push(
      `${counted(capture.dropped, 'MaxListenersExceededWarning')} beyond the first ${readings.length} not kept`,
    );
  }
  if (readings.length === 0) return;
  let locs: (string | null)[] = readings.map(() => null);
  try {
    locs = (await insp.functionLocations(readings.map((r) => r.newest))).map((l) => mapLocation(l, ctx.mapper));
  } catch {
    // Locations stay null; the warning's stack still names the site.
  }
  readings.forEach((r, i) => {
    const frames = readHolder(r.warning.holder, 32);
    const site = pickSite(frames);
    const type = String(r.warning.type);
    const count = r.countNow ?? r.warning.countAtWarning;
    evidence.suspects.push({
      kind: 'listener',
      title: `${count} '${type}' listeners on ${r.warning.emitterName}${r.maxListeners !== null ? ` (max ${r.maxListeners})` : ''}`,
      count,
      growth: Math.max(0, count - r.warning.countAtWarning),
      growthPerSec: 0,
      site: site === null ? null : `${site.file}:${site.line}:${site.column}`,
      stack: frames.map(formatFrame),
      callback: { name: (r.newest as { name?: string } | undefined)?.name ?? '', location: locs[i] ?? null },
      detail: {
        event: type,
        emitter: r.warning.emitterName,
        countAtWarning: r.warning.countAtWarning,
        emitterCollected: r.countNow === null,
      },
    });
  });
}

/** The fallback when enumeration fails: one suspect per growing handle type. */
export function handleCountSuspects(view: AgentView, tracking: Tracking | null, signals: readonly string[]): Suspect[] {
  const suspects: Suspect[] = [];
  const since = tracking?.armedAt ?? null;
  for (const signal of signals) {
    if (!signal.startsWith(HANDLE_PREFIX)) continue;
    const type = signal.slice(HANDLE_PREFIX.length);
    const count = view.history.last(signal);
    const { growth, seconds } = growthSince(view, signal, since);
    suspects.push({
      kind: 'handle',
      title: `${count} active ${type} handles (+${growth})`,
      count,
      growth,
      growthPerSec: seconds > 0 ? growth / seconds : 0,
      site: null,
      stack: [],
      detail: { type },
    });
  }
  return suspects;
}

/** Growth of a column since `since` (or over the whole history). */
export function growthSince(
  view: AgentView,
  column: string,
  since: number | null,
): { growth: number; seconds: number } {
  const n = view.history.length;
  if (n === 0) return { growth: 0, seconds: 0 };
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  view.history.copyLast(null, n, t);
  view.history.copyLast(column, n, v);
  let i = 0;
  if (since !== null) while (i < n - 1 && (t[i] as number) < since) i++;
  return {
    growth: (v[n - 1] as number) - (v[i] as number),
    seconds: ((t[n - 1] as number) - (t[i] as number)) / 1_000,
  };
}

/** The running worker threads made while armed, grouped by script, largest first. */
function workerGroups(workers: WorkerSites): WorkerGroup[] {
  const groups = new Map<string, WorkerGroup>();
  for (const { worker, record } of workers.running()) {
    // Those only the 'worker' event saw (a class taken before arming): one group, no site.
    const script = record.script ?? 'script unknown';
    let g = groups.get(script);
    if (g === undefined) {
      g = { script, count: 0, threadIds: [], refed: 0, samples: [] };
      groups.set(script, g);
    }
    g.count++;
    if (record.refed) g.refed++;
    if (g.threadIds.length < MAX_LISTED_THREADS) g.threadIds.push(worker.threadId);
    if (record.holder !== null) g.samples.push({ at: record.at, holder: record.holder });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
