#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: what leakwatch costs a service, against what the tools a
 * user would pick instead cost, measured side by side in one run.
 *
 * For each service and configuration, a *visit* starts a fresh no-agent
 * process and a fresh process of the configuration, side by side, and
 * alternates bounded loopback load (autocannon: fixed connections, fixed
 * time, 127.0.0.1 only) between them in short slices, ABBA order:
 * none, X, X, none, none, X, ... Each configuration slice is thus measured
 * right next to a no-agent slice, which matters on a machine shared with
 * other work: its speed drifts by tens of percent within a minute, and only
 * neighbours are comparable. A visit of a second no-agent process (the A/A
 * control) shows how far apart two identical processes measure: ratios
 * inside that spread are noise. Configurations rotate between cycles.
 *
 *   node bench/overhead.js            full: 3 cycles × 5 pairs of 1 s slices (~14 min)
 *   node bench/overhead.js --quick    1 cycle × 3 pairs of 0.8 s slices (< 3 min)
 *   options: --cycles N --pairs N --slice S --warm S --connections N
 *            --only name,name  --services http,promise  --json FILE
 *   node bench/overhead.js --from FILE   the tables and goals of a run saved with --json
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { configurations, SERVICES } = require('./lib/configs');
const { option } = require('./lib/args');
const { runMain } = require('./lib/main');
const { runLoad } = require('./lib/load');
const { launchService, readMemory, readCpuMsPrecise } = require('./lib/proc');
const { startSinks } = require('./lib/sinks');
const { summarise, formatRange, markdownTable, median } = require('./lib/stats');

/**
 * The agent's own account of its time (`leakwatch status`: every tick
 * timed from inside), read over the control socket; null for other
 * configurations or when the socket does not answer.
 */
async function ownCost(pid) {
  try {
    const { requestControl } = require('../dist/agent/control-client.js');
    const res = await requestControl(pid, 'status', 5_000);
    return res.ok ? { ticks: res.ticks, us: res.tickCostTotalUs, at: Date.now(), cpuMs: readCpuMsPrecise(pid) } : null;
  } catch {
    return null;
  }
}

const MB = 1_048_576;
/** Start-up settling before the idle window (module loading, first GCs, the agent's first tick). */
const START_MS = 1_000;
/**
 * The idle window: no load, both processes alive side by side; what each
 * spends of CPU here is its standing cost (timers, samplers, wake-ups),
 * which under load hides inside the A/A noise. Idle RSS is read at its end.
 */
const IDLE_MS = 2_000;
/** Pause after the last slice before the settled RSS is read; --quick: 0.3 s. */
const SETTLE_MS = 1_000;

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const value = (name, def) => option(name, def, argv);
  const o = {
    quick,
    cycles: Number(value('cycles', quick ? 1 : 3)),
    pairs: Number(value('pairs', quick ? 3 : 5)),
    sliceS: Number(value('slice', quick ? 0.8 : 1)),
    warmS: Number(value('warm', quick ? 0.5 : 1)),
    connections: Number(value('connections', 10)),
    only: value('only', null)?.split(',') ?? null,
    services: value('services', null)?.split(',') ?? null,
    json: value('json', null),
    // The quick run must stay under 3 minutes: a 0.8 s idle window and a
    // short settle. Not a shorter start: the agent's first tick (at 1 s)
    // is what moves an idle loop's delay histogram to its quiet timer.
    startMs: START_MS,
    idleMs: quick ? 800 : IDLE_MS,
    settleMs: quick ? 300 : SETTLE_MS,
  };
  for (const k of ['cycles', 'pairs', 'connections']) {
    if (!(Number.isInteger(o[k]) && o[k] > 0 && o[k] <= 1_000))
      throw new RangeError(`--${k} must be a positive integer`);
  }
  for (const k of ['sliceS', 'warmS']) {
    if (!(o[k] >= 0.5 && o[k] <= 60)) throw new RangeError(`--${k.slice(0, -1)} must be seconds between 0.5 and 60`);
  }
  return o;
}

/** Configurations in the order of one cycle: rotated so none is always first. */
function schedule(configs, cycle) {
  const k = cycle % configs.length;
  return [...configs.slice(k), ...configs.slice(0, k)];
}

