#!/usr/bin/env node
'use strict';
/**
 * What an agent costs a service that is idle: the CPU a process spends
 * while it has nothing to do but its timers. Each wake-up of a sleeping
 * process costs far more than the callback it runs (the kernel, and on a
 * VM the hypervisor, reprogram and deliver the timer), so a 10 ms timer
 * costs a visible share of a core even when it does nothing. This is why
 * leakwatch's event-loop delay histogram drops to a 100 ms timer while the
 * loop is idle (probes/event-loop.ts).
 *
 * Each program runs alone in a fresh process; after 1 s of start-up its CPU
 * time (all threads, ns resolution from /proc/<pid>/task/<tid>/sched) is
 * read over a window. Rounds alternate the programs.
 *
 *   node bench/idle-wakeups.js [--rounds N] [--seconds S]
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { readCpuMsPrecise, cleanEnv } = require('./lib/proc');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { numberOption } = require('./lib/args');
const { runMain } = require('./lib/main');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const ROUNDS = numberOption('rounds', 3);
const SECONDS = numberOption('seconds', 4);

// A ref'd long timer keeps each program alive without waking it.
const KEEP = 'setInterval(() => {}, 1e6);';
const PROGRAMS = [
  ["nothing (a ref'd 1000 s timer)", ['-e', KEEP]],
  [
    'a 1 s setInterval reading process.memoryUsage()',
    ['-e', `${KEEP} setInterval(() => process.memoryUsage(), 1000);`],
  ],
  [
    'a gc PerformanceObserver',
    ['-e', `${KEEP} new (require('node:perf_hooks').PerformanceObserver)(() => {}).observe({ entryTypes: ['gc'] });`],
  ],
  ...[10, 20, 50, 100].map((ms) => [
    `monitorEventLoopDelay, ${ms} ms resolution`,
    ['-e', `${KEEP} require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${ms} }).enable();`],
  ]),
  [
    'leakwatch watching (--require leakwatch/register, defaults)',
    ['--require', path.join(ROOT, 'dist', 'agent', 'register.js'), '-e', KEEP],
  ],
  [
    'leakwatch watching, LEAKWATCH_CONTROL=false',
    ['--require', path.join(ROOT, 'dist', 'agent', 'register.js'), '-e', KEEP],
    { LEAKWATCH_CONTROL: 'false' },
  ],
];

async function measure(args, env) {
  const child = spawn(process.execPath, args, { stdio: 'ignore', env: cleanEnv(env) });
  try {
    await sleep(1_000);
    const c0 = readCpuMsPrecise(child.pid);
    await sleep(SECONDS * 1_000);
    const c1 = readCpuMsPrecise(child.pid);
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    return ((c1 - c0) * 1_000) / SECONDS;
  } finally {
    child.kill('SIGKILL');
  }
}

async function main() {
  const results = PROGRAMS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PROGRAMS.length; i++) {
      const [label, args, env] = PROGRAMS[i];
      const us = await measure(args, env);
      results[i].push(us);
      process.stderr.write(`round ${r + 1}/${ROUNDS} · ${label}: ${us.toFixed(0)} µs/s\n`);
    }
  }
  const rows = PROGRAMS.map(([label], i) => [
    label,
    formatRange(summarise(results[i]), 0),
    `${(summarise(results[i]).median / 1e4).toFixed(3)} %`,
  ]);
  process.stdout.write(
    `## Idle cost of timers and samplers\n\n${new Date().toISOString()}; Node ${process.version}; ${ROUNDS} rounds of ${SECONDS} s windows; command: \`node bench/idle-wakeups.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
  );
  process.stdout.write(
    `${markdownTable(['idle process running', 'CPU µs per s: median [min–max]', 'of one core'], rows)}\n`,
  );
}

runMain(main);
