/**
 * What is armed while *suspect* and what is gathered for a report.
 * In *watching* nothing here runs: no hooks, no stack capture, no profiler.
 *
 * Arming (cheap, synchronous, safe from a preload script): creation-site
 * wrappers for the handle kinds that grow, the heap sampling profiler for
 * memory signals, and a `warning` listener for listener leaks. Gathering
 * (at a report): live timers, sockets and servers enumerated through the
 * inspector, the heap profile summarised by site and written as pprof
 * beside the report, all ranked into suspects.
 */
import type { ProfileFile, Suspect } from '../reports/report-schema';
import { armCreationSites, type CreationSites } from '../probes/creation-sites';
import { armFileSites, type FileSites } from '../probes/files';
import { batched } from '../probes/wrap';
import { armWorkerSites, type WorkerSites } from '../probes/workers';
import { openInspector, type InspectorProbe } from '../probes/inspector-session';
import { armListenerWarnings, type ListenerCapture } from '../probes/listeners';
import type { AgentView } from './agent-view';
import { gatherHandles, gatherHeap, gatherHeapSnapshot, gatherListeners, handleCountSuspects } from './evidence';
import { gatherFiles } from './file-evidence';
import { type HeapProfiler, startHeapProfiler } from './heap-profiler';
import { armNearHeapLimitSnapshot } from './heap-snapshot';
import { HANDLE_PREFIX } from './sampler';
import { createSourceMapper } from './source-maps';
import { MAX_SUSPECTS, type SuspectContext, bump, rankSuspects } from './suspects';

/** Evidence gathered for one report. */
export interface Evidence {
  suspects: Suspect[];
  profiles: ProfileFile[];
  notes: string[];
  dropped: Record<string, number>;
  /** Files written for this report (removed if the report cannot be). */
  files: string[];
}

/** What `armTracking` switched on; `disarm()` switches it all off. */
export interface Tracking {
  readonly armedAt: number;
  readonly signals: readonly string[];
  /** Creation-site wrappers, when timers or sockets are suspected. */
  readonly sites: CreationSites | null;
  /** File-open wrappers and the fds open at arming, when the fd count grows. */
  readonly files: FileSites | null;
  /** Worker threads made while armed, when the fd count grows. */
  readonly workers: WorkerSites | null;
  /** The heap sampling profiler, when memory is suspected. */
  readonly heap: HeapProfiler | null;
  readonly listeners: ListenerCapture | null;
  /** What could not be armed, for the report. */
  readonly notes: readonly string[];
  /**
   * Arms what `signals` need that is not armed yet (a signal that starts
   * growing after arming: the heap first, the fd count later): file opens,
   * worker threads, creation sites when none were armed, the heap
   * profiler. Adds them to `signals`. @returns what it armed
   */
  extend(signals: readonly string[]): string[];
  disarm(): void | Promise<void>;
}

/** What to arm for which growing signals. */
export interface ArmPlan {
  timers: boolean;
  sockets: boolean;
  /** File opens: only the fd count explains them. */
  files: boolean;
  /** Child processes: their handles, their stdio pipes and their fds. */
  processes: boolean;
  /** Worker threads: each holds fds of its own (its loop's epoll and eventfd, pipes). */
  workers: boolean;
  heap: boolean;
}

/**
 * Timer and socket signals arm their wrappers. Memory signals arm the heap
 * profiler *and* both wrappers: unref'd timers and sockets are invisible
 * to the handle counts and show up only as heap or fd growth. An unknown
 * or empty signal list arms everything.
 */
export function planArming(signals: readonly string[]): ArmPlan {
  const plan: ArmPlan = { timers: false, sockets: false, files: false, processes: false, workers: false, heap: false };
  let known = false;
  for (const s of signals) {
    if (s === 'handles.Timeout' || s === 'handles.Immediate') {
      plan.timers = known = true;
    } else if (s === 'fds') {
      plan.sockets = plan.files = plan.processes = plan.workers = known = true;
    } else if (s === 'handles.ProcessWrap' || s === 'handles.PipeWrap') {
      plan.sockets = plan.processes = known = true;
    } else if (s.startsWith(HANDLE_PREFIX)) {
      plan.sockets = known = true;
    } else if (s.startsWith('heap.') || s.startsWith('space.') || s === 'rss') {
      plan.heap = plan.timers = plan.sockets = known = true;
    }
  }
  return known ? plan : { timers: true, sockets: true, files: true, processes: true, workers: true, heap: true };
}