/** One slice of load on one process, with its CPU time per request. */
async function slice(proc, service, o, seconds) {
  const cpu0 = readCpuMsPrecise(proc.pid);
  const load = await runLoad({ port: proc.port, path: service.path, connections: o.connections, seconds });
  const cpu1 = readCpuMsPrecise(proc.pid);
  return { ...load, cpuUsPerReq: load.requests > 0 ? ((cpu1 - cpu0) * 1_000) / load.requests : Number.NaN };
}

/**
 * One visit: a fresh no-agent process and a fresh process of `config`, both
 * alive; after a warm-up of each, `pairs` pairs of slices alternate the load
 * between them in ABBA order (base-config, config-base, ...), so each
 * configuration slice has a no-agent slice right beside it and drift over
 * the visit cancels out. Returns the medians of the per-pair ratios.
 */
async function visit(service, base, config, o, tmpRoot) {
  const procs = [];
  try {
    const [b, c] = await Promise.all([launchService(service, base, tmpRoot), launchService(service, config, tmpRoot)]);
    procs.push(b, c);
    await sleep(o.startMs);
    // Standing cost: CPU over the same idle window for both processes.
    const cpu0 = [readCpuMsPrecise(b.pid), readCpuMsPrecise(c.pid)];
    await sleep(o.idleMs);
    const idleCpuUsPerS = [readCpuMsPrecise(b.pid) - cpu0[0], readCpuMsPrecise(c.pid) - cpu0[1]].map(
      (ms) => (ms * 1_000) / (o.idleMs / 1_000),
    );
    // Footprint before any load. Inflated by start-up timing: a preload
    // that brings the process's first scavenge forward shows V8's grown new
    // space here (+4 MB for any few extra modules); the settled RSS after
    // load below compares processes that have both been through it.
    const idleRssAddedMb = (readMemory(c.pid).rss - readMemory(b.pid).rss) / MB;
    await slice(b, service, o, o.warmS);
    await slice(c, service, o, o.warmS);
    const ratios = { rps: [], p99: [], cpu: [] };
    const baseSlices = [];
    let errors = 0;
    const own0 = config.name.startsWith('leakwatch') ? await ownCost(c.pid) : null;
    for (let k = 0; k < o.pairs; k++) {
      const order = k % 2 === 0 ? [b, c] : [c, b];
      const r = {};
      for (const p of order) r[p === b ? 'base' : 'conf'] = await slice(p, service, o, o.sliceS);
      errors += r.base.errors + r.conf.errors + r.base.non2xx + r.conf.non2xx;
      ratios.rps.push(r.conf.rps / r.base.rps);
      ratios.p99.push(r.conf.p99Ms / r.base.p99Ms);
      ratios.cpu.push(r.conf.cpuUsPerReq / r.base.cpuUsPerReq);
      baseSlices.push(r.base);
    }
    const own1 = own0 === null ? null : await ownCost(c.pid);
    const memB = readMemory(b.pid);
    const memC = readMemory(c.pid);
    await sleep(o.settleMs);
    const settled = [readMemory(b.pid), readMemory(c.pid)];
    const settledRssAddedMb = (settled[1].rss - settled[0].rss) / MB;
    // The process's own memory only, without mapped files' pages (mostly
    // node's code, shared with every node process; a native addon's too).
    const settledAnonAddedMb = (settled[1].anon - settled[0].anon) / MB;
    const armed = /LEAKWATCH_ARMED (.*)/.exec(c.svc.stderr.text)?.[1] ?? null;
    if (c.svc.exited !== null)
      throw new Error(`${config.name} process exited during the visit: ${c.svc.stderr.text.slice(-500)}`);
    return {
      ok: true,
      rps: median(ratios.rps),
      p99: median(ratios.p99),
      cpu: median(ratios.cpu),
      rssAddedMb: (memC.hwm - memB.hwm) / MB,
      idleRssAddedMb,
      settledRssAddedMb,
      settledAnonAddedMb,
      idleCpuAddedUsPerS: idleCpuUsPerS[1] - idleCpuUsPerS[0],
      // Over the loaded part of the visit: the agent's timed ticks per
      // second of wall time and as a share of the process's CPU time.
      ownUsPerS: own1 === null ? Number.NaN : (own1.us - own0.us) / ((own1.at - own0.at) / 1_000),
      ownShareOfCpu: own1 === null ? Number.NaN : (own1.us - own0.us) / ((own1.cpuMs - own0.cpuMs) * 1_000),
      baseIdleCpuUsPerS: idleCpuUsPerS[0],
      basePeakRssMb: memB.hwm / MB,
      baseRps: median(baseSlices.map((x) => x.rps)),
      baseP99Ms: median(baseSlices.map((x) => x.p99Ms)),
      baseCpuUsPerReq: median(baseSlices.map((x) => x.cpuUsPerReq)),
      pairs: ratios,
      errors,
      armed: armed === null ? null : JSON.parse(armed),
    };
  } catch (err) {
    return {
      ok: false,
      error: String(err?.message ?? err)
        .split('\n')
        .slice(0, 6)
        .join('\n'),
    };
  } finally {
    await Promise.all(procs.map((p) => p.cleanup()));
  }
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / MB / 1024)} GB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/** Pools the per-pair ratios of every visit of a service × configuration. */
function pool(visits, service, config) {
  const mine = visits.filter((v) => v.service === service && v.config === config);
  const ok = mine.filter((v) => v.result.ok).map((v) => v.result);
  return {
    visits: ok.length,
    failed: mine.length - ok.length,
    error: mine.find((v) => !v.result.ok)?.result.error ?? null,
    rps: ok.flatMap((r) => r.pairs.rps),
    p99: ok.flatMap((r) => r.pairs.p99),
    cpu: ok.flatMap((r) => r.pairs.cpu),
    rss: ok.map((r) => r.rssAddedMb),
    idleRss: ok.map((r) => r.idleRssAddedMb),
    settledRss: ok.map((r) => r.settledRssAddedMb),
    settledAnon: ok.map((r) => r.settledAnonAddedMb),
    idleCpu: ok.map((r) => r.idleCpuAddedUsPerS),
    ownUs: ok.map((r) => r.ownUsPerS),
    ownShare: ok.map((r) => r.ownShareOfCpu),
    base: ok,
  };
}

