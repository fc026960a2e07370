// The sampler against the real probes of the test process: one row per
// tick, every probe's reading in its column.
import { afterEach, describe, expect, it } from 'vitest';
import { History } from '../../agent/history';
import { COLUMN, handleColumn, Sampler, spaceColumn } from '../../agent/sampler';
import { spaceNames } from '../../probes/heap';
import { gcEntriesDelivered, majorGc } from '../support/gc';

describe('Sampler', () => {
  let sampler: Sampler | null = null;
  afterEach(() => {
    sampler?.stop();
    sampler = null;
  });

  it('writes one row per tick with every probe’s reading', async () => {
    const history = new History(10);
    sampler = new Sampler(history, 1_000);
    const timers = Array.from({ length: 3 }, () => setInterval(() => {}, 60_000));
    await gcEntriesDelivered();
    sampler.sample(1_000);
    for (const t of timers) clearInterval(t);
    const { heap, handles, loop, process: proc } = sampler.readings;
    expect(history.length).toBe(1);
    expect(history.lastTime()).toBe(1_000);
    expect(history.last(COLUMN.heapUsed)).toBe(heap.usedBytes);
    expect(history.last(COLUMN.heapOld)).toBe(heap.oldGenUsedBytes);
    expect(history.last(COLUMN.rss)).toBe(heap.rssBytes);
    for (let i = 0; i < spaceNames.length; i++) {
      expect(history.last(spaceColumn(spaceNames[i] as string))).toBe(heap.spaceUsedBytes[i]);
    }
    expect(history.last(COLUMN.loopP99)).toBe(loop.p99Ms);
    expect(history.last(COLUMN.loopUtilization)).toBe(loop.utilization);
    expect(history.last(COLUMN.cpuUser)).toBe(proc.cpuUserPercent);
    expect(history.last(COLUMN.fds)).toBe(handles.openFds);
    expect(history.last(handleColumn('Timeout'))).toBe(handles.byType.get('Timeout'));
    expect(history.last(handleColumn('Timeout'))).toBeGreaterThanOrEqual(3);
    // The next tick: the cleared timers read 3 fewer, in the same column.
    sampler.sample(2_000);
    expect(history.length).toBe(2);
    expect(history.last(handleColumn('Timeout'))).toBe((history.toSeries().columns['handles.Timeout']?.[0] ?? 0) - 3);
  });

  it('takes the old generation as the floor until the first major GC, then the post-GC reading', async () => {
    const history = new History(10);
    sampler = new Sampler(history, 1_000);
    // No observer batch can arrive before the first tick: no await between.
    sampler.sample(1_000);
    expect(sampler.readings.gc.floorBytes).toBeNaN();
    expect(history.last(COLUMN.heapFloor)).toBe(history.last(COLUMN.heapOld));
    majorGc();
    await gcEntriesDelivered();
    sampler.sample(2_000);
    const floor = sampler.readings.gc.floorBytes;
    expect(floor).toBeGreaterThan(0);
    expect(history.last(COLUMN.heapFloor)).toBe(floor);
    expect(history.last(COLUMN.gcCount)).toBeGreaterThanOrEqual(1);
    expect(history.last(COLUMN.gcPause)).toBeGreaterThan(0);
  });

  it('stops its histogram and GC observer: later GCs are not counted', async () => {
    const history = new History(10);
    sampler = new Sampler(history, 1_000);
    sampler.stop();
    majorGc();
    await gcEntriesDelivered();
    sampler.sample(1_000);
    expect(history.last(COLUMN.gcCount)).toBe(0);
    expect(sampler.readings.gc.majorTotal).toBe(0);
  });
});