/**
 * Arms what explains the growing signals.
 * @param signals the history columns that grow
 */
export function armTracking(signals: readonly string[], view: AgentView): Tracking {
  const armedAt = Date.now();
  const plan = planArming(signals);
  const notes: string[] = [];
  let sites: CreationSites | null = null;
  let files: FileSites | null = null;
  let workers: WorkerSites | null = null;
  let heap: HeapProfiler | null = null;
  let listeners: ListenerCapture | null = null;
  let armed = true;
  let heapStarting = false;
  const startHeap = (): void => {
    heapStarting = true;
    // Loading the native profiler takes 20–130 ms here (bench/snapshot.js):
    // start it on the next turn of the loop so arm() itself stays cheap.
    setImmediate(() => {
      if (!armed) return;
      try {
        heap = startHeapProfiler();
        view.debug('heap profiler started');
      } catch (err) {
        view.onError('arm heap profiler', err);
        notes.push(`heap profiler not started: ${(err as Error)?.message}`);
      }
    }).unref();
  };
  /**
   * Arms the parts `want` names that are not armed yet, all of them before
   * the ES bindings are synced once. @returns what it armed, and a line for
   * each part that failed
   */
  const armMissing = (want: ArmPlan): { added: string[]; failed: string[] } => {
    const added: string[] = [];
    const failed: string[] = [];
    const attempt = (what: string, where: string, notArmed: string, arm: () => void): void => {
      try {
        arm();
        added.push(what);
      } catch (err) {
        view.onError(where, err);
        failed.push(`${notArmed}: ${(err as Error)?.message}`);
      }
    };
    batched(() => {
      if ((want.timers || want.sockets || want.processes) && sites === null) {
        attempt('creation sites', 'arm creation sites', 'creation sites not armed', () => {
          sites = armCreationSites({ timers: want.timers, sockets: want.sockets, processes: want.processes });
        });
      }
      if (want.files && files === null) {
        attempt('file opens', 'arm file sites', 'file opens not tracked', () => {
          files = armFileSites();
        });
      }
      if (want.workers && workers === null) {
        attempt('worker threads', 'arm worker sites', 'worker threads not tracked', () => {
          workers = armWorkerSites();
        });
      }
    });
    if (want.heap && !heapStarting) {
      startHeap();
      added.push('heap profiler');
    }
    return { added, failed };
  };
  notes.push(...armMissing(plan).failed);
  if (plan.heap && view.config.heapSnapshot) {
    try {
      if (armNearHeapLimitSnapshot())
        view.debug(
          'a heap snapshot will be written near the heap limit (into --diagnostic-dir, by default the working directory)',
        );
    } catch (err) {
      view.onError('arm near-heap-limit snapshot', err);
    }
  }
  try {
    listeners = armListenerWarnings();
  } catch (err) {
    view.onError('arm listener warnings', err);
  }
  view.debug(
    `armed for ${signals.join(', ') || '(all)'}: creation sites of ${[plan.timers && 'timers', plan.sockets && 'sockets', plan.files && 'file opens', plan.processes && 'child processes', plan.workers && 'worker threads'].filter(Boolean).join(' and ') || 'nothing'}, heap profiler ${plan.heap ? 'starting' : 'off'}`,
  );
  const armedSignals = [...signals];
  return {
    armedAt,
    get signals() {
      return armedSignals;
    },
    get sites() {
      return sites;
    },
    get files() {
      return files;
    },
    get workers() {
      return workers;
    },
    get heap() {
      return heap;
    },
    listeners,
    notes,
    extend(more) {
      if (!armed) return [];
      const fresh = more.filter((s) => !armedSignals.includes(s));
      if (fresh.length === 0) return [];
      armedSignals.push(...fresh);
      // A part that fails here is in the debug log and the error count only.
      const { added } = armMissing(planArming(fresh));
      view.debug(
        `${fresh.join(', ')} grow since arming: ${added.length > 0 ? `armed ${added.join(', ')} too` : 'what explains them is armed already'}`,
      );
      return added;
    },
    disarm() {
      if (!armed) return;
      armed = false;
      batched(() => {
        for (const [what, off] of [
          ['creation sites', () => sites?.disarm()],
          ['file sites', () => files?.disarm()],
          ['worker sites', () => workers?.disarm()],
          ['heap profiler', () => heap?.stop()],
          ['listener warnings', () => listeners?.disarm()],
        ] as const) {
          try {
            off();
          } catch (err) {
            view.onError(`disarm ${what}`, err);
          }
        }
      });
      view.debug('disarmed');
    },
  };
}

