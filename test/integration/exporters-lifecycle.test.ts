// Issue 3: exporters never keep the host alive, and stop() releases them.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freeTcpPort, killSurvivors, runNode } from '../helpers';

const closers: (() => void)[] = [];
/** GETs /metrics through `agent` until one answer is 200. */
async function scrapeUntilOk(port: number, agent: http.Agent): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(() => {
  killSurvivors();
  for (const c of closers.splice(0)) c();
});

describe('exporter lifecycle', () => {
  it('with all three channels running and receivers alive, a finished program exits by itself', async () => {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    closers.push(() => udp.close());
    let exports = 0;
    const otlp = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        exports++;
        res.end();
      });
    });
    await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
    closers.push(() => otlp.close());
    const promPort = await freeTcpPort();
    const run = runNode(['-e', 'setTimeout(() => {}, 1200)'], {
      env: {
        LEAKWATCH_DOGSTATSD: `udp://127.0.0.1:${udp.address().port}`,
        LEAKWATCH_PROMETHEUS: `127.0.0.1:${promPort}`,
        LEAKWATCH_OTLP: `http://127.0.0.1:${(otlp.address() as net.AddressInfo).port}/v1/metrics`,
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '200ms',
      },
    });
    // Scrape it while it runs (the keep-alive case is pinned by the next test).
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    await scrapeUntilOk(promPort, agent);
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(exports).toBeGreaterThan(0);
  });

  it("a scraper's keep-alive connection and the server are not active resources of the host", async () => {
    const promPort = await freeTcpPort();
    const run = runNode([path.join(FIXTURES, 'exporters-timers.js')], {
      env: { TIMERS: '1', LEAKWATCH_PROMETHEUS: `127.0.0.1:${promPort}`, LEAKWATCH_INTERVAL: '100ms' },
    });
    await run.waitFor(/ready/);
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    await scrapeUntilOk(promPort, agent);
    await new Promise((r) => setImmediate(r));
    // The connection is still open, idle in the scraper's pool.
    expect(Object.values(agent.freeSockets).flat().length).toBe(1);
    run.child.kill('SIGUSR2');
    const m = await run.waitFor(/^resources (.*)$/m);
    const resources = JSON.parse(m[1] as string) as string[];
    expect(resources).toContain('Timeout');
    expect(resources.filter((r) => r.startsWith('TCP'))).toEqual([]);
  });

  it('stop() closes the Prometheus port and lets the program exit', async () => {
    const promPort = await freeTcpPort();
    const run = runNode([path.join(FIXTURES, 'exporters-lifecycle.js')], {
      preload: false,
      env: {
        PROM_PORT: String(promPort),
        DD_URL: 'udp://127.0.0.1:9',
        OTLP_URL: `http://127.0.0.1:${await freeTcpPort()}/v1/metrics`,
      },
    });
    const m = await run.waitFor(/^(\{"before".*)$/m);
    const r = JSON.parse(m[1] as string) as { before: string; after: string; stopMs: number };
    expect(r.before).toBe('open');
    expect(r.after).toBe('ECONNREFUSED');
    expect((await run.exited).code).toBe(0);
  });
});
