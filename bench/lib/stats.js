'use strict';
/** Small statistics helpers for the benchmarks (pure functions). */

// The seeded PRNG the detector's generated series use (mulberry32).
const { rng } = require('../../test/support/series.js');

/** Quantile by linear interpolation of a sorted copy; NaN when empty. */
function quantile(values, q) {
  const xs = Array.from(values)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

const median = (values) => quantile(values, 0.5);

/** Median, min and max of the finite values. */
function summarise(values) {
  const xs = Array.from(values).filter((x) => Number.isFinite(x));
  return {
    n: xs.length,
    median: median(xs),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
  };
}

/** `0.987 [0.95–1.01]`, or `0.987` for a single value, or `n/a`. */
function formatRange(s, digits = 3, unit = '') {
  if (s.n === 0) return 'n/a';
  const f = (x) => `${x.toFixed(digits)}${unit}`;
  return s.n === 1 ? f(s.median) : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;
}

/**
 * Percentile-bootstrap confidence interval of the median of independent
 * values: `{ lo, hi }` at `level` (0.95), from `resamples` resamples drawn
 * with a fixed seed. NaN bounds for fewer than 5 values.
 */
function bootstrapMedianCI(values, level = 0.95, resamples = 10_000, seed = 1) {
  const xs = Array.from(values).filter((x) => Number.isFinite(x));
  if (xs.length < 5) return { lo: Number.NaN, hi: Number.NaN };
  // Seeded: the same data give the same interval.
  const rand = rng(seed);
  const medians = new Float64Array(resamples);
  const draw = new Float64Array(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) draw[i] = xs[Math.floor(rand() * xs.length)];
    draw.sort();
    const mid = (xs.length - 1) / 2;
    medians[r] = (draw[Math.floor(mid)] + draw[Math.ceil(mid)]) / 2;
  }
  medians.sort();
  const tail = (1 - level) / 2;
  return { lo: quantile(medians, tail), hi: quantile(medians, 1 - tail) };
}

/** A Markdown table from a header row and body rows (strings). */
function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

module.exports = { quantile, median, summarise, formatRange, markdownTable, bootstrapMedianCI };
