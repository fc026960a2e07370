// Issue 3: with the receiver down, the port taken or the host unresolvable,
// the child runs normally, says so in one clear line per failure in debug
// mode, and counts every failure in its own metrics.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, freeTcpPort, killSurvivors, runNode } from '../helpers';
import { tempDir } from '../support/temp';

const FIXTURE = path.join(FIXTURES, 'exporters-timers.js');
/**
 * Unresolvable without any network traffic: glibc rejects the empty label
 * before asking a DNS server (checked with strace: no packet to port 53).
 */
const UNRESOLVABLE = 'a..b';
/**
 * For DogStatsD, whose host is checked at start (`a..b` is refused there):
 * a well-formed one-label name that glibc's HOSTALIASES file turns into
 * `a..b` before any query, so it fails as ENOTFOUND with no packet sent
 * (checked with strace: no connect to port 53; without the alias file
 * the same lookup asks the system's resolver).
 */
const UNRESOLVABLE_NAME = 'leakwatch-nowhere';

const closers: (() => void)[] = [];
afterEach(() => {
  killSurvivors();
  for (const c of closers.splice(0)) c();
});

function hostAliases(): string {
  const dir = tempDir('lw-aliases-');
  const file = path.join(dir, 'aliases');
  fs.writeFileSync(file, `${UNRESOLVABLE_NAME} ${UNRESOLVABLE}\n`);
  closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A loopback port held by a server of this test (closed after it). */
async function takenPort(): Promise<number> {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  closers.push(() => taken.close());
  return (taken.address() as net.AddressInfo).port;
}

interface Outcome {
  code: number | null;
  self: { errors: number; exportsDropped: number; exportsDroppedByChannel: Record<string, number>; ticks: number };
  stderr: string;
}

/** Runs the fixture for a while with `env`, debug on; returns its own counters. */
async function runFor(env: Record<string, string>, ms = 1_500, register?: string): Promise<Outcome> {
  const run = runNode(register === undefined ? [FIXTURE] : ['--require', register, FIXTURE], {
    preload: register === undefined,
    env: {
      TIMERS: '2',
      EXIT_AFTER_MS: String(ms),
      LEAKWATCH_DEBUG: '1',
      LEAKWATCH_INTERVAL: '100ms',
      LEAKWATCH_FLUSH_INTERVAL: '200ms',
      ...env,
    },
  });
  const m = await run.waitFor(/^(\{"self".*)$/m);
  const { code } = await run.exited;
  const { self } = JSON.parse(m[1] as string) as { self: Outcome['self'] };
  return { code, self, stderr: run.stderr() };
}

/**
 * leakwatch installed in a new directory, as `npm install` would put it,
 * with `unix-dgram` absent (its native build failed, so npm skipped the
 * optional dependency) or present with a build that cannot be loaded (as
 * one for another Node version after an upgrade); returns its preload.
 */
function installedCopy(unixDgram: 'absent' | 'unloadable'): string {
  const modules = path.join(tempDir('lw-installed-'), 'node_modules');
  const pkg = path.join(modules, 'leakwatch');
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  if (unixDgram === 'unloadable') {
    for (const name of ['unix-dgram', 'bindings', 'file-uri-to-path'])
      fs.cpSync(path.join(ROOT, 'node_modules', name), path.join(modules, name), { recursive: true });
    fs.writeFileSync(path.join(modules, 'unix-dgram/build/Release/unix_dgram.node'), 'not a shared object');
  }
  return path.join(pkg, 'dist/agent/register.js');
}

/** The debug lines about dropped sends, and the sum of what they count. */
function dropLines(stderr: string, where: string): { lines: string[]; total: number } {
  const lines = stderr.split('\n').filter((l) => l.includes(`${where}: dropped `));
  const total = lines.reduce((a, l) => a + Number(/dropped (\d+) /.exec(l)?.[1] ?? NaN), 0);
  return { lines, total };
}

function expectNoStackTraces(stderr: string): void {
  expect(stderr.split('\n').filter((l) => /^\s+at /.test(l))).toEqual([]);
}

describe('exporter failures', () => {
  it('DogStatsD receiver down: datagrams refused are counted, one line per flush', async () => {
    const port = await freeUdpPort();
    const out = await runFor({ LEAKWATCH_DOGSTATSD: `udp://127.0.0.1:${port}` });
    expect(out.code).toBe(0);
    expect(out.self.ticks).toBeGreaterThan(5);
    const { lines, total } = dropLines(out.stderr, `dogstatsd udp://127.0.0.1:${port}`);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain(`(ECONNREFUSED: nothing listens on udp://127.0.0.1:${port})`);
    expect(total).toBe(out.self.exportsDropped);
    expect(out.self.exportsDropped).toBeGreaterThan(0);
    expectNoStackTraces(out.stderr);
  });

  it('DogStatsD receiver down: every datagram handed to the kernel is counted as dropped, not every other one', async () => {
    // A connected UDP socket holds one pending error: a send that fails with
    // ECONNREFUSED was not sent, and reports an earlier one that was lost.
    const port = await freeUdpPort();
    const run = runNode([path.join(FIXTURES, 'dogstatsd-refused-count.js')], {
      preload: false,
      env: { STATSD_PORT: String(port) },
    });
    const m = await run.waitFor(/^(\{"sent".*)$/m);
    const { sent, dropped } = JSON.parse(m[1] as string) as { sent: number; dropped: number };
    expect(sent).toBeGreaterThan(5);
    // The last datagram's refusal may arrive after the socket closed.
    expect(dropped).toBeGreaterThanOrEqual(sent - 1);
    expect(dropped).toBeLessThanOrEqual(sent);
  });

  it('DogStatsD host unresolvable: every flush is counted as dropped', async () => {
    const out = await runFor({ LEAKWATCH_DOGSTATSD: `udp://${UNRESOLVABLE_NAME}:8125`, HOSTALIASES: hostAliases() });
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `dogstatsd udp://${UNRESOLVABLE_NAME}:8125`);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.some((l) => l.includes(`(ENOTFOUND connecting to udp://${UNRESOLVABLE_NAME}:8125)`))).toBe(true);
    expect(total).toBe(out.self.exportsDropped);
    expect(out.self.exportsDropped).toBeGreaterThan(0);
    expectNoStackTraces(out.stderr);
  });

  it('DogStatsD Unix socket missing: counted, the child runs on', async () => {
    const sock = path.join(tempDir('lw-uds-'), 'absent.socket');
    const out = await runFor({ LEAKWATCH_DOGSTATSD: `unix://${sock}` });
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `dogstatsd unix://${sock}`);
    expect(lines.length).toBeGreaterThan(0);
    // Named as Node names it, not as unix-dgram's errno number (-2).
    for (const l of lines) expect(l).toContain(`(ENOENT on unix://${sock})`);
    expect(total).toBe(out.self.exportsDropped);
    expect(out.self.exportsDropped).toBeGreaterThan(0);
    expectNoStackTraces(out.stderr);
  });

  for (const [state, reason] of [
    ['absent', /unix-dgram, an optional dependency, is not installed \(`npm install unix-dgram`\)/],
    [
      'unloadable',
      /unix-dgram could not be loaded \(.*unix_dgram\.node.* `npm rebuild unix-dgram` builds it for this Node\)/,
    ],
  ] as const) {
    it(`DogStatsD Unix socket with unix-dgram ${state}: one line without debug, every flush counted, the child runs on`, async () => {
      const sock = path.join(tempDir('lw-uds-'), 'dsd.socket');
      const register = installedCopy(state);
      const quiet = await runFor({ LEAKWATCH_DOGSTATSD: `unix://${sock}`, LEAKWATCH_DEBUG: '0' }, 1_500, register);
      expect(quiet.code).toBe(0);
      const lines = quiet.stderr.split('\n').filter((l) => l.startsWith('leakwatch'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(reason);
      expect(lines[0]).toMatch(new RegExp(`^leakwatch: dogstatsd: .*; cannot send to unix://${sock}$`));
      expect(quiet.self.exportsDropped).toBeGreaterThan(0);
      const debug = await runFor({ LEAKWATCH_DOGSTATSD: `unix://${sock}` }, 1_500, register);
      const { lines: drops, total } = dropLines(debug.stderr, `dogstatsd unix://${sock}`);
      expect(drops.length).toBeGreaterThan(0);
      for (const l of drops) expect(l).toMatch(reason);
      expect(total).toBe(debug.self.exportsDropped);
      expectNoStackTraces(debug.stderr);
    });
  }

  it('Prometheus port already taken: one line, one counted error, the host keeps running', async () => {
    const port = await takenPort();
    const out = await runFor({ LEAKWATCH_PROMETHEUS: `127.0.0.1:${port}` });
    expect(out.code).toBe(0);
    const lines = out.stderr.split('\n').filter((l) => l.includes('prometheus'));
    expect(lines).toEqual([
      expect.stringContaining(
        `error in prometheus: EADDRINUSE: cannot serve /metrics on 127.0.0.1:${port} (port already taken)`,
      ),
    ]);
    // Counted in the agent's own errors (other parts of the agent report theirs with their own lines).
    const otherErrors = out.stderr
      .split('\n')
      .filter((l) => l.includes(': error in ') && !l.includes('error in prometheus')).length;
    expect(out.self.errors).toBe(1 + otherErrors);
    expectNoStackTraces(out.stderr);
  });

  it('Prometheus port already taken, debug off: still one line on stderr, the endpoint is not silently missing', async () => {
    const port = await takenPort();
    const out = await runFor({ LEAKWATCH_PROMETHEUS: `127.0.0.1:${port}`, LEAKWATCH_DEBUG: '0' });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(
      `leakwatch: prometheus: EADDRINUSE: cannot serve /metrics on 127.0.0.1:${port} (port already taken); Prometheus endpoint off\n`,
    );
    expect(out.self.errors).toBe(1);
  });

  // What this pins: with the control channel off, the line lost its
  // "(port already taken)" when the cluster verdict moved to the next tick.
  it('Prometheus port already taken with LEAKWATCH_CONTROL=false: the same line', async () => {
    const port = await takenPort();
    const out = await runFor({
      LEAKWATCH_PROMETHEUS: `127.0.0.1:${port}`,
      LEAKWATCH_DEBUG: '0',
      LEAKWATCH_CONTROL: 'false',
    });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(
      `leakwatch: prometheus: EADDRINUSE: cannot serve /metrics on 127.0.0.1:${port} (port already taken); Prometheus endpoint off\n`,
    );
    expect(out.self.errors).toBe(1);
  });

  it('OTLP receiver down: each failed export is counted', async () => {
    const port = await freeTcpPort();
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    const out = await runFor({ LEAKWATCH_OTLP: url });
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `otlp ${url}`);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toContain(`(ECONNREFUSED posting to ${url})`);
    expect(total).toBe(out.self.exportsDropped);
    // Counted against the channel that lost them.
    expect(out.self.exportsDroppedByChannel).toEqual({ otlp: out.self.exportsDropped });
    expectNoStackTraces(out.stderr);
  });

  it('OTLP collector that never accepts the connection: cut short, counted, and the app still exits by itself', async () => {
    // Without the connect deadline the pending connect holds the app until
    // the kernel gives up (about 2 minutes).
    const peer = runNode([path.join(FIXTURES, 'unaccepting-listener.js')], { preload: false });
    const port = Number((await peer.waitFor(/^PORT (\d+)$/m))[1]);
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    const app = runNode(['-e', 'setTimeout(() => {}, 1500)'], {
      env: { LEAKWATCH_DEBUG: '1', LEAKWATCH_OTLP: url, LEAKWATCH_FLUSH_INTERVAL: '400ms' },
    });
    const { code, signal } = await app.exited;
    expect({ code, signal }, app.stderr()).toEqual({ code: 0, signal: null });
    const { lines } = dropLines(app.stderr(), `otlp ${url}`);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.endsWith(`(no connection to ${url} within 200ms)`))).toBe(true);
    expectNoStackTraces(app.stderr());
  }, 30_000);

  it('OTLP collector that answers byte by byte: the export is cut at its deadline, later flushes still go out', async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(200);
      const drip = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/metrics`;
    const out = await runFor({ LEAKWATCH_OTLP: url, LEAKWATCH_FLUSH_INTERVAL: '500ms' }, 2_500);
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `otlp ${url}`);
    expect(lines.some((l) => l.endsWith(`(no answer from ${url} within 500ms)`))).toBe(true);
    expect(total).toBe(out.self.exportsDropped);
    // Not stalled behind the first one.
    expect(requests).toBeGreaterThanOrEqual(2);
  });

  it('OTLP host unresolvable: counted as ENOTFOUND', async () => {
    const url = `http://${UNRESOLVABLE}:4318/v1/metrics`;
    const out = await runFor({ LEAKWATCH_OTLP: url });
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `otlp ${url}`);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain(`(ENOTFOUND posting to ${url})`);
    expect(total).toBe(out.self.exportsDropped);
  });

  it('OTLP receiver answering 500: counted with the status', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500);
        res.end('no');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/metrics`;
    const out = await runFor({ LEAKWATCH_OTLP: url, LEAKWATCH_FLUSH_INTERVAL: '500ms' }, 2_500);
    expect(out.code).toBe(0);
    const { lines, total } = dropLines(out.stderr, `otlp ${url}`);
    expect(lines.some((l) => l.includes(`(HTTP 500 from ${url})`))).toBe(true);
    // On a loaded machine an answer can also miss its deadline (the flush
    // interval): that is counted too, with its own reason.
    for (const l of lines)
      expect(l).toMatch(
        new RegExp(`\\((HTTP 500 from|no answer from) ${url.replace(/[.]/g, '\\.')}( within 500ms)?\\)$`),
      );
    expect(total).toBe(out.self.exportsDropped);
  });
});
