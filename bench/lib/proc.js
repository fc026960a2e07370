'use strict';
/**
 * Child processes for the benchmarks: each service runs in its own process
 * group (spawned detached) so that it, and anything it spawns (clinic runs
 * the service as its own child), is killed as a group. Every group started
 * here is killed on exit, on SIGINT/SIGTERM and on an uncaught error, so no
 * child survives the benchmark.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const groups = new Set();
let hooked = false;

function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const pid of groups) killGroup(pid);
    groups.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    killAll();
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}

/** Keeps the last `max` characters of a stream, for error messages. */
function tail(stream, max = 4_096) {
  const t = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    t.text = (t.text + d).slice(-max);
  });
  return t;
}

/**
 * Starts a command in its own process group and waits for a line
 * `LISTENING <port>` on its stdout.
 * @param {{cmd: string, args: string[], env: object, cwd?: string, script: string, timeoutMs?: number}} o
 *   `script` is the service file: the process whose command line names it
 *   (the deepest one, under a wrapper such as clinic) is the one measured.
 */
function startService(o) {
  hookExit();
  const child = spawn(o.cmd, o.args, {
    cwd: o.cwd ?? process.cwd(),
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.add(child.pid);
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${o.cmd} ${o.args.join(' ')}: no LISTENING line in ${o.timeoutMs ?? 30_000} ms\nstdout: ${out.text}\nstderr: ${err.text}`,
          ),
        ),
      o.timeoutMs ?? 30_000,
    );
    let buf = '';
    child.stdout.on('data', (d) => {
      buf = (buf + d).slice(-1_024);
      const m = /LISTENING (\d+)/.exec(buf);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exitPromise.then((e) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${o.cmd} ${o.args.join(' ')} exited (${e.code ?? e.signal}) before listening\nstdout: ${out.text}\nstderr: ${err.text}`,
        ),
      );
    });
  });
  return {
    child,
    ready,
    stdout: out,
    stderr: err,
    get exited() {
      return exited;
    },
    /** The measured process: the deepest descendant running the script. */
    servicePid() {
      return findServicePid(child.pid, o.script) ?? child.pid;
    },
    /**
     * SIGINT to the group (clinic relays it and flushes), then SIGKILL
     * after `graceMs`. Resolves when the leader has exited.
     */
    async stop(graceMs = 1_500) {
      if (exited === null) {
        killGroup(child.pid, 'SIGINT');
        const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
        await exitPromise;
        clearTimeout(t);
      }
      // Anything the leader left behind in its group goes too.
      killGroup(child.pid, 'SIGKILL');
      groups.delete(child.pid);
    },
  };
}

function childrenOf(pid) {
  const out = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Gone.
  }
  return out;
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Deepest process under `root` (root included) whose argv names `script`. */
function findServicePid(root, script) {
  let found = null;
  const stack = [[root, 0]];
  let bestDepth = -1;
  while (stack.length) {
    const [pid, depth] = stack.pop();
    if (cmdline(pid).includes(script) && depth > bestDepth) {
      found = pid;
      bestDepth = depth;
    }
    for (const c of childrenOf(pid)) stack.push([c, depth + 1]);
  }
  return found;
}

/** VmRSS and VmHWM (peak) of a process, in bytes; NaN when unreadable. */
function readMemory(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s);
      return m === null ? Number.NaN : Number(m[1]) * 1_024;
    };
    // RssAnon: the process's own memory; RssFile: pages of mapped files,
    // mostly the node binary's code, shared with every node process.
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN, anon: Number.NaN, file: Number.NaN };
  }
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux (getconf CLK_TCK).

/** User + system CPU time of a process so far, in ms (10 ms resolution). */
function readCpuMs(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1_000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

const SUM_EXEC = /se\.sum_exec_runtime\s+:\s+([\d.]+)/;

/**
 * CPU time of a process so far, in ms with ns precision: the sum of
 * `se.sum_exec_runtime` over its threads (`/proc/<pid>/task/<tid>/sched`),
 * which counts threads that have exited too only while they lived — the
 * service's threads live as long as it does. Falls back to `/proc/<pid>/stat`
 * (10 ms ticks) where the scheduler file is missing. A 3 s idle window of a
 * process that wakes 100 times a second is ~15 ms of CPU: ticks cannot
 * resolve it, this can.
 */
function readCpuMsPrecise(pid) {
  let total = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const m = SUM_EXEC.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
        if (m === null) return readCpuMs(pid);
        total += Number(m[1]);
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
  } catch {
    return readCpuMs(pid);
  }
  return total;
}

/**
 * The harness's environment without its own agent or Datadog settings, so
 * a benchmark's child gets only what the configuration sets, plus `extra`.
 */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('LEAKWATCH_') || k.startsWith('DD_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Starts a benchmark service (bench/lib/configs.js SERVICES) under one
 * configuration, in its own temporary directory below `tmpRoot`; resolves
 * when it listens, with the measured process's pid and a cleanup that stops
 * it and removes the directory. A start that fails cleans up after itself.
 */
async function launchService(service, config, tmpRoot) {
  const tmpDir = fs.mkdtempSync(path.join(tmpRoot, `${config.name}-`));
  const spec = config.command(service, tmpDir);
  const svc = startService({ ...spec, env: cleanEnv({ PORT: '0', ...spec.env }), script: service.script });
  const cleanup = async () => {
    await svc.stop();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    const port = await svc.ready;
    return { svc, port, pid: svc.servicePid(), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

module.exports = {
  launchService,
  startService,
  readMemory,
  readCpuMs,
  readCpuMsPrecise,
  findServicePid,
  killGroup,
  cleanEnv,
};
