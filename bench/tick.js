#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:tick` (node --expose-gc bench/tick.js): the cost of one
 * sampling tick and the agent's own retained heap (issue 2).
 *
 * 1. Tick time: a LeakwatchAgent with the default config, constructed but
 *    never started (no timer), is driven with `tick(now)` directly, `now`
 *    advancing one interval per tick, so the trends are judged as in real
 *    time: an evaluation starts every 5th tick and its signals are judged a
 *    share per tick over the next 5. After a warm-up, each tick is timed
 *    alone; median and p99 in µs. The same is then done for each part of a
 *    tick (each probe read, the history row, the evaluation) so the total
 *    can be explained.
 * 2. Retained heap: heap used (+ array buffers, where the history's columns
 *    live) after full GCs, with the agent constructed and 1,000 then 100,000
 *    ticks driven, minus the same without the agent. Bounded history means
 *    the two figures should match.
 *
 *   options: --ticks N (timed ticks, default 20000)  --json
 */
const path = require('node:path');
const v8 = require('node:v8');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => path.join(ROOT, 'dist', p);

function requireDist() {
  try {
    return {
      ...require(dist('agent/agent.js')),
      ...require(dist('agent/config.js')),
      ...require(dist('agent/history.js')),
      ...require(dist('agent/judge.js')),
      ...require(dist('agent/sampler.js')),
      probes: {
        heap: require(dist('probes/heap.js')),
        handles: require(dist('probes/handles.js')),
        loop: require(dist('probes/event-loop.js')),
        gc: require(dist('probes/gc.js')),
        proc: require(dist('probes/process.js')),
      },
    };
  } catch (err) {
    process.stderr.write(
      `bench/tick.js needs the compiled agent: run \`npx tsc -p tsconfig.json\` first (${err.message})\n`,
    );
    process.exit(1);
  }
}

const lw = requireDist();
const { quantile } = require('./lib/stats');
const { numberOption } = require('./lib/args');

const argv = process.argv.slice(2);
const TIMED = numberOption('ticks', 20_000);
const WARMUP = 2_000;

/** Times `fn` `n` times, one call per sample; µs. */
function timeEach(n, fn) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    out[i] = Number(process.hrtime.bigint() - t0) / 1_000;
  }
  return out;
}

function summary(us) {
  return { medianUs: quantile(us, 0.5), p99Us: quantile(us, 0.99), maxUs: Math.max(...us) };
}

/** A fresh agent, never started: no timer, ticks driven by hand. */
function makeAgent() {
  const { config } = lw.resolveConfig({}, {});
  return new lw.LeakwatchAgent(config);
}

function benchTick() {
  const agent = makeAgent();
  let now = Date.now();
  const step = agent.config.intervalMs;
  for (let i = 0; i < WARMUP; i++) agent.tick((now += step));
  const all = timeEach(TIMED, () => agent.tick((now += step)));
  // Ticks that evaluated are every evalEveryTicks-th: split them out.
  const every = agent.evalEveryTicks;
  const plain = [];
  const evaluating = [];
  for (let i = 0; i < all.length; i++) ((WARMUP + i + 1) % every === 0 ? evaluating : plain).push(all[i]);
  const result = {
    config: {
      intervalMs: agent.config.intervalMs,
      windowMs: agent.config.windowMs,
      historySize: agent.config.historySize,
      evalEveryTicks: every,
    },
    all: summary(all),
    sampleOnly: summary(plain),
    withEvaluation: summary(evaluating),
    columns: agent.history.names().length,
    errors: agent.self.errors,
    state: agent.state,
  };
  agent.stop();
  return result;
}

/** Each part of a tick alone, with the same objects the sampler uses. */
function benchParts() {
  const p = lw.probes;
  const n = Math.min(TIMED, 10_000);
  const heap = p.heap.createHeapReading();
  const handles = p.handles.createHandlesReading();
  const loopProbe = p.loop.createEventLoopProbe();
  const loop = p.loop.createEventLoopReading();
  const gcProbe = p.gc.createGcProbe();
  const gc = p.gc.createGcReading();
  const procProbe = p.proc.createProcessProbe();
  const proc = p.proc.createProcessReading();
  const cfg = lw.resolveConfig({}, {}).config;
  const history = new lw.History(cfg.historySize);
  const sampler = new lw.Sampler(history);
  let now = Date.now();
  const parts = {
    'readHeap (process.memoryUsage + v8.getHeapSpaceStatistics)': () => p.heap.readHeap(heap),
    'process.memoryUsage() alone': () => process.memoryUsage(),
    'v8.getHeapSpaceStatistics() alone': () => v8.getHeapSpaceStatistics(),
    'readHandles (getActiveResourcesInfo + fd count)': () => p.handles.readHandles(handles),
    'process.getActiveResourcesInfo() alone': () => process.getActiveResourcesInfo(),
    'readOpenFds (statSync /proc/self/fd) alone': () => p.handles.readOpenFds(),
    'event loop read (histogram percentiles + ELU)': () => loopProbe.read(loop),
    'gc read': () => gcProbe.read(gc),
    'process read (cpuUsage)': () => procProbe.read(proc),
    'Sampler.sample (all probes + history row)': () => sampler.sample((now += 1_000)),
  };
  const out = {};
  for (const [name, fn] of Object.entries(parts)) {
    for (let i = 0; i < 500; i++) fn(i);
    out[name] = summary(timeEach(n, fn));
  }
  // The trend evaluation over a full history, as every 5th tick runs it.
  const scratch = lw.createJudgeScratch(history.capacity);
  for (let i = 0; i < history.capacity; i++) sampler.sample((now += 1_000));
  for (let i = 0; i < 50; i++) lw.judgeAll(history, cfg.windowMs, cfg.intervalMs, scratch);
  out[`judgeAll (trend tests over ${history.capacity} rows × ${history.names().length} columns)`] = summary(
    timeEach(Math.min(n, 2_000), () => lw.judgeAll(history, cfg.windowMs, cfg.intervalMs, scratch)),
  );
  loopProbe.disable();
  gcProbe.disable();
  sampler.stop();
  return out;
}

