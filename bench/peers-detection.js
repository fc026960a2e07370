'use strict';
// Detection against peers on the public corpus (test/scenarios): each leak
// scenario (and two healthy ones) runs under a fixed loopback load three
// times side by side — with leakwatch preloaded, with why-is-node-running
// preloaded, and under clinic doctor — and the table says what each tool
// showed: leakwatch's verdict and the site it named, whether
// why-is-node-running's handle dump names the line that creates the leak,
// and which issue categories clinic doctor's own analysis flags.
// Run: npx tsc -p tsconfig.json && node bench/peers-detection.js [--quick] [--seconds 40] [--rps 50] [names...]
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const ROOT = path.resolve(__dirname, '..');
const SCENARIO_DIR = path.join(ROOT, 'test', 'scenarios');
const { runScenario, SCENARIOS } = require(path.join(SCENARIO_DIR, 'lib', 'run-scenario.js'));
const { parseDuration } = require(path.join(ROOT, 'dist', 'agent', 'duration.js'));
const { numberOption } = require('./lib/args');

const quick = process.argv.includes('--quick');
const seconds = numberOption('seconds', quick ? 20 : 40);
const rps = numberOption('rps', 50);
const named = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !['--seconds', '--rps'].includes(all[i - 1]));

const HEALTHY = ['warmup-plateau', 'gc-sawtooth'];
const todo =
  named.length > 0
    ? named
    : quick
      ? ['founding-story', 'socket-per-request', 'warmup-plateau']
      : [...Object.keys(SCENARIOS).filter((n) => SCENARIOS[n].verdict === 'leak'), ...HEALTHY];

