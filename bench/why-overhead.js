#!/usr/bin/env node
'use strict';
/**
 * What `leakwatch why` costs a program while it runs, against
 * why-is-node-running, on the promise-heavy workload (bench/why-workload.js:
 * 200k awaited promises, a 200k setImmediate chain, 2k timers).
 *
 * Three variants, each a fresh process per run, interleaved round by round
 * (order rotated each round) so machine drift hits all three alike:
 *   none      node bench/why-workload.js
 *   wintr     node --import why-is-node-running/include bench/why-workload.js
 *   leakwatch node --require dist/testing/why-preload.js bench/why-workload.js
 * Prints the median work time and whole-process wall time per variant, and
 * the ratio to `none`.
 *
 *   node bench/why-overhead.js [--rounds 7] [--n 200000]
 * (build first: npx tsc -p tsconfig.json)
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { numberOption } = require('./lib/args');

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = numberOption('rounds', 7);
const N = numberOption('n', 200_000);
const WORKLOAD = path.join(__dirname, 'why-workload.js');

const VARIANTS = [
  { name: 'none', pre: [] },
  { name: 'why-is-node-running', pre: ['--import', 'why-is-node-running/include'] },
  { name: 'leakwatch why', pre: ['--require', path.join(ROOT, 'dist/testing/why-preload.js')] },
];

function runOnce(v) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...v.pre, WORKLOAD, String(N)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${v.name} failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  return { ...JSON.parse(line), wallMs };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = new Map(VARIANTS.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = VARIANTS[(round + k) % VARIANTS.length];
    results.get(v.name).push(runOnce(v));
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
}

const cols = ['promisesMs', 'immediatesMs', 'timersMs', 'workMs', 'wallMs'];
const base = Object.fromEntries(cols.map((c) => [c, median(results.get('none').map((r) => r[c]))]));
const rows = [];
for (const v of VARIANTS) {
  const rs = results.get(v.name);
  const med = Object.fromEntries(cols.map((c) => [c, median(rs.map((r) => r[c]))]));
  rows.push({ variant: v.name, ...med, workRatio: med.workMs / base.workMs, wallRatio: med.wallMs / base.wallMs });
}
console.log(
  `Node ${process.version}, ${require('node:os').cpus().length} cores, N=${N}, ${ROUNDS} interleaved rounds, medians`,
);
console.log(
  '| variant | 200k awaits ms | 200k setImmediate ms | 2k timers ms | work ms | ×none | process wall ms | ×none |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${r.promisesMs.toFixed(0)} | ${r.immediatesMs.toFixed(0)} | ${r.timersMs.toFixed(0)} | ${r.workMs.toFixed(0)} | ${r.workRatio.toFixed(2)} | ${r.wallMs.toFixed(0)} | ${r.wallRatio.toFixed(2)} |`,
  );
}
