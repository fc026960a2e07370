#!/usr/bin/env node
'use strict';
/**
 * What watching costs, measured inside one process: a fixed unit of work
 * (two timers created and cleared, a JSON document built, serialised and
 * parsed, as a request handler does) runs in setImmediate-scheduled
 * chunks, in phases of a few seconds with the agent started (default config, real 1 s timer, event-loop
 * histogram, GC observer) and stopped, in ABBA order. The CPU time per unit
 * (process.cpuUsage) of each "on" phase is divided by that of the adjacent
 * "off" phase. Across processes, heap layout and JIT decisions differ by a
 * few percent; within one process they are shared, so this resolves much
 * smaller costs than the HTTP benchmark. Adjacent phases with the same
 * setting give the noise floor (A/A).
 *
 *   node bench/watch-cost.js [--phases N] [--phase-ms MS] [--armed] [--arm signals]
 *   --armed: arm(['handles.Timeout','heap.floor']) in the "on" phases
 *   --arm handles.Timeout: arm only these (comma-separated) signals
 */
const path = require('node:path');
const { quantile, summarise, formatRange, bootstrapMedianCI } = require('./lib/stats');
const { numberOption, option } = require('./lib/args');

const ROOT = path.resolve(__dirname, '..');
const { LeakwatchAgent } = require(path.join(ROOT, 'dist/agent/agent.js'));
const { resolveConfig } = require(path.join(ROOT, 'dist/agent/config.js'));
const { runMain } = require('./lib/main');

const argv = process.argv.slice(2);
const PHASES = numberOption('phases', 24);
const PHASE_MS = numberOption('phase-ms', 2_500);
// `--arm a,b`: arm these signals instead (implies --armed), to see which
// part of the armed state costs what.
const ARM_SIGNALS = option('arm', 'handles.Timeout,heap.floor').split(',');
const ARMED = argv.includes('--armed') || argv.includes('--arm');
const CHUNK = 20;

const items = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  name: `item ${i}`,
  price: i * 1.7,
  tags: ['a', `t${i % 5}`],
}));

const noop = () => {};

/**
 * One unit: what a JSON API handler does for one request, minus I/O: two
 * timers (a downstream-call timeout and a request guard, both cleared as
 * the call returns) and a JSON document built, serialised and parsed.
 */
function unit(n) {
  const call = setTimeout(noop, 1_000);
  const guard = setTimeout(noop, 5_000);
  clearTimeout(call);
  clearTimeout(guard);
  const doc = {
    n,
    at: Date.now(),
    items: items.slice(n % 20, (n % 20) + 10).map((it) => ({ ...it, total: it.price * 1.19 })),
  };
  const text = JSON.stringify(doc);
  return JSON.parse(text).items.length;
}

/** Runs units in chunks for `ms`, yielding between chunks so timers run. */
function phase(ms) {
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const end = performance.now() + ms;
    let units = 0;
    let sink = 0;
    const step = () => {
      for (let i = 0; i < CHUNK; i++) sink += unit(units++);
      if (performance.now() < end) setImmediate(step);
      else {
        const cpu = process.cpuUsage(cpu0);
        resolve({ units, cpuUsPerUnit: (cpu.user + cpu.system) / units, sink });
      }
    };
    setImmediate(step);
  });
}

async function main() {
  const { config } = resolveConfig({}, {});
  // Warm the JIT with the agent both on and off.
  await phase(1_000);
  const warm = new LeakwatchAgent(config).start();
  await phase(1_000);
  await warm.stop();
  const seq = [];
  for (let k = 0; k < PHASES; k++) seq.push(k % 4 === 0 || k % 4 === 3);
  const results = [];
  for (const on of seq) {
    let agent = null;
    if (on) {
      agent = new LeakwatchAgent(config).start();
      if (ARMED) agent.arm(ARM_SIGNALS);
    }
    const r = await phase(PHASE_MS);
    const ticks = agent?.self.ticks ?? 0;
    if (agent !== null) {
      await agent.stop();
      // disarm() finishes on a later turn (the heap profiler stops there).
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    results.push({ on, ...r, ticks });
  }
  const ratios = [];
  const aa = [];
  for (let i = 1; i < results.length; i++) {
    const a = results[i - 1];
    const b = results[i];
    if (a.on !== b.on) ratios.push((a.on ? a : b).cpuUsPerUnit / (a.on ? b : a).cpuUsPerUnit);
    else aa.push(b.cpuUsPerUnit / a.cpuUsPerUnit);
  }
  // Adjacent pairs share phases, so they are not independent. Each ABBA
  // block (on, off, off, on) is: its ratio (on + on) / (off + off), and its
  // two off phases an A/A ratio, give the confidence intervals.
  const blocks = [];
  const blocksAA = [];
  for (let k = 0; k + 3 < results.length; k += 4) {
    const [a, b, c, d] = results.slice(k, k + 4);
    blocks.push((a.cpuUsPerUnit + d.cpuUsPerUnit) / (b.cpuUsPerUnit + c.cpuUsPerUnit));
    blocksAA.push(c.cpuUsPerUnit / b.cpuUsPerUnit);
  }
  const ci = (xs) => {
    const s = summarise(xs);
    const { lo, hi } = bootstrapMedianCI(xs);
    return Number.isFinite(lo)
      ? `${s.median.toFixed(4)}, 95 % CI [${lo.toFixed(4)}–${hi.toFixed(4)}] over ${s.n} blocks`
      : `${s.median.toFixed(4)} over ${s.n} blocks (too few for an interval)`;
  };
  const off = results.filter((r) => !r.on).map((r) => r.cpuUsPerUnit);
  const s = summarise(ratios);
  const mean = ratios.reduce((x, y) => x + y, 0) / ratios.length;
  process.stdout.write(
    [
      `## leakwatch ${ARMED ? `armed (${ARM_SIGNALS.join(', ')})` : 'watching'}: in-process CPU cost`,
      '',
      `${new Date().toISOString()}; Node ${process.version}, ${require('node:os').cpus().length} cores; command: \`node bench/watch-cost.js${argv.length ? ` ${argv.join(' ')}` : ''}\``,
      `${PHASES} phases of ${PHASE_MS} ms (ABBA), ${quantile(off, 0.5).toFixed(2)} µs CPU per unit with the agent off; ticks per "on" phase: ${results
        .filter((r) => r.on)
        .map((r) => r.ticks)
        .join(',')}.`,
      '',
      `| comparison | CPU per unit, ratio: median [min–max] | mean | pairs |`,
      `|---|---|---|---|`,
      `| agent ${ARMED ? 'armed' : 'watching'} / off | ${formatRange(s, 4)} | ${mean.toFixed(4)} | ${s.n} |`,
      `| A/A (same setting, adjacent phases) | ${formatRange(summarise(aa), 4)} | ${(aa.reduce((x, y) => x + y, 0) / aa.length).toFixed(4)} | ${aa.length} |`,
      '',
      `Per ABBA block (independent; median, bootstrap interval of the median): agent ${ARMED ? 'armed' : 'watching'} / off ${ci(blocks)}; A/A (the block's two off phases) ${ci(blocksAA)}.`,
      '',
    ].join('\n'),
  );
}

runMain(main);
