// The Prometheus endpoint of a node:cluster service, every process preloaded
// with the same LEAKWATCH_PROMETHEUS. What this pins: a worker's listen()
// was made through the primary and shared, so scrapes were handed
// round-robin to a different worker each time, silently; now one process
// holds the port and serves every process's metrics, labelled by pid.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freeTcpPort, killSurvivors, REGISTER, type Run, runNode } from '../helpers';
import { tempDir } from '../support/temp';
import { until } from '../support/until';
import { PROMETHEUS, startPrometheus } from '../support/prometheus';
import { listeningPortsOf, socketInodesOf } from '../../agent/attach-proc';
import { controlSocketPath, currentUid } from '../../agent/control-files';

const FIXTURE = path.join(FIXTURES, 'cluster-service.js');
const PROMTOOL_BIN = '/usr/bin/promtool';

const runs: Run[] = [];
afterEach(async () => {
  // SIGTERM lets the primary kill its workers; the survivors' kill is the backstop.
  for (const r of runs.splice(0)) r.child.kill('SIGTERM');
  killSurvivors();
});

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The value of each sample of `name` by its pid label. */
function byPid(text: string, name: string, labels = ''): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}\\{pid="(\\d+)"${labels}\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

async function startCluster(
  env: Record<string, string>,
  workersOnly: boolean,
): Promise<{ run: Run; workers: number[]; metricsPort: number }> {
  const metricsPort = await freeTcpPort();
  const run = runNode([FIXTURE], {
    preload: !workersOnly,
    env: {
      APP_PORT: String(await freeTcpPort()),
      LEAKWATCH_PROMETHEUS: `127.0.0.1:${metricsPort}`,
      LEAKWATCH_INTERVAL: '200ms',
      ...(workersOnly ? { LW_WORKERS_ONLY: REGISTER } : {}),
      ...env,
    },
  });
  runs.push(run);
  const m = await run.waitFor(/^ready (\[.*\])$/m, 'stdout', 30_000);
  return { run, workers: JSON.parse(m[1] as string) as number[], metricsPort };
}

describe('Prometheus endpoint in a cluster', () => {
  it('serves every worker from one port, each sample labelled with its pid (workers preloaded, primary not)', async () => {
    const { workers, metricsPort } = await startCluster({ WORKERS: '3' }, true);
    const all = [...workers].sort((a, b) => a - b);
    // Each scrape holds all three workers, not one of them in turn.
    const first = await until('all three workers in one scrape', async () => {
      const t = await scrape(metricsPort);
      const timeouts = byPid(t, 'nodejs_active_handles', ',type="Timeout"');
      return all.every((p) => timeouts.has(p)) ? t : undefined;
    });
    // promtool parses it as Prometheus would: exit 1 is a parse error (a
    // family declared twice); exit 3 is naming lint only, which prom-client's
    // own *_total gauge names draw.
    const lint = spawnSync(PROMTOOL_BIN, ['check', 'metrics'], { input: first, encoding: 'utf8' });
    expect(lint.status, `promtool check metrics: ${lint.stdout}${lint.stderr}`).not.toBe(1);
    expect(`${lint.stdout}${lint.stderr}`).not.toContain('error while linting');
    const holder = workers.find((p) => listensOn(p, metricsPort)) as number;
    let droppedBefore = 0;
    for (let i = 0; i < 4; i++) {
      const t = i === 0 ? first : await scrape(metricsPort);
      // Every worker is in it, or (a peer slower than 2 s on a loaded
      // machine) counted as left out by the holder: never silently missing.
      const present = [...byPid(t, 'nodejs_heap_size_used_bytes').keys()];
      const dropped = byPid(t, 'leakwatch_exports_dropped_by_channel_total', ',channel="prometheus"').get(holder) ?? 0;
      expect(present).toContain(holder);
      expect(all).toEqual(expect.arrayContaining(present));
      expect(dropped - droppedBefore).toBeGreaterThanOrEqual(all.length - present.length);
      droppedBefore = dropped;
      // Every sample carries a pid; every family has one header.
      const samples = t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(samples.filter((l) => !/\{pid="\d+"/.test(l))).toEqual([]);
      const types = [...t.matchAll(/^# TYPE (\S+) /gm)].map((f) => f[1]);
      expect(types.filter((f, j) => types.indexOf(f) !== j)).toEqual([]);
    }
    // Worker n holds n intervals: the per-pid counts are each worker's own.
    const timeouts = byPid(first, 'nodejs_active_handles', ',type="Timeout"');
    const [w1, w2, w3] = workers.map((p) => timeouts.get(p) as number);
    expect([(w2 as number) - (w1 as number), (w3 as number) - (w2 as number)]).toEqual([1, 1]);
    // Exactly one worker holds the port, and each worker its own control
    // socket: a shared listen would have left both in the primary.
    expect(workers.filter((p) => listensOn(p, metricsPort))).toEqual([holder]);
    for (const p of workers) expect(holdsUnixSocket(p, controlSocketPath(p)), `control socket of ${p}`).toBe(true);
  });

  it('is served by the primary when it runs an agent too, and each worker says so on stderr', async () => {
    const { run, workers, metricsPort } = await startCluster({ WORKERS: '2' }, false);
    const primary = run.child.pid as number;
    const t = await until('primary and workers in one scrape', async () => {
      const text = await scrape(metricsPort);
      return byPid(text, 'nodejs_heap_size_used_bytes').size === 3 ? text : undefined;
    });
    expect([...byPid(t, 'nodejs_heap_size_used_bytes').keys()].sort((a, b) => a - b)).toEqual(
      [primary, ...workers].sort((a, b) => a - b),
    );
    for (const w of workers) {
      await run.waitFor(new RegExp(`holds it serves this process's metrics, labelled pid="${w}"`), 'stderr');
    }
    expect(run.stderr()).not.toContain('Prometheus endpoint off');
  });

  it('leaves out a worker that does not answer in time, and counts it as dropped', async () => {
    const { run, workers, metricsPort } = await startCluster({ WORKERS: '2', BLOCK_MS: '8000' }, true);
    await until('both workers', async () => {
      const t = await scrape(metricsPort);
      return byPid(t, 'nodejs_heap_size_used_bytes').size === 2 ? t : undefined;
    });
    // Which worker holds the port is up to the race at start-up: block the other.
    const holder = workers.find((p) => listensOn(p, metricsPort));
    const blocked = workers.find((p) => p !== holder) as number;
    process.kill(blocked, 'SIGUSR2');
    await run.waitFor(new RegExp(`^blocking ${blocked}$`, 'm'), 'stdout');
    const t = await scrape(metricsPort);
    expect([...byPid(t, 'nodejs_heap_size_used_bytes').keys()]).toEqual([holder]);
    const dropped = byPid(t, 'leakwatch_exports_dropped_by_channel_total', ',channel="prometheus"');
    expect(dropped.get(holder as number)).toBeGreaterThanOrEqual(1);
  });

  it('leaves out a worker that serves another address, without counting it', async () => {
    const ownPort = await freeTcpPort();
    const { workers, metricsPort } = await startCluster(
      { WORKERS: '3', WORKER2_PROMETHEUS: `127.0.0.1:${ownPort}` },
      true,
    );
    const [w1, w2, w3] = workers as [number, number, number];
    const t = await until('workers 1 and 3', async () => {
      const text = await scrape(metricsPort);
      return byPid(text, 'nodejs_heap_size_used_bytes').size === 2 ? text : undefined;
    });
    expect([...byPid(t, 'nodejs_heap_size_used_bytes').keys()].sort((a, b) => a - b)).toEqual(
      [w1, w3].sort((a, b) => a - b),
    );
    expect(t).not.toContain('leakwatch_exports_dropped_by_channel_total');
    // Worker 2 serves itself alone: nobody else has its address, so no pid
    // label. Its heap series appear with its first tick, which under load can
    // come after the other two workers' (a CI run scraped it at 0 ticks).
    const own = await until('worker 2 ticking', async () => {
      const text = await scrape(ownPort);
      return /^leakwatch_ticks_total [1-9]\d*$/m.test(text) ? text : undefined;
    });
    expect(own).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
    expect(own).not.toContain('pid="');
    expect(listensOn(w2, ownPort)).toBe(true);
  });

  it('is served again by another worker when the one that held the port is gone', async () => {
    const { run, workers, metricsPort } = await startCluster({ WORKERS: '2' }, true);
    await until('both workers', async () => {
      const t = await scrape(metricsPort);
      return byPid(t, 'nodejs_heap_size_used_bytes').size === 2 ? t : undefined;
    });
    const holder = workers.find((p) => listensOn(p, metricsPort)) as number;
    const survivor = workers.find((p) => p !== holder) as number;
    process.kill(holder, 'SIGKILL');
    // The survivor tries again every 10 s; its series keep their pid label.
    const t = await until(
      'the survivor serving',
      async () => {
        const text = await scrape(metricsPort);
        return byPid(text, 'nodejs_heap_size_used_bytes').has(survivor) ? text : undefined;
      },
      40_000,
    );
    expect([...byPid(t, 'nodejs_heap_size_used_bytes').keys()]).toEqual([survivor]);
    expect(listensOn(survivor, metricsPort)).toBe(true);
    await run.waitFor(/prometheus: now serving \/metrics on 127\.0\.0\.1:\d+, with its peers/, 'stderr');
    // Its tries while the port was held said nothing more.
    expect(run.stderr().match(/EADDRINUSE/g)).toHaveLength(1);
  }, 60_000);

  // What this pins: the request to a peer was a ref'd socket, so a process
  // whose own work had ended stayed alive until the peer's 2 s timeout to
  // answer a scrape.
  it('does not keep a finished process alive while it waits for a peer', async () => {
    const tmp = tempDir('lw-holder-');
    const metricsPort = await freeTcpPort();
    const run = runNode([path.join(FIXTURES, 'cluster-holder-exit.js')], {
      env: {
        TMPDIR: tmp,
        CONTROL_DIR: path.dirname(controlSocketPath(0, currentUid(), tmp)),
        LEAKWATCH_PROMETHEUS: `127.0.0.1:${metricsPort}`,
      },
    });
    await run.waitFor(/^peer up$/m);
    // The port accepts (a TCP probe: a scrape would ask the peer already).
    await until('the endpoint', () => tcpAccepts(metricsPort));
    const scrape = fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (r) => r.status,
      () => 'no answer',
    );
    await run.waitFor(/^asked$/m);
    run.child.kill('SIGUSR2');
    // It exits with the scrape still waiting on the silent peer.
    expect((await run.exited).code).toBe(0);
    expect(await scrape).toBe('no answer');
  });

  // .ci/run installs Debian's prometheus package: no skip when it is missing.
  it('is read by a real Prometheus as one series per worker', async () => {
    expect(fs.existsSync(PROMETHEUS), `${PROMETHEUS} (apt-get install prometheus)`).toBe(true);
    const { workers, metricsPort } = await startCluster({ WORKERS: '2' }, true);
    const prom = await startPrometheus('cluster', `127.0.0.1:${metricsPort}`);
    try {
      const series = await until(
        'both workers in Prometheus',
        async () => {
          const r = await prom.query('nodejs_active_handles{job="cluster",type="Timeout"}');
          return r.length === 2 ? r : undefined;
        },
        45_000,
      );
      expect(series.map((s) => Number(s.metric.pid)).sort((a, b) => a - b)).toEqual([...workers].sort((a, b) => a - b));
    } finally {
      await prom.stop();
    }
  }, 60_000);
});

/** Whether `pid` itself holds the listening TCP socket on `port`. */
function listensOn(pid: number, port: number): boolean {
  return listeningPortsOf(pid).some((l) => l.port === port);
}

/** Whether `pid` itself holds the listening Unix socket bound at `file` (/proc/net/unix). */
function holdsUnixSocket(pid: number, file: string): boolean {
  const own = socketInodesOf(pid);
  return fs
    .readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .some((f) => f[7] === file && own.has(f[6] as string));
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`; undefined if not. */
function tcpAccepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(undefined));
  });
}
