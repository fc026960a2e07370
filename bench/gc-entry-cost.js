#!/usr/bin/env node
'use strict';
/**
 * What observing `gc` performance entries costs the observed process under
 * a high allocation rate, and why. On Node 20 each `gc` entry is built in
 * JavaScript (lib/internal/perf/observe.js, observerCallback): besides the
 * entry there is a Map and, for each detail key, a getter and a setter
 * wrapped by `deprecate()` (DEP0152) that are then defined on the entry.
 * Those wrappers change function prototypes and give every entry its own
 * accessors, which V8 backs with new hidden classes, allocated outside the
 * young generation. Scavenges do not reclaim that garbage, so the old space
 * grows with the number of GCs until a mark-compact runs.
 *
 * Each program runs the same workload in a fresh process: rounds of
 * short-lived objects (nothing kept), with a setImmediate between rounds so
 * that observer callbacks can run. `--trace-gc` counts every scavenge and
 * mark-compact, observed or not; the program prints old-space figures and
 * RSS at the end. Rounds alternate the programs.
 *
 * A second table isolates the mechanism: 5,000 objects built the way
 * observerCallback builds a `gc` entry (re-created here with the public
 * `util.deprecate`, which is the same function) against 5,000 plain
 * objects, in a process whose young generation is large enough that no GC
 * runs; what the old space gained is what the construction put there.
 *
 *   node bench/gc-entry-cost.js [--rounds N (5)] [--bursts N (3000)]
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { cleanEnv } = require('./lib/proc');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { numberOption } = require('./lib/args');
const { runMain } = require('./lib/main');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const ROUNDS = numberOption('rounds', 5);
const BURSTS = numberOption('bursts', 3_000);
const MB = 1_048_576;

// The workload, the same in every program: BURSTS rounds of 20,000 small
// objects that die young. Old-space figures are read after the last round.
const WORKLOAD = `
const v8 = require('node:v8');
const { setImmediate: yieldLoop } = require('node:timers/promises');
const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
(async () => {
  await yieldLoop();
  const before = old();
  let sink = 0;
  for (let r = 0; r < ${BURSTS}; r++) {
    const burst = [];
    for (let i = 0; i < 20000; i++) burst.push({ i, s: 'x' });
    sink += burst.length;
    await yieldLoop();
  }
  const after = old();
  process.stdout.write('RESULT ' + JSON.stringify({ sink, oldUsed: after.space_used_size - before.space_used_size, oldSize: after.space_size - before.space_size, rss: process.memoryUsage().rss }) + '\\n');
})();
`;
const OBSERVER =
  "new (require('node:perf_hooks').PerformanceObserver)((list) => { list.getEntries(); }).observe({ entryTypes: ['gc'] });";

const PROGRAMS = [
  ['no observer', ['-e', WORKLOAD]],
  ['a gc PerformanceObserver (reads every entry)', ['-e', OBSERVER + WORKLOAD]],
  [
    'leakwatch watching (--require leakwatch/register, defaults)',
    ['--require', path.join(ROOT, 'dist', 'agent', 'register.js'), '-e', WORKLOAD],
  ],
];

// 5,000 entries with two detail keys (kind, flags), as Node 20 builds them.
const ENTRIES = 5_000;
const CONSTRUCTION = (withAccessors) => `
const v8 = require('node:v8');
const util = require('node:util');
const used = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
const keep = [];
const before = used();
for (let i = 0; i < ${ENTRIES}; i++) {
  const entry = { name: 'gc', entryType: 'gc', startTime: i, duration: 0.5 };
  if (${withAccessors}) {
    const fields = new Map();
    const props = {};
    for (const key of ['kind', 'flags']) {
      fields.set(key, i);
      props[key] = {
        configurable: true,
        enumerable: true,
        get: util.deprecate(() => fields.get(key), 'deprecated', 'DEP0152'),
        set: util.deprecate((value) => { fields.set(key, value); }, 'deprecated', 'DEP0152'),
      };
    }
    Object.defineProperties(entry, props);
  }
  keep.push(entry);
}
process.stdout.write('RESULT ' + JSON.stringify({ oldUsed: used() - before, rss: process.memoryUsage().rss, kept: keep.length }) + '\\n');
`;
const BIG_YOUNG = ['--min-semi-space-size=64', '--max-semi-space-size=64'];
const CONSTRUCTIONS = [
  ['a plain object', [...BIG_YOUNG, '-e', CONSTRUCTION(false)]],
  ['an object with a Map and DEP0152 accessors (a Node 20 gc entry)', [...BIG_YOUNG, '-e', CONSTRUCTION(true)]],
];

/** Runs one program with `--trace-gc`; resolves its counts and figures. */
function measure(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--trace-gc', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: cleanEnv(),
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || line === undefined)
        return reject(new Error(`${args.join(' ').slice(0, 80)} exited with ${code} and no result`));
      const result = JSON.parse(line.slice('RESULT '.length));
      // V8's --trace-gc prints one line per collection, named by its kind.
      result.scavenges = (out.match(/: Scavenge /g) ?? []).length;
      result.markCompacts = (out.match(/: Mark-Compact /g) ?? []).length;
      resolve(result);
    });
  });
}

async function main() {
  const results = PROGRAMS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PROGRAMS.length; i++) {
      const [label, args] = PROGRAMS[i];
      const m = await measure(args);
      results[i].push(m);
      process.stderr.write(
        `round ${r + 1}/${ROUNDS} · ${label}: ${m.scavenges} scavenges, ${m.markCompacts} mark-compacts, old space +${(m.oldSize / MB).toFixed(2)} MB (used +${(m.oldUsed / MB).toFixed(2)}), RSS ${(m.rss / MB).toFixed(1)} MB\n`,
      );
    }
  }
  const col = (i, f, digits) => formatRange(summarise(results[i].map(f)), digits);
  const rows = PROGRAMS.map(([label], i) => [
    label,
    col(i, (m) => m.scavenges, 0),
    col(i, (m) => m.markCompacts, 0),
    col(i, (m) => m.oldSize / MB, 2),
    col(i, (m) => m.oldUsed / MB, 2),
    col(i, (m) => m.rss / MB, 1),
  ]);
  process.stdout.write(
    `## What observing gc entries costs under allocation\n\n${new Date().toISOString()}; Node ${process.version}; ${ROUNDS} rounds of ${BURSTS} bursts of 20,000 short-lived objects; command: \`node bench/gc-entry-cost.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
  );
  const perEntry = [];
  for (const [label, args] of CONSTRUCTIONS) {
    const m = await measure(args);
    if (m.scavenges + m.markCompacts > 0)
      throw new Error(
        `${label}: a GC ran during the construction; the old-space figure would not be the construction's`,
      );
    perEntry.push([label, (m.oldUsed / ENTRIES).toFixed(0)]);
  }
  process.stdout.write(
    `${markdownTable(['program', 'scavenges', 'mark-compacts', 'old space grown (MB)', 'old space used, grown (MB)', 'RSS at the end (MB)'], rows)}\n\nMedian [min–max] over rounds. GCs are counted from V8's --trace-gc lines. The old-space figures compare the end of the workload with its start; a mark-compact in between lowers the used figure, not the grown space.\n\n`,
  );
  process.stdout.write(
    `${markdownTable([`built ${ENTRIES.toLocaleString('en-US')} times, no GC in between`, 'old-space bytes per object'], perEntry)}\n`,
  );
}

runMain(main);
