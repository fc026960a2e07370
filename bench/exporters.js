'use strict';
// Issue 3: the numbers behind the README's Runtime metrics design notes.
//   node bench/exporters.js                 leakwatch's own costs
//   PEERS=/path/to/node_modules node bench/exporters.js
//                                           plus hot-shots / prom-client /
//                                           OpenTelemetry SDK, installed there
// Run after `npx tsc -p tsconfig.json`. Loopback only.
const { execFileSync, spawnSync } = require('node:child_process');
const dgram = require('node:dgram');
const path = require('node:path');
const zlib = require('node:zlib');
const fs = require('node:fs');
const os = require('node:os');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const PEERS = process.env.PEERS;

/** Load time and module count of `expr` in a fresh process (median of 5). */
function loadCost(label, code, pre = '') {
  const runs = [];
  let modules = 0;
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `
      ${pre}
      const before = Object.keys(require.cache).length;
      const t = process.hrtime.bigint();
      ${code}
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      console.log(JSON.stringify({ ms, modules: Object.keys(require.cache).length - before }));
    `,
      ],
      { cwd: ROOT, env: { ...process.env, NODE_PATH: PEERS ?? '' } },
    ).toString();
    const r = JSON.parse(out);
    runs.push(r.ms);
    modules = r.modules;
  }
  runs.sort((a, b) => a - b);
  console.log(`load  ${label.padEnd(44)} ${runs[2].toFixed(1).padStart(7)} ms  ${String(modules).padStart(4)} modules`);
}

function median(fn, n) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0));
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(n / 2)];
}

function hotPathCosts() {
  const { LeakwatchAgent } = require(path.join(DIST, 'agent/agent.js'));
  const { resolveConfig } = require(path.join(DIST, 'agent/config.js'));
  const { MetricPoints } = require(path.join(DIST, 'reports/metric-points.js'));
  const { formatPoints, buildGlobalTags, DatagramBatcher } = require(path.join(DIST, 'reports/dogstatsd-format.js'));
  const { formatExposition } = require(path.join(DIST, 'reports/prometheus-format.js'));
  const { encodeMetricsRequest, buildResource } = require(path.join(DIST, 'reports/otlp-encode.js'));
  const agent = new LeakwatchAgent(resolveConfig({ reportDir: os.tmpdir() }, {}).config);
  for (let i = 0; i < 50; i++) setInterval(() => {}, 1e6).unref();
  agent.tick();
  const points = new MetricPoints(agent);
  for (let i = 0; i < 1000; i++) points.observe();
  const heap0 = process.memoryUsage().heapUsed;
  const observeNs = median(() => points.observe(), 20_000);
  console.log(
    `tick  MetricPoints.observe() per tick               ${(observeNs / 1000).toFixed(2).padStart(7)} µs (median of 20000)`,
  );
  const tickNs = median(() => agent.tick(), 2_000);
  console.log(
    `tick  agent.tick() for comparison                   ${(tickNs / 1000).toFixed(2).padStart(7)} µs (median of 2000)`,
  );
  const tags = buildGlobalTags(agent.config);
  let datagrams = 0;
  let bytes = 0;
  const batcher = new DatagramBatcher(1432, (d) => {
    datagrams++;
    bytes += d.length;
  });
  const ddNs = median(() => {
    points.observe();
    points.collect();
    formatPoints(points, tags, (l) => batcher.add(l));
    batcher.flush();
  }, 2_000);
  console.log(
    `flush DogStatsD collect+format+batch               ${(ddNs / 1000).toFixed(1).padStart(7)} µs, ${(bytes / 2000).toFixed(0)} bytes in ${(datagrams / 2000).toFixed(1)} datagrams`,
  );
  let promBytes = 0;
  const promNs = median(() => {
    points.collect();
    promBytes = formatExposition(points).length;
  }, 2_000);
  console.log(
    `flush Prometheus collect+exposition                ${(promNs / 1000).toFixed(1).padStart(7)} µs, ${promBytes} bytes`,
  );
  const res = buildResource({ 'service.name': agent.config.service });
  let otlpBytes = 0;
  const otlpNs = median(() => {
    points.collect();
    otlpBytes = encodeMetricsRequest(points, res, Date.now()).length;
  }, 2_000);
  console.log(
    `flush OTLP collect+protobuf                        ${(otlpNs / 1000).toFixed(1).padStart(7)} µs, ${otlpBytes} bytes`,
  );
  const delta = { temporality: 'delta', sinceMs: Date.now() };
  const deltaNs = median(() => {
    points.collect();
    encodeMetricsRequest(points, res, Date.now(), delta);
  }, 2_000);
  console.log(`flush OTLP collect+protobuf, delta temporality     ${(deltaNs / 1000).toFixed(1).padStart(7)} µs`);
  const body = encodeMetricsRequest(points, res, Date.now());
  let gzBytes = 0;
  const gzipNs = median(() => {
    gzBytes = zlib.gzipSync(body).length;
  }, 2_000);
  console.log(
    `flush OTLP gzip of the body (OTEL_..._COMPRESSION) ${(gzipNs / 1000).toFixed(1).padStart(7)} µs, ${body.length} -> ${gzBytes} bytes`,
  );
  global.gc?.();
  for (let i = 0; i < 100_000; i++) points.observe();
  global.gc?.();
  console.log(
    `mem   heap growth over 100000 observe() calls      ${((process.memoryUsage().heapUsed - heap0) / 1024).toFixed(0).padStart(7)} KiB${global.gc ? '' : ' (run with --expose-gc for a clean figure)'}`,
  );
  return agent.stop();
}

