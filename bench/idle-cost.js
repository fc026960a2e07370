#!/usr/bin/env node
'use strict';
/**
 * The standing cost of each configuration of the overhead benchmark, over a
 * window long enough for every periodic peer to do its work. The overhead
 * benchmark reads idle CPU over 2 s, which sees leakwatch's 1 s tick twice
 * but may see none of dd-trace's 10 s flushes or prom-client's 5 s
 * scrapes; this bench reads 30 s by default.
 *
 * Every configuration runs the HTTP service with no load, all at once (an
 * idle process barely contends for a core); after the start-up wait, each
 * one's CPU time (all threads, ns resolution from /proc/<pid>/task/<tid>/sched;
 * the service process itself, under a wrapper such as clinic) is read over
 * the window. Rounds repeat with fresh processes.
 *
 *   node bench/idle-cost.js [--rounds N] [--seconds S] [--start S] [--baseline DIR]
 *
 * `--baseline DIR` adds leakwatch watching from another build's `dist`
 * directory (an earlier commit's, say), so a change is measured against
 * what it replaces in the same rounds.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { configurations, nodeCommand, SERVICES } = require('./lib/configs');
const { launchService, readCpuMsPrecise, readMemory } = require('./lib/proc');
const { startSinks } = require('./lib/sinks');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { numberOption, option } = require('./lib/args');
const { runMain } = require('./lib/main');

const argv = process.argv.slice(2);
const ROUNDS = numberOption('rounds', 3);
const SECONDS = numberOption('seconds', 30);
const START_S = numberOption('start', 3);
const BASELINE = option('baseline', null);
const MB = 1024 * 1024;

async function round(service, configs, sinks, tmpRoot) {
  const started = [];
  try {
    // Every one that started is stopped, even when another failed to.
    const launched = await Promise.allSettled(configs.map((c) => launchService(service, c, tmpRoot)));
    launched.forEach((l, i) => {
      if (l.status === 'fulfilled') started.push({ c: configs[i], ...l.value });
    });
    const failed = launched.find((l) => l.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await sleep(START_S * 1_000);
    const cpu0 = started.map((s) => readCpuMsPrecise(s.pid));
    await sleep(SECONDS * 1_000);
    const cpu1 = started.map((s) => readCpuMsPrecise(s.pid));
    const rss = started.map((s) => readMemory(s.pid).rss);
    for (const s of started)
      if (s.svc.exited !== null) throw new Error(`${s.c.name} exited: ${s.svc.stderr.text.slice(-500)}`);
    return started.map((s, i) => ({
      name: s.c.name,
      cpuUsPerS: ((cpu1[i] - cpu0[i]) * 1_000) / SECONDS,
      rssMb: rss[i] / MB,
    }));
  } finally {
    await Promise.all(started.map((s) => s.cleanup()));
  }
}

/** leakwatch watching, preloaded from another build's `dist`. */
function baselineConfig(dist) {
  const register = path.join(dist, 'agent', 'register.js');
  return {
    name: 'leakwatch-baseline',
    label: `leakwatch watching, the build in ${dist}`,
    missing: fs.existsSync(register) ? null : `${register} does not exist`,
    command: nodeCommand(['--require', register]),
  };
}

async function main() {
  const sinks = await startSinks();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-idle-'));
  process.once('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
  try {
    const all = configurations(sinks);
    if (BASELINE !== null) all.splice(2, 0, baselineConfig(path.resolve(BASELINE)));
    for (const c of all) if (c.missing !== null) process.stderr.write(`  skipping ${c.name}: ${c.missing}\n`);
    const configs = all.filter((c) => c.missing === null);
    const service = SERVICES[0];
    const results = new Map(configs.map((c) => [c.name, { cpu: [], rss: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const x of await round(service, configs, sinks, tmpRoot)) {
        results.get(x.name).cpu.push(x.cpuUsPerS);
        results.get(x.name).rss.push(x.rssMb);
      }
      process.stderr.write(
        `round ${r + 1}/${ROUNDS}: ${[...results].map(([n, v]) => `${n} ${v.cpu.at(-1).toFixed(0)}`).join(', ')} µs/s\n`,
      );
    }
    const none = results.get('none').cpu;
    const rows = configs.map((c) => {
      const v = results.get(c.name);
      const s = summarise(v.cpu);
      return [
        c.label,
        formatRange(s, 0),
        formatRange(summarise(v.cpu.map((x, r) => x - none[r])), 0),
        `${(s.median / 1e4).toFixed(3)} %`,
      ];
    });
    process.stdout.write(
      `## Idle cost over ${SECONDS} s windows\n\n${new Date().toISOString()}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${service.label}, no load, all configurations side by side, ${START_S} s after each listened; ${ROUNDS} rounds; command: \`node bench/idle-cost.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
    );
    process.stdout.write(
      `${markdownTable(['configuration', 'CPU µs per s: median [min–max]', 'minus no agent, round by round', 'of one core'], rows)}\n`,
    );
    process.stdout.write(
      `\ndd-trace sinks on 127.0.0.1 over the whole run: ${sinks.counts.datagrams} DogStatsD datagrams, ${sinks.counts.httpRequests} HTTP requests ${JSON.stringify(sinks.counts.paths)}.\n`,
    );
    return 0;
  } finally {
    await sinks.close();
  }
}

runMain(main);