function tables(services, configs, visits, o, sinks) {
  const out = [];
  for (const service of services) {
    const all = visits.filter((v) => v.service === service.name && v.result.ok).map((v) => v.result);
    out.push(`\n### ${service.label}\n`);
    if (all.length > 0) {
      out.push(
        `No-agent slices (medians over visits): ${Math.round(median(all.map((r) => r.baseRps))).toLocaleString('en-US')} req/s, p99 ${median(all.map((r) => r.baseP99Ms)).toFixed(2)} ms, ${median(all.map((r) => r.baseCpuUsPerReq)).toFixed(0)} µs CPU per request, peak RSS ${median(all.map((r) => r.basePeakRssMb)).toFixed(1)} MB; idle ${median(all.map((r) => r.baseIdleCpuUsPerS)).toFixed(0)} µs CPU per s.\n`,
      );
    }
    const rows = [];
    for (const c of configs) {
      if (c.name === 'none') continue;
      if (c.missing !== null) {
        rows.push([c.label, 'skipped', c.missing, '', '', '', '', '', '', '0']);
        continue;
      }
      const p = pool(visits, service.name, c.name);
      if (p.visits === 0) {
        rows.push([c.label, 'failed', (p.error ?? 'not run').split('\n')[0], '', '', '', '', '', '', '0']);
        continue;
      }
      rows.push([
        c.label,
        formatRange(summarise(p.rps)),
        formatRange(summarise(p.p99)),
        formatRange(summarise(p.cpu)),
        formatRange(summarise(p.idleCpu), 0),
        formatRange(summarise(p.idleRss), 1),
        formatRange(summarise(p.settledRss), 1),
        formatRange(summarise(p.settledAnon), 1),
        formatRange(summarise(p.rss), 1),
        `${p.visits}×${o.pairs}${p.failed ? ` (+${p.failed} failed)` : ''}`,
      ]);
    }
    out.push(
      markdownTable(
        [
          'configuration',
          'req/s ratio',
          'p99 ratio',
          'CPU/request ratio',
          'idle CPU added (µs/s)',
          'idle RSS added (MB)',
          'RSS added after load (MB)',
          'of it anonymous (MB)',
          'peak RSS added (MB)',
          'pairs',
        ],
        rows,
      ),
    );
    for (const name of ['leakwatch', 'leakwatch-armed']) {
      const p = pool(visits, service.name, name);
      if (summarise(p.ownUs).n === 0) continue;
      out.push(
        `\n${name === 'leakwatch' ? 'leakwatch watching' : 'leakwatch armed'}, its own ticks under this load (timed inside each tick, read with \`leakwatch status\` before and after the slices): ${formatRange(summarise(p.ownUs), 0)} µs per second, ${formatRange(summarise(p.ownShare.map((x) => x * 100)), 3)} % of the service process's CPU time.`,
      );
    }
  }
  out.push('');
  out.push(
    `Each ratio is a configuration slice over the no-agent slice beside it (${o.sliceS} s each, ${o.connections} connections, ABBA order); median [min–max] over all pairs of ${o.cycles} visit(s). req/s: higher is better; p99 latency and CPU per request: lower is better. Idle CPU added: CPU time (all threads, from /proc/<pid>/task/*/sched, ns resolution) the configuration's process spent over a ${o.idleMs / 1_000} s window with no load, minus the no-agent process's over the same window — the standing cost of timers and samplers, which wakes an idle service. Idle RSS added: VmRSS difference at the end of that window, before any load (a preload that brings the first scavenge forward shows V8's grown young generation here); RSS added after load: VmRSS difference ${o.settleMs / 1_000} s after the last slice, both processes past the same load; of it anonymous: the same for RssAnon, the process's own memory without mapped files' pages (node's code, a native addon's); peak RSS added: the same for VmHWM; median [min–max] over visits. The A/A row compares two identical no-agent processes: its spread is the noise floor of this run.`,
  );
  const armed = visits.find((v) => v.config === 'leakwatch-armed' && v.result.ok && v.result.armed)?.result.armed;
  if (armed !== undefined)
    out.push(`\nleakwatch armed, as seen inside the service after arm(): ${JSON.stringify(armed)}`);
  if (sinks.counts && configs.some((c) => c.name === 'dd-trace' && c.missing === null)) {
    out.push(
      `\ndd-trace sinks on 127.0.0.1: ${sinks.counts.datagrams} DogStatsD datagrams; ${sinks.counts.httpRequests} HTTP requests to the trace-agent port ${JSON.stringify(sinks.counts.paths)} (dd-trace 5 posts runtime metrics to the agent's /dogstatsd/v2/proxy).`,
    );
  }
  return out.join('\n');
}

