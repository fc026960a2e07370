// Issue 3: the Prometheus endpoint of a preloaded child, scraped by a real
// Prometheus server (Debian's package), queried through its HTTP API; and
// the prom-client registry integration.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freeTcpPort, killSurvivors, runNode } from '../helpers';
import { PROMETHEUS, type PrometheusServer, startPrometheus } from '../support/prometheus';
import { until } from '../support/until';

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');
/** How long the child's endpoint and the Prometheus server get to show a value. */
const WAIT_MS = 45_000;

let prom: PrometheusServer | null = null;
afterEach(async () => {
  killSurvivors();
  await prom?.stop();
  prom = null;
});

async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}

describe('Prometheus exporter', () => {
  // .ci/run installs Debian's prometheus package: no skip when it is missing.
  it('is scraped by a real Prometheus: nodejs_active_handles and heap metrics arrive', async () => {
    expect(fs.existsSync(PROMETHEUS), `${PROMETHEUS} (apt-get install prometheus)`).toBe(true);
    const TIMERS = 6;
    const appPort = await freeTcpPort();
    const run = runNode(['--expose-gc', FIXTURE], {
      env: { TIMERS: String(TIMERS), LEAKWATCH_PROMETHEUS: `127.0.0.1:${appPort}`, LEAKWATCH_INTERVAL: '100ms' },
    });
    await run.waitFor(/ready/);
    // The endpoint itself answers in the exposition format.
    const text = await until(
      'the /metrics endpoint',
      async () => {
        const t = await getText(`http://127.0.0.1:${appPort}/metrics`);
        return t.includes('nodejs_active_handles{type="Timeout"}') ? t : undefined;
      },
      WAIT_MS,
    );
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(text).toContain('# TYPE leakwatch_reports_written_total counter');
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect((await fetch(`http://127.0.0.1:${appPort}/other`)).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${appPort}/metrics`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`http://127.0.0.1:${appPort}/metrics`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);

    prom = await startPrometheus('leakwatch', `127.0.0.1:${appPort}`);
    const query = (q: string) => (prom as PrometheusServer).query(q);

    const handles = await until(
      'nodejs_active_handles in Prometheus',
      async () => {
        const r = await query('nodejs_active_handles{job="leakwatch",type="Timeout"}');
        return r.length > 0 ? r : undefined;
      },
      WAIT_MS,
    );
    expect(Number(handles[0]?.value[1])).toBe(TIMERS);
    const used = await query('nodejs_heap_size_used_bytes{job="leakwatch"}');
    const total = await query('nodejs_heap_size_total_bytes{job="leakwatch"}');
    expect(Number(used[0]?.value[1])).toBeGreaterThan(1_000_000);
    expect(Number(used[0]?.value[1])).toBeLessThanOrEqual(Number(total[0]?.value[1]));
    const spaces = await query('nodejs_heap_space_size_used_bytes{job="leakwatch"}');
    expect(spaces.map((s) => s.metric.space)).toEqual(expect.arrayContaining(['old', 'new', 'code']));
    const state = await query('leakwatch_state{job="leakwatch"}');
    expect(state[0]?.value[1]).toBe('0');
    // Prometheus parsed the histogram: a +Inf bucket equal to the count.
    const inf = await until(
      'GC histogram',
      async () => {
        const r = await query('nodejs_gc_duration_seconds_bucket{job="leakwatch",kind="major",le="+Inf"}');
        return r.length > 0 && Number(r[0]?.value[1]) > 0 ? r : undefined;
      },
      WAIT_MS,
    );
    const count = await query('nodejs_gc_duration_seconds_count{job="leakwatch",kind="major"}');
    expect(Number(inf[0]?.value[1])).toBeLessThanOrEqual(Number(count[0]?.value[1]));
    const up = await query('up{job="leakwatch"}');
    expect(up[0]?.value[1]).toBe('1');
  });

  it("registers into an application's prom-client registry instead of opening a port", async () => {
    const run = runNode([FIXTURE], { env: { TIMERS: '4', PROM_REGISTRY: 'plain', LEAKWATCH_INTERVAL: '100ms' } });
    const m = await run.waitFor(/^(\{"result".*)$/m);
    const { result, text } = JSON.parse(m[1] as string) as {
      result: { registered: string[]; skipped: string[] };
      text: string;
    };
    // prom-client's default-metric names stay free for collectDefaultMetrics().
    expect(result.skipped).toEqual(expect.arrayContaining(['nodejs_active_handles', 'nodejs_gc_duration_seconds']));
    expect(result.registered).toEqual(expect.arrayContaining(['leakwatch_state', 'leakwatch_heap_floor_bytes']));
    expect(text).not.toContain('nodejs_active_handles');
    expect(text).toMatch(/^leakwatch_state 0$/m);
    expect(text).toMatch(/^leakwatch_heap_limit_bytes \d+$/m);
    expect(text).toMatch(/^leakwatch_reports_written_total 0$/m);
    expect((await run.exited).code).toBe(0);
  });

  it("skips the names prom-client's own default metrics already registered", async () => {
    const run = runNode([FIXTURE], { env: { TIMERS: '2', PROM_REGISTRY: 'defaults', LEAKWATCH_INTERVAL: '100ms' } });
    const m = await run.waitFor(/^(\{"result".*)$/m);
    const { result, text } = JSON.parse(m[1] as string) as {
      result: { registered: string[]; skipped: string[] };
      text: string;
    };
    expect(result.skipped).toEqual(
      expect.arrayContaining(['nodejs_heap_size_used_bytes', 'nodejs_active_handles', 'nodejs_gc_duration_seconds']),
    );
    expect(result.registered).toEqual(expect.arrayContaining(['leakwatch_state', 'leakwatch_heap_floor_bytes']));
    expect(text).toMatch(/^leakwatch_state 0$/m);
    expect((await run.exited).code).toBe(0);
  });

  // The crash this pins: collectDefaultMetrics() after registerPrometheusMetrics()
  // threw "A metric with the name process_resident_memory_bytes has already
  // been registered" in the application's start-up.
  it('lets the application call collectDefaultMetrics() after registering', async () => {
    const run = runNode([FIXTURE], {
      env: { TIMERS: '3', PROM_REGISTRY: 'defaults-after', LEAKWATCH_INTERVAL: '100ms' },
    });
    const m = await run.waitFor(/^(\{"result".*)$/m);
    const { result, text } = JSON.parse(m[1] as string) as {
      result: { registered: string[]; skipped: string[] };
      text: string;
    };
    expect(result.skipped).toEqual(
      expect.arrayContaining(['process_resident_memory_bytes', 'nodejs_active_handles', 'nodejs_gc_duration_seconds']),
    );
    expect(text).toContain('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    expect(text).toMatch(/^nodejs_active_resources\{type="Timeout"\} 3$/m);
    expect(text).toMatch(/^leakwatch_state 0$/m);
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((f) => f[1]);
    expect(families.filter((f, i) => families.indexOf(f) !== i)).toEqual([]);
    expect((await run.exited).code).toBe(0);
  });
});
