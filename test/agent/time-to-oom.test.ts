import { describe, expect, it } from 'vitest';
import { estimateTimeToOom } from '../../agent/report-builder';
import { COLUMN } from '../../agent/sampler';
import type { Judgement } from '../../agent/state-machine';
import type { Trend } from '../../agent/trend';

const MiB = 2 ** 20;

/** A judgement whose whole-window trend has this slope (the estimate reads nothing else). */
function judged(signal: string, level: number, slopePerSec: number): Judgement {
  return { signal, half: null, full: { slopePerSec } as Trend, level, minGrowth: 4 * MiB };
}

describe('estimateTimeToOom', () => {
  it('extrapolates the heap floor to the old space limit it is given, and names its source', () => {
    const oom = estimateTimeToOom(
      [judged(COLUMN.heapFloor, 240 * MiB, 5 * MiB)],
      { bytes: 640 * MiB, source: 'v8-old-space' },
      null,
    );
    expect(oom).toEqual({ limitBytes: 640 * MiB, limitSource: 'v8-old-space', signal: COLUMN.heapFloor, seconds: 80 });
  });

  it('takes the sooner of the heap and the container, and says which', () => {
    const judgements = [judged(COLUMN.heapFloor, 100 * MiB, 1 * MiB), judged(COLUMN.rss, 400 * MiB, 2 * MiB)];
    const heap = { bytes: 4096 * MiB, source: 'v8-heap' } as const;
    expect(estimateTimeToOom(judgements, heap, 512 * MiB)).toEqual({
      limitBytes: 512 * MiB,
      limitSource: 'cgroup',
      signal: COLUMN.rss,
      seconds: 56,
    });
    expect(estimateTimeToOom(judgements, heap, null)?.seconds).toBe(3996);
  });

  it('has no time for a floor that does not rise, and none without a trend', () => {
    const limit = { bytes: 640 * MiB, source: 'v8-old-space' } as const;
    expect(estimateTimeToOom([judged(COLUMN.heapFloor, 240 * MiB, 0)], limit, null)?.seconds).toBeNull();
    expect(estimateTimeToOom([], limit, null)).toBeNull();
  });
});
