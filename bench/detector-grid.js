'use strict';
// Error rates of the trend detector on generated heap-floor series:
// 10 shapes (3 leaking, 7 healthy) × 4 noise levels × 100 seeds, over a
// 300-sample window (5 minutes at 1 s). Then the same shapes read only at
// sparse major GCs, as Node 24 and 26 run them while a heap grows: the
// window test on the staircase the heap.floor column holds, the run of
// rising readings (agent/floor-steps.ts), and either, as the agent judges.
// Run: npm run build && node bench/detector-grid.js
const path = require('node:path');
const { detectTrend } = require(path.join(__dirname, '../dist/agent/trend.js'));
const { LEAK_PARAMS, SIGNALS } = require(path.join(__dirname, '../dist/agent/judge.js'));
const { FloorSteps, judgeFloorSteps, LEAK_STEPS } = require(path.join(__dirname, '../dist/agent/floor-steps.js'));
const { MB, SHAPES, sample, rng, gaussian } = require(path.join(__dirname, '../test/support/series.js'));

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

// Sparse readings: one every `spacing` s ±50%, from a window before this
// one (a run may reach back), each with noise σ. The heap in use at the end
// is the floor plus up to 16 MB of young generation.
const SPARSE_SEEDS = 200;
const T0 = 1_700_000_000_000;
console.log(
  `\nread at major GCs only; leak params ${JSON.stringify(LEAK_STEPS)}; cells: reported by the window test / by the readings / by either, of ${SPARSE_SEEDS}`,
);
for (const spacing of [20, 60, 100]) {
  console.log(`\nreadings every ${spacing} s ±50%`);
  console.log(`| shape | expected | ${SIGMAS.map((s) => `σ=${s} MB`).join(' | ')} |`);
  console.log(`|---|---|${SIGMAS.map(() => '---').join('|')}|`);
  let wrongWindow = 0;
  let wrongEither = 0;
  let cases = 0;
  for (const shape of SHAPES) {
    const cells = SIGMAS.map((sigma) => {
      let byWindow = 0;
      let bySteps = 0;
      let byEither = 0;
      for (let seed = 1; seed <= SPARSE_SEEDS; seed++) {
        const u = rng(seed * 7919 + spacing);
        const g = gaussian(u);
        const steps = new FloorSteps();
        const readings = [];
        for (let s = -N + spacing * u(); s <= N; s += spacing * (0.5 + u())) {
          const v = shape.at(Math.max(0, s), N) + sigma * MB * g();
          steps.push(T0 + s * 1_000, v);
          readings.push([s, v]);
        }
        const t = new Float64Array(N);
        const v = new Float64Array(N);
        let k = 0;
        let floor = readings[0][1];
        for (let s = 0; s < N; s++) {
          while (k < readings.length && readings[k][0] <= s) floor = readings[k++][1];
          t[s] = T0 + s * 1_000;
          v[s] = floor;
        }
        const used = shape.at(N, N) + 16 * MB * u();
        const w = detectTrend(t, v, N, FLOOR, LEAK_PARAMS).growing;
        const r = judgeFloorSteps(steps, t[N - 1], used, FLOOR, N * 1_000, LEAK_STEPS)?.growing === true;
        if (w) byWindow++;
        if (r) bySteps++;
        if (w || r) byEither++;
      }
      wrongWindow += shape.leak ? SPARSE_SEEDS - byWindow : byWindow;
      wrongEither += shape.leak ? SPARSE_SEEDS - byEither : byEither;
      cases += SPARSE_SEEDS;
      return `${byWindow} / ${bySteps} / ${byEither}`;
    });
    console.log(`| ${shape.name} | ${shape.leak ? 'leak' : 'healthy'} | ${cells.join(' | ')} |`);
  }
  console.log(`wrong of ${cases}: window test alone ${wrongWindow}, either ${wrongEither}`);
}
