/**
 * The leak state machine, as a pure transition function:
 * `watching → suspect → leaking → cooldown → watching`.
 * The agent feeds it the judgements of each evaluation and carries out the
 * actions it returns (arm, disarm, report); every step says why.
 */
import type { Trend } from './trend';

/**
 * Where the agent is in `watching → suspect → leaking → cooldown → watching`:
 * watching samples only; suspect has tracking armed; leaking writes one report;
 * cooldown waits one window with everything disarmed.
 */
export type LeakState = 'watching' | 'suspect' | 'leaking' | 'cooldown';

/** Numeric codes for metrics (a gauge cannot carry a string). */
export const STATE_CODE: Readonly<Record<LeakState, number>> = {
  watching: 0,
  suspect: 1,
  leaking: 2,
  cooldown: 3,
};

/** The state machine's whole state; `step` returns a new one. */
export interface Machine {
  readonly state: LeakState;
  /** When the current state was entered (ms since epoch). */
  readonly since: number;
  /** When tracking was armed, while suspect. */
  readonly armedAt: number | null;
  /** Consecutive evaluations without any growing signal, while suspect. */
  readonly calmEvals: number;
  /** Consecutive evaluations in which the whole-window trend held. */
  readonly confirmations: number;
  /** Times of reports written in the last hour. */
  readonly reportTimes: readonly number[];
  /** Level of each signal at its last report, to require further growth. */
  readonly reportedLevels: Readonly<Record<string, number>>;
}

/** One signal's judgement at one evaluation. */
export interface Judgement {
  readonly signal: string;
  /** Over the newest half window (null until that much history exists). */
  readonly half: Trend | null;
  /** Over the whole window (null until the history covers it). */
  readonly full: Trend | null;
  /** The signal's newest value. */
  readonly level: number;
  /** Growth that counts as material for this signal over a window. */
  readonly minGrowth: number;
  /** Judged for the report only; never moves the state machine. */
  readonly informational?: boolean;
}

/** The bounds the machine works within, from the config (all durations in ms). */
export interface Limits {
  readonly windowMs: number;
  /** Tracking must have been armed this long before a report. */
  readonly minArmedMs: number;
  /** Evaluations without growth before a suspect is dropped. */
  readonly calmEvalsToDisarm: number;
  /** Consecutive evaluations the whole-window trend must hold (goleak's retry). */
  readonly confirmEvals: number;
  readonly cooldownMs: number;
  readonly maxReportsPerHour: number;
}

/** What the agent must do after a step: arm tracking for the named signals, disarm, or write a report. */
export type Action =
  | { readonly type: 'arm'; readonly signals: readonly string[] }
  | { readonly type: 'disarm' }
  | { readonly type: 'report'; readonly signals: readonly string[] };

/** The result of one transition. */
export interface Step {
  readonly machine: Machine;
  readonly actions: readonly Action[];
  /** Why: one line per decision, for the debug log. */
  readonly explain: readonly string[];
}

const HOUR_MS = 3_600_000;

/**
 * The machine at start: watching, nothing armed, no report written.
 * @param now ms since epoch
 */
export function initialMachine(now: number): Machine {
  return {
    state: 'watching',
    since: now,
    armedAt: null,
    calmEvals: 0,
    confirmations: 0,
    reportTimes: [],
    reportedLevels: {},
  };
}

const fmt = (t: Trend): string =>
  t.majorGcs !== undefined
    ? `floors at ${t.majorGcs} major GCs rose ${t.from.toPrecision(3)} → ${t.to.toPrecision(3)} over ${(t.spanMs / 1000).toFixed(0)}s, ${t.slopePerSec.toPrecision(3)}/s, newest step ${t.tailSlopePerSec.toPrecision(3)}/s${t.sustained ? '' : ', stopped or slowing'}${t.material ? '' : ', not material'}`
    : !t.significant
      ? `z ${t.z.toFixed(2)}, p ${t.pValue.toExponential(1)}, not significant`
      : `slope ${t.slopePerSec.toPrecision(3)}/s, z ${t.z.toFixed(2)}, p ${t.pValue.toExponential(1)}, growth ${t.growth.toPrecision(3)}${t.sustained ? '' : ', levelling off'}${t.material ? '' : ', not material'}`;

