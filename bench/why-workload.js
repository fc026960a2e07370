'use strict';
/**
 * The promise-heavy workload of bench/why-overhead.js: N awaited promises,
 * then a chain of N setImmediate calls, then a few timers (the calls
 * leakwatch's `why` preload does wrap). Prints the work's own time in ms
 * as JSON on stdout, and exits by itself.
 */
const { performance } = require('node:perf_hooks');

const N = Number(process.argv[2]) || 200_000;
const TIMERS = 2_000;

async function main() {
  const t0 = performance.now();
  let sum = 0;
  for (let i = 0; i < N; i++) sum += await Promise.resolve(i);
  const t1 = performance.now();
  await new Promise((resolve) => {
    let left = N;
    const step = () => (--left === 0 ? resolve() : setImmediate(step));
    setImmediate(step);
  });
  const t2 = performance.now();
  await Promise.all(Array.from({ length: TIMERS }, () => new Promise((r) => setTimeout(r, 1))));
  const t3 = performance.now();
  process.stdout.write(
    `${JSON.stringify({ promisesMs: t1 - t0, immediatesMs: t2 - t1, timersMs: t3 - t2, workMs: t3 - t0, sum })}\n`,
  );
}
main();