function goals(services, visits, configs, o) {
  const lines = ['\nGoals (issue 8), medians:'];
  const get = (svc, c, f) => median(pool(visits, svc, c)[f]);
  const mark = (v, ok) => (Number.isNaN(v) ? 'n/a' : ok ? 'met' : 'MISSED');
  if (services.some((s) => s.name === 'http')) {
    const w = get('http', 'leakwatch', 'rps');
    const a = get('http', 'leakwatch-armed', 'rps');
    const rss = get('http', 'leakwatch', 'settledRss');
    const noise = summarise(pool(visits, 'http', 'none-aa').rps);
    // A load ratio is only evidence when it falls outside what two identical
    // processes show in the same run.
    const versus = (r) =>
      noise.n === 0 || Number.isNaN(r)
        ? ''
        : r >= noise.min && r <= noise.max
          ? ` (inside the A/A range ${formatRange(noise)}: noise)`
          : ` (outside the A/A range ${formatRange(noise)})`;
    const share = get('http', 'leakwatch', 'ownShare') * 100;
    lines.push(
      `- HTTP service, watching costs < 1% of req/s: the agent's own ticks ${share.toFixed(3)}% of the service's CPU under load (wall-clock, an upper bound) → ${mark(share, share < 1)}; load ratio ${w.toFixed(3)}${versus(w)}`,
    );
    const armedShare = get('http', 'leakwatch-armed', 'ownShare') * 100;
    // Inside the A/A range the median says nothing either way; the
    // in-process benchmark resolves a few percent with an interval.
    const armedVerdict =
      noise.n > 0 && a >= noise.min && a <= noise.max ? 'not resolved here' : `${mark(a, a >= 0.95)} by the median`;
    lines.push(
      `- HTTP service, armed costs < 5% of req/s: load ratio ${a.toFixed(3)}${versus(a)} → ${armedVerdict}; the agent's own ticks ${armedShare.toFixed(3)}% of the service's CPU; \`node bench/watch-cost.js --armed --phases 160 --phase-ms 1000\` measures the armed state inside one process, with a 95 % interval`,
    );
    lines.push(
      `- agent RSS < 10 MB (HTTP service, watching, RSS added after load): ${rss.toFixed(1)} MB → ${mark(rss, rss < 10)}; idle RSS added before load ${get('http', 'leakwatch', 'idleRss').toFixed(1)} MB; peak RSS added under load ${get('http', 'leakwatch', 'rss').toFixed(1)} MB (A/A: ${formatRange(summarise(pool(visits, 'http', 'none-aa').rss), 1)} MB)`,
    );
    const idle = get('http', 'leakwatch', 'idleCpu');
    lines.push(
      `- standing cost (HTTP service, watching, idle CPU added): ${idle.toFixed(0)} µs per s = ${(idle / 1e4).toFixed(2)}% of one core (A/A: ${formatRange(summarise(pool(visits, 'http', 'none-aa').idleCpu), 0)} µs/s)`,
    );
    if (noise.n > 0) lines.push(`- noise floor (A/A, HTTP service): ${formatRange(noise)}`);
  }
  for (const svc of services) {
    const peers = configs.filter(
      (c) =>
        !['none', 'none-aa', 'leakwatch', 'leakwatch-armed'].includes(c.name) &&
        pool(visits, svc.name, c.name).visits > 0,
    );
    // req/s: higher is better; CPU per request: lower is better.
    for (const [f, what, better, digits] of [
      ['rps', 'req/s', (p, l) => p >= l, 3],
      ['cpu', 'CPU per request', (p, l) => p <= l, 3],
      ['idleCpu', 'idle CPU added (µs/s)', (p, l) => p <= l, 0],
      ['settledRss', 'RSS added after load (MB)', (p, l) => p <= l, 1],
      ['settledAnon', 'anonymous RSS added after load (MB)', (p, l) => p <= l, 1],
    ]) {
      const lw = get(svc.name, 'leakwatch', f);
      const ahead = peers.filter((c) => better(get(svc.name, c.name, f), lw));
      lines.push(
        `- ${svc.name}: leakwatch watching (${lw.toFixed(digits)}) ahead of every peer on ${what}: ${ahead.length === 0 ? 'yes' : `no — ${ahead.map((c) => `${c.name} ${get(svc.name, c.name, f).toFixed(digits)}`).join(', ')}`}`,
      );
    }
  }
  lines.push("Differences inside the A/A row's range are noise, whichever way they point.");
  lines.push(
    `Idle CPU here is read over a ${o.idleMs / 1_000} s window early in each process's life: a peer with a longer period (dd-trace flushes every 10 s) may not fire in it, and start-up work still runs. \`node bench/idle-cost.js\` reads every configuration over 30 s windows, early and settled.`,
  );
  return lines.join('\n');
}

