#!/usr/bin/env node
'use strict';
/**
 * Heap snapshot cost: v8-profiler-next (native addon, node-gyp build)
 * against Node's built-in `v8.writeHeapSnapshot()` and the in-process
 * inspector (`HeapProfiler.takeHeapSnapshot`), on the same retained heap.
 * Each method runs in a fresh child process (so peak RSS is its own): the
 * child builds a heap of ~N retained objects, then takes one snapshot to a
 * file. Printed: wall time, how long the event loop was blocked, the file
 * size, and the peak RSS added (VmHWM after minus VmRSS before).
 *
 *   node bench/heap-snapshot.js [--objects N] [--repeat N]
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { numberOption } = require('./lib/args');

const MB = 1_048_576;
const METHODS = ['v8.writeHeapSnapshot', 'node:inspector', 'v8-profiler-next'];

function status(name) {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) * 1_024;
}

/** Child: build the heap, take one snapshot with `method`, print JSON. */
async function child(method, objects, file) {
  const retained = [];
  for (let i = 0; i < objects; i++)
    retained.push({ id: i, name: `object-${i}`, tags: [i % 7, i % 11], at: new Date(i) });
  global.gc?.();
  const rssBefore = status('VmRSS');
  // The event loop is blocked for as long as a 1 ms timer is late.
  let blockedMs = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    blockedMs = Math.max(blockedMs, now - last - 1);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  const t0 = performance.now();
  if (method === 'v8.writeHeapSnapshot') {
    require('node:v8').writeHeapSnapshot(file);
  } else if (method === 'node:inspector') {
    const inspector = require('node:inspector');
    const session = new inspector.Session();
    session.connect();
    const fd = fs.openSync(file, 'w');
    session.on('HeapProfiler.addHeapSnapshotChunk', (m) => fs.writeSync(fd, m.params.chunk));
    await new Promise((resolve, reject) =>
      session.post('HeapProfiler.takeHeapSnapshot', null, (err) => (err ? reject(err) : resolve())),
    );
    fs.closeSync(fd);
    session.disconnect();
  } else {
    const profiler = require('v8-profiler-next');
    const snapshot = profiler.takeSnapshot();
    await new Promise((resolve, reject) => {
      snapshot.export().pipe(fs.createWriteStream(file)).on('finish', resolve).on('error', reject);
    });
    snapshot.delete();
  }
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(probe);
  const out = {
    method,
    ms,
    blockedMs,
    bytes: fs.statSync(file).size,
    rssAdded: status('VmHWM') - rssBefore,
    rssBefore,
    kept: retained.length,
  };
  fs.rmSync(file, { force: true });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function main() {
  const argv = process.argv.slice(2);
  const objects = numberOption('objects', 200_000);
  const repeat = numberOption('repeat', 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-snap-'));
  const results = new Map(METHODS.map((m) => [m, []]));
  const failures = new Map();
  try {
    for (let r = 0; r < repeat; r++) {
      for (const method of METHODS) {
        const file = path.join(dir, `${r}-${method.replace(/[^a-z0-9]/gi, '_')}.heapsnapshot`);
        const res = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', method, String(objects), file], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        const line = res.stdout.trim().split('\n').pop();
        if (res.status === 0 && line) results.get(method).push(JSON.parse(line));
        else
          failures.set(
            method,
            (res.stderr || res.error?.message || `exit ${res.status}`).trim().split('\n').slice(-3).join(' '),
          );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = METHODS.map((m) => {
    const xs = results.get(m);
    if (xs.length === 0) return [m, 'failed', failures.get(m) ?? '', '', ''];
    return [
      m,
      formatRange(summarise(xs.map((x) => x.ms)), 0, ' ms'),
      formatRange(summarise(xs.map((x) => x.blockedMs)), 0, ' ms'),
      formatRange(summarise(xs.map((x) => x.bytes / MB)), 1, ' MB'),
      formatRange(summarise(xs.map((x) => x.rssAdded / MB)), 1, ' MB'),
    ];
  });
  const base = results.get(METHODS[0])[0];
  process.stdout.write(
    `## Heap snapshot cost\n\n${new Date().toISOString()}; Node ${process.version}, ${os.cpus().length} cores; ${objects.toLocaleString('en-US')} retained objects (RSS before the snapshot ${base ? (base.rssBefore / MB).toFixed(0) : '?'} MB); median [min–max] of ${repeat} fresh processes each.\nCommand: \`node bench/heap-snapshot.js${argv.length ? ` ${argv.join(' ')}` : ''}\`\n\n`,
  );
  process.stdout.write(`${markdownTable(['method', 'time', 'event loop blocked', 'file', 'peak RSS added'], rows)}\n`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]), process.argv[5]).catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
} else {
  main();
}
