// Issue 3: registerPrometheusMetrics into a real prom-client registry, in
// process; and what it does without a running agent.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fillTick, testView } from './metric-view';

// The compiled module: it loads its channel modules with require(), lazily.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { registerIntoPromRegistry, startExporters } =
  require('../../dist/reports/exporters.js') as typeof import('../../reports/exporters');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require('prom-client') as typeof import('prom-client');

const PROMTOOL = '/usr/bin/promtool';

/** leakwatch's Prometheus names that prom-client's collectDefaultMetrics() also uses. */
const SHARED = [
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_external_memory_bytes',
  'process_resident_memory_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'process_open_fds',
];

/**
 * Checks a scrape the way Prometheus reads it: promtool parses it (exit 1
 * is a parse error, such as a second HELP or TYPE for one name; exit 3 is
 * only naming lint, which prom-client's own `*_total` gauges draw), and
 * every family is declared once. Returns the family names.
 */
function checkScrape(text: string): string[] {
  expect(fs.existsSync(PROMTOOL), `${PROMTOOL} (apt-get install prometheus)`).toBe(true);
  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(lint.status, `promtool check metrics: ${lint.stdout}${lint.stderr}`).not.toBe(1);
  expect(`${lint.stdout}${lint.stderr}`).not.toContain('error while linting');
  const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
  expect(
    families.filter((f, i) => families.indexOf(f) !== i),
    'families declared twice',
  ).toEqual([]);
  return families;
}

afterEach(() => {
  client.register.clear();
});

