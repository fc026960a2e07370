#!/usr/bin/env node
/**
 * Snapshot cost (issue 5): how long `agent.snapshot()` takes with 10,000
 * live timers and 1,000 live sockets, and the longest event-loop block it
 * causes; plus the cost of `arm()` / `disarm()` (called from the state
 * machine, or from a preload script).
 *
 *   npm run build && node bench/snapshot.js [timers=10000] [sockets=1000] [runs=3]
 *
 * The sockets are client connections to an upstream in a child process, so
 * this process holds exactly that many. The longest block is measured two
 * ways: `monitorEventLoopDelay` (max) and the largest gap between 1 ms
 * ticks of a probe timer while the snapshot runs.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const TIMERS = Number(process.argv[2] ?? 10_000);
const SOCKETS = Number(process.argv[3] ?? 1_000);
const RUNS = Number(process.argv[4] ?? 3);

if (process.argv[2] === 'upstream') {
  const server = net.createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  return;
}

const { LeakwatchAgent } = require(path.join(ROOT, 'dist/agent/agent.js'));
const { resolveConfig } = require(path.join(ROOT, 'dist/agent/config.js'));
const { runMain } = require('./lib/main');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs `fn` while measuring the longest loop block. */
async function measure(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  // A third view: the gap between turns of a setImmediate chain.
  let lastTurn = performance.now();
  let maxTurn = 0;
  let spinning = true;
  const spin = () => {
    const now = performance.now();
    maxTurn = Math.max(maxTurn, now - lastTurn);
    lastTurn = now;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  spinning = false;
  clearInterval(probe);
  h.disable();
  return { ms, maxGap: Math.max(maxGap, performance.now() - last), delayMax: h.max / 1e6, maxTurn, result };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-snap-'));
  const agent = new LeakwatchAgent(
    resolveConfig({
      interval: '1s',
      window: '10m',
      reportDir: dir,
      maxReportFiles: 1000,
      control: false,
      debug: process.env.BENCH_DEBUG === '1',
    }).config,
  ).start();

  // arm()/disarm() cost: what the state machine or a preload script pays.
  const armUs = [];
  const disarmUs = [];
  for (let i = 0; i < 20; i++) {
    let t = process.hrtime.bigint();
    agent.arm(['handles.Timeout', 'handles.TCPSocketWrap']);
    armUs.push(Number(process.hrtime.bigint() - t) / 1e3);
    t = process.hrtime.bigint();
    agent.disarm();
    disarmUs.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  await new Promise((r) => setTimeout(r, 20));
  let t = process.hrtime.bigint();
  agent.arm(['heap.floor']);
  const armAllUs = Number(process.hrtime.bigint() - t) / 1e3;
  agent.disarm();
  await new Promise((r) => setTimeout(r, 20));

  // What an armed wrapper adds to each setTimeout + clearTimeout pair, side
  // by side with the bare pair, alternating, median of 5; in a shallow
  // stack and 30 frames down (a stack capture walks every frame up to its
  // limit, so it costs more in a service's deeper stacks).
  const { armCreationSites, MAX_CAPTURED_FRAMES, TIMER_SAMPLE_MEAN, TIMER_STACKS_PER_SECOND } = require(
    path.join(ROOT, 'dist/probes/creation-sites.js'),
  );
  const { captureHolder } = require(path.join(ROOT, 'dist/probes/stack-frames.js'));
  const noop = () => {};
  const atDepth = (depth, fn) => (depth === 0 ? fn() : atDepth(depth - 1, fn));
  const pairNs = (n, depth) =>
    atDepth(depth, () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) clearTimeout(setTimeout(noop, 1_000));
      return Number(process.hrtime.bigint() - t0) / n;
    });
  // One capture as the wrapper makes it (the limit raised to the frames kept).
  const captureNs = (n, depth) =>
    atDepth(depth, function timed() {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) captureHolder(timed, MAX_CAPTURED_FRAMES);
      return Number(process.hrtime.bigint() - t0) / n;
    });
  const pairs = {};
  for (const depth of [0, 30]) {
    const p = (pairs[depth] = { bare: [], uncapped: [], wrapped: [], tracked: [], capture: [] });
    for (let i = 0; i < 5; i++) {
      p.bare.push(pairNs(100_000, depth));
      p.capture.push(captureNs(10_000, depth));
      // The wrappers, one stack in 16 without the per-second cap.
      let sites = armCreationSites({ timers: true, sockets: false, timerStacksPerSecond: Infinity });
      p.uncapped.push(pairNs(100_000, depth));
      sites.disarm();
      // The wrappers as armed (capped).
      sites = armCreationSites({ timers: true, sockets: false });
      p.wrapped.push(pairNs(100_000, depth));
      sites.disarm();
      // What the agent arms for a growing timer count: the wrappers and the
      // tracking each created timer is recorded in.
      agent.arm(['handles.Timeout']);
      p.tracked.push(pairNs(100_000, depth));
      agent.disarm();
      // The agent's disarm completes a microtask later.
      await new Promise((r) => setImmediate(r));
    }
  }

  // The same for file opens: an openSync + closeSync pair bare, and with
  // the file-open wrappers as armed for a growing fd count (stacks capped).
  const { armFileSites, FILE_STACKS_PER_SECOND } = require(path.join(ROOT, 'dist/probes/files.js'));
  const openPairNs = (n, depth) =>
    atDepth(depth, () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fs.closeSync(fs.openSync(__filename, 'r'));
      return Number(process.hrtime.bigint() - t0) / n;
    });
  const opens = {};
  for (const depth of [0, 30]) {
    const p = (opens[depth] = { bare: [], armed: [] });
    for (let i = 0; i < 5; i++) {
      p.bare.push(openPairNs(20_000, depth));
      const files = armFileSites();
      p.armed.push(openPairNs(20_000, depth));
      files.disarm();
    }
  }

  const empty = [];
  for (let i = 0; i < RUNS; i++) empty.push(await measure(() => agent.snapshot()));

  // Half the timers before arming (no creation record), half after.
  agent.arm(['handles.Timeout', 'handles.TCPSocketWrap']);
  const timers = [];
  const callbacks = [function pollA() {}, function pollB() {}, function pollC() {}, function pollD() {}];
  for (let i = 0; i < TIMERS; i++) {
    const cb = callbacks[i % callbacks.length];
    const t = setInterval(() => cb(i), 60_000 + (i % 3) * 1000);
    if (i % 2 === 0) t.unref();
    timers.push(t);
  }
  // No IPC channel: its socket would be one more fd to explain.
  const up = spawn(process.execPath, [__filename, 'upstream'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((r) => up.stdout.once('data', (d) => r(Number(String(d).trim()))));
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(new Promise((r) => s.once('connect', () => r(s))));
  }
  const socks = await Promise.all(sockets);

  const full = [];
  for (let i = 0; i < RUNS; i++) full.push(await measure(() => agent.snapshot()));

  // The same with one socket unref'd: the fd table no longer explains every
  // socket, so the snapshot walks the heap (the worst case).
  socks[0].unref();
  const walked = [];
  for (let i = 0; i < RUNS; i++) walked.push(await measure(() => agent.snapshot()));
  socks[0].ref();

  // The timer enumeration alone, both ways, side by side.
  const { openInspector } = require(path.join(ROOT, 'dist/probes/inspector-session.js'));
  const { readLiveTimers } = require(path.join(ROOT, 'dist/probes/timers.js'));
  const via = { 'timer-lists': [], 'heap-walk': [] };
  for (let i = 0; i < RUNS; i++) {
    for (const how of Object.keys(via)) {
      const insp = openInspector();
      via[how].push(await measure(() => readLiveTimers(insp, null, how)));
      insp.close();
    }
  }
  const report = JSON.parse(fs.readFileSync(full[full.length - 1].result, 'utf8'));
  const timerCount = report.suspects.filter((s) => s.kind === 'timer').reduce((a, s) => a + s.count, 0);
  const socketCount = report.suspects
    .filter((s) => s.kind === 'socket' && s.detail.role === 'client')
    .reduce((a, s) => a + s.count, 0);

  const row = (name, xs) =>
    console.log(
      `${name.padEnd(34)} duration median ${median(xs.map((x) => x.ms))
        .toFixed(0)
        .padStart(5)} ms (max ${Math.max(...xs.map((x) => x.ms)).toFixed(0)})   longest loop block: gap ${Math.max(
        ...xs.map((x) => x.maxGap),
      )
        .toFixed(0)
        .padStart(
          4,
        )} ms, delay max ${Math.max(...xs.map((x) => x.delayMax)).toFixed(0)} ms, turn ${Math.max(...xs.map((x) => x.maxTurn)).toFixed(0)} ms`,
    );
  console.log(`leakwatch snapshot bench, Node ${process.version}, ${os.cpus().length} cores, ${RUNS} runs each`);
  console.log(
    `arm() timers+sockets: median ${median(armUs).toFixed(0)} µs (max ${Math.max(...armUs).toFixed(0)}); disarm(): median ${median(disarmUs).toFixed(0)} µs; arm() with heap profiler: ${armAllUs.toFixed(0)} µs`,
  );
  for (const [depth, p] of Object.entries(pairs)) {
    console.log(
      `setTimeout+clearTimeout, ${depth === '0' ? 'shallow stack' : `${depth} frames down`}: median ${median(p.bare).toFixed(0)} ns watching; ${median(p.uncapped).toFixed(0)} ns with the creation-site wrappers capturing 1 stack in ${TIMER_SAMPLE_MEAN} uncapped, ${median(p.wrapped).toFixed(0)} ns with the cap of ${TIMER_STACKS_PER_SECOND} stacks a second, ${median(p.tracked).toFixed(0)} ns armed by the agent (wrappers + tracking); one stack capture ${(median(p.capture) / 1e3).toFixed(1)} µs`,
    );
  }
  for (const [depth, p] of Object.entries(opens)) {
    console.log(
      `fs.openSync+closeSync, ${depth === '0' ? 'shallow stack' : `${depth} frames down`}: median ${median(p.bare).toFixed(0)} ns watching; ${median(p.armed).toFixed(0)} ns with the file-open wrappers (at most ${FILE_STACKS_PER_SECOND} stacks a second)`,
    );
  }
  row('snapshot, idle process', empty);
  row(`snapshot, ${TIMERS} timers + ${SOCKETS} sockets`, full);
  row("  same, one socket unref'd (heap walk)", walked);
  for (const [how, xs] of Object.entries(via)) row(`  timers only, via ${how}`, xs);
  console.log(
    `report listed ${timerCount} timers in ${report.suspects.filter((s) => s.kind === 'timer').length} groups, ${socketCount} client sockets`,
  );
  for (const n of report.notes) console.log(`  note: ${n}`);
  if (timerCount < TIMERS || socketCount < SOCKETS)
    console.log('WARNING: the report did not list every timer/socket (see notes)', report.notes);

  for (const t of timers) clearInterval(t);
  for (const s of socks) s.destroy();
  up.kill();
  await agent.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
