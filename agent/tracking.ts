/**
 * What is armed while *suspect* and what is gathered for a report.
 * In *watching* nothing here runs: no hooks, no stack capture, no profiler.
 */
import type { ProfileFile, Suspect } from '../reports/report-schema';
import type { AgentView } from './agent';
import { HANDLE_PREFIX } from './sampler';

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
  disarm(): void | Promise<void>;
}

/**
 * Arms what explains the growing signals.
 * @param signals the history columns that grow
 */
export function armTracking(signals: readonly string[], view: AgentView): Tracking {
  const armedAt = Date.now();
  view.debug(`armed for ${signals.join(', ')}`);
  return {
    armedAt,
    signals,
    disarm() {
      view.debug('disarmed');
    },
  };
}

/**
 * Gathers the suspects for a report: here, one per growing handle type,
 * from the sampled counts.
 */
export async function gatherEvidence(view: AgentView, tracking: Tracking | null, signals: readonly string[]): Promise<Evidence> {
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
  return { suspects, profiles: [], notes: [], dropped: {}, files: [] };
}

/** Growth of a column since `since` (or over the whole history). */
export function growthSince(view: AgentView, column: string, since: number | null): { growth: number; seconds: number } {
  const n = view.history.length;
  if (n === 0) return { growth: 0, seconds: 0 };
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  view.history.copyLast(null, n, t);
  view.history.copyLast(column, n, v);
  let i = 0;
  if (since !== null) while (i < n - 1 && (t[i] as number) < since) i++;
  return { growth: (v[n - 1] as number) - (v[i] as number), seconds: ((t[n - 1] as number) - (t[i] as number)) / 1_000 };
}
