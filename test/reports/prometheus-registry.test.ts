// Issue 3: registerPrometheusMetrics into a real prom-client registry, in
// process; and what it does without a running agent.
import { describe, expect, it } from 'vitest';
import { fillTick, testView } from './metric-view';

// The compiled module: it loads its channel modules with require(), lazily.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { registerIntoPromRegistry, startExporters } = require('../../dist/reports/exporters.js') as typeof import('../../reports/exporters');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require('prom-client') as typeof import('prom-client');

describe('prom-client registry integration', () => {
  it('adds leakwatch\'s metrics to the registry, collected once per scrape, ticking with the agent', async () => {
    const view = testView();
    const [hub] = startExporters(view);
    const registry = new client.Registry();
    const result = registerIntoPromRegistry(view, registry);
    expect(result.skipped).toEqual([]);
    fillTick(view, { timers: 9, pausesMs: [['scavenge', 0.4]] });
    hub?.onTick();
    const text = await registry.metrics();
    expect(text).toMatch(/^nodejs_active_handles\{type="Timeout"\} 9$/m);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{kind="minor",le="0\.001"\} 1$/m);
    expect(text).toMatch(/^leakwatch_state 0$/m);
    expect(text).toContain('# TYPE leakwatch_errors_total counter');
    // prom-client's JSON view works too.
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'nodejs_heap_size_used_bytes')?.values[0]?.value).toBe(10_000_000);
    await hub?.stop();
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
    const result = registerIntoPromRegistry(view, registry);
    expect(result.skipped).toEqual(expect.arrayContaining(['nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']));
    expect(result.registered).toContain('leakwatch_state');
  });

  it('throws on something that is not a registry, and registers nothing without an agent', () => {
    expect(() => registerIntoPromRegistry(testView(), {} as never)).toThrow(TypeError);
    const registry = new client.Registry();
    expect(registerIntoPromRegistry(undefined, registry)).toEqual({ registered: [], skipped: [] });
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
