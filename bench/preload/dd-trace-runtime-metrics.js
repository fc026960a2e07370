'use strict';
/**
 * Preload for the dd-trace configuration: runtime metrics only. dd-trace 5
 * replaces itself with a no-op when DD_TRACE_ENABLED=false (runtime metrics
 * included), so tracing stays on and every automatic instrumentation is
 * switched off instead (`plugins: false`): no spans are made, runtime
 * metrics go to DogStatsD. Where they go (a loopback sink) comes from the
 * DD_* variables the benchmark sets.
 */
require('dd-trace').init({ plugins: false, runtimeMetrics: true });
