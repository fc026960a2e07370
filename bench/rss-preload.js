#!/usr/bin/env node
'use strict';
/**
 * What a preload adds to a service's RSS, read twice: 1.5 s after start-up
 * (idle, before any request) and 2 s after the same load (by default 2,000
 * requests at 1,000 req/s to the HTTP service). The first figure depends on *when* the
 * process's first scavenge happens, not only on what the preload keeps:
 * the row "2 MB of garbage, nothing kept" keeps nothing and still shows the
 * step, because the scavenge grows V8's young generation and the process
 * touches those pages. After load every process has been through it, and
 * the difference is what the preload really holds. The same holds for the
 * young generation's later growth to its maximum (16 MB semi-spaces): a
 * process observing GC reaches it sooner under a heavy allocation rate, so
 * after a short load the difference is bimodal; a long load lets every
 * process get there. Each difference is also split into RssAnon (the
 * process's own memory) and RssFile (mapped files' pages: mostly the node
 * binary's code the preload ran, shared with every node process).
 *
 *   node bench/rss-preload.js [--rounds N] [--service http|promise]
 *        [--seconds S (load, 2)] [--rate R (req/s, 1000; 0: as fast as answered)]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { configurations, SERVICES } = require('./lib/configs');
const { option, numberOption } = require('./lib/args');
const { runLoad } = require('./lib/load');
const { startService, readMemory, cleanEnv } = require('./lib/proc');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { runMain } = require('./lib/main');

const MB = 1_048_576;
const argv = process.argv.slice(2);
const ROUNDS = numberOption('rounds', 3);
const SERVICE = option('service', 'http');
const SECONDS = numberOption('seconds', 2);
const RATE = numberOption('rate', 1_000);

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-rss-'));
  process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const garbage = path.join(tmp, 'garbage.js');
  fs.writeFileSync(garbage, 'let keep = 0;\nfor (let i = 0; i < 40_000; i++) keep += new Array(6).length;\n');
  const gcObserver = path.join(tmp, 'gc-observer.js');
  fs.writeFileSync(
    gcObserver,
    "new (require('node:perf_hooks').PerformanceObserver)(() => {}).observe({ entryTypes: ['gc'] });\n",
  );
  // The alternative to the observer for post-GC statistics, harvested once a
  // tick as an agent would; kept here because it is why the observer stays.
  const gcProfiler = path.join(tmp, 'gc-profiler.js');
  fs.writeFileSync(
    gcProfiler,
    "const p = new (require('node:v8').GCProfiler)();\np.start();\nsetInterval(() => { p.stop(); p.start(); }, 1000).unref();\n",
  );
  const service = SERVICES.find((s) => s.name === SERVICE);
  if (service === undefined) throw new RangeError(`--service must be one of ${SERVICES.map((x) => x.name).join(', ')}`);
  // The preload arguments the overhead benchmark runs each tool with (no
  // dd-trace here: it needs its sinks).
  const known = configurations({ statsdPort: 0, traceAgentPort: 0 });
  const preload = (name) =>
    known
      .find((c) => c.name === name)
      .command(service)
      .args.slice(0, -1);
  const configs = [
    ['no preload', [], {}],
    ['2 MB of garbage, nothing kept (a preload that allocates)', ['--require', garbage], {}],
    ['a gc PerformanceObserver alone', ['--require', gcObserver], {}],
    ['v8.GCProfiler, stopped and restarted every 1 s', ['--require', gcProfiler], {}],
    ['leakwatch, LEAKWATCH_ENABLED=false', preload('leakwatch'), { LEAKWATCH_ENABLED: 'false' }],
    ['leakwatch watching (defaults)', preload('leakwatch'), {}],
    ['leakwatch watching, LEAKWATCH_CONTROL=false', preload('leakwatch'), { LEAKWATCH_CONTROL: 'false' }],
    ['prom-client collectDefaultMetrics', preload('prom-client'), {}],
    ['@datadog/pprof heap profiler', preload('pprof-heap'), {}],
  ];
  const res = configs.map(() => ({ idle: [], after: [], idleAnon: [], idleFile: [], afterAnon: [], afterFile: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < configs.length; i++) {
      const [label, pre, env] = configs[i];
      const svc = startService({
        cmd: process.execPath,
        args: [...pre, service.script],
        env: cleanEnv({ PORT: '0', ...env }),
        script: service.script,
      });
      try {
        const port = await svc.ready;
        const pid = svc.servicePid();
        await sleep(1_500);
        const idleMem = readMemory(pid);
        const idle = idleMem.rss / MB;
        const load = await runLoad({
          port,
          path: service.path,
          connections: 10,
          seconds: SECONDS,
          rate: RATE > 0 ? RATE : undefined,
        });
        await sleep(2_000);
        const afterMem = readMemory(pid);
        const after = afterMem.rss / MB;
        res[i].idle.push(idle);
        res[i].after.push(after);
        res[i].idleAnon.push(idleMem.anon / MB);
        res[i].idleFile.push(idleMem.file / MB);
        res[i].afterAnon.push(afterMem.anon / MB);
        res[i].afterFile.push(afterMem.file / MB);
        if (load.errors + load.non2xx > 0) throw new Error(`${label}: ${load.errors + load.non2xx} failed requests`);
        process.stderr.write(
          `round ${r + 1}/${ROUNDS} · ${label}: ${idle.toFixed(1)} MB idle, ${after.toFixed(1)} MB after ${load.requests} requests\n`,
        );
      } finally {
        await svc.stop();
      }
    }
  }
  const med = (xs) => summarise(xs).median;
  const b = res[0];
  const split = (i, anon, file) =>
    `${(med(res[i][anon]) - med(b[anon])).toFixed(1)} / ${(med(res[i][file]) - med(b[file])).toFixed(1)}`;
  const rows = configs.map(([label], i) => [
    label,
    formatRange(summarise(res[i].idle), 1),
    (med(res[i].idle) - med(b.idle)).toFixed(1),
    split(i, 'idleAnon', 'idleFile'),
    formatRange(summarise(res[i].after), 1),
    (med(res[i].after) - med(b.after)).toFixed(1),
    split(i, 'afterAnon', 'afterFile'),
  ]);
  const loadText = `${SECONDS} s of load${RATE > 0 ? ` at ${RATE} req/s` : ', as fast as answered'}`;
  process.stdout.write(
    `## RSS a preload adds to the ${service.label}\n\n${new Date().toISOString()}; Node ${process.version}; ${ROUNDS} rounds; command: \`node bench/rss-preload.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
  );
  process.stdout.write(
    `${markdownTable(['preload', 'RSS idle, 1.5 s after start (MB)', 'added', 'added: anon / file', `RSS 2 s after ${loadText} (MB)`, 'added', 'added: anon / file'], rows)}\n\nMedian [min–max] over rounds; "added" is the median minus the no-preload median. "anon / file" splits it (each a difference of medians, so the two need not sum exactly): RssAnon, memory of the process's own (heap, allocator), and RssFile, pages of mapped files touched, mostly the node binary's code that the preload ran, shared with every node process on the host and reclaimable.\n`,
  );
}

runMain(main);
