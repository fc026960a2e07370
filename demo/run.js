'use strict';
// npm run demo: leakwatch's founding story, end to end.
// A small HTTP service opens a metrics client per request; the client's
// close() clears only one of its two intervals. leakwatch is preloaded with
// a short window, load is driven on 127.0.0.1, and the leak report that
// names the surviving interval's line is shown in the terminal and as HTML.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'dist/agent/register.js');
const CLI = path.join(ROOT, 'dist/bin/leakwatch.js');
const SERVICE = path.join(ROOT, 'test/scenarios/founding-story.js');
const WINDOW = '20s';
const INTERVAL = '500ms';
const RPS = 40;
const GIVE_UP_MS = 100_000;

if (!fs.existsSync(REGISTER)) {
  console.error('leakwatch demo: dist/ is missing; run `npm install` (it builds) or `npm run build` first');
  process.exit(1);
}

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-demo-'));
const env = {
  ...process.env,
  LEAKWATCH_INTERVAL: INTERVAL,
  LEAKWATCH_WINDOW: WINDOW,
  LEAKWATCH_REPORT_DIR: outDir,
  LEAKWATCH_DEBUG: '1',
};
console.log(
  `leakwatch demo: starting ${path.relative(ROOT, SERVICE)} with leakwatch preloaded (window ${WINDOW}, a sample every ${INTERVAL})`,
);
const child = spawn(process.execPath, ['--require', REGISTER, SERVICE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let load = null;
let progress = null;
let requests = 0;
let failures = 0;

function cleanup() {
  if (load) clearInterval(load);
  if (progress) clearInterval(progress);
  agent.destroy();
  if (child.exitCode === null) child.kill('SIGKILL');
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function latestTick() {
  const ticks = stderr.match(/tick (\d+) [^\n]*/g);
  if (!ticks) return null;
  const line = ticks[ticks.length - 1];
  const timeouts = /Timeout=(\d+)/.exec(line);
  return {
    samples: Number(/tick (\d+)/.exec(line)[1]),
    timeouts: timeouts ? Number(timeouts[1]) : 0,
    floor: /floor ([\d.]+MB)/.exec(line)?.[1] ?? '?',
    state: /state (\w+)/.exec(line)?.[1] ?? '?',
  };
}

(async () => {
  try {
    const port = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the service did not start')), 15_000);
      child.stdout.on('data', () => {
        const m = /listening (\d+)/.exec(stdout);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', () => reject(new Error(`the service exited\n${stderr}`)));
    });
    console.log(`leakwatch demo: service on 127.0.0.1:${port}; sending ${RPS} requests/s\n`);
    const start = Date.now();
    load = setInterval(() => {
      requests++;
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume()).on('error', () => failures++);
    }, 1000 / RPS);
    let lastTimeouts = 0;
    let lastAt = start;
    progress = setInterval(() => {
      const t = latestTick();
      if (!t) return;
      const now = Date.now();
      const rate = ((t.timeouts - lastTimeouts) / ((now - lastAt) / 1000)).toFixed(0);
      lastTimeouts = t.timeouts;
      lastAt = now;
      console.log(
        `  ${((now - start) / 1000).toFixed(0).padStart(3)}s  samples ${String(t.samples).padStart(3)}  requests ${String(requests).padStart(5)}  live timers ${String(t.timeouts).padStart(5)} (${rate}/s)  heap floor ${t.floor}  state ${t.state}`,
      );
    }, 2_000);
    const file = await new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        const m = /leakwatch: leak detected: (.*); report (\S+)\n/.exec(stderr);
        if (m) {
          clearInterval(poll);
          console.log(`\nleakwatch: leak detected after ${((Date.now() - start) / 1000).toFixed(1)} s: ${m[1]}\n`);
          resolve(m[2]);
        } else if (Date.now() - start > GIVE_UP_MS) {
          clearInterval(poll);
          reject(
            new Error(
              `no report after ${GIVE_UP_MS / 1000} s; the agent said:\n${stderr
                .split('\n')
                .filter((l) => /watching:|suspect:|leaking:|no report/.test(l))
                .slice(-5)
                .join('\n')}`,
            ),
          );
        }
      }, 100);
    });
    cleanup();
    const view = spawnSync(process.execPath, [CLI, 'view', file], { stdio: 'inherit' });
    const html = path.join(outDir, 'report.html');
    const page = spawnSync(process.execPath, [CLI, 'view', '--html', file, '-o', html], { encoding: 'utf8' });
    console.log(`\n${requests} requests sent, ${failures} failed.`);
    console.log(`Report:    ${file}`);
    if (page.status === 0 && fs.existsSync(html)) console.log(`HTML page: ${html}`);
    else console.log(`HTML page: not written (${(page.stderr || '').trim()})`);
    console.log(`Everything the demo wrote is in ${outDir} (remove it with: rm -r ${outDir})`);
    process.exitCode = view.status === 0 ? 0 : 1;
  } catch (err) {
    cleanup();
    console.error(`leakwatch demo: ${err.message}`);
    process.exitCode = 1;
  }
})();