/** The configurations of a run, in the order the tables list them. */
function runConfigs(sinks, o) {
  const all = configurations(sinks);
  const base = all.find((c) => c.name === 'none');
  const control = { ...base, name: 'none-aa', label: 'no agent (A/A control: noise floor)' };
  let configs = [control, ...all.filter((c) => c.name !== 'none')];
  if (o.only !== null) configs = configs.filter((c) => o.only.includes(c.name));
  return { base, configs, services: SERVICES.filter((s) => o.services === null || o.services.includes(s.name)) };
}

/**
 * `--from FILE`: prints the tables and the goals of a run saved with
 * `--json`, from its raw visits, with this version of the summaries.
 */
function reprint(file) {
  let saved;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    process.stderr.write(`--from ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}\n`);
    return 2;
  }
  if (saved?.options === undefined || !Array.isArray(saved.visits)) {
    process.stderr.write(`--from ${file}: not a run saved with --json (no options and visits)\n`);
    return 2;
  }
  const o = saved.options;
  const { configs, services } = runConfigs({ statsdPort: 0, traceAgentPort: 0 }, o);
  const header = `## leakwatch overhead — ${o.quick ? 'quick' : 'full'} run, reprinted from ${path.basename(file)}\n\n${saved.startedAt}; ${saved.machine}.\nCommand: \`node bench/overhead.js --from ${file}\``;
  process.stdout.write(
    `${header}\n${tables(services, configs, saved.visits, o, { counts: saved.sinkCounts ?? null })}\n${goals(services, saved.visits, configs, o)}\n`,
  );
  return 0;
}

