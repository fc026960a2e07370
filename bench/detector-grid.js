'use strict';
// Error rates of the trend detector on generated heap-floor series:
// 10 shapes (3 leaking, 7 healthy) × 4 noise levels × 100 seeds, over a
// 300-sample window (5 minutes at 1 s). Run: npm run build && node bench/detector-grid.js
const path = require('node:path');
const { detectTrend } = require(path.join(__dirname, '../dist/agent/trend.js'));
const { LEAK_PARAMS, SIGNALS } = require(path.join(__dirname, '../dist/agent/judge.js'));
const { MB, SHAPES, sample } = require(path.join(__dirname, '../test/support/series.js'));

const FLOOR = SIGNALS.find((s) => s.name === 'heap.floor');
const SIGMAS = [0.25, 1, 2, 3];
const SEEDS = 100;
const N = 300;

console.log(
  `leak params ${JSON.stringify(LEAK_PARAMS)}; heap floor needs ≥ ${FLOOR.minGrowth / MB} MB and ≥ ${FLOOR.minRelativeGrowth * 100}% growth`,
);
console.log(`| shape | expected | ${SIGMAS.map((s) => `σ=${s} MB`).join(' | ')} |`);
console.log(`|---|---|${SIGMAS.map(() => '---').join('|')}|`);
let wrong = 0;
let total = 0;
for (const shape of SHAPES) {
  const cells = SIGMAS.map((sigma) => {
    let hits = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { t, v } = sample(shape, N, sigma * MB, seed * 7919);
      if (detectTrend(t, v, N, FLOOR, LEAK_PARAMS).growing) hits++;
    }
    wrong += shape.leak ? SEEDS - hits : hits;
    total += SEEDS;
    return `${hits}/${SEEDS} reported`;
  });
  console.log(`| ${shape.name} | ${shape.leak ? 'leak' : 'healthy'} | ${cells.join(' | ')} |`);
}
console.log(`${total - wrong} right, ${wrong} wrong of ${total}`);