/**
 * The DogStatsD channel's look for dd-trace's runtime metrics, in the case
 * it repeats at every flush: dd-trace loaded, its runtime metrics off (so
 * the whole module cache is scanned each time). In a fresh process.
 */
function ddTraceCheckCost() {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `
      process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED = 'false';
      process.env.DD_REMOTE_CONFIGURATION_ENABLED = 'false';
      require('dd-trace').init({ plugins: false, runtimeMetrics: false });
      const { isDdTraceRuntimeMetricsOn } = require(${JSON.stringify(path.join(DIST, 'reports/dd-trace-names.js'))});
      const t = [];
      for (let i = 0; i < 2000; i++) {
        const t0 = process.hrtime.bigint();
        isDdTraceRuntimeMetricsOn();
        t.push(Number(process.hrtime.bigint() - t0));
      }
      t.sort((a, b) => a - b);
      console.log(JSON.stringify({ ns: t[1000], modules: Object.keys(require.cache).length, on: isDdTraceRuntimeMetricsOn() }));
      process.exit(0);
    `,
    ],
    { cwd: ROOT },
  ).toString();
  const r = JSON.parse(out.trim().split('\n').pop());
  console.log(
    `flush DogStatsD: is dd-trace's runtime metrics on?  ${(r.ns / 1000).toFixed(1).padStart(7)} µs (median of 2000; dd-trace loaded with them off, ${r.modules} modules in require.cache; answer ${r.on})`,
  );
}

/** hot-shots against a dead UDP port: how many failures does it report? */
async function hotShotsDeadPeer() {
  const HotShots = require(path.join(PEERS, 'hot-shots'));
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  let errors = 0;
  const client = new HotShots({ host: '127.0.0.1', port, maxBufferSize: 1432, errorHandler: () => errors++ });
  for (let i = 0; i < 20; i++) {
    client.gauge('x', i);
    await new Promise((r) => setTimeout(r, 20));
    client.flushQueue?.();
  }
  await new Promise((r) => setTimeout(r, 200));
  client.close();
  console.log(`peer  hot-shots, 20 flushes to a dead UDP port: ${errors} errors reported`);
}

/** hot-shots over a Unix datagram socket: does the process still exit by itself? */
function hotShotsUdsKeepsAlive() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-'));
  const sock = path.join(dir, 'dsd.sock');
  const code = `
    const ud = require('unix-dgram');
    const srv = ud.createSocket('unix_dgram', () => {});
    srv.bind(${JSON.stringify(sock)});
    const HotShots = require('hot-shots');
    const c = new HotShots({ protocol: 'uds', path: ${JSON.stringify(sock)}, errorHandler() {} });
    c.gauge('x', 1);
    setTimeout(() => srv.close(), 100);
  `;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, NODE_PATH: PEERS }, timeout: 3_000 });
  const ms = Date.now() - t0;
  console.log(
    `peer  hot-shots over UDS, script done after 100 ms: ${r.error?.code === 'ETIMEDOUT' || r.signal ? `still running after ${ms} ms (killed)` : `exited after ${ms} ms`}`,
  );
  const ours = spawnSync(
    process.execPath,
    ['--require', path.join(DIST, 'agent/register.js'), '-e', 'setTimeout(() => {}, 100)'],
    {
      env: {
        ...process.env,
        LEAKWATCH_DOGSTATSD: `unix://${sock}`,
        LEAKWATCH_FLUSH_INTERVAL: '100ms',
        LEAKWATCH_INTERVAL: '50ms',
      },
      timeout: 3_000,
    },
  );
  console.log(
    `peer  leakwatch over UDS, script done after 100 ms: ${ours.signal ? 'still running (killed)' : `exited with ${ours.status}`}`,
  );
}

(async () => {
  console.log(`node ${process.version}, ${os.cpus().length} cores`);
  await hotPathCosts();
  ddTraceCheckCost();
  // leakwatch's channels load into a running agent: time what they add.
  const agent = `require(${JSON.stringify(path.join(DIST, 'agent/agent.js'))});`;
  loadCost(
    'leakwatch reports/dogstatsd (into an agent)',
    `require(${JSON.stringify(path.join(DIST, 'reports/dogstatsd.js'))})`,
    agent,
  );
  loadCost(
    'leakwatch reports/prometheus (into an agent)',
    `require(${JSON.stringify(path.join(DIST, 'reports/prometheus.js'))})`,
    agent,
  );
  loadCost(
    'leakwatch reports/otlp (into an agent)',
    `require(${JSON.stringify(path.join(DIST, 'reports/otlp.js'))})`,
    agent,
  );
  if (PEERS) {
    loadCost('hot-shots', "require('hot-shots')");
    loadCost('prom-client', "require('prom-client')");
    loadCost(
      '@opentelemetry/sdk-metrics + exporter-metrics-otlp-http',
      "require('@opentelemetry/sdk-metrics'); require('@opentelemetry/exporter-metrics-otlp-http')",
    );
    await hotShotsDeadPeer();
    hotShotsUdsKeepsAlive();
  }
})();
