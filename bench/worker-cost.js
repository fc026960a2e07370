#!/usr/bin/env node
'use strict';
/**
 * What watching worker threads costs: the worker-pool service
 * (bench/services/worker-pool.js, $WORKERS idle worker threads) with no
 * agent, with leakwatch preloaded (the workers inherit the preload but
 * start no agent), and with LEAKWATCH_WORKERS=true (an agent per worker).
 * The three run at once, idle (an idle process barely contends for a
 * core); after the start-up wait each one's CPU time (all threads, ns
 * resolution from /proc/<pid>/task/<tid>/sched) is read over the window,
 * and its RSS at the end. Rounds repeat with fresh processes.
 *
 *   node bench/worker-cost.js [--rounds N] [--seconds S] [--start S] [--workers N]
 * (build first: npm run build)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { startService, readCpuMsPrecise, readMemory, cleanEnv } = require('./lib/proc');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { numberOption } = require('./lib/args');
const { runMain } = require('./lib/main');

const ROUNDS = numberOption('rounds', 3);
const SECONDS = numberOption('seconds', 30);
const START_S = numberOption('start', 10);
const WORKERS = numberOption('workers', 4);
const MB = 1024 * 1024;
const ROOT = path.join(__dirname, '..');
const SERVICE = path.join(__dirname, 'services/worker-pool.js');
const REGISTER = path.join(ROOT, 'dist/agent/register.js');

const CONFIGS = [
  { name: 'no agent', pre: [], env: {} },
  { name: `leakwatch, ${WORKERS} workers unwatched`, pre: ['--require', REGISTER], env: {} },
  {
    name: `leakwatch, LEAKWATCH_WORKERS=true (${WORKERS} worker agents)`,
    pre: ['--require', REGISTER],
    env: { LEAKWATCH_WORKERS: 'true' },
  },
];

async function round(tmp) {
  const started = CONFIGS.map((c) =>
    startService({
      cmd: process.execPath,
      args: [...c.pre, SERVICE],
      cwd: ROOT,
      env: cleanEnv({ PORT: '0', WORKERS: String(WORKERS), LEAKWATCH_REPORT_DIR: tmp, ...c.env }),
    }),
  );
  try {
    await Promise.all(started.map((s) => s.ready));
    await sleep(START_S * 1_000);
    const pids = started.map((s) => s.child.pid);
    const cpu0 = pids.map(readCpuMsPrecise);
    await sleep(SECONDS * 1_000);
    const cpu1 = pids.map(readCpuMsPrecise);
    const rss = pids.map((p) => readMemory(p).rss);
    return CONFIGS.map((c, i) => ({
      name: c.name,
      cpuUsPerS: ((cpu1[i] - cpu0[i]) * 1_000) / SECONDS,
      rssMb: rss[i] / MB,
    }));
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-worker-cost-'));
  const rows = new Map(CONFIGS.map((c) => [c.name, { cpu: [], rss: [] }]));
  console.log(
    `# worker-cost ${new Date().toISOString()}: Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}; ${WORKERS} idle workers, ${ROUNDS} rounds of ${SECONDS} s after ${START_S} s`,
  );
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of await round(tmp)) {
        rows.get(m.name).cpu.push(m.cpuUsPerS);
        rows.get(m.name).rss.push(m.rssMb);
      }
      process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    markdownTable(
      ['configuration', 'CPU (µs per second)', 'RSS at the end (MB)'],
      [...rows].map(([name, v]) => [name, formatRange(summarise(v.cpu), 0), formatRange(summarise(v.rss), 1)]),
    ),
  );
}

runMain(main);
