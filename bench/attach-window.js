#!/usr/bin/env node
// How long `leakwatch attach` keeps the target's inspector open, how long
// the command takes, and what the service's requests see meanwhile, side
// by side with the same load and no attach. Build first (npx tsc -p .).
// usage: node bench/attach-window.js [cycles=10] [requestEveryMs=2]
'use strict';
const { spawn, execFile } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/bin/leakwatch.js');
const cycles = Number(process.argv[2] ?? 10);
const everyMs = Number(process.argv[3] ?? 2);

function startTarget() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/attach-server.js')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', (d) => resolve({ child, port: JSON.parse(String(d)).port }));
    child.once('error', reject);
  });
}

function cli(args) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, [CLI, ...args], (err, stdout) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let json = null;
      try {
        json = JSON.parse(stdout.trim().split('\n').pop());
      } catch {}
      resolve({ code: err ? err.code : 0, ms, json });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function load(port) {
  const lat = [];
  let failed = 0;
  let inFlight = 0;
  const timer = setInterval(() => {
    if (inFlight >= 8) return;
    inFlight++;
    const t0 = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path: '/ok', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          if (res.statusCode === 200) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          else failed++;
        });
      })
      .on('error', () => {
        inFlight--;
        failed++;
      });
  }, everyMs);
  return {
    stop: () => clearInterval(timer),
    lat,
    get failed() {
      return failed;
    },
  };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
const median = (xs) => pct(xs, 0.5);

(async () => {
  const { child, port } = await startTarget();
  const open = [];
  const wall = [];
  const base = { p50: [], p99: [], max: [] };
  const during = { p50: [], p99: [], max: [] };
  let failed = 0;
  for (let i = 0; i < cycles; i++) {
    // The same window twice: once idle, once with an attach in it.
    const l0 = load(port);
    await sleep(600);
    l0.stop();
    const l1 = load(port);
    const r = await cli(['attach', String(child.pid), '--json']);
    await sleep(Math.max(0, 600 - r.ms));
    l1.stop();
    if (r.code !== 0) throw new Error(`attach failed: ${JSON.stringify(r.json)}`);
    open.push(r.json.inspector.openMs);
    wall.push(r.ms);
    for (const [dst, l] of [
      [base, l0],
      [during, l1],
    ]) {
      dst.p50.push(pct(l.lat, 0.5));
      dst.p99.push(pct(l.lat, 0.99));
      dst.max.push(pct(l.lat, 1));
    }
    failed += l0.failed + l1.failed;
    await cli(['detach', String(child.pid)]);
    await sleep(200);
  }
  child.kill();
  const f = (x) => x.toFixed(1);
  console.log(
    `node ${process.version}, ${cycles} attach/detach cycles, one GET /ok every ${everyMs} ms (≤8 in flight)`,
  );
  console.log(`inspector open (SIGUSR1 → port refuses): median ${f(median(open))} ms, max ${f(Math.max(...open))} ms`);
  console.log(`attach command wall time:                 median ${f(median(wall))} ms, max ${f(Math.max(...wall))} ms`);
  console.log(
    `request latency, idle vs attaching (median over cycles): p50 ${f(median(base.p50))} vs ${f(median(during.p50))} ms, p99 ${f(median(base.p99))} vs ${f(median(during.p99))} ms (ratio ${f(median(during.p99) / median(base.p99))}x), max ${f(median(base.max))} vs ${f(median(during.max))} ms`,
  );
  console.log(`failed requests: ${failed}`);
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