describe('prom-client registry integration', () => {
  it("adds leakwatch's own metrics to the registry, collected once per scrape, ticking with the agent", async () => {
    const view = testView();
    const [hub] = startExporters(view);
    const registry = new client.Registry();
    const result = registerIntoPromRegistry(view, registry);
    expect(result.registered).toEqual(
      expect.arrayContaining(['leakwatch_state', 'leakwatch_heap_floor_bytes', 'nodejs_eventloop_utilization_ratio']),
    );
    fillTick(view, { timers: 9, pausesMs: [['scavenge', 0.4]] });
    hub?.onTick();
    const text = await registry.metrics();
    expect(text).toMatch(/^leakwatch_state 0$/m);
    expect(text).toMatch(/^leakwatch_heap_floor_bytes 7000000$/m);
    expect(text).toMatch(/^nodejs_eventloop_utilization_ratio 0\.25$/m);
    expect(text).toContain('# TYPE leakwatch_errors_total counter');
    checkScrape(text);
    // prom-client's JSON view works too.
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'leakwatch_heap_limit_bytes')?.values[0]?.value).toBe(4_000_000_000);
    await hub?.stop();
  });

  // A cluster through prom-client's AggregatorRegistry: its aggregate() is
  // what the primary runs over the workers' getMetricsAsJSON().
  it("merges a cluster's workers as prom-client's AggregatorRegistry does: sizes summed, state at its most advanced, ratios averaged", async () => {
    const workers = [testView(), testView()];
    const hubs = workers.map((v) => startExporters(v)[0]);
    const registries = workers.map((v) => {
      const r = new client.Registry();
      registerIntoPromRegistry(v, r);
      return r;
    });
    workers.forEach((v, i) => {
      fillTick(v);
      v.readings.loop.utilization = i === 0 ? 0.25 : 0.75;
      v.state = i === 0 ? 'suspect' : 'leaking';
      hubs[i]?.onTick();
    });
    const merged = client.AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON())));
    const text = await merged.metrics();
    expect(text).toMatch(/^leakwatch_state 2$/m);
    expect(text).toMatch(/^leakwatch_heap_floor_bytes 14000000$/m);
    expect(text).toMatch(/^nodejs_eventloop_utilization_ratio 0\.5$/m);
    expect(text).toMatch(/^leakwatch_ticks_total 2$/m);
    checkScrape(text);
    await Promise.all(hubs.map((h) => h?.stop()));
  });

  it('works with an OpenMetrics registry: counters keep one _total', async () => {
    const view = testView();
    const [hub] = startExporters(view);
    const registry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
    registerIntoPromRegistry(view, registry);
    fillTick(view);
    hub?.onTick();
    const text = await registry.metrics();
    expect(text).toMatch(/^leakwatch_ticks_total 1$/m);
    expect(text).not.toContain('_total_total');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('skips names the registry already has', () => {
    const view = testView();
    startExporters(view);
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    // An application's own metric under a name leakwatch would use.
    new client.Gauge({
      name: 'nodejs_eventloop_utilization_ratio',
      help: "the application's own",
      registers: [registry],
    });
    const result = registerIntoPromRegistry(view, registry);
    expect(result.skipped).toEqual(expect.arrayContaining([...SHARED, 'nodejs_eventloop_utilization_ratio']));
    expect(result.registered).toContain('leakwatch_state');
    expect(result.registered).not.toContain('nodejs_eventloop_utilization_ratio');
  });

  // The crash this pins: registerPrometheusMetrics(client.register) and then
  // client.collectDefaultMetrics() threw "A metric with the name
  // process_resident_memory_bytes has already been registered".
  it("leaves prom-client's default-metric names alone, so collectDefaultMetrics() may come after it", async () => {
    const view = testView();
    const [hub] = startExporters(view);
    const result = registerIntoPromRegistry(view, client.register);
    expect(() => client.collectDefaultMetrics()).not.toThrow();
    expect(result.skipped).toEqual(expect.arrayContaining(SHARED));
    fillTick(view);
    hub?.onTick();
    const text = await client.register.metrics();
    const families = checkScrape(text);
    expect(families).toEqual(
      expect.arrayContaining([...SHARED, 'leakwatch_state', 'nodejs_eventloop_utilization_ratio']),
    );
    // The shared names are prom-client's metrics, not leakwatch's.
    expect(text).toContain('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    expect(text).not.toContain('# HELP nodejs_heap_size_used_bytes V8 heap in use.');
    await hub?.stop();
  });

  it('gives the same registry whichever of the two is called first', async () => {
    const scrape = async (order: 'leakwatch first' | 'defaults first') => {
      const view = testView();
      const [hub] = startExporters(view);
      const registry = new client.Registry();
      if (order === 'defaults first') client.collectDefaultMetrics({ register: registry });
      const result = registerIntoPromRegistry(view, registry);
      if (order === 'leakwatch first') client.collectDefaultMetrics({ register: registry });
      fillTick(view);
      hub?.onTick();
      const text = await registry.metrics();
      await hub?.stop();
      return { registered: [...result.registered].sort(), families: checkScrape(text).sort(), text };
    };
    const after = await scrape('leakwatch first');
    const before = await scrape('defaults first');
    expect(after.registered).toEqual(before.registered);
    expect(after.families).toEqual(before.families);
    expect(after.registered).not.toEqual(expect.arrayContaining(['nodejs_heap_size_used_bytes']));
    expect(after.text).toMatch(/^leakwatch_state 0$/m);
  });

  it('takes no unprefixed runtime names when collectDefaultMetrics() uses a prefix, in either order', async () => {
    for (const order of ['leakwatch first', 'defaults first']) {
      const view = testView();
      const [hub] = startExporters(view);
      const registry = new client.Registry();
      if (order === 'defaults first') client.collectDefaultMetrics({ register: registry, prefix: 'app_' });
      registerIntoPromRegistry(view, registry);
      if (order === 'leakwatch first') client.collectDefaultMetrics({ register: registry, prefix: 'app_' });
      fillTick(view);
      hub?.onTick();
      const families = checkScrape(await registry.metrics());
      // One heap-used series, prom-client's, not a second copy under leakwatch's name.
      expect(families, order).toContain('app_nodejs_heap_size_used_bytes');
      expect(
        families.filter((f) => SHARED.includes(f)),
        order,
      ).toEqual([]);
      expect(families, order).toContain('leakwatch_state');
      await hub?.stop();
    }
  });

  it("in a custom registry merged with the default one that holds prom-client's defaults, nothing clashes", async () => {
    const view = testView();
    const [hub] = startExporters(view);
    const registry = new client.Registry();
    const result = registerIntoPromRegistry(view, registry);
    // Without collectDefaultMetrics() in it, the custom registry holds leakwatch's own names only.
    expect(result.registered.filter((n) => SHARED.includes(n))).toEqual([]);
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(result.registered);
    client.collectDefaultMetrics();
    const merged = client.Registry.merge([client.register, registry]);
    fillTick(view);
    hub?.onTick();
    const families = checkScrape(await merged.metrics());
    expect(families).toEqual(expect.arrayContaining([...SHARED, 'leakwatch_state']));
    await hub?.stop();
  });

  it('throws on something that is not a registry, and registers nothing without an agent', () => {
    expect(() => registerIntoPromRegistry(testView(), {} as never)).toThrow(TypeError);
    const registry = new client.Registry();
    expect(registerIntoPromRegistry(undefined, registry)).toEqual({ registered: [], skipped: [] });
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
