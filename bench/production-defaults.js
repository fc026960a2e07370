'use strict';
// The reference leak under production defaults (interval 1s, window 5m):
// one 50 KB-retaining interval per request at 20 requests/s. Prints the
// time from load start to the report. Takes about 6 minutes.
// Run: npm run build && node bench/production-defaults.js
const path = require('node:path');
const fs = require('node:fs');
const { runScenario } = require(path.join(__dirname, '../test/scenarios/lib/run-scenario.js'));

(async () => {
  const r = await runScenario('interval-per-request-50kb', { defaults: true, rps: 20, durationMs: 8 * 60_000 });
  const decisions = r.stderr.split('\n').filter((l) => /(suspect|leaking|cooldown)[: ]/.test(l));
  console.log(`defaults: interval 1s, window 5m; 20 req/s; ${r.requests} requests, ${r.failures} failed`);
  console.log(
    `first suspect: ${decisions.find((l) => /suspect: .* grows/.test(l))?.replace(/^leakwatch\[\d+\]: /, '') ?? 'none'}`,
  );
  console.log(
    r.reported
      ? `reported ${(r.detectedAfterMs / 1000).toFixed(1)} s after load start: ${r.reportFile}`
      : 'NOT reported within 8 minutes',
  );
  if (r.reportFile) {
    const report = JSON.parse(fs.readFileSync(r.reportFile, 'utf8'));
    for (const s of report.signals.filter((x) => x.leaking))
      console.log(`  ${s.name}: ${s.slopePerSec.toFixed(2)}/s over ${(s.windowMs / 1000).toFixed(0)} s`);
    console.log(`  top suspect: ${report.suspects[0]?.title} at ${report.suspects[0]?.site}`);
  }
  process.exitCode = r.reported ? 0 : 1;
})();
