import { describe, expect, it } from 'vitest';
import { History } from '../../agent/history';
import { createJudgeScratch, judgeAll } from '../../agent/judge';
import { type Action, type Limits, type Machine, initialMachine, step } from '../../agent/state-machine';
import { MB, SHAPES, type Shape, sample } from '../support/series';

const WINDOW_S = 300;
const LIMITS: Limits = {
  windowMs: WINDOW_S * 1_000,
  minArmedMs: 50_000,
  calmEvalsToDisarm: 6,
  confirmEvals: 2,
  cooldownMs: WINDOW_S * 1_000,
  maxReportsPerHour: 2,
};

/**
 * Feeds `seconds` of a shape (as the heap floor, once a second) through the
 * history, the judge and the state machine, evaluating every 5 s as the
 * agent does; returns the states seen and the actions taken.
 */
function drive(shape: Shape, seconds: number, sigma = 1 * MB, seed = 3) {
  const history = new History(2 * WINDOW_S);
  const scratch = createJudgeScratch(history.capacity);
  const { t, v } = sample(shape, seconds, sigma, seed, WINDOW_S);
  let m: Machine = initialMachine(t[0] as number);
  const states: string[] = [];
  const actions: { at: number; action: Action }[] = [];
  for (let i = 0; i < seconds; i++) {
    history.beginRow(t[i] as number);
    history.set('heap.floor', v[i] as number);
    if (i % 5 === 4) {
      const r = step(m, t[i] as number, judgeAll(history, WINDOW_S * 1_000, 1_000, scratch), LIMITS);
      m = r.machine;
      if (states.at(-1) !== m.state) states.push(m.state);
      for (const a of r.actions) actions.push({ at: i, action: a });
    }
  }
  return { states, actions, machine: m };
}

const byName = (prefix: string) => SHAPES.find((s) => s.name.startsWith(prefix)) as Shape;

describe('state machine over generated series', () => {
  it('a linear leak goes watching → suspect → leaking → cooldown, one report per cooldown', () => {
    const { states, actions } = drive(byName('linear leak'), 900);
    expect(states.slice(0, 4)).toEqual(['watching', 'suspect', 'leaking', 'cooldown']);
    const reports = actions.filter((a) => a.action.type === 'report');
    // Reported once the whole window of history exists, not before.
    expect(reports[0]?.at).toBeGreaterThanOrEqual(WINDOW_S - 1);
    expect(reports[0]?.at).toBeLessThan(WINDOW_S + 30);
    // The next report comes only after a full cooldown and a new suspect.
    for (let k = 1; k < reports.length; k++) {
      expect((reports[k]?.at as number) - (reports[k - 1]?.at as number)).toBeGreaterThanOrEqual(WINDOW_S);
    }
    expect(reports.length).toBeGreaterThanOrEqual(1);
    const arms = actions.filter((a) => a.action.type === 'arm');
    expect(arms[0]?.at).toBeLessThan(reports[0]?.at as number);
  });

  it('the hourly cap holds however long the leak runs', () => {
    const { actions } = drive(byName('linear leak'), 3_400);
    expect(actions.filter((a) => a.action.type === 'report')).toHaveLength(LIMITS.maxReportsPerHour);
  });

  for (const shape of SHAPES.filter((s) => !s.leak)) {
    it(`${shape.name} never reaches leaking`, () => {
      for (const [seed, sigma] of [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 2],
        [5, 2],
        [6, 2],
      ] as const) {
        const { states, actions } = drive(shape, 900, sigma * MB, seed);
        expect(states, `seed ${seed}`).not.toContain('leaking');
        expect(actions.filter((a) => a.action.type === 'report')).toHaveLength(0);
      }
    });
  }

  it('a suspect whose growth stops is disarmed', () => {
    // Grows for 200 s, then flat: suspect, then back to watching.
    const bump: Shape = { name: 'grow then stop', at: (s) => 60 * MB + 0.2 * MB * Math.min(s, 200), leak: false };
    const { states, actions } = drive(bump, 900, 0.25 * MB);
    expect(states).toContain('suspect');
    expect(states).not.toContain('leaking');
    expect(states.at(-1)).toBe('watching');
    expect(actions.some((a) => a.action.type === 'disarm')).toBe(true);
  });
});

describe('step', () => {
  it('explains why nothing is reported', () => {
    const r = step(initialMachine(0), 1_000, [], LIMITS);
    expect(r.machine.state).toBe('watching');
    expect(r.explain.join('\n')).toMatch(/not enough history/);
  });
});
