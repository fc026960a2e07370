// Issue 3: DogStatsD out of a preloaded child, received by a real UDP
// socket (and a real Unix datagram socket) on this machine.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { tempDir } from '../support/temp';

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');
const UDP_LIMIT = 1432;
const UDS_LIMIT = 8192;

interface Line {
  name: string;
  value: number;
  type: string;
  tags: string[];
}

/** Parses a DogStatsD metric line; throws on anything malformed. */
function parseLine(text: string): Line {
  const m = /^([a-zA-Z][a-zA-Z0-9_.]*):(-?[0-9]+(?:\.[0-9]+)?)\|(g|c|h|d)(?:\|#([^|]+))?$/.exec(text);
  if (m === null) throw new Error(`malformed DogStatsD line: ${JSON.stringify(text)}`);
  return { name: m[1] as string, value: Number(m[2]), type: m[3] as string, tags: m[4] ? m[4].split(',') : [] };
}

class Receiver {
  readonly datagrams: Buffer[] = [];
  private waiters: (() => void)[] = [];
  push(d: Buffer): void {
    this.datagrams.push(d);
    for (const w of this.waiters.slice()) w();
  }
  lines(): string[] {
    return this.datagrams.flatMap((d) => d.toString('utf8').split('\n'));
  }
  metrics(): Line[] {
    return this.lines()
      .filter((l) => !l.startsWith('_e{'))
      .map(parseLine);
  }
  /** Waits until `pred` holds over everything received so far. */
  waitUntil(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; got ${this.lines().length} lines`)),
        timeoutMs,
      );
      const check = () => {
        let ok = false;
        try {
          ok = pred();
        } catch (err) {
          clearTimeout(timer);
          reject(err);
          return;
        }
        if (ok) {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(check), 1);
          resolve();
        }
      };
      this.waiters.push(check);
      check();
    });
  }
}

const sockets: { close(): void }[] = [];

afterEach(() => {
  killSurvivors();
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {
      // closed
    }
  }
});

async function udpReceiver(): Promise<{ port: number; rx: Receiver }> {
  const rx = new Receiver();
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => rx.push(m));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  sockets.push(s);
  return { port: s.address().port, rx };
}

const last = (lines: Line[], name: string, tag?: string) =>
  lines.filter((l) => l.name === name && (tag === undefined || l.tags.includes(tag))).at(-1);

describe('DogStatsD exporter', () => {
  it('sends runtime.node.* metrics with Datadog names, types and tags; Timeout count equals the timers created', async () => {
    const TIMERS = 7;
    const { port, rx } = await udpReceiver();
    const reportDir = tempDir('lw-dd-');
    const run = runNode(['--expose-gc', FIXTURE], {
      env: {
        TIMERS: String(TIMERS),
        SNAPSHOT_AFTER_MS: '1500',
        LEAKWATCH_DOGSTATSD: `udp://127.0.0.1:${port}`,
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '300ms',
        LEAKWATCH_REPORT_DIR: reportDir,
        DD_SERVICE: 'checkout',
        DD_ENV: 'staging',
        DD_VERSION: '1.2.3',
        DD_TAGS: 'team:core,region:eu',
      },
    });
    const ready = await run.waitFor(/ready (\d+)/);
    const pid = ready[1] as string;
    await rx.waitUntil(
      () =>
        rx.metrics().some((l) => l.name === 'leakwatch.agent.reports_written' && l.value === 1) &&
        rx.lines().some((l) => l.startsWith('_e{')) &&
        rx
          .metrics()
          .some(
            (l) => l.name === 'runtime.node.gc.pause.by.type.count' && l.tags.includes('gc_type:mark_sweep_compact'),
          ),
      'a report event, reports_written and a major GC',
    );

    // Every datagram fits the UDP limit, and every line is well formed.
    for (const d of rx.datagrams) expect(d.length).toBeLessThanOrEqual(UDP_LIMIT);
    expect(rx.datagrams.length).toBeGreaterThan(1);
    const lines = rx.metrics();

    // Global tags on every line.
    for (const l of lines) {
      expect(l.tags).toEqual(
        expect.arrayContaining([
          'service:checkout',
          'env:staging',
          'version:1.2.3',
          `pid:${pid}`,
          'team:core',
          'region:eu',
        ]),
      );
    }

    // The Timeout count is exactly what the child created (the agent's own timers are unref'd).
    const timeouts = lines.filter(
      (l) => l.name === 'runtime.node.handles.by.type' && l.tags.includes('handle_type:Timeout'),
    );
    expect(timeouts.length).toBeGreaterThan(0);
    for (const t of timeouts) {
      expect(t.type).toBe('g');
      expect(t.value).toBe(TIMERS);
    }

    // Datadog's names and types.
    const gauges = [
      'runtime.node.mem.heap_used',
      'runtime.node.mem.heap_total',
      'runtime.node.mem.rss',
      'runtime.node.mem.external',
      'runtime.node.heap.total_heap_size',
      'runtime.node.heap.heap_size_limit',
      'runtime.node.cpu.user',
      'runtime.node.cpu.system',
      'runtime.node.cpu.total',
      'runtime.node.event_loop.delay.max',
      'runtime.node.event_loop.delay.avg',
      'runtime.node.event_loop.delay.95percentile',
      'runtime.node.event_loop.utilization',
      'runtime.node.process.uptime',
      'leakwatch.agent.state',
      'leakwatch.agent.tick.duration',
      'runtime.node.gc.pause.max',
      'runtime.node.gc.pause.95percentile',
    ];
    for (const name of gauges) {
      const l = last(lines, name);
      expect(l, name).toBeDefined();
      expect(l?.type, name).toBe('g');
    }
    for (const name of [
      'leakwatch.agent.ticks',
      'leakwatch.agent.errors',
      'leakwatch.agent.exports_dropped',
      'leakwatch.agent.reports_written',
      'runtime.node.gc.pause.count',
      'runtime.node.gc.pause.sum',
    ]) {
      const l = last(lines, name);
      expect(l, name).toBeDefined();
      expect(l?.type, name).toBe('c');
    }

    // Values consistent with the process.
    const used = last(lines, 'runtime.node.mem.heap_used')?.value as number;
    const total = last(lines, 'runtime.node.mem.heap_total')?.value as number;
    const rss = last(lines, 'runtime.node.mem.rss')?.value as number;
    expect(used).toBeGreaterThan(1_000_000);
    expect(used).toBeLessThanOrEqual(total);
    expect(total).toBeLessThan(rss);
    const oldSpace = last(lines, 'runtime.node.heap.used_size.by.space', 'heap_space:old_space');
    expect(oldSpace?.value).toBeGreaterThan(0);
    expect(oldSpace?.value).toBeLessThanOrEqual(total);
    const elu = last(lines, 'runtime.node.event_loop.utilization')?.value as number;
    expect(elu).toBeGreaterThanOrEqual(0);
    expect(elu).toBeLessThanOrEqual(1);
    // Datadog keeps time in nanoseconds: a GC pause of a 20k-object heap is
    // far above 1 µs and far below 10 s.
    const major = last(lines, 'runtime.node.gc.pause.by.type.max', 'gc_type:mark_sweep_compact')?.value as number;
    expect(major).toBeGreaterThan(1_000);
    expect(major).toBeLessThan(10e9);
    // Counters are deltas: the ticks sent add up to at most the ticks run.
    const tickSum = lines.filter((l) => l.name === 'leakwatch.agent.ticks').reduce((a, l) => a + l.value, 0);
    expect(tickSum).toBeGreaterThan(5);
    expect(lines.filter((l) => l.name === 'leakwatch.agent.reports_written').reduce((a, l) => a + l.value, 0)).toBe(1);

    // The report went out as a Datadog event naming the report file.
    const ev = rx.lines().find((l) => l.startsWith('_e{')) as string;
    const head = /^_e\{(\d+),(\d+)\}:/.exec(ev) as RegExpExecArray;
    const payload = Buffer.from(ev.slice(head[0].length));
    const title = payload.subarray(0, Number(head[1])).toString();
    const text = payload.subarray(Number(head[1]) + 1, Number(head[1]) + 1 + Number(head[2])).toString();
    expect(title).toBe('leakwatch: snapshot in checkout');
    expect(text).toContain(reportDir);
    expect(ev).toContain('|t:info|s:leakwatch|');
    expect(ev).toContain(`pid:${pid}`);
  });

  it('LEAKWATCH_DOGSTATSD=true sends where a Datadog user already pointed DD_AGENT_HOST and DD_DOGSTATSD_PORT', async () => {
    const { port, rx } = await udpReceiver();
    runNode([FIXTURE], {
      env: {
        TIMERS: '2',
        LEAKWATCH_DOGSTATSD: 'true',
        DD_AGENT_HOST: '127.0.0.1',
        DD_DOGSTATSD_PORT: String(port),
        DD_ENTITY_ID: 'e6b2f0a1-5c3d-4e2f-9a7b-1c2d3e4f5a6b',
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '200ms',
      },
    });
    await rx.waitUntil(
      () =>
        rx.metrics().some((l) => l.name === 'runtime.node.handles.by.type' && l.tags.includes('handle_type:Timeout')),
      'handles via DD_AGENT_HOST',
    );
    expect(last(rx.metrics(), 'runtime.node.handles.by.type', 'handle_type:Timeout')?.value).toBe(2);
    // Every line carries DD_ENTITY_ID, as Datadog's own clients send it.
    const metrics = rx.metrics();
    expect(metrics.length).toBeGreaterThan(0);
    for (const l of metrics) expect(l.tags).toContain('dd.internal.entity_id:e6b2f0a1-5c3d-4e2f-9a7b-1c2d3e4f5a6b');
  });

  // A typo in DD_DOGSTATSD_URL or DD_AGENT_HOST is named in one line and
  // the metrics still go where the rest of the Datadog settings point.
  for (const [name, value] of [
    ['DD_DOGSTATSD_URL', 'garbage'],
    ['DD_AGENT_HOST', 'not a host'],
  ] as const) {
    it(`LEAKWATCH_DOGSTATSD=true with ${name}=${JSON.stringify(value)} says so once and still sends to 127.0.0.1:DD_DOGSTATSD_PORT`, async () => {
      const { port, rx } = await udpReceiver();
      const run = runNode([FIXTURE], {
        env: {
          TIMERS: '2',
          LEAKWATCH_DOGSTATSD: 'true',
          DD_DOGSTATSD_URL: '',
          DD_AGENT_HOST: '',
          [name]: value,
          DD_DOGSTATSD_PORT: String(port),
          LEAKWATCH_INTERVAL: '100ms',
          LEAKWATCH_FLUSH_INTERVAL: '200ms',
        },
      });
      await rx.waitUntil(
        () => rx.metrics().some((l) => l.name === 'runtime.node.handles.by.type'),
        `metrics despite a bad ${name}`,
      );
      const lines = run.stderr().trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(`^leakwatch: ${name}=${JSON.stringify(value)} is not .*; using (udp://)?127\\.0\\.0\\.1`),
        ),
      ]);
    });
  }

  it('sends over IPv6 loopback (udp://[::1]:port)', async () => {
    const rx = new Receiver();
    const s = dgram.createSocket('udp6');
    s.on('message', (m) => rx.push(m));
    await new Promise<void>((resolve) => s.bind(0, '::1', resolve));
    sockets.push(s);
    runNode([FIXTURE], {
      env: {
        TIMERS: '3',
        LEAKWATCH_DOGSTATSD: `udp://[::1]:${s.address().port}`,
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '200ms',
      },
    });
    await rx.waitUntil(
      () =>
        rx.metrics().some((l) => l.name === 'runtime.node.handles.by.type' && l.tags.includes('handle_type:Timeout')),
      'handles over IPv6',
    );
    expect(last(rx.metrics(), 'runtime.node.handles.by.type', 'handle_type:Timeout')?.value).toBe(3);
    for (const d of rx.datagrams) expect(d.length).toBeLessThanOrEqual(UDP_LIMIT);
  });

  // unix-dgram is an optional dependency (a native build) that npm ci
  // installs here: the test requires it rather than skip.
  it('sends over a Unix datagram socket in datagrams up to 8 KiB, and never keeps the child alive', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const unixDgram = require('unix-dgram') as {
      createSocket(t: 'unix_dgram', fn: (b: Buffer) => void): { bind(p: string): void; close(): void };
    };
    const dir = tempDir('lw-uds-');
    const sock = path.join(dir, 'dsd.socket');
    const rx = new Receiver();
    const server = unixDgram.createSocket('unix_dgram', (b) => rx.push(b));
    server.bind(sock);
    sockets.push(server);
    const run = runNode([FIXTURE], {
      env: {
        TIMERS: '3',
        LEAKWATCH_DOGSTATSD: `unix://${sock}`,
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_FLUSH_INTERVAL: '200ms',
      },
    });
    await rx.waitUntil(
      () =>
        rx.metrics().some((l) => l.name === 'runtime.node.handles.by.type' && l.tags.includes('handle_type:Timeout')),
      'handles over UDS',
    );
    for (const d of rx.datagrams) expect(d.length).toBeLessThanOrEqual(UDS_LIMIT);
    // Bigger datagrams than UDP: one flush of ~90 lines fits in one or two.
    expect(Math.max(...rx.datagrams.map((d) => d.length))).toBeGreaterThan(UDP_LIMIT);
    expect(last(rx.metrics(), 'runtime.node.handles.by.type', 'handle_type:Timeout')?.value).toBe(3);
    run.child.kill('SIGKILL');
    await run.exited;

    // A child with nothing else to do exits by itself even with UDS configured.
    const quick = runNode(['-e', 'setTimeout(() => {}, 700)'], {
      env: { LEAKWATCH_DOGSTATSD: `unix://${sock}`, LEAKWATCH_INTERVAL: '100ms', LEAKWATCH_FLUSH_INTERVAL: '200ms' },
    });
    const { code } = await quick.exited;
    expect(code).toBe(0);
  });
});
