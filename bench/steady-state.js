#!/usr/bin/env node
'use strict';
/**
 * What watching costs once the agent is in its steady state: the history
 * holds a whole window, so every evaluation runs the full trend tests (in
 * the first half window they have too few rows to run at all, which makes
 * early measurements look cheaper than a long-running service pays).
 *
 * Starts the HTTP service four times: without and with leakwatch (default
 * config unless --window is given), idle and under a steady open-loop load
 * on 127.0.0.1. After the window has filled (+30 s), it measures over
 * --measure seconds: each process's CPU time (all threads, ns resolution
 * from /proc/<pid>/task/*\/sched) and the agent's own time as it timed its
 * ticks (`leakwatch status` over the control socket).
 *
 *   node bench/steady-state.js [--window 300s] [--rate 300] [--measure 60]
 */
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { SERVICES, ROOT } = require('./lib/configs');
const { option, numberOption, durationOption } = require('./lib/args');
const { runLoad } = require('./lib/load');
const { startService, readCpuMsPrecise, cleanEnv } = require('./lib/proc');
const { markdownTable } = require('./lib/stats');
const { runMain } = require('./lib/main');

const argv = process.argv.slice(2);
const WINDOW = option('window', null);
const WINDOW_MS = durationOption('window', 300_000);
const RATE = numberOption('rate', 300);
const MEASURE_S = numberOption('measure', 60);

async function main() {
  const service = SERVICES.find((s) => s.name === 'http');
  const register = path.join(ROOT, 'dist', 'agent', 'register.js');
  const { requestControl } = require(path.join(ROOT, 'dist', 'agent', 'control-client.js'));
  const agentEnv = WINDOW === null ? {} : { LEAKWATCH_WINDOW: WINDOW };
  const specs = [
    ['idle', 'no agent', []],
    ['idle', 'leakwatch', ['--require', register]],
    ['load', 'no agent', []],
    ['load', 'leakwatch', ['--require', register]],
  ];
  const procs = [];
  try {
    for (const [mode, name, pre] of specs) {
      const svc = startService({
        cmd: process.execPath,
        args: [...pre, service.script],
        env: cleanEnv({ PORT: '0', ...(pre.length ? agentEnv : {}) }),
        script: service.script,
      });
      procs.push({ mode, name, svc, port: await svc.ready, pid: svc.servicePid() });
    }
    const fillS = WINDOW_MS / 1_000 + 30;
    process.stderr.write(
      `steady state: window ${fillS - 30} s; loading two services at ${RATE} req/s each for ${fillS + MEASURE_S} s; measuring the last ${MEASURE_S} s\n`,
    );
    const loaded = procs.filter((p) => p.mode === 'load');
    const total = fillS + MEASURE_S;
    const loads = loaded.map((p) =>
      runLoad({ port: p.port, path: service.path, connections: 10, seconds: total, rate: RATE }),
    );
    await sleep(fillS * 1_000);
    const own = async (p) => (p.name === 'leakwatch' ? await requestControl(p.pid, 'status', 10_000) : null);
    const before = await Promise.all(
      procs.map(async (p) => ({ cpu: readCpuMsPrecise(p.pid), own: await own(p), at: Date.now() })),
    );
    await sleep(MEASURE_S * 1_000);
    const after = await Promise.all(
      procs.map(async (p) => ({ cpu: readCpuMsPrecise(p.pid), own: await own(p), at: Date.now() })),
    );
    const results = await Promise.all(loads);
    const secs = procs.map((_, i) => (after[i].at - before[i].at) / 1_000);
    const cpuUsPerS = procs.map((_, i) => ((after[i].cpu - before[i].cpu) * 1_000) / secs[i]);
    const rows = procs.map((p, i) => {
      const o0 = before[i].own;
      const o1 = after[i].own;
      const ticks = o1 === null ? 0 : o1.ticks - o0.ticks;
      const ownUs = o1 === null ? Number.NaN : o1.tickCostTotalUs - o0.tickCostTotalUs;
      return [
        p.mode === 'idle' ? 'idle' : `${RATE} req/s`,
        p.name,
        cpuUsPerS[i].toFixed(0),
        o1 === null
          ? '—'
          : `${(ownUs / secs[i]).toFixed(0)} (${ticks} ticks, ${(ownUs / Math.max(1, ticks)).toFixed(0)} µs each, ${o1.evaluations - o0.evaluations} evaluations)`,
        o1 === null ? '—' : `${((ownUs / secs[i] / cpuUsPerS[i]) * 100).toFixed(2)} %`,
      ];
    });
    // The agent's process minus the no-agent one under the same load.
    const added = (mode) => {
      const cpu = (name) => cpuUsPerS[procs.findIndex((p) => p.mode === mode && p.name === name)];
      return cpu('leakwatch') - cpu('no agent');
    };
    process.stdout.write(
      `## leakwatch in its steady state\n\n${new Date().toISOString()}; Node ${process.version}; window ${fillS - 30} s, measured over the last ${MEASURE_S} s after ${fillS} s; command: \`node bench/steady-state.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
    );
    process.stdout.write(
      `${markdownTable(['load', 'process', 'CPU µs per s (all threads)', "agent's own ticks, µs per s", 'own ticks / process CPU'], rows)}\n\n`,
    );
    process.stdout.write(
      `CPU added by the agent: idle ${added('idle').toFixed(0)} µs per s (${(added('idle') / 1e4).toFixed(3)} % of one core); under ${RATE} req/s ${added('load').toFixed(0)} µs per s (the loaded pair's difference also holds their noise).\n`,
    );
    process.stdout.write(
      `Requests: ${results.map((r) => `${r.requests} (${r.errors + r.non2xx} failed)`).join(', ')}.\n`,
    );
  } finally {
    await Promise.all(procs.map((p) => p.svc.stop()));
  }
}

runMain(main);
