#!/usr/bin/env node
'use strict';
/**
 * What a scrape of a cluster's Prometheus endpoint costs: the cluster
 * fixture (test/fixtures/cluster-service.js) with 1, 2, 4 and 8 workers,
 * leakwatch preloaded into the workers only (as PM2 runs it); the worker
 * holding the port asks the others over their control sockets and merges.
 * Prints, per cluster size, the scrape's wall time as the scraper sees it
 * (median, p95, max over --scrapes sequential scrapes, after 5 warm-up
 * ones), the body size, and the processes in it. One worker is the baseline:
 * its scrape asks no one (it lists the control directory and finds no
 * family agent).
 *
 *   node bench/cluster-scrape.js [--scrapes N (100)] [--sizes 1,2,4,8]
 */
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { option, numberOption } = require('./lib/args');
const { runMain } = require('./lib/main');
const { killGroup } = require('./lib/proc');
const { quantile, markdownTable } = require('./lib/stats');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'dist/agent/register.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/cluster-service.js');
const SCRAPES = numberOption('scrapes', 100);
const SIZES = option('sizes', '1,2,4,8').split(',').map(Number);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const groups = new Set();
process.on('exit', () => {
  for (const pid of groups) killGroup(pid);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(130));
}

async function startCluster(workers) {
  const metricsPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    WORKERS: String(workers),
    APP_PORT: String(await freePort()),
    LW_WORKERS_ONLY: REGISTER,
    LEAKWATCH_PROMETHEUS: `127.0.0.1:${metricsPort}`,
  };
  const child = spawn(process.execPath, [FIXTURE], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.add(child.pid);
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster of ${workers}: no ready line in 30 s`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/^ready /m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.resume();
  });
  return { child, metricsPort };
}

async function scrape(port) {
  const t = process.hrtime.bigint();
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const body = await res.text();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, body };
}

async function main() {
  const rows = [];
  for (const n of SIZES) {
    const { child, metricsPort } = await startCluster(n);
    try {
      // Until every worker's agent is in a scrape (their sockets are up).
      let body = '';
      for (let i = 0; i < 100; i++) {
        body = (await scrape(metricsPort)).body;
        const pids = new Set([...body.matchAll(/^nodejs_heap_size_used_bytes\{pid="(\d+)"/gm)].map((m) => m[1]));
        if (n === 1 || pids.size === n) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 0; i < 5; i++) await scrape(metricsPort);
      const ms = [];
      let bytes = 0;
      let processes = 0;
      for (let i = 0; i < SCRAPES; i++) {
        const s = await scrape(metricsPort);
        ms.push(s.ms);
        bytes = Buffer.byteLength(s.body);
        const pids = new Set([...s.body.matchAll(/^nodejs_heap_size_used_bytes\{pid="(\d+)"/gm)].map((m) => m[1]));
        processes = Math.max(pids.size, 1);
      }
      rows.push([
        String(n),
        String(processes),
        quantile(ms, 0.5).toFixed(2),
        quantile(ms, 0.95).toFixed(2),
        Math.max(...ms).toFixed(2),
        (bytes / 1024).toFixed(1),
      ]);
    } finally {
      killGroup(child.pid);
      groups.delete(child.pid);
    }
  }
  process.stdout.write(
    `${new Date().toISOString()}, Node ${process.version}, ${SCRAPES} sequential scrapes per size\n\n` +
      `${markdownTable(['workers', 'processes in the scrape', 'scrape median (ms)', 'p95 (ms)', 'max (ms)', 'body (KiB)'], rows)}\n`,
  );
  return 0;
}

runMain(main);