async function main() {
  if (process.argv.includes('--from')) {
    const file = option('from', undefined);
    if (file === undefined) {
      process.stderr.write('--from needs the path of a run saved with --json\n');
      return 2;
    }
    return reprint(file);
  }
  const o = parseArgs(process.argv.slice(2));
  const sinks = await startSinks();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-'));
  // Also when a signal ends the run (lib/proc kills the services then).
  process.once('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
  try {
    const { base, configs, services } = runConfigs(sinks, o);
    const runnable = configs.filter((c) => c.missing === null);
    const perVisit =
      1 + (o.startMs + o.idleMs + o.settleMs) / 1_000 + 2 * (o.warmS + 0.1) + 2 * o.pairs * (o.sliceS + 0.1);
    const total = o.cycles * services.length * runnable.length;
    const started = new Date();
    process.stderr.write(
      `leakwatch overhead benchmark: ${services.length} service(s) × ${runnable.length} configuration(s) × ${o.cycles} cycle(s) = ${total} visits of ${o.pairs} pairs of ${o.sliceS} s slices, ${o.connections} connections; about ${Math.ceil((total * perVisit) / 60)} min\n`,
    );
    for (const c of configs) if (c.missing !== null) process.stderr.write(`  skipping ${c.name}: ${c.missing}\n`);
    const loadBefore = os.loadavg()[0];
    const visits = [];
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      for (const service of services) {
        for (const config of schedule(runnable, cycle + services.indexOf(service))) {
          const result = await visit(service, base, config, o, tmpRoot);
          visits.push({ cycle, service: service.name, config: config.name, result });
          const r = result;
          process.stderr.write(
            r.ok
              ? `[${visits.length}/${total}] ${service.name} · ${config.name}: req/s ×${r.rps.toFixed(3)}, p99 ×${r.p99.toFixed(3)}, CPU/req ×${r.cpu.toFixed(3)}, idle CPU +${r.idleCpuAddedUsPerS.toFixed(0)} µs/s, RSS +${r.settledRssAddedMb.toFixed(1)} MB after load (no agent: ${Math.round(r.baseRps)} req/s)${r.errors ? `, ${r.errors} errors` : ''}\n`
              : `[${visits.length}/${total}] ${service.name} · ${config.name}: FAILED ${r.error}\n`,
          );
        }
      }
    }
    const seconds = (Date.now() - started.getTime()) / 1_000;
    const header = `## leakwatch overhead — ${o.quick ? 'quick' : 'full'} run\n\n${started.toISOString()}; ${machine()}; load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after (a shared machine: other work ran beside the benchmark); took ${Math.round(seconds)} s.\nCommand: \`${['node bench/overhead.js', ...process.argv.slice(2)].join(' ')}\``;
    process.stdout.write(
      `${header}\n${tables(services, configs, visits, o, sinks)}\n${goals(services, visits, configs, o)}\n`,
    );
    if (o.json !== null) {
      fs.writeFileSync(
        o.json,
        JSON.stringify(
          { startedAt: started.toISOString(), machine: machine(), options: o, visits, sinkCounts: sinks.counts },
          null,
          2,
        ),
      );
      process.stderr.write(`raw visits written to ${o.json}\n`);
    }
    return visits.some((v) => v.result.ok) ? 0 : 1;
  } finally {
    await sinks.close();
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runMain(main);
}

module.exports = { schedule };