function fullGc() {
  for (let i = 0; i < 6; i++) global.gc();
}

function usedBytes() {
  fullGc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/**
 * Retained memory: the median of several measurements, each the difference
 * with and without one agent, in the same process (modules already loaded).
 */
function benchRetained() {
  if (typeof global.gc !== 'function') return null;
  const rounds = 3;
  const at1k = [];
  const at100k = [];
  for (let r = 0; r < rounds; r++) {
    const base = usedBytes();
    let agent = makeAgent();
    let now = Date.now();
    const step = agent.config.intervalMs;
    for (let i = 0; i < 1_000; i++) agent.tick((now += step));
    const a = usedBytes();
    for (let i = 1_000; i < 100_000; i++) agent.tick((now += step));
    const b = usedBytes();
    at1k.push({ heap: a.heap - base.heap, arrayBuffers: a.arrayBuffers - base.arrayBuffers });
    at100k.push({ heap: b.heap - base.heap, arrayBuffers: b.arrayBuffers - base.arrayBuffers });
    agent.stop();
    agent = null;
  }
  const med = (xs, f) =>
    Math.round(
      quantile(
        xs.map((x) => x[f]),
        0.5,
      ),
    );
  const total = (xs) => xs.map((x) => x.heap + x.arrayBuffers);
  return {
    rounds,
    after1k: {
      heap: med(at1k, 'heap'),
      arrayBuffers: med(at1k, 'arrayBuffers'),
      total: Math.round(quantile(total(at1k), 0.5)),
    },
    after100k: {
      heap: med(at100k, 'heap'),
      arrayBuffers: med(at100k, 'arrayBuffers'),
      total: Math.round(quantile(total(at100k), 0.5)),
    },
  };
}

function main() {
  const started = new Date();
  // Retained memory first, in a heap not yet churned by the timing loops.
  const retained = benchRetained();
  const tick = benchTick();
  const parts = benchParts();
  const f = (x) => x.toFixed(1);
  const lines = [];
  lines.push(`## leakwatch tick micro-benchmark`);
  lines.push('');
  lines.push(
    `${started.toISOString()}; Node ${process.version}, ${require('node:os').cpus().length} cores; command: \`node --expose-gc bench/tick.js${argv.length ? ` ${argv.join(' ')}` : ''}\``,
  );
  lines.push(
    `Default config: interval ${tick.config.intervalMs} ms, window ${tick.config.windowMs} ms, history ${tick.config.historySize} rows, evaluation every ${tick.config.evalEveryTicks} ticks; ${tick.columns} history columns; ${TIMED} timed ticks after ${WARMUP} warm-up; errors counted by the agent: ${tick.errors}; state at the end: ${tick.state}.`,
  );
  lines.push('');
  lines.push('| tick | median µs | p99 µs | max µs |');
  lines.push('|---|---|---|---|');
  lines.push(`| every tick | ${f(tick.all.medianUs)} | ${f(tick.all.p99Us)} | ${f(tick.all.maxUs)} |`);
  lines.push(
    `| ticks that continue an evaluation (4 of 5): sampling + a share of the signals judged | ${f(tick.sampleOnly.medianUs)} | ${f(tick.sampleOnly.p99Us)} | ${f(tick.sampleOnly.maxUs)} |`,
  );
  lines.push(
    `| ticks that start an evaluation (1 of 5): sampling + a share judged | ${f(tick.withEvaluation.medianUs)} | ${f(tick.withEvaluation.p99Us)} | ${f(tick.withEvaluation.maxUs)} |`,
  );
  lines.push('');
  lines.push('| part of a tick | median µs | p99 µs |');
  lines.push('|---|---|---|');
  for (const [name, s] of Object.entries(parts)) lines.push(`| ${name} | ${f(s.medianUs)} | ${f(s.p99Us)} |`);
  lines.push('');
  if (retained === null) {
    lines.push('Retained heap: not measured (run with node --expose-gc).');
  } else {
    const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
    lines.push(
      `| agent's retained memory (median of ${retained.rounds}) | V8 heap used | array buffers (history columns) | total |`,
    );
    lines.push('|---|---|---|---|');
    lines.push(
      `| after 1,000 ticks | ${kb(retained.after1k.heap)} | ${kb(retained.after1k.arrayBuffers)} | ${kb(retained.after1k.total)} (${retained.after1k.total} bytes) |`,
    );
    lines.push(
      `| after 100,000 ticks | ${kb(retained.after100k.heap)} | ${kb(retained.after100k.arrayBuffers)} | ${kb(retained.after100k.total)} (${retained.after100k.total} bytes) |`,
    );
  }
  lines.push('');
  lines.push(
    `Goals (issue 2): tick well under 100 µs — median ${f(tick.all.medianUs)} µs, p99 ${f(tick.all.p99Us)} µs; retained heap under 2 MB — ${retained === null ? 'n/a' : `${(retained.after100k.total / 1_048_576).toFixed(2)} MB after 100,000 ticks`}.`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ tick, parts, retained })}\n`);
}

main();
