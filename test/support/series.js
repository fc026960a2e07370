'use strict';
/**
 * Generated series for the detector's tests and bench/detector-grid.js:
 * seeded, so every run sees the same numbers, at several noise levels.
 */

/** mulberry32: a small seeded PRNG (public domain). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform source. */
function gaussian(u) {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const MB = 1024 * 1024;
const BASE = 60 * MB;

/**
 * Healthy and leaking shapes of a heap floor over an n-second window.
 * @type {{ name: string, at: (s: number, n: number) => number, leak: boolean }[]}
 */
const SHAPES = [
  { name: 'flat', at: () => BASE, leak: false },
  { name: 'linear leak (0.2 MB/s)', at: (s) => BASE + 0.2 * MB * s, leak: true },
  { name: 'slow linear leak (0.05 MB/s)', at: (s) => BASE + 0.05 * MB * s, leak: true },
  { name: 'stepwise leak (+8 MB every 40 s)', at: (s) => BASE + 8 * MB * Math.floor(s / 40), leak: true },
  { name: 'GC sawtooth (30 MB, 25 s period)', at: (s) => BASE + ((s % 25) / 25) * 30 * MB, leak: false },
  { name: 'warm-up plateau', at: (s) => BASE + 40 * MB * (1 - Math.exp(-s / 25)), leak: false },
  {
    name: 'bounded cache filling until 40% of the window',
    at: (s, n) => BASE + 0.3 * MB * Math.min(s, 0.4 * n),
    leak: false,
  },
  { name: 'step then flat', at: (s, n) => BASE + (s > n / 4 ? 30 * MB : 0), leak: false },
  {
    name: 'late step (a cache loaded at 70% of the window)',
    at: (s, n) => BASE + (s > 0.7 * n ? 30 * MB : 0),
    leak: false,
  },
  {
    name: 'burst that drains',
    at: (s, n) => BASE + 30 * MB * Math.max(0, 1 - Math.abs(s - n / 3) / (n / 6)),
    leak: false,
  },
];

/**
 * Samples `shape` once a second for `n` seconds with Gaussian noise σ; the
 * shape's own window is `windowS` (default n).
 */
function sample(shape, n, sigma, seed, windowS = n) {
  const g = gaussian(rng(seed));
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    t[s] = 1_700_000_000_000 + s * 1_000;
    v[s] = shape.at(s, windowS) + sigma * g();
  }
  return { t, v };
}

module.exports = { rng, gaussian, MB, SHAPES, sample };