// The line that creates what leaks, for the scenarios whose leak is a handle
// or an open file.
// Heap leaks (a Map, listeners) have no handle for a handle dump to show.
const CREATING = {
  'founding-story': { file: 'test/scenarios/lib/client.js', pattern: /this\.watchTimer = setInterval\(/ },
  'timer-per-request': { file: 'test/scenarios/timer-per-request.js', pattern: /setTimeout\(/ },
  'socket-per-request': { file: 'test/scenarios/socket-per-request.js', pattern: /net\.connect\(/ },
  'interval-per-request-50kb': {
    file: 'test/scenarios/interval-per-request-50kb.js',
    pattern: /setInterval\(function poll/,
  },
  'fd-per-request': { file: 'test/scenarios/fd-per-request.js', pattern: /fs\.open\(/ },
  'unbounded-cache': { file: 'test/scenarios/unbounded-cache.js', pattern: /cache\.set\(/ },
  'listener-per-request': { file: 'test/scenarios/listener-per-request.js', pattern: /\.on\(|\.addListener\(/ },
};

/** `{ rel: 'file:line', line }` of a scenario's creating line, or null. */
function creatingLine(name) {
  const c = CREATING[name];
  if (c === undefined) return null;
  const lines = fs.readFileSync(path.join(ROOT, c.file), 'utf8').split('\n');
  const i = lines.findIndex((l) => c.pattern.test(l));
  return i < 0 ? null : { file: c.file, line: i + 1, rel: `${c.file}:${i + 1}` };
}

// ---------------------------------------------------------------------------
// Children: each in its own process group, all killed on any way out.
const groups = new Set();
function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
function killAll() {
  for (const pid of groups) killGroup(pid);
  groups.clear();
  // The corpus runner's child (not a group of ours) is killed in its own
  // finally; on an early exit it is killed here.
  try {
    for (const task of fs.readdirSync(`/proc/${process.pid}/task`)) {
      const text = fs.readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim();
      for (const pid of text ? text.split(/\s+/).map(Number) : []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  } catch {
    // No /proc: nothing more to do.
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.add(child.pid);
  const out = { stdout: '', stderr: '', exited: null };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((out.exited = { code, signal }))));
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line in 30 s\n${out.stderr.slice(-2000)}`)),
      30_000,
    );
    child.stdout.on('data', () => {
      const m = /listening (\d+)/.exec(out.stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before listening\n${out.stderr.slice(-2000)}`));
    });
  });
  return {
    child,
    out,
    exit,
    listening,
    /** `signal` to the group, SIGKILL after `graceMs`; resolves on exit. */
    async stop(signal = 'SIGKILL', graceMs = 0) {
      if (out.exited === null) {
        killGroup(child.pid, signal);
        const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
        await exit;
        clearTimeout(t);
      }
      killGroup(child.pid, 'SIGKILL');
      groups.delete(child.pid);
    },
  };
}

/** `rps` requests a second to 127.0.0.1:port for `ms`, the runner's load. */
async function load(port, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let requests = 0;
  let failures = 0;
  const timer = setInterval(() => {
    requests++;
    const req = http.get({ host: '127.0.0.1', port, path: `/r${requests}`, agent }, (res) => res.resume());
    req.on('error', () => failures++);
  }, 1_000 / rps);
  await new Promise((r) => setTimeout(r, ms));
  clearInterval(timer);
  agent.destroy();
  return { requests, failures };
}

// ---------------------------------------------------------------------------
// (a) why-is-node-running 3: `--import why-is-node-running/include` registers
// SIGUSR1 (and SIGINFO) handlers that print every ref'd async resource still
// alive with the stack that created it (paths relative to the cwd).
async function runWhy(name, site) {
  const p = start(
    process.execPath,
    ['--import', 'why-is-node-running/include', path.join(SCENARIO_DIR, `${name}.js`)],
    {
      cwd: ROOT,
      env: { ...process.env },
    },
  );
  try {
    const port = await p.listening;
    const l = await load(port, seconds * 1_000);
    p.child.kill('SIGUSR1');
    // The dump is written synchronously; wait until stderr stops growing.
    const deadline = Date.now() + 60_000;
    let last = -1;
    while (Date.now() < deadline) {
      await sleep(1_000);
      if (/There are \d+ handle/.test(p.out.stderr) && p.out.stderr.length === last) break;
      last = p.out.stderr.length;
    }
    const m = /There are (\d+) handle\(s\)/.exec(p.out.stderr);
    if (m === null) return { error: `no output after SIGUSR1: ${p.out.stderr.slice(-300)}` };
    const blocks = p.out.stderr.slice(m.index).split(/\n# /).slice(1);
    const types = {};
    const tops = {};
    let naming = 0;
    for (const b of blocks) {
      const [type, ...frames] = b.split('\n').filter((x) => x.trim() !== '');
      types[type] = (types[type] ?? 0) + 1;
      const top = frames[0]?.split(' ')[0] ?? '(none)';
      tops[top] = (tops[top] ?? 0) + 1;
      if (site !== null && frames.some((f) => f.startsWith(`${site.rel} `))) naming++;
    }
    const topSite = Object.entries(tops).sort((a, b) => b[1] - a[1])[0];
    return { handles: Number(m[1]), printed: blocks.length, types, naming, topSite, bytes: p.out.stderr.length, ...l };
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] };
  } finally {
    await p.stop();
  }
}

// ---------------------------------------------------------------------------
// (b) clinic doctor 13: collect headless (--collect-only, NO_INSIGHT=1), then
// run @clinic/doctor's own analysis module on the collected directory, the
// same readers its --visualize-only step feeds it.
function clinicBin() {
  try {
    return require.resolve('clinic/bin.js', { paths: [ROOT] });
  } catch {
    return null;
  }
}

function clinicAnalyse(dataDir) {
  const req = (m) => require(require.resolve(m, { paths: [path.join(ROOT, 'node_modules', '@clinic', 'doctor')] }));
  const doctor = path.join(ROOT, 'node_modules', '@clinic', 'doctor');
  const pumpify = req('pumpify');
  const Analysis = require(path.join(doctor, 'analysis', 'index.js'));
  const SystemInfoDecoder = require(path.join(doctor, 'format', 'system-info-decoder.js'));
  const TraceEventDecoder = require(path.join(doctor, 'format', 'trace-event-decoder.js'));
  const ProcessStatDecoder = require(path.join(doctor, 'format', 'process-stat-decoder.js'));
  const paths = req('@clinic/clinic-common').getLoggingPaths('doctor')({ path: dataDir });
  const systemInfo = pumpify.obj(fs.createReadStream(paths['/systeminfo']), new SystemInfoDecoder());
  const traceEvent = pumpify.obj(fs.createReadStream(paths['/traceevent']), new TraceEventDecoder(systemInfo));
  const processStat = pumpify.obj(fs.createReadStream(paths['/processstat']), new ProcessStatDecoder());
  const analysis = new Promise((resolve, reject) => {
    const a = new Analysis(systemInfo, traceEvent, processStat);
    let result = null;
    a.on('data', (d) => (result = d));
    a.on('error', reject);
    a.on('end', () => resolve(result));
  });
  // What clinic's sampler saw (process._getActiveHandles().length and
  // heapUsed every 10 ms): first and last sample, read a second time.
  const curve = new Promise((resolve, reject) => {
    const samples = [];
    const s = pumpify.obj(fs.createReadStream(paths['/processstat']), new ProcessStatDecoder());
    s.on('data', (d) => samples.push(d));
    s.on('error', reject);
    s.on('end', () => resolve(samples));
  });
  return Promise.all([analysis, curve]).then(([result, samples]) => ({ result, samples }));
}

// What clinic doctor's report headline says for each category
// (@clinic/doctor/recommendations).
const CATEGORY = {
  gc: 'GC issue',
  'event-loop': 'event loop issue',
  io: 'I/O issue',
  none: 'no issue',
  data: 'data issue',
  unknown: 'unknown issue',
};

async function runClinic(name) {
  const bin = clinicBin();
  if (bin === null) return { error: 'clinic is not installed (npm install)' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lw-peers-clinic-${name}-`));
  const p = start(
    process.execPath,
    [bin, 'doctor', '--collect-only', '--dest', dir, '--', process.execPath, path.join(SCENARIO_DIR, `${name}.js`)],
    {
      cwd: dir,
      env: { ...process.env, NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' },
    },
  );
  try {
    const port = await p.listening;
    const l = await load(port, seconds * 1_000);
    // SIGINT to the group: the service exits, clinic joins its trace log and
    // writes the data directory.
    await p.stop('SIGINT', 60_000);
    const data = fs
      .readdirSync(dir)
      .find((f) => f.endsWith('.clinic-doctor') && fs.statSync(path.join(dir, f)).isDirectory());
    if (data === undefined)
      return {
        error: `no .clinic-doctor directory (exit ${JSON.stringify(p.out.exited)}): ${p.out.stderr.slice(-300)}`,
      };
    const { result, samples } = await clinicAnalyse(path.join(dir, data));
    const first = samples[0];
    const lastS = samples[samples.length - 1];
    const seen =
      first && lastS
        ? {
            handles: [first.handles, lastS.handles],
            heapMB: [first.memory.heapUsed / 1e6, lastS.memory.heapUsed / 1e6],
            analysedS: (result.interval[1] - result.interval[0]) / 1000,
            sampledS: (lastS.timestamp - first.timestamp) / 1000,
          }
        : null;
    const flagged = [];
    for (const [k, v] of Object.entries(result.issues)) {
      if (typeof v === 'object') {
        for (const [k2, v2] of Object.entries(v))
          if (v2 !== 'none') flagged.push(`${k}.${k2}${v2 === 'performance' ? '' : `=${v2}`}`);
      } else if (v !== 'none') flagged.push(`${k}${v === 'performance' ? '' : `=${v}`}`);
    }
    return { category: result.issueCategory, flagged, issues: result.issues, seen, ...l };
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] };
  } finally {
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// leakwatch: the corpus runner (preloaded agent, 30 s window unless the
// scenario asks for more, as bench/detection.js runs it).
async function runLeakwatch(name, site) {
  const windowMs = SCENARIOS[name].window ? parseDuration(SCENARIOS[name].window) : 30_000;
  try {
    const r = await runScenario(name, { windowMs, rps });
    let suspect = null;
    if (r.reportFile) {
      const report = JSON.parse(fs.readFileSync(r.reportFile, 'utf8'));
      suspect = report.suspects?.[0] ?? null;
    }
    fs.rmSync(r.reportDir, { recursive: true, force: true });
    const siteRel = suspect?.site ? path.relative(ROOT, suspect.site.replace(/^file:\/\//, '')) : null;
    const siteOk = site !== null && siteRel !== null && siteRel.startsWith(`${site.rel}:`);
    // Without a site, does the suspect's stack at least hold the line?
    const stackOk =
      site !== null && (suspect?.stack ?? []).some((f) => f.includes(`${path.join(ROOT, site.file)}:${site.line}:`));
    return {
      reported: r.reported,
      detectedAfterMs: r.detectedAfterMs,
      windowMs,
      suspect,
      siteRel,
      siteOk,
      stackOk,
      requests: r.requests,
      failures: r.failures,
    };
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] };
  }
}

// ---------------------------------------------------------------------------
function cellLeakwatch(r, name) {
  if (r.error) return `error: ${r.error}`;
  const verdict = r.reported
    ? `leak after ${(r.detectedAfterMs / 1000).toFixed(0)} s`
    : `healthy (${(r.windowMs * 2.5) / 1000} s)`;
  if (!r.reported) return verdict;
  const s = r.suspect;
  if (s === null) return `${verdict}; no suspect`;
  const where = r.siteRel
    ? `\`${r.siteRel}\`${r.siteOk ? ' ✓' : CREATING[name]?.heap ? '' : ' ✗'}`
    : `site: none${r.stackOk ? ' (the line is in its stack)' : s.stack?.length ? ` (stack: ${s.stack.length} frames, not the line)` : ''}`;
  return `${verdict}; ${s.kind} ×${s.count}, ${where}`;
}

function cellWhy(r, site) {
  if (r.error) return `error: ${r.error}`;
  const types = Object.entries(r.types)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const naming =
    site === null
      ? 'n/a (healthy)'
      : CREATING[site.key]?.heap
        ? `no — the leak is not a handle`
        : r.naming > 0
          ? `**yes**: ${r.naming} of them`
          : 'no';
  return `${naming}; ${r.handles} handles (${types})`;
}

function cellClinic(r) {
  if (r.error) return `error: ${r.error}`;
  const verdict = `${CATEGORY[r.category] ?? r.category}${r.flagged.length ? ` (${r.flagged.join(', ')})` : ''}`;
  if (r.seen === null) return verdict;
  const s = r.seen;
  return `${verdict}; its samples: handles ${s.handles[0]}→${s.handles[1]}, heapUsed ${s.heapMB[0].toFixed(0)}→${s.heapMB[1].toFixed(0)} MB, ${s.analysedS.toFixed(0)} of ${s.sampledS.toFixed(0)} s analysed`;
}

CREATING['unbounded-cache'].heap = true;
CREATING['listener-per-request'].heap = true;

(async () => {
  const t0 = Date.now();
  console.log(
    `# peers-detection ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `why-is-node-running and clinic doctor: ${seconds} s at ${rps} req/s on 127.0.0.1; leakwatch: the corpus runner (30 s window unless the scenario asks for more; stops at the report). The three run side by side, one scenario at a time.\n`,
  );
  const rows = [];
  for (const name of todo) {
    if (SCENARIOS[name] === undefined) {
      console.error(`unknown scenario ${name}`);
      continue;
    }
    const site = creatingLine(name);
    if (site !== null) site.key = name;
    const expected = SCENARIOS[name].verdict;
    const s0 = Date.now();
    const [lw, why, clinic] = await Promise.all([runLeakwatch(name, site), runWhy(name, site), runClinic(name)]);
    console.error(
      `${name}: ${((Date.now() - s0) / 1000).toFixed(0)} s; why ${why.requests ?? '?'} req (${why.failures ?? '?'} failed), clinic ${clinic.requests ?? '?'} req (${clinic.failures ?? '?'} failed), leakwatch ${lw.requests ?? '?'} req (${lw.failures ?? '?'} failed)`,
    );
    rows.push({ name, expected, signal: SCENARIOS[name].signal, site, lw, why, clinic });
  }
  console.log(
    '| scenario | expected (signal) | creating line | leakwatch | why-is-node-running: names the line? (handles printed) | clinic doctor analysis |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const creating = r.site ? `\`${r.site.rel}\`` : '—';
    console.log(
      `| ${r.name} | ${r.expected}${r.signal ? ` (${r.signal})` : ''} | ${creating} | ${cellLeakwatch(r.lw, r.name)} | ${cellWhy(r.why, r.expected === 'leak' ? r.site : null)} | ${cellClinic(r.clinic)} |`,
    );
  }
  const lwRight = rows.filter((r) => !r.lw.error && (r.lw.reported ? 'leak' : 'healthy') === r.expected).length;
  const lwSite = rows.filter((r) => r.lw.siteOk).length;
  const whyNamed = rows.filter((r) => r.expected === 'leak' && r.why.naming > 0).length;
  const clinicFlag = rows.filter((r) => r.clinic.category && !['none', 'data', 'unknown'].includes(r.clinic.category));
  const leaks = rows.filter((r) => r.expected === 'leak').length;
  console.log(
    `\nleakwatch: right verdict ${lwRight}/${rows.length}, named the creating line ${lwSite}/${leaks} leaks.`,
  );
  console.log(
    `why-is-node-running: the dump names the creating line for ${whyNamed}/${leaks} leaks (it names what is alive when asked; it has no verdict).`,
  );
  console.log(
    `clinic doctor: flagged an issue for ${clinicFlag.length}/${rows.length} scenarios: ${clinicFlag.map((r) => `${r.name} (${r.expected})`).join(', ') || 'none'}.`,
  );
  console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s in all.`);
})().catch((err) => {
  console.error(err);
  killAll();
  process.exitCode = 1;
});
