import { describe, expect, it } from 'vitest';
import { History } from '../../agent/history';
import {
  createJudgeScratch,
  HANDLE_SPEC,
  judgeAll,
  judgeSignal,
  SIGNALS,
  signalSpecs,
  unitOf,
} from '../../agent/judge';
import { COLUMN } from '../../agent/sampler';
import { gaussian, rng } from '../support/series';

const WINDOW_MS = 60_000;
const INTERVAL_MS = 1_000;

/** A history of `rows` ticks a second apart; `columns` gives each column's value at tick i. */
function historyOf(rows: number, columns: Record<string, (i: number) => number>): History {
  const h = new History(600);
  for (let i = 0; i < rows; i++) {
    h.beginRow(1_000_000 + i * INTERVAL_MS);
    for (const [name, at] of Object.entries(columns)) h.set(name, at(i), 0);
  }
  return h;
}

describe('judge', () => {
  it('judges the known signals the history has, and each handle type as its own signal', () => {
    const h = historyOf(3, {
      [COLUMN.heapFloor]: () => 1,
      [COLUMN.rss]: () => 1,
      'handles.Timeout': () => 1,
      'handles.TCPSocketWrap': () => 1,
      'heap.used': () => 1,
    });
    const specs = signalSpecs(h);
    expect(specs.map((s) => s.name).sort()).toEqual(
      [COLUMN.heapFloor, COLUMN.rss, 'handles.TCPSocketWrap', 'handles.Timeout'].sort(),
    );
    expect(specs.find((s) => s.name === 'handles.Timeout')).toEqual({ ...HANDLE_SPEC, name: 'handles.Timeout' });
    // RSS only informs; it never moves the state machine.
    expect(specs.find((s) => s.name === COLUMN.rss)?.informational).toBe(true);
    expect(unitOf('handles.Timeout')).toBe('count');
    expect(unitOf(COLUMN.heapFloor)).toBe('bytes');
    expect(unitOf(COLUMN.loopP99)).toBe('ms');
  });

  it("leaves the process's open-fd count to the main thread: a worker's agent does not judge it", () => {
    const h = historyOf(3, { [COLUMN.fds]: () => 1, [COLUMN.heapFloor]: () => 1, 'handles.Timeout': () => 1 });
    expect(signalSpecs(h).map((s) => s.name)).toContain(COLUMN.fds);
    expect(
      signalSpecs(h, true)
        .map((s) => s.name)
        .sort(),
    ).toEqual([COLUMN.heapFloor, 'handles.Timeout'].sort());
  });

  it('waits for half a window before the half test, and a whole window before the full one', () => {
    const scratch = createJudgeScratch(600);
    const spec = { ...HANDLE_SPEC, name: 'handles.Timeout' };
    const at = (rows: number) =>
      judgeSignal(historyOf(rows, { 'handles.Timeout': (i) => 10 + 5 * i }), spec, WINDOW_MS, INTERVAL_MS, scratch);
    expect(at(29)).toMatchObject({ half: null, full: null, level: 10 + 5 * 28 });
    expect(at(30)?.half).not.toBeNull();
    expect(at(30)?.full).toBeNull();
    expect(at(60)?.full).not.toBeNull();
  });

  it('has no judgement for an unknown reading (the open-fd count reads -1 on old kernels)', () => {
    const scratch = createJudgeScratch(600);
    const fds = SIGNALS.find((s) => s.name === COLUMN.fds);
    expect(fds).toBeDefined();
    const h = historyOf(60, { [COLUMN.fds]: () => -1 });
    expect(judgeSignal(h, fds!, WINDOW_MS, INTERVAL_MS, scratch)).toBeNull();
  });

  it('calls a steady climb growing over both windows, and noise around a flat level not', () => {
    const noise = gaussian(rng(7));
    const h = historyOf(60, {
      'handles.Timeout': (i) => Math.round(40 + 5 * i + 3 * noise()),
      'handles.TCPSocketWrap': () => Math.round(40 + 3 * noise()),
    });
    const out = judgeAll(h, WINDOW_MS, INTERVAL_MS, createJudgeScratch(600));
    const timeout = out.find((j) => j.signal === 'handles.Timeout');
    const sockets = out.find((j) => j.signal === 'handles.TCPSocketWrap');
    expect(timeout?.half?.growing).toBe(true);
    expect(timeout?.full?.growing).toBe(true);
    expect(timeout?.full?.slopePerSec).toBeCloseTo(5, 0);
    expect(sockets?.half?.growing).toBe(false);
    expect(sockets?.full?.growing).toBe(false);
  });

  it('does not call a climb growing when it stays under the material growth', () => {
    // 0.1 a tick: 6 over the window, under the 10 a handle type must gain.
    const h = historyOf(60, { 'handles.Timeout': (i) => 40 + Math.floor(i / 10) });
    const j = judgeSignal(
      h,
      { ...HANDLE_SPEC, name: 'handles.Timeout' },
      WINDOW_MS,
      INTERVAL_MS,
      createJudgeScratch(600),
    );
    expect(j?.full?.significant).toBe(true);
    expect(j?.full?.material).toBe(false);
    expect(j?.full?.growing).toBe(false);
  });
});
