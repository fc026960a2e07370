#!/usr/bin/env node
'use strict';
/**
 * Why leakwatch's file-backed RSS at start-up moves by megabytes between
 * runs: whether V8's optimizing compiler (TurboFan) ran in the process's
 * first seconds. Running it touches the compiler's own code in the node
 * binary, pages that then count as the process's RssFile. At start-up the
 * function that gets hot is Node's own `path` normaliser, used by the module
 * loader and by leakwatch's control channel, and how much work it does
 * depends on the lengths of the paths involved. So the same build, copied
 * into directories whose names differ by a character, starts with or
 * without TurboFan (not in any simple order of length). Anything else that
 * runs at start-up moves the threshold too: the environment (so the child
 * gets PATH only) and the child's own script (so the RSS is read inside it,
 * by the script below, rather than by `readMemory` from outside, which
 * needs a different script that stays alive).
 *
 * Each copy is preloaded into an idle `node -e` for 3 s with `--trace-opt`
 * (which only prints); the child reports RssFile and RssAnon. Rows: install
 * directories of increasing name length, each with and without TurboFan
 * (`--no-opt`); the control channel off, and an empty preload, as controls.
 *
 *   node bench/start-rss-path.js [--rounds N (3)]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { numberOption } = require('./lib/args');
const { summarise, formatRange, markdownTable } = require('./lib/stats');
const { runMain } = require('./lib/main');

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = numberOption('rounds', 3);
const PROBE = `setTimeout(() => {
  const s = require('fs').readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(k + ':\\\\s*(\\\\d+)').exec(s)[1]);
  process.stdout.write(JSON.stringify({ file: kb('RssFile'), anon: kb('RssAnon') }));
}, 3000);`;

/** One idle child: its RSS split, and the functions TurboFan optimized. */
function probe(preload, env, flags) {
  const out = execFileSync(process.execPath, [...flags, '--trace-opt', '--require', preload, '-e', PROBE], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  const optimized = [...out.matchAll(/completed optimizing[^<]*<JSFunction (\S+)/g)].map((m) => m[1]);
  const rss = JSON.parse(out.slice(out.lastIndexOf('{')));
  return { ...rss, optimized };
}

/** A new directory `<tmpdir>/_<letters>` whose name is `length` characters long. */
function shortDir(length) {
  for (;;) {
    const letters = Array.from({ length: length - 1 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26)));
    const dir = path.join(os.tmpdir(), `_${letters.join('')}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/agent/register.js')))
    throw new Error('build first: npx tsc -p tsconfig.json');
  // Install directories whose paths grow one character at a time.
  const dirs = [1, 2, 3, 4, 5, 6, 7, 8].map((length) => {
    const dir = shortDir(length);
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    fs.writeFileSync(path.join(dir, 'empty.js'), '');
    return dir;
  });
  const configs = [];
  for (const dir of dirs) {
    const register = path.join(dir, 'dist/agent/register.js');
    configs.push([dir, 'leakwatch watching', register, {}, []]);
    configs.push([dir, 'leakwatch watching, --no-opt', register, {}, ['--no-opt']]);
  }
  const first = dirs[0];
  configs.push([
    first,
    'LEAKWATCH_CONTROL=false',
    path.join(first, 'dist/agent/register.js'),
    { LEAKWATCH_CONTROL: 'false' },
    [],
  ]);
  configs.push([first, 'an empty preload', path.join(first, 'empty.js'), {}, []]);
  const res = configs.map(() => ({ file: [], anon: [], optimized: new Set(), rounds: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < configs.length; i++) {
      const [, , preload, env, flags] = configs[i];
      const p = probe(preload, env, flags);
      res[i].file.push(p.file / 1024);
      res[i].anon.push(p.anon / 1024);
      if (p.optimized.length > 0) res[i].rounds++;
      for (const f of p.optimized) res[i].optimized.add(f);
    }
    process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
  }
  const rows = configs.map(([dir, label], i) => [
    `${dir.length}`,
    label,
    formatRange(summarise(res[i].file), 1),
    formatRange(summarise(res[i].anon), 1),
    `${res[i].rounds} of ${ROUNDS}${res[i].optimized.size ? `: ${[...res[i].optimized].sort().join(', ')}` : ''}`,
  ]);
  process.stdout.write(
    `## Start-up RSS by install path\n\n${new Date().toISOString()}; Node ${process.version}; ${ROUNDS} rounds; command: \`node bench/start-rss-path.js\`\n\n`,
  );
  process.stdout.write(
    `${markdownTable(['install directory (characters)', 'preload', 'RssFile 3 s after start (MB)', 'RssAnon (MB)', 'rounds in which TurboFan optimized a function'], rows)}\n\nMedian [min–max] over rounds. Each directory holds the same build; --no-opt turns TurboFan off.\n`,
  );
}

runMain(main);
