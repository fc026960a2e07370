// The names registerPrometheusMetrics leaves to prom-client's
// collectDefaultMetrics(), checked against the installed prom-client.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../reports/metric-names';
import { PROM_CLIENT_DEFAULT_NAMES, readPromClientDefaultNames } from '../../reports/prom-client-names';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require('prom-client') as typeof import('prom-client');
const METRICS_DIR = path.join(path.dirname(require.resolve('prom-client/package.json')), 'lib/metrics');

/** Every `metricNames` the installed prom-client's default-metric modules export. */
function installedMetricNames(): string[] {
  const names: string[] = [];
  for (const file of fs.readdirSync(METRICS_DIR)) {
    if (!file.endsWith('.js')) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const listed = (require(path.join(METRICS_DIR, file)) as { metricNames?: string[] }).metricNames;
    if (listed !== undefined) names.push(...listed);
  }
  return names;
}

describe('prom-client default-metric names', () => {
  it("are the names the installed prom-client's modules list", () => {
    expect([...new Set(installedMetricNames())].sort()).toEqual([...PROM_CLIENT_DEFAULT_NAMES].sort());
  });

  it('cover everything collectDefaultMetrics() registers here', () => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !PROM_CLIENT_DEFAULT_NAMES.includes(n))).toEqual([]);
  });

  it('include every leakwatch Prometheus name collectDefaultMetrics() uses, and no leakwatch_ name', () => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const defaults = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const ours = Object.values(METRICS)
      .map((d) => d.prom)
      .filter((n): n is string => n !== null);
    expect(ours.filter((n) => defaults.has(n) && !PROM_CLIENT_DEFAULT_NAMES.includes(n))).toEqual([]);
    expect(PROM_CLIENT_DEFAULT_NAMES.filter((n) => n.startsWith('leakwatch_'))).toEqual([]);
  });

  it('are read from the prom-client the application loaded, and a new default name joins them', () => {
    // This test file loaded the installed prom-client: its modules are in require.cache.
    const loaded = readPromClientDefaultNames();
    expect([...loaded].sort()).toEqual([...PROM_CLIENT_DEFAULT_NAMES].sort());
    // A later prom-client with one more default metric, in a pnpm layout.
    const cache = {
      '/app/node_modules/.pnpm/prom-client@99.0.0/node_modules/prom-client/lib/metrics/eventLoopUtilization.js': {
        exports: { metricNames: ['nodejs_eventloop_utilization_ratio'] },
      },
      'C:\\app\\node_modules\\prom-client\\lib\\metrics\\other.js': { exports: { metricNames: ['nodejs_other', 7] } },
      '/app/node_modules/not-prom-client/lib/metrics/x.js': { exports: { metricNames: ['nodejs_not_this'] } },
      '/app/node_modules/prom-client/lib/metrics/helpers/safeMemoryUsage.js': {
        exports: { metricNames: ['nodejs_nor_this'] },
      },
      '/app/node_modules/prom-client/lib/metrics/broken.js': {
        get exports(): unknown {
          throw new Error('boom');
        },
      },
    };
    const names = readPromClientDefaultNames(cache);
    expect(names.has('nodejs_eventloop_utilization_ratio')).toBe(true);
    expect(names.has('nodejs_other')).toBe(true);
    expect(names.has('nodejs_not_this')).toBe(false);
    expect(names.has('nodejs_nor_this')).toBe(false);
    expect(names.size).toBe(PROM_CLIENT_DEFAULT_NAMES.length + 2);
  });
});
