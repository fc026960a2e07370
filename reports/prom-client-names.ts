/**
 * The metric names prom-client's `collectDefaultMetrics()` registers. In an
 * application's prom-client registry those names are prom-client's:
 * `registerPrometheusMetrics` never takes one, whether
 * `collectDefaultMetrics()` runs before it, after it or not at all, because
 * prom-client throws when it meets a name already registered
 * (lib/registry.js `registerMetric`), and it would throw inside the
 * application's own start-up code.
 */

/**
 * prom-client 15.1's default-metric names on every platform: the union of
 * the `metricNames` its `lib/metrics/*.js` modules export (osMemoryHeap's
 * Linux variant adds `process_virtual_memory_bytes` and `process_heap_bytes`;
 * processResources exists where `process.getActiveResourcesInfo` does).
 * test/reports/prom-client-names.test.ts checks it against the installed
 * prom-client.
 */
export const PROM_CLIENT_DEFAULT_NAMES: readonly string[] = Object.freeze([
  // processCpuTotal.js
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  // processStartTime.js
  'process_start_time_seconds',
  // osMemoryHeap.js, osMemoryHeapLinux.js
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  // processOpenFileDescriptors.js, processMaxFileDescriptors.js
  'process_open_fds',
  'process_max_fds',
  // eventLoopLag.js
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  // processResources.js, processHandles.js, processRequests.js
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  // heapSizeAndUsed.js
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  // heapSpacesSizeAndUsed.js
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  // version.js
  'nodejs_version_info',
  // gc.js
  'nodejs_gc_duration_seconds',
]);

/** A default-metric module of any installed prom-client, whatever the package manager's layout. */
const DEFAULT_METRIC_MODULE = /[\\/]prom-client[\\/]lib[\\/]metrics[\\/][^\\/]+\.js$/;

/** The part of `require.cache` read here. */
export type ModuleCache = Readonly<Record<string, { exports?: unknown } | undefined>>;

/**
 * The names above, plus the `metricNames` of every prom-client default-metric
 * module the application has already loaded, so that a prom-client release
 * with a new default metric is covered before this list knows it. Only
 * modules already in `cache` are read: leakwatch never loads prom-client.
 * A bundled prom-client leaves no such module, and the list above applies.
 * @param cache the CommonJS module cache (an ESM `import` of prom-client
 *   fills it too, since prom-client is CommonJS)
 */
export function readPromClientDefaultNames(cache: ModuleCache = require.cache): Set<string> {
  const names = new Set(PROM_CLIENT_DEFAULT_NAMES);
  for (const file of Object.keys(cache)) {
    if (!DEFAULT_METRIC_MODULE.test(file)) continue;
    try {
      const listed = (cache[file]?.exports as { metricNames?: unknown } | undefined)?.metricNames;
      if (!Array.isArray(listed)) continue;
      for (const name of listed) if (typeof name === 'string') names.add(name);
    } catch {
      // Another package's module: whatever it holds, the list above stands.
    }
  }
  return names;
}
