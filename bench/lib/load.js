'use strict';
/**
 * Bounded loopback load with autocannon: a fixed number of keep-alive
 * connections for a fixed time against 127.0.0.1 only. Latencies are taken
 * from autocannon's per-response event (float ms from hrtime) because its
 * histogram rounds to whole milliseconds, too coarse for a p99 ratio.
 */
const autocannon = require('autocannon');
const { quantile } = require('./stats');

/** Most responses one run keeps for percentiles; beyond it, counted only. */
const MAX_LATENCIES = 2_000_000;
/**
 * autocannon stops at the first of its sample ticks after `duration`
 * (lib/run.js: `stop` is set by a timer and acted on in `tickInterval`),
 * so at its default 1 s sample interval a 0.8 s run lasted 1.0 s. Ticking
 * every 100 ms ends a run within 100 ms of its duration. The per-sample
 * statistics this changes are not used here; rates use the run's own
 * measured duration.
 */
const SAMPLE_MS = 100;

/**
 * @param {{port: number, path: string, connections: number, seconds: number, rate?: number}} o
 *   `rate`: requests per second over all connections (open-loop); unset, as fast as answered
 * @returns {Promise<{requests: number, rps: number, p50Ms: number, p99Ms: number, errors: number, non2xx: number, seconds: number}>}
 */
function runLoad(o) {
  return new Promise((resolve, reject) => {
    const latencies = new Float64Array(MAX_LATENCIES);
    let n = 0;
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${o.port}${o.path}`,
        connections: o.connections,
        duration: o.seconds,
        sampleInt: SAMPLE_MS,
        ...(o.rate ? { overallRate: o.rate } : {}),
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const ok = latencies.subarray(0, n);
        resolve({
          requests: result.requests.total,
          rps: result['2xx'] / (result.duration > 0 ? result.duration : seconds),
          p50Ms: quantile(ok, 0.5),
          p99Ms: quantile(ok, 0.99),
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          seconds,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300 && n < MAX_LATENCIES) latencies[n++] = responseTime;
    });
  });
}

module.exports = { runLoad };
