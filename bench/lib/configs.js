'use strict';
/**
 * The configurations the overhead benchmark compares: no agent, leakwatch
 * watching, leakwatch armed, and the tools a user would pick instead, each
 * at the settings its documentation shows. Every one runs the same service
 * script; only the preload, the environment or the wrapper differ.
 */
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..', '..');
const PRELOAD = path.join(ROOT, 'bench', 'preload');

/** Resolves a package entry or returns null when it is not installed. */
function resolveOrNull(id) {
  try {
    return require.resolve(id, { paths: [ROOT] });
  } catch {
    return null;
  }
}

/**
 * @typedef {object} Sinks loopback peers for dd-trace
 * @property {number} statsdPort UDP port counting DogStatsD datagrams
 * @property {number} traceAgentPort HTTP port answering as a trace agent
 */

/**
 * @param {Sinks} sinks
 * @returns {Array<{name: string, label: string, missing: string|null, command(service: {script: string}, tmpDir: string): {cmd: string, args: string[], env: object, cwd?: string}}>}
 */
/**
 * A configuration's command: this node, with `preArgs` before the service
 * script and `env` added to its environment.
 */
const nodeCommand =
  (preArgs, env = {}) =>
  (service) => ({
    cmd: process.execPath,
    args: [...preArgs, service.script],
    env,
  });

function configurations(sinks) {
  const register = path.join(ROOT, 'dist', 'agent', 'register.js');
  const ddInit = resolveOrNull('dd-trace/init');
  const whyInclude = resolveOrNull('why-is-node-running/include');
  const clinicBin = resolveOrNull('clinic/bin.js');
  const need = (file, what) => (file === null ? `${what} is not installed (npm install)` : null);
  return [
    {
      name: 'none',
      label: 'no agent',
      missing: null,
      command: nodeCommand([]),
    },
    {
      name: 'leakwatch',
      label: 'leakwatch watching (default config)',
      missing: require('node:fs').existsSync(register) ? null : 'dist/ is not built (npx tsc -p tsconfig.json)',
      command: nodeCommand(['--require', register]),
    },
    {
      name: 'leakwatch-armed',
      label: "leakwatch armed (arm(['handles.Timeout','heap.floor']))",
      missing: require('node:fs').existsSync(register) ? null : 'dist/ is not built (npx tsc -p tsconfig.json)',
      command: nodeCommand(['--require', path.join(PRELOAD, 'leakwatch-armed.js')]),
    },
    {
      name: 'prom-client',
      label: 'prom-client collectDefaultMetrics + scrape every 5 s',
      missing: need(resolveOrNull('prom-client'), 'prom-client'),
      command: nodeCommand(['--require', path.join(PRELOAD, 'prom-client.js')]),
    },
    {
      name: 'dd-trace',
      label: 'dd-trace runtime metrics only (no instrumentation)',
      missing: need(ddInit, 'dd-trace'),
      // Runtime metrics to a DogStatsD sink on loopback; instrumentation,
      // telemetry, remote config, crash tracking and profiling off: only what
      // a user turning on runtime metrics alone gets. Not DD_TRACE_ENABLED=
      // false: dd-trace 5 then loads a no-op tracer and sends no runtime
      // metrics at all (checked with the sink). Flush interval: its default.
      command: nodeCommand(['--require', path.join(PRELOAD, 'dd-trace-runtime-metrics.js')], {
        DD_RUNTIME_METRICS_ENABLED: 'true',
        DD_DOGSTATSD_HOST: '127.0.0.1',
        DD_DOGSTATSD_PORT: String(sinks.statsdPort),
        DD_AGENT_HOST: '127.0.0.1',
        // dd-trace 5.132 posts its metrics to the agent's HTTP
        // /dogstatsd/v2/proxy (seen at the sink), not to the UDP port.
        DD_TRACE_AGENT_PORT: String(sinks.traceAgentPort),
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_CRASHTRACKING_ENABLED: 'false',
        DD_PROFILING_ENABLED: 'false',
        DD_TRACE_STARTUP_LOGS: 'false',
      }),
    },
    {
      name: 'pprof-heap',
      label: '@datadog/pprof heap profiler (512 KiB, 64 frames)',
      missing: need(resolveOrNull('@datadog/pprof'), '@datadog/pprof'),
      command: nodeCommand(['--require', path.join(PRELOAD, 'pprof-heap.js')]),
    },
    {
      name: 'why-is-node-running',
      label: 'why-is-node-running (--import …/include)',
      missing: need(whyInclude, 'why-is-node-running'),
      command: nodeCommand([
        '--import',
        whyInclude === null ? 'why-is-node-running/include' : pathToFileURL(whyInclude).href,
      ]),
    },
    {
      name: 'clinic-doctor',
      label: 'clinic doctor --collect-only (10 ms samples)',
      missing: need(clinicBin, 'clinic'),
      // Headless: --collect-only skips the analysis and the browser. NO_INSIGHT
      // answers clinic's usage-statistics question, which otherwise makes it
      // exit silently without a TTY. It writes its trace log into its cwd.
      command: (service, tmpDir) => ({
        cmd: process.execPath,
        args: [
          clinicBin ?? 'clinic',
          'doctor',
          '--collect-only',
          '--dest',
          tmpDir,
          '--',
          process.execPath,
          service.script,
        ],
        env: { NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' },
        cwd: tmpDir,
      }),
    },
  ];
}

/** The services under load: an HTTP API and a promise-heavy one. */
const SERVICES = [
  {
    name: 'http',
    label: 'HTTP service (2 timers + JSON per request)',
    script: path.join(ROOT, 'bench', 'services', 'http-service.js'),
    path: '/?offset=7',
  },
  {
    name: 'promise',
    label: 'promise-heavy service (~70 promises + 2 setImmediate per request)',
    script: path.join(ROOT, 'bench', 'services', 'promise-service.js'),
    path: '/?n=3',
  },
];

module.exports = { configurations, nodeCommand, SERVICES, ROOT };
