'use strict';
// Runs the public scenario corpus (test/scenarios) with the agent preloaded,
// the production code path with a short window, under a bounded loopback
// load, and prints each verdict and the time from load start to report.
// Run: npm run build && node bench/detection.js [--window 30s] [--parallel 2] [names...]
const fs = require('node:fs');
const path = require('node:path');
const { option } = require('./lib/args');
const { runScenario, SCENARIOS } = require(path.join(__dirname, '../test/scenarios/lib/run-scenario.js'));
const { parseDuration } = require(path.join(__dirname, '../dist/agent/duration.js'));

// A scenario may ask for a longer window (scenarios.json says why);
// --window overrides every scenario's.
const windowArg = option('window', undefined);
const windowMs = parseDuration(windowArg ?? '30s');
const intervalMs = parseDuration(option('interval', '500ms'));
const parallel = Number(option('parallel', '2'));
const rps = Number(option('rps', '50'));
const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const todo = (names.length > 0 ? names : Object.keys(SCENARIOS)).filter((n) => SCENARIOS[n] !== undefined);

(async () => {
  console.log(
    `window ${windowMs / 1000}s unless the scenario asks for more, interval ${intervalMs}ms, ${rps} req/s on 127.0.0.1, ${parallel} at a time; healthy scenarios run ${(windowMs * 2.5) / 1000}s`,
  );
  const results = [];
  const queue = todo.slice();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const w = windowArg === undefined && SCENARIOS[name].window ? parseDuration(SCENARIOS[name].window) : windowMs;
        const r = await runScenario(name, { windowMs: w, intervalMs, rps });
        r.windowMs = w;
        results.push({ name, expected: SCENARIOS[name].verdict, ...r });
      }
    }),
  );
  results.sort((a, b) => todo.indexOf(a.name) - todo.indexOf(b.name));
  console.log('| scenario | window | expected | verdict | load start → report | requests (failed) | ok |');
  console.log('|---|---|---|---|---|---|---|');
  let passed = 0;
  for (const r of results) {
    const verdict = r.reported ? 'leak' : 'healthy';
    const ok = verdict === r.expected && r.failures === 0;
    if (ok) passed++;
    console.log(
      `| ${r.name} | ${r.windowMs / 1000} s | ${r.expected} | ${verdict} | ${r.detectedAfterMs === null ? '—' : `${(r.detectedAfterMs / 1000).toFixed(1)} s`} | ${r.requests} (${r.failures}) | ${ok ? 'yes' : 'NO'} |`,
    );
  }
  for (const r of results.filter((x) => (x.reported ? 'leak' : 'healthy') !== x.expected)) {
    console.log(`\n${r.name}: last decisions`);
    console.log(
      r.stderr
        .split('\n')
        .filter((l) => /(watching|suspect|leaking|cooldown|no report)[: ]|leakwatch: /.test(l))
        .slice(-6)
        .join('\n'),
    );
  }
  console.log(`${passed} passed, ${results.length - passed} failed`);
  // The reports are kept for reading (`leakwatch view <file>`): say where.
  const kept = results.filter((r) => r.reportFile);
  if (kept.length > 0) {
    console.log(
      `reports kept (remove with rm -r): ${[...new Set(kept.map((r) => path.dirname(r.reportFile)))].join(' ')}`,
    );
  }
  for (const r of results.filter((x) => !x.reportFile && x.reportDir))
    fs.rmSync(r.reportDir, { recursive: true, force: true });
  process.exitCode = passed === results.length ? 0 : 1;
})();
