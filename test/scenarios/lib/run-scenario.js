'use strict';
// Runs one corpus scenario with the agent preloaded (the production code
// path, with a short window), under a bounded load on 127.0.0.1, and says
// whether and when a leak report was written.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'dist/agent/register.js');

/**
 * @param {string} name scenario file name without .js
 * @param {{ windowMs?: number, intervalMs?: number, defaults?: boolean, rps?: number, durationMs?: number, env?: Record<string,string>, reportDir?: string }} [opts]
 * @returns {Promise<{ name: string, reported: boolean, detectedAfterMs: number | null, reportFile: string | null, requests: number, failures: number, stderr: string }>}
 */
async function runScenario(name, opts = {}) {
  const windowMs = opts.windowMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 500;
  const rps = opts.rps ?? 50;
  const durationMs = opts.durationMs ?? Math.round(windowMs * 2.5);
  const reportDir = opts.reportDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `lw-${name}-`));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LEAKWATCH_')) delete env[k];
  // With `defaults`, interval and window are left to the agent's defaults.
  if (!opts.defaults) Object.assign(env, { LEAKWATCH_INTERVAL: `${intervalMs}ms`, LEAKWATCH_WINDOW: `${windowMs}ms` });
  Object.assign(env, {
    LEAKWATCH_REPORT_DIR: reportDir,
    LEAKWATCH_DEBUG: '1',
    ...opts.env,
  });
  const child = spawn(process.execPath, ['--require', REGISTER, path.join(__dirname, '..', `${name}.js`)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let requests = 0;
  let failures = 0;
  let loadTimer = null;
  try {
    const port = await new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${name}: no "listening" line\n${stderr}`)), 15_000);
      const check = () => {
        const m = /listening (\d+)/.exec(stdout);
        if (m) {
          clearTimeout(deadline);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`${name}: exited early\n${stderr}`)));
    });
    const loadStart = Date.now();
    let detectedAfterMs = null;
    let reportFile = null;
    loadTimer = setInterval(() => {
      requests++;
      const req = http.get({ host: '127.0.0.1', port, path: `/r${requests}`, agent }, (res) => res.resume());
      req.on('error', () => failures++);
    }, 1_000 / rps);
    await new Promise((resolve) => {
      const poll = setInterval(() => {
        const m = /leakwatch: leak detected: .*; report (\S+)\n/.exec(stderr);
        if (m && detectedAfterMs === null) {
          detectedAfterMs = Date.now() - loadStart;
          reportFile = m[1];
        }
        if (detectedAfterMs !== null || Date.now() - loadStart >= durationMs || child.exitCode !== null) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    return { name, reported: detectedAfterMs !== null, detectedAfterMs, reportFile, reportDir, requests, failures, stderr };
  } finally {
    if (loadTimer) clearInterval(loadTimer);
    agent.destroy();
    child.kill('SIGKILL');
  }
}

/** The corpus: name → { verdict, signal?, about }. */
const SCENARIOS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios.json'), 'utf8'));

module.exports = { runScenario, SCENARIOS };
