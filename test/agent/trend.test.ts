import { describe, expect, it } from 'vitest';
import { LEAK_PARAMS, SIGNALS, SUSPECT_PARAMS } from '../../agent/judge';
import { bucketize, detectTrend, mannKendall, normalCdf, theilSen } from '../../agent/trend';
import { MB, SHAPES, sample } from '../support/series';

const FLOOR = SIGNALS.find((s) => s.name === 'heap.floor');
if (FLOOR === undefined) throw new Error('heap.floor spec missing');

describe('statistics', () => {
  it('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-3.290527)).toBeCloseTo(0.0005, 5);
  });
  it('Mann–Kendall: monotone, flat and tied series', () => {
    const up = mannKendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(up.s).toBe(45);
    expect(up.pValue).toBeLessThan(0.001);
    expect(mannKendall([5, 5, 5, 5, 5]).pValue).toBe(1);
    expect(mannKendall([3, 1, 2]).n).toBe(3);
  });
  it('Theil–Sen ignores an outlier that least squares would follow', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const ys = xs.map((x) => 2 * x);
    ys[9] = 1_000;
    expect(theilSen(xs, ys)).toBe(2);
  });
  it('a flat series gets the verdict Mann–Kendall gives its buckets', () => {
    for (const params of [SUSPECT_PARAMS, LEAK_PARAMS]) {
      for (const count of [2, 3, 40, 300]) {
        const t = Array.from({ length: count }, (_, i) => 1_000 * i);
        const v = new Array<number>(count).fill(7);
        v[1] = Number.NaN;
        const trend = detectTrend(t, v, count, FLOOR, params);
        const buckets = bucketize(t, v, count, params.buckets, FLOOR.reducer).v;
        const mk = mannKendall(buckets);
        expect(trend).toMatchObject({
          n: mk.n,
          s: mk.s,
          z: mk.z,
          pValue: mk.pValue,
          from: 7,
          to: 7,
          spanMs: 1_000 * (count - 1),
          growing: false,
          significant: false,
        });
        expect(trend.slopePerSec).toBeNaN();
      }
    }
  });
  it('bucketize keeps each bucket median, skipping NaN, from a typed array as from an array', () => {
    const t = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const v = [9, Number.NaN, 1, 4, 2, 8, Number.NaN, Number.NaN, Number.NaN];
    const expected = { t: [1, 4], v: [5, 4] };
    expect(bucketize(t, v, 9, 3, 'median')).toEqual(expected);
    expect(bucketize(Float64Array.from(t), Float64Array.from(v), 9, 3, 'median')).toEqual(expected);
  });
  it('bucketize keeps each bucket minimum', () => {
    const b = bucketize([0, 1, 2, 3, 4, 5], [5, 1, 7, 2, 9, 3], 6, 3, 'min');
    expect(b.v).toEqual([1, 2, 3]);
    expect(b.t).toEqual([0.5, 2.5, 4.5]);
  });
});

// Noise levels: σ of the floor reading, from quiet to a noisy shared host.
const SIGMAS = [0.25 * MB, 1 * MB, 2 * MB];
const SEEDS = [1, 2, 3, 4, 5];
const WINDOW_S = 300;

describe('detectTrend over a whole window (LEAK_PARAMS)', () => {
  for (const shape of SHAPES) {
    for (const sigma of SIGMAS) {
      it(`${shape.name}, σ=${sigma / MB} MB → ${shape.leak ? 'leak' : 'no leak'}`, () => {
        for (const seed of SEEDS) {
          const { t, v } = sample(shape, WINDOW_S, sigma, seed);
          const trend = detectTrend(t, v, WINDOW_S, FLOOR, LEAK_PARAMS);
          expect(trend.growing, `seed ${seed}: ${JSON.stringify(trend)}`).toBe(shape.leak);
        }
      });
    }
  }

  it('a single outlier changes nothing', () => {
    for (const shape of SHAPES.filter((s) => s.name === 'flat' || s.name.startsWith('linear'))) {
      const { t, v } = sample(shape, WINDOW_S, 1 * MB, 7);
      const before = detectTrend(t, v, WINDOW_S, FLOOR, LEAK_PARAMS);
      v[WINDOW_S - 1] = 2_000 * MB;
      const spike = detectTrend(t, v, WINDOW_S, FLOOR, LEAK_PARAMS);
      v[WINDOW_S - 1] = 0;
      const dip = detectTrend(t, v, WINDOW_S, FLOOR, LEAK_PARAMS);
      expect(spike.growing).toBe(before.growing);
      expect(dip.growing).toBe(before.growing);
      // Slopes are computed for significant trends only (NaN otherwise).
      expect(spike.significant).toBe(before.significant);
      if (before.significant) expect(spike.slopePerSec).toBeCloseTo(before.slopePerSec, -4);
      else expect(spike.slopePerSec).toBeNaN();
    }
  });

  it('growth below the material threshold is not a leak, however significant', () => {
    const tiny = { name: 'tiny', at: (s: number) => 60 * MB + 0.005 * MB * s, leak: false };
    const { t, v } = sample(tiny, WINDOW_S, 0, 1);
    const trend = detectTrend(t, v, WINDOW_S, FLOOR, LEAK_PARAMS);
    expect(trend.significant).toBe(true);
    expect(trend.material).toBe(false);
    expect(trend.growing).toBe(false);
  });
});

describe('detectTrend over half a window (SUSPECT_PARAMS)', () => {
  it('a linear leak is suspect after half the window at every noise level', () => {
    const linear = SHAPES.find((s) => s.name.startsWith('linear')) as (typeof SHAPES)[number];
    for (const sigma of SIGMAS) {
      for (const seed of SEEDS) {
        const { t, v } = sample(linear, WINDOW_S / 2, sigma, seed);
        const trend = detectTrend(t, v, WINDOW_S / 2, { ...FLOOR, minGrowth: FLOOR.minGrowth / 2 }, SUSPECT_PARAMS);
        expect(trend.growing, `σ ${sigma / MB} seed ${seed}`).toBe(true);
      }
    }
  });
});