/**
 * Gathers the suspects for a report: live timers and sockets grouped by
 * site, heap allocation sites, listener warnings; ranked.
 */
export async function gatherEvidence(
  view: AgentView,
  tracking: Tracking | null,
  signals: readonly string[],
): Promise<Evidence> {
  const evidence: Evidence = {
    suspects: [],
    profiles: [],
    notes: [...(tracking?.notes ?? [])],
    dropped: {},
    files: [],
  };
  const now = Date.now();
  const ctx: SuspectContext = {
    armedAt: tracking?.sites?.armedAt ?? null,
    now,
    mapper: null,
    dropped: evidence.dropped,
  };
  try {
    ctx.mapper = createSourceMapper();
  } catch (err) {
    view.onError('source maps', err);
  }
  if (tracking === null)
    evidence.notes.push(
      'tracking was not armed: growth since arming is 0 and creation sites are unknown; callbacks and endpoints are still listed',
    );
  else if (tracking.sites === null)
    evidence.notes.push('creation-site capture was not armed for these signals: sites are unknown');

  // The heap profile first: what the enumeration below allocates must not
  // be in it.
  if (tracking?.heap) {
    await gatherHeap(view, tracking.heap, ctx, evidence);
    view.debug(`snapshot: heap profile summarised and written in ${Date.now() - now}ms`);
  }

  let insp: InspectorProbe | null = null;
  try {
    insp = openInspector();
    await gatherHandles(view, insp, tracking, ctx, evidence);
    if (tracking?.listeners) await gatherListeners(tracking.listeners, insp, ctx, evidence);
  } catch (err) {
    view.onError('snapshot inspector', err);
    evidence.notes.push(
      `live timers and sockets could not be enumerated (${(err as Error)?.message}); handle counts only`,
    );
    evidence.suspects.push(...handleCountSuspects(view, tracking, signals));
  } finally {
    try {
      insp?.close();
    } catch (err) {
      view.onError('snapshot inspector close', err);
    }
  }

  if (tracking?.files) {
    try {
      gatherFiles(tracking.files, ctx, evidence);
    } catch (err) {
      view.onError('snapshot open files', err);
    }
  }

  // Last: the full snapshot pauses the process for its whole write.
  if (view.config.heapSnapshot) gatherHeapSnapshot(view, evidence);

  rankSuspects(evidence.suspects, signals.length > 0 ? signals : (tracking?.signals ?? []));
  if (evidence.suspects.length > MAX_SUSPECTS) {
    bump(evidence.dropped, 'suspects', evidence.suspects.length - MAX_SUSPECTS);
    evidence.notes.push(
      `${evidence.suspects.length - MAX_SUSPECTS} lower-ranked suspects left out (cap ${MAX_SUSPECTS})`,
    );
    evidence.suspects.length = MAX_SUSPECTS;
  }
  if (ctx.mapper !== null) bump(evidence.dropped, 'sourceMaps', ctx.mapper.skipped);
  if (ctx.mapper !== null && ctx.mapper.skipped > 0)
    evidence.notes.push(`source maps: ${ctx.mapper.skipped} files not mapped (cap reached)`);
  return evidence;
}

export { growthSince, MAX_HEAP_SUSPECTS } from './evidence';