/** The next state, the actions to take and the reasons. */
export function step(m: Machine, now: number, judgements: readonly Judgement[], limits: Limits): Step {
  const explain: string[] = [];
  const reportTimes = m.reportTimes.filter((t) => now - t < HOUR_MS);
  const base = { ...m, reportTimes, confirmations: 0 };
  const triggers = judgements.filter((j) => j.informational !== true);
  const suspects = triggers.filter((j) => j.half?.growing === true);

  switch (m.state) {
    case 'watching': {
      if (suspects.length === 0) {
        const best = strongest(triggers);
        explain.push(
          best
            ? `watching: no signal grows (strongest ${best.signal}: ${fmt(best.half as Trend)})`
            : 'watching: not enough history for a half window yet',
        );
        return { machine: base, actions: [], explain };
      }
      const names = suspects.map((j) => j.signal);
      for (const j of suspects)
        explain.push(`suspect: ${j.signal} grows over the last half window (${fmt(j.half as Trend)}); arming tracking`);
      return {
        machine: { ...base, state: 'suspect', since: now, armedAt: now, calmEvals: 0 },
        actions: [{ type: 'arm', signals: names }],
        explain,
      };
    }
    case 'suspect': {
      const leaking = triggers.filter((j) => j.full?.growing === true);
      if (leaking.length > 0) {
        const confirmations = m.confirmations + 1;
        if (confirmations < limits.confirmEvals) {
          explain.push(
            `suspect: ${leaking.map((j) => j.signal).join(', ')} grow over the whole window; confirming (${confirmations}/${limits.confirmEvals})`,
          );
          return { machine: { ...base, calmEvals: 0, confirmations }, actions: [], explain };
        }
        const armedFor = now - (m.armedAt ?? now);
        if (armedFor < limits.minArmedMs) {
          explain.push(
            `suspect: ${leaking.map((j) => j.signal).join(', ')} grow over the whole window; waiting ${Math.ceil((limits.minArmedMs - armedFor) / 1000)}s more for tracking to see creation sites`,
          );
          return { machine: { ...base, calmEvals: 0, confirmations }, actions: [], explain };
        }
        if (reportTimes.length >= limits.maxReportsPerHour) {
          explain.push(
            `no report because ${reportTimes.length} reports were written in the last hour (cap ${limits.maxReportsPerHour}); cooling down`,
          );
          return {
            machine: { ...base, state: 'cooldown', since: now, armedAt: null },
            actions: [{ type: 'disarm' }],
            explain,
          };
        }
        const fresh = leaking.filter((j) => {
          const prev = m.reportedLevels[j.signal];
          return prev === undefined || j.level - prev >= j.minGrowth;
        });
        if (fresh.length === 0) {
          explain.push(
            `no report because ${leaking.map((j) => j.signal).join(', ')} grew less than the material threshold since the last report; cooling down`,
          );
          return {
            machine: { ...base, state: 'cooldown', since: now, armedAt: null },
            actions: [{ type: 'disarm' }],
            explain,
          };
        }
        for (const j of fresh)
          explain.push(`leaking: ${j.signal} grows over the whole window (${fmt(j.full as Trend)}); writing a report`);
        const reportedLevels = { ...m.reportedLevels };
        for (const j of fresh) reportedLevels[j.signal] = j.level;
        return {
          machine: { ...base, state: 'leaking', since: now, reportTimes: [...reportTimes, now], reportedLevels },
          actions: [{ type: 'report', signals: fresh.map((j) => j.signal) }],
          explain,
        };
      }
      if (suspects.length > 0) {
        explain.push(
          `suspect: ${suspects.map((j) => j.signal).join(', ')} still growing; not yet over the whole window`,
        );
        return { machine: { ...base, calmEvals: 0 }, actions: [], explain };
      }
      const calmEvals = m.calmEvals + 1;
      if (calmEvals >= limits.calmEvalsToDisarm) {
        explain.push(
          `watching: growth stopped for ${calmEvals} evaluations; disarming (no report because the trend did not hold)`,
        );
        return {
          machine: { ...base, state: 'watching', since: now, armedAt: null, calmEvals: 0 },
          actions: [{ type: 'disarm' }],
          explain,
        };
      }
      explain.push(`suspect: no growth in this evaluation (${calmEvals}/${limits.calmEvalsToDisarm} before disarming)`);
      return { machine: { ...base, calmEvals }, actions: [], explain };
    }
    case 'leaking':
      explain.push('cooldown: report written; disarming');
      return {
        machine: { ...base, state: 'cooldown', since: now, armedAt: null },
        actions: [{ type: 'disarm' }],
        explain,
      };
    case 'cooldown':
      if (now - m.since >= limits.cooldownMs) {
        explain.push('watching: cooldown over');
        return { machine: { ...base, state: 'watching', since: now }, actions: [], explain };
      }
      explain.push(`cooldown: ${Math.ceil((limits.cooldownMs - (now - m.since)) / 1000)}s left`);
      return { machine: base, actions: [], explain };
  }
}

function strongest(judgements: readonly Judgement[]): Judgement | undefined {
  let best: Judgement | undefined;
  for (const j of judgements) {
    if (j.half !== null && (best === undefined || j.half.z > (best.half as Trend).z)) best = j;
  }
  return best;
}
