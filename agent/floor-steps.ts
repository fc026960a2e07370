/**
 * The heap floor as the readings it is made of: one per major GC.
 *
 * The `heap.floor` column holds the newest post-GC reading at every tick, a
 * staircase that only moves at major GCs. While a heap grows, the V8 of
 * Node 24 and 26 spaces major GCs further and further apart (a leak of
 * 5 MB/s was read at 2, 10 and 51 s, then not for another 90 s), so a window
 * can hold one step or none, and the window test (trend.ts) finds no growth
 * in its newest half. The readings themselves are exact live sizes, not
 * noisy samples: a run of them, each higher than the last at a rate that
 * does not fall away, is the growth, however far apart they are
 * (README, "How a leak is judged").
 */
import { mannKendall, median, type SignalSpec, type Trend } from './trend';

/** A ring of the latest major-GC floors and when the agent read them. */
export class FloorSteps {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly floors: Float64Array;
  private head = -1;
  /** Readings held (at most `capacity`). */
  count = 0;

  constructor(capacity = 16) {
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.floors = new Float64Array(capacity);
  }

  /** Records a floor read at time `t` (ms since epoch). */
  push(t: number, floorBytes: number): void {
    this.head = (this.head + 1) % this.capacity;
    this.times[this.head] = t;
    this.floors[this.head] = floorBytes;
    if (this.count < this.capacity) this.count++;
  }

  /** The time of the `age`-th newest reading (0: the newest). */
  timeAt(age: number): number {
    return this.times[this.slot(age)] as number;
  }

  /** The floor of the `age`-th newest reading (0: the newest). */
  floorAt(age: number): number {
    return this.floors[this.slot(age)] as number;
  }

  private slot(age: number): number {
    return (this.head - age + this.capacity) % this.capacity;
  }
}

/** What a run of rising floors must show. */
export interface StepParams {
  /** Readings in the run, the first included. */
  readonly minReadings: number;
  /** The run must span this fraction of the window. */
  readonly minSpanFraction: number;
  /** The newest reading must be at most this fraction of the window old. */
  readonly maxAgeFraction: number;
  /** Fraction of the signal's material growth the run must show. */
  readonly growthFactor: number;
  /** The newest step's rate over the median of the earlier steps' rates. */
  readonly minRateRatio: number;
  /**
   * The slowest step's rate over the fastest's: a leak adds at a steady
   * rate, where one big step among small ones is a cache loaded once.
   */
  readonly minRateSpread: number;
}

/**
 * Leaking: three readings over half the window, at a steady rate, adding
 * twice the growth the window test needs. Three readings can be a service
 * warming up: on Node 24 the healthy gc-sawtooth scenario's floors rose
 * 6.4 → 12.4 MiB over its first three major GCs, 27 s (the window test
 * needs 4 MiB). Chosen on `node bench/detector-grid.js` (its
 * sparse-readings table; README).
 */
export const LEAK_STEPS: StepParams = {
  minReadings: 3,
  minSpanFraction: 0.5,
  maxAgeFraction: 1,
  growthFactor: 2,
  minRateRatio: 0.5,
  minRateSpread: 0.25,
};
/** Suspect (arms tracking): two readings over a quarter of the window. */
export const SUSPECT_STEPS: StepParams = {
  minReadings: 2,
  minSpanFraction: 0.25,
  maxAgeFraction: 0.5,
  growthFactor: 0.5,
  minRateRatio: 0,
  minRateSpread: 0,
};

/**
 * Judges the newest run of rising floors; null when there is no such run
 * with `minReadings` readings, or its newest reading is too old to speak
 * for now.
 * @param heapUsedNow all of the heap in use now: it holds every live byte,
 *   so a leak still going at its rate has added that much since the newest
 *   floor; less than half of it says the growth stopped
 */
export function judgeFloorSteps(
  steps: FloorSteps,
  now: number,
  heapUsedNow: number,
  spec: SignalSpec,
  windowMs: number,
  params: StepParams,
): Trend | null {
  if (steps.count < params.minReadings) return null;
  if (now - steps.timeAt(0) > params.maxAgeFraction * windowMs) return null;
  // A step smaller than this is the noise of what was in flight at the GC.
  const minStep = spec.minGrowth / 8;
  let run = 1;
  while (run < steps.count && steps.floorAt(run - 1) - steps.floorAt(run) >= minStep) run++;
  if (run < params.minReadings) return null;
  // The longest run of the newest readings that passes, so that a
  // start-up climb before a leak (one fast step) does not hide the leak.
  let judged: Trend | null = null;
  // Shorter runs span less: none after the first too short is judged.
  for (let len = run; len >= params.minReadings; len--) {
    if (steps.timeAt(0) - steps.timeAt(len - 1) < params.minSpanFraction * windowMs) break;
    const t = judgeRun(steps, len, now, heapUsedNow, spec, params);
    if (judged === null || t.growing) judged = t;
    if (t.growing) break;
  }
  return judged;
}

/** Judges the newest `len` readings, each higher than the one before. */
function judgeRun(
  steps: FloorSteps,
  len: number,
  now: number,
  heapUsedNow: number,
  spec: SignalSpec,
  params: StepParams,
): Trend {
  const newestT = steps.timeAt(0);
  const newestF = steps.floorAt(0);
  const firstT = steps.timeAt(len - 1);
  const firstF = steps.floorAt(len - 1);
  const spanMs = newestT - firstT;
  const floors: number[] = [];
  const rates: number[] = [];
  for (let age = len - 1; age >= 0; age--) {
    floors.push(steps.floorAt(age));
    if (age < len - 1) {
      const dt = (steps.timeAt(age) - steps.timeAt(age + 1)) / 1_000;
      rates.push((steps.floorAt(age) - steps.floorAt(age + 1)) / Math.max(dt, 1e-3));
    }
  }
  const lastRate = rates[rates.length - 1] as number;
  const earlier = rates.slice(0, -1);
  const steady =
    (earlier.length === 0 || lastRate >= params.minRateRatio * median(earlier)) &&
    Math.min(...rates) >= params.minRateSpread * Math.max(...rates);
  const sinceS = Math.max(0, now - newestT) / 1_000;
  const goingOn = heapUsedNow - newestF >= 0.5 * lastRate * sinceS;
  const growth = newestF - firstF;
  const material =
    growth >= spec.minGrowth * params.growthFactor &&
    growth >= spec.minRelativeGrowth * params.growthFactor * Math.max(0, firstF);
  const mk = mannKendall(floors);
  // Every reading above the one before: the exact two-sided Mann–Kendall
  // p-value of that order among `len` values is 2 / len!.
  let orders = 1;
  for (let i = 2; i <= len; i++) orders *= i;
  return {
    n: len,
    s: mk.s,
    z: mk.z,
    pValue: Math.min(1, 2 / orders),
    slopePerSec: growth / Math.max(spanMs / 1_000, 1e-3),
    tailSlopePerSec: lastRate,
    growth,
    from: firstF,
    to: newestF,
    spanMs,
    // The readings are exact live sizes: a run of them rising is the trend.
    significant: true,
    material,
    sustained: steady && goingOn,
    growing: material && steady && goingOn,
    majorGcs: len,
  };
}
