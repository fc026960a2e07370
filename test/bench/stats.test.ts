import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The benchmarks' statistics are plain CommonJS, shared by every bench script.
const require = createRequire(import.meta.url);
const { bootstrapMedianCI, median } = require('../../bench/lib/stats.js') as {
  bootstrapMedianCI: (xs: number[], level?: number, resamples?: number, seed?: number) => { lo: number; hi: number };
  median: (xs: number[]) => number;
};

/** A fixed, spread-out sample around `centre` (no randomness in the test). */
const sample = (n: number, centre: number, spread: number) =>
  Array.from({ length: n }, (_, i) => centre + spread * Math.sin(i * 2.399963));

describe('bootstrapMedianCI (bench/lib/stats.js)', () => {
  it('brackets the median, and gives the same interval for the same data', () => {
    const xs = sample(40, 1.02, 0.1);
    const ci = bootstrapMedianCI(xs);
    expect(ci.lo).toBeLessThanOrEqual(median(xs));
    expect(ci.hi).toBeGreaterThanOrEqual(median(xs));
    expect(ci.hi).toBeGreaterThan(ci.lo);
    expect(bootstrapMedianCI(xs)).toEqual(ci);
  });

  it('narrows as the sample grows, and widens with the level', () => {
    const width = (c: { lo: number; hi: number }) => c.hi - c.lo;
    expect(width(bootstrapMedianCI(sample(160, 1, 0.1)))).toBeLessThan(width(bootstrapMedianCI(sample(10, 1, 0.1))));
    const xs = sample(40, 1, 0.1);
    expect(width(bootstrapMedianCI(xs, 0.99))).toBeGreaterThan(width(bootstrapMedianCI(xs, 0.8)));
  });

  it('excludes a value the data lie clearly above, and gives no interval for fewer than 5 values', () => {
    // Every value lies in 1.035..1.075: the interval cannot reach 1.
    const ci = bootstrapMedianCI(sample(40, 1.055, 0.02));
    expect(ci.lo).toBeGreaterThan(1.0);
    expect(ci.hi).toBeLessThan(1.075);
    const few = bootstrapMedianCI([1, 2, 3, 4]);
    expect(Number.isNaN(few.lo) && Number.isNaN(few.hi)).toBe(true);
  });
});
