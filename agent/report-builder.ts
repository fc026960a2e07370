/** Builds the report object from what the agent knows. Pure. */
import * as os from 'node:os';
import type { OldSpaceLimit } from '../probes/heap';
import { REPORT_VERSION, type LeakReport, type SignalTrend, type TimeToOom } from '../reports/report-schema';
import type { AgentView } from './agent-view';
import { unitOf } from './judge';
import { COLUMN } from './sampler';
import type { Judgement } from './state-machine';
import type { Evidence } from './tracking';
import { VERSION } from './version';

/**
 * Everything a report is built from: the agent's view, the judgements, the
 * arming time and the evidence gathered.
 */
export interface ReportInput {
  verdict: LeakReport['verdict'];
  agent: AgentView & { readonly startedAt: number };
  judgements: readonly Judgement[];
  leakingSignals: readonly string[];
  armedAt: number | null;
  evidence: Evidence;
  now?: number;
}

/** Signals worth listing: the leaking ones, then any growing over half. */
function signalTrends(input: ReportInput): SignalTrend[] {
  const out: SignalTrend[] = [];
  for (const j of input.judgements) {
    const leaking = input.leakingSignals.includes(j.signal);
    const t = j.full ?? j.half;
    if (t === null || (!leaking && !(j.half?.growing ?? false))) continue;
    out.push({
      name: j.signal,
      unit: unitOf(j.signal),
      slopePerSec: t.slopePerSec,
      z: t.z,
      pValue: t.pValue,
      growth: t.growth,
      from: t.from,
      to: t.to,
      windowMs: t.spanMs,
      leaking,
      ...(t.majorGcs === undefined ? {} : { majorGcs: t.majorGcs }),
    });
  }
  return out.sort((a, b) => Number(b.leaking) - Number(a.leaking) || b.z - a.z);
}

/**
 * Seconds until memory runs out at the current slope: the heap floor
 * against the old generation's maximum (`readOldSpaceLimit`), and RSS
 * against the container limit; the sooner.
 */
export function estimateTimeToOom(
  judgements: readonly Judgement[],
  heapLimit: OldSpaceLimit,
  cgroupLimitBytes: number | null,
): TimeToOom | null {
  const candidates: TimeToOom[] = [];
  const eta = (signal: string, limit: number, source: TimeToOom['limitSource']) => {
    const j = judgements.find((x) => x.signal === signal);
    const t = j?.full ?? j?.half;
    if (j === undefined || t == null) return;
    const seconds = t.slopePerSec > 0 ? Math.max(0, (limit - j.level) / t.slopePerSec) : null;
    candidates.push({ limitBytes: limit, limitSource: source, signal, seconds });
  };
  eta(COLUMN.heapFloor, heapLimit.bytes, heapLimit.source);
  if (cgroupLimitBytes !== null) eta(COLUMN.rss, cgroupLimitBytes, 'cgroup');
  if (candidates.length === 0) return null;
  return candidates.reduce((a, b) => ((b.seconds ?? Infinity) < (a.seconds ?? Infinity) ? b : a));
}

/** Builds a leak report (pure: no I/O; `now` defaults to the clock). */
export function buildReport(input: ReportInput): LeakReport {
  const { agent } = input;
  const now = input.now ?? Date.now();
  const series = agent.history.toSeries();
  const columns: Record<string, (number | null)[]> = {};
  // JSON has no NaN: unknown readings are null.
  for (const [k, v] of Object.entries(series.columns)) columns[k] = v.map((x) => (Number.isFinite(x) ? x : null));
  const dropped: Record<string, number> = { ...input.evidence.dropped };
  if (agent.history.droppedColumns > 0) dropped.historyColumns = agent.history.droppedColumns;
  if (agent.self.exportsDropped > 0) dropped.exports = agent.self.exportsDropped;
  return {
    version: REPORT_VERSION,
    tool: 'leakwatch',
    agentVersion: VERSION,
    verdict: input.verdict,
    pid: process.pid,
    ...(agent.threadId !== 0 ? { threadId: agent.threadId } : {}),
    hostname: os.hostname(),
    service: agent.config.service,
    nodeVersion: process.version,
    argv: process.argv.slice(1),
    startedAt: new Date(agent.startedAt).toISOString(),
    detectedAt: new Date(now).toISOString(),
    armedAt: input.armedAt === null ? null : new Date(input.armedAt).toISOString(),
    config: { intervalMs: agent.config.intervalMs, windowMs: agent.config.windowMs },
    signals: signalTrends(input),
    timeToOom: estimateTimeToOom(input.judgements, agent.oldSpaceLimit, agent.cgroupLimitBytes),
    series: { t: series.t, columns },
    suspects: input.evidence.suspects,
    profiles: input.evidence.profiles,
    notes: input.evidence.notes,
    dropped,
  };
}
