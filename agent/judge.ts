/**
 * Which signals are judged, with which thresholds, and the judging of all of
 * them over the history. Pure: it reads the in-memory history only.
 */
import { type FloorSteps, judgeFloorSteps, LEAK_STEPS, SUSPECT_STEPS } from './floor-steps';
import { COLUMN, HANDLE_PREFIX } from './sampler';
import type { History } from './history';
import type { Judgement } from './state-machine';
import { detectTrend, type SignalSpec, type TrendParams } from './trend';

const MiB = 1024 * 1024;

/**
 * Thresholds, and the data behind them (README, "How a leak is judged"):
 * the healthy scenarios of test/scenarios move the heap floor by under
 * 1.5 MiB across a window after warm-up, and in-flight requests lift handle
 * minima by under 5 under the corpus' load; these sit above both.
 */
export const SIGNALS: readonly SignalSpec[] = [
  { name: COLUMN.heapFloor, unit: 'bytes', reducer: 'min', minGrowth: 4 * MiB, minRelativeGrowth: 0.05 },
  { name: COLUMN.heapExternal, unit: 'bytes', reducer: 'min', minGrowth: 8 * MiB, minRelativeGrowth: 0.1 },
  // RSS grows for minutes while V8 expands its heap and the allocator keeps
  // freed pages (the warm-up and bounded-cache scenarios showed 50+ MB in a
  // window with a flat heap floor), so it only informs: time to OOM against
  // a container limit, and the report.
  { name: COLUMN.rss, unit: 'bytes', reducer: 'min', minGrowth: 32 * MiB, minRelativeGrowth: 0.1, informational: true },
  { name: COLUMN.fds, unit: 'count', reducer: 'min', minGrowth: 10, minRelativeGrowth: 0.1 },
  { name: COLUMN.loopP99, unit: 'ms', reducer: 'median', minGrowth: 50, minRelativeGrowth: 1 },
];

/** Handle types share one spec; each type is its own signal. */
export const HANDLE_SPEC: Omit<SignalSpec, 'name'> = {
  unit: 'count',
  reducer: 'min',
  minGrowth: 10,
  minRelativeGrowth: 0.1,
};

/**
 * Suspect: over half the window, a loose test (a false suspect only arms
 * tracking for a while). Leaking: over the whole window, a strict one.
 * Chosen on `node bench/detector-grid.js` (10 shapes × 4 noise levels × 100
 * seeds): these leak parameters gave no false report and missed only the
 * slow leak at the two highest noise levels (see README).
 */
export const SUSPECT_PARAMS: TrendParams = {
  buckets: 16,
  alpha: 0.01,
  tailFraction: 0.5,
  tailAlpha: 0.25,
  segments: 0,
};
/** The trend test's parameters for every signal; README, How a leak is judged, gives the data behind them. */
export const LEAK_PARAMS: TrendParams = { buckets: 36, alpha: 0.001, tailFraction: 0.5, tailAlpha: 0.01, segments: 4 };

/** Scratch arrays reused across evaluations (sized to the history). */
export interface JudgeScratch {
  readonly t: Float64Array;
  readonly v: Float64Array;
}

/**
 * Scratch arrays for `capacity` history rows, made once per agent.
 * @param capacity rows the history holds
 */
export function createJudgeScratch(capacity: number): JudgeScratch {
  return { t: new Float64Array(capacity), v: new Float64Array(capacity) };
}

/**
 * The specs that apply to the columns in the history now.
 * @param thread a worker thread's agent: the open-fd count is the process's,
 *   judged by the main thread's agent only (one report per fd leak, not one
 *   per thread)
 */
export function signalSpecs(history: History, thread = false): SignalSpec[] {
  const specs = SIGNALS.filter((s) => history.has(s.name) && !(thread && s.name === COLUMN.fds));
  for (const name of history.names()) {
    if (name.startsWith(HANDLE_PREFIX)) specs.push({ ...HANDLE_SPEC, name });
  }
  return specs;
}

/**
 * Judges every signal over the newest half window and the whole window.
 * @param windowMs the configured window
 * @param intervalMs the sampling interval
 * @param steps the floors read at major GCs, when the sampler keeps them
 */
export function judgeAll(
  history: History,
  windowMs: number,
  intervalMs: number,
  scratch: JudgeScratch,
  steps: FloorSteps | null = null,
): Judgement[] {
  const out: Judgement[] = [];
  for (const spec of signalSpecs(history)) {
    const j = judgeSignal(history, spec, windowMs, intervalMs, scratch, steps);
    if (j !== null) out.push(j);
  }
  return out;
}

/**
 * Judges one signal over the newest half window and the whole window; null
 * when it has no usable reading. The agent spreads these calls over the
 * ticks of an evaluation period, so no single tick pays for all of them.
 * The heap floor is also judged on its major-GC readings (`steps`): when
 * the window test finds no growth, a run of rising readings can
 * (floor-steps.ts).
 */
export function judgeSignal(
  history: History,
  spec: SignalSpec,
  windowMs: number,
  intervalMs: number,
  scratch: JudgeScratch,
  steps: FloorSteps | null = null,
): Judgement | null {
  const fullRows = Math.min(history.capacity, Math.round(windowMs / intervalMs));
  const halfRows = Math.max(4, Math.round(fullRows / 2));
  const rows = history.length;
  const level = history.last(spec.name);
  if (Number.isNaN(level) || level < 0) return null;
  let half = null;
  let full = null;
  if (rows >= halfRows) {
    history.copyLast(null, halfRows, scratch.t);
    history.copyLast(spec.name, halfRows, scratch.v);
    half = detectTrend(scratch.t, scratch.v, halfRows, { ...spec, minGrowth: spec.minGrowth / 2 }, SUSPECT_PARAMS);
  }
  if (rows >= fullRows) {
    history.copyLast(null, fullRows, scratch.t);
    history.copyLast(spec.name, fullRows, scratch.v);
    full = detectTrend(scratch.t, scratch.v, fullRows, spec, LEAK_PARAMS);
  }
  if (steps !== null && spec.name === COLUMN.heapFloor) {
    const now = history.lastTime();
    const used = history.last(COLUMN.heapUsed);
    if (half !== null && !half.growing) {
      const s = judgeFloorSteps(steps, now, used, spec, windowMs, SUSPECT_STEPS);
      if (s?.growing) half = s;
    }
    if (full !== null && !full.growing) {
      const s = judgeFloorSteps(steps, now, used, spec, windowMs, LEAK_STEPS);
      if (s?.growing) full = s;
    }
  }
  return {
    signal: spec.name,
    half,
    full,
    level,
    minGrowth: spec.minGrowth,
    informational: spec.informational === true,
  };
}

/** The unit of a signal, for the report. */
export function unitOf(signal: string): SignalSpec['unit'] {
  if (signal.startsWith(HANDLE_PREFIX)) return HANDLE_SPEC.unit;
  return SIGNALS.find((s) => s.name === signal)?.unit ?? 'count';
}
