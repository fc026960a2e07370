#!/usr/bin/env node
'use strict';
/**
 * What the test helpers add per test: open a leak window (every-call
 * capture armed), make and clear K timers, close and check it; against the
 * same timers with no window. `node bench/leak-window-cost.js` (build first).
 * `--esm`: first import a dozen builtins as ES modules, as a vitest worker
 * has, so that each sync of their ES bindings (at arm and at close) does
 * the work it does there.
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { openLeakWindow, closeAndCheck } = require(path.join(__dirname, '../dist/testing/leak-window.js'));
const { DEFAULT_LEAK_OPTIONS } = require(path.join(__dirname, '../dist/testing/leak-format.js'));

const WINDOWS = 2_000;
const ESM_BUILTINS = [
  'fs',
  'fs/promises',
  'timers',
  'net',
  'http',
  'dgram',
  'path',
  'os',
  'crypto',
  'util',
  'events',
  'stream',
  'child_process',
];

async function main() {
  const esm = process.argv.includes('--esm');
  if (esm) await Promise.all(ESM_BUILTINS.map((m) => import(`node:${m}`)));
  console.log(
    `Node ${process.version}, ${WINDOWS} windows per row${esm ? `, ${ESM_BUILTINS.length} builtins imported as ES modules` : ''}`,
  );
  for (const per of [0, 10, 100]) {
    const t0 = performance.now();
    for (let i = 0; i < WINDOWS; i++) {
      const w = openLeakWindow();
      for (let k = 0; k < per; k++) clearTimeout(setTimeout(() => {}, 1000));
      await closeAndCheck(w, DEFAULT_LEAK_OPTIONS, 'bench');
    }
    const withUs = ((performance.now() - t0) / WINDOWS) * 1000;
    const t1 = performance.now();
    for (let i = 0; i < WINDOWS; i++) {
      for (let k = 0; k < per; k++) clearTimeout(setTimeout(() => {}, 1000));
      await Promise.resolve();
    }
    const withoutUs = ((performance.now() - t1) / WINDOWS) * 1000;
    const extra =
      per === 0
        ? `${(withUs - withoutUs).toFixed(0)} µs per window`
        : `${((withUs - withoutUs) / per).toFixed(1)} µs per timer`;
    console.log(
      `${String(per).padStart(3)} timers/test: ${withUs.toFixed(0)} µs with a window, ${withoutUs.toFixed(0)} µs without (${extra})`,
    );
  }
}
main();
