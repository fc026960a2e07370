#!/usr/bin/env node
'use strict';
/**
 * Where a tick's time goes inside a real service, once the agent is in its
 * steady state. `bench/tick.js` times each part of a tick as hot code; a
 * service runs the tick once a second, mostly in the interpreter, with cold
 * caches. This runs the HTTP bench service with leakwatch preloaded under
 * V8's CPU profiler (`--cpu-prof`, one sample every --sample-us µs) for the
 * window plus 30 s, then --measure seconds more, idle or at --rate req/s,
 * and splits the samples of the last --measure seconds that fall inside the
 * agent's tick into its parts. It also reads the agent's own tick time over
 * the control socket for the same seconds, to compare.
 *
 * The profiler's samples are an estimate (each stands for one sampling
 * period) and the profiler itself slows the process, so read the shares,
 * not the absolute figures.
 *
 *   node bench/tick-profile.js [--window 300s] [--measure 60] [--rate 0]
 *        [--sample-us 100]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { SERVICES, ROOT } = require('./lib/configs');
const { option, numberOption, durationOption } = require('./lib/args');
const { runLoad } = require('./lib/load');
const { startService, cleanEnv } = require('./lib/proc');
const { markdownTable } = require('./lib/stats');
const { runMain } = require('./lib/main');

const argv = process.argv.slice(2);
const WINDOW = option('window', '300s');
const MEASURE_S = numberOption('measure', 60);
const RATE = numberOption('rate', 0);
const SAMPLE_US = numberOption('sample-us', 100);

/** The parts of a tick, by the first agent function on the stack that names one. */
const PARTS = [
  [
    'judging (evaluateSome: trend tests, state machine)',
    /agent\/(agent\.js:evaluateSome|judge\.js|trend\.js|state-machine\.js)/,
  ],
  ['event-loop probe (histogram reads and reset, ELU)', /probes\/event-loop\.js/],
  ['heap probe (memoryUsage, heap spaces)', /probes\/heap\.js/],
  ['handles probe (active resources, fd count)', /probes\/handles\.js/],
  ['GC and CPU probes', /probes\/(gc|process)\.js/],
  ['exporters', /reports\//],
  ['history row and the rest of the tick', /agent\/(sampler|history|agent)\.js/],
];

/** Self and per-part time of the samples in [fromUs, ∞) of the profile, in µs. */
function analyse(profile, fromUs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dist = `${path.join(ROOT, 'dist')}/`;
  const label = (n) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const file = url.startsWith(dist) ? url.slice(dist.length) : url;
    return `${file}:${n.callFrame.functionName || '(anonymous)'}`;
  };
  const parts = new Map(PARTS.map(([name]) => [name, 0]));
  const selfInTick = new Map();
  let tickUs = 0;
  let busyUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t - profile.startTime < fromUs) continue;
    const leaf = byId.get(profile.samples[i]);
    if (leaf.callFrame.functionName === '(idle)') continue;
    busyUs += dt;
    // The stack, leaf first; a sample is in the tick if `tick` is on it.
    const stack = [];
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) stack.push(label(byId.get(id)));
    const tickAt = stack.indexOf('agent/agent.js:tick');
    if (tickAt < 0) continue;
    tickUs += dt;
    const leafLabel = stack[0];
    selfInTick.set(leafLabel, (selfInTick.get(leafLabel) ?? 0) + dt);
    // The agent frame nearest the tick that names a part; native calls made
    // from a probe count for that probe.
    let part = PARTS[PARTS.length - 1][0];
    for (let k = tickAt - 1; k >= 0; k--) {
      const hit = PARTS.find(([, re]) => re.test(stack[k]));
      if (hit !== undefined && hit[0] !== PARTS[PARTS.length - 1][0]) {
        part = hit[0];
        break;
      }
    }
    parts.set(part, parts.get(part) + dt);
  }
  return { parts, selfInTick, tickUs, busyUs };
}

async function main() {
  const windowS = durationOption('window', 300_000) / 1_000;
  const fillS = windowS + 30;
  const service = SERVICES.find((s) => s.name === 'http');
  const register = path.join(ROOT, 'dist', 'agent', 'register.js');
  const { requestControl } = require(path.join(ROOT, 'dist', 'agent', 'control-client.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-tick-profile-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const args = [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-interval',
    String(SAMPLE_US),
    '--require',
    register,
    service.script,
  ];
  const svc = startService({
    cmd: process.execPath,
    args,
    env: cleanEnv({ PORT: '0', LEAKWATCH_WINDOW: WINDOW }),
    script: service.script,
  });
  let own;
  try {
    const port = await svc.ready;
    const pid = svc.servicePid();
    process.stderr.write(
      `tick profile: window ${windowS} s, ${RATE > 0 ? `${RATE} req/s` : 'idle'}; ${fillS + MEASURE_S} s in all, the last ${MEASURE_S} s analysed\n`,
    );
    const load =
      RATE > 0 ? runLoad({ port, path: service.path, connections: 10, seconds: fillS + MEASURE_S, rate: RATE }) : null;
    await sleep(fillS * 1_000);
    const before = await requestControl(pid, 'status', 10_000);
    await sleep(MEASURE_S * 1_000);
    const after = await requestControl(pid, 'status', 10_000);
    own = { us: after.tickCostTotalUs - before.tickCostTotalUs, ticks: after.ticks - before.ticks };
    if (load !== null) await load;
  } finally {
    await svc.stop(10_000);
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('the service wrote no CPU profile');
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const spanUs = profile.endTime - profile.startTime;
  const { parts, selfInTick, tickUs, busyUs } = analyse(profile, spanUs - MEASURE_S * 1e6);
  const perTick = (us) => (us / Math.max(1, own.ticks)).toFixed(0);
  const share = (us) => `${((us / Math.max(1, tickUs)) * 100).toFixed(1)} %`;
  const partRows = [...parts].sort((a, b) => b[1] - a[1]).map(([name, us]) => [name, perTick(us), share(us)]);
  partRows.push(['the whole tick (profile samples)', perTick(tickUs), '100 %']);
  const top = [...selfInTick]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, us]) => [name, perTick(us), share(us)]);
  process.stdout.write(
    `## Where a tick's time goes in a service\n\n${new Date().toISOString()}; Node ${process.version}; command: \`node bench/tick-profile.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
  );
  process.stdout.write(
    `HTTP service, ${RATE > 0 ? `${RATE} req/s` : 'idle'}, window ${windowS} s; the last ${MEASURE_S} s of ${(spanUs / 1e6).toFixed(0)} s, one profile sample every ${SAMPLE_US} µs. The agent timed its own ticks at ${perTick(own.us)} µs each (${own.ticks} ticks); the profile puts ${perTick(tickUs)} µs of samples in each, and ${(busyUs / MEASURE_S).toFixed(0)} µs per second in the whole process.\n\n`,
  );
  process.stdout.write(`${markdownTable(['part of the tick', 'µs per tick', 'share'], partRows)}\n\n`);
  process.stdout.write(
    `Functions with the most samples of their own inside the tick:\n\n${markdownTable(['function (file:name)', 'µs per tick', 'share'], top)}\n`,
  );
}

runMain(main);
