// Issue 3: a service with no exporter configured loads none of the exporter
// modules or libraries; a configured channel loads its own module only.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');
const CHANNEL_MODULES = /[\\/]dist[\\/]reports[\\/](dogstatsd[a-z-]*|prometheus[a-z-]*|otlp[a-z-]*|metric-[a-z]+)\.js$/;
const LIBRARIES = /[\\/]node_modules[\\/](unix-dgram|prom-client|hot-shots|@opentelemetry|protobufjs)[\\/]/;

afterEach(killSurvivors);

async function loadedBy(env: Record<string, string>): Promise<string[]> {
  const run = runNode([FIXTURE], { env: { TIMERS: '1', EXIT_AFTER_MS: '600', LEAKWATCH_INTERVAL: '100ms', ...env } });
  const m = await run.waitFor(/^(\{"self".*)$/m);
  expect((await run.exited).code).toBe(0);
  const { self, modules } = JSON.parse(m[1] as string) as { self: { ticks: number }; modules: string[] };
  // The agent did run: the check below is about an agent that ticked.
  expect(self.ticks).toBeGreaterThan(0);
  return modules;
}

describe('exporter loading', () => {
  it('with no exporter configured, no exporter module or library is in require.cache', async () => {
    const modules = await loadedBy({});
    expect(modules.some((m) => m.endsWith(`${path.sep}dist${path.sep}agent${path.sep}agent.js`))).toBe(true);
    expect(modules.filter((m) => CHANNEL_MODULES.test(m) || LIBRARIES.test(m))).toEqual([]);
  });

  it('watching, the report writer, the report builder and tracking stay unloaded until a suspicion', async () => {
    const modules = await loadedBy({});
    const agentModules = modules.filter((m) => m.includes(`${path.sep}dist${path.sep}`)).map((m) => path.basename(m));
    expect(agentModules).toContain('control.js');
    expect(agentModules).toContain('report-names.js');
    for (const lazy of ['report-writer.js', 'report-builder.js', 'tracking.js', 'evidence.js', 'heap-profiler.js'])
      expect(agentModules).not.toContain(lazy);
  });

  it("LEAKWATCH_CONTROL=false: none of the control channel's modules is loaded", async () => {
    const control = /[\\/]dist[\\/]agent[\\/]control[a-z-]*\.js$/;
    expect(
      (await loadedBy({}))
        .filter((m) => control.test(m))
        .map((m) => path.basename(m))
        .sort(),
    ).toEqual(['control-files.js', 'control-status.js', 'control.js']);
    expect((await loadedBy({ LEAKWATCH_CONTROL: 'false' })).filter((m) => control.test(m))).toEqual([]);
  });

  it('with DogStatsD over UDP only, its module loads and the others stay out', async () => {
    const modules = await loadedBy({ LEAKWATCH_DOGSTATSD: 'udp://127.0.0.1:9' });
    const names = modules
      .filter((m) => CHANNEL_MODULES.test(m))
      .map((m) => path.basename(m))
      .sort();
    expect(names).toEqual([
      'dogstatsd-format.js',
      'dogstatsd-transport.js',
      'dogstatsd.js',
      'metric-attrs.js',
      'metric-histogram.js',
      'metric-names.js',
      'metric-points.js',
    ]);
    expect(modules.filter((m) => LIBRARIES.test(m))).toEqual([]);
  });
});
