/**
 * Issue 7: the control channel of a preloaded agent. status, snapshot and
 * detach work over the private Unix socket with no inspector at all (this
 * file never opens 9229). Each test gets its own TMPDIR, so the socket
 * directory is the test's own.
 */
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseReport } from '../../reports/report-schema';
import { freeTcpPort, killSurvivors, runNode } from '../helpers';
import { get, killCliChildren, runCli, startTarget, waitUntil } from './attach-helpers';

const uid = process.getuid?.() ?? -1;
const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-ctl-'));
  tmpDirs.push(d);
  return d;
}

afterEach(() => {
  killCliChildren();
  killSurvivors();
});
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** One raw request line to a socket; the raw answer line. */
function rawRequest(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let buf = '';
    s.on('connect', () => s.write(line));
    s.on('data', (d: Buffer) => (buf += d.toString()));
    s.on('end', () => resolve(buf));
    s.on('close', () => resolve(buf));
    s.on('error', reject);
  });
}

describe.skipIf(uid < 0)('control channel of a preloaded agent', () => {
  it('status, snapshot and detach without the inspector', async () => {
    const tmp = tmpDir();
    const reports = path.join(tmp, 'reports');
    const env = { TMPDIR: tmp };
    const t = await startTarget('attach-server.js', {
      preload: true,
      env: { ...env, LEAKWATCH_REPORT_DIR: reports, LEAKWATCH_INTERVAL: '100ms' },
    });
    const dir = path.join(tmp, `leakwatch-${uid}`);
    const sock = path.join(dir, `${t.pid}.sock`);
    await waitUntil('the control socket', () => fs.existsSync(sock) || null, 10_000, 20);
    // Private: the directory is 0700 and ours, the socket 0600.
    const dst = fs.lstatSync(dir);
    expect(dst.isDirectory()).toBe(true);
    expect(dst.mode & 0o777).toBe(0o700);
    expect(dst.uid).toBe(uid);
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    expect(fs.lstatSync(sock).mode & 0o777).toBe(0o600);

    const status = await runCli(['status', String(t.pid), '--json'], { env });
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({
      ok: true,
      pid: t.pid,
      mode: 'preloaded',
      version: expect.any(String),
      node: process.version,
      state: 'watching',
      reportDir: reports,
      config: { intervalMs: 100 },
      samples: { 'heap.used': expect.any(Number), rss: expect.any(Number) },
      handles: { TCPServerWrap: 1 },
      reportsWritten: 0,
      reports: [],
    });
    // The agent's own cost, as it timed its ticks; the delay timer of a
    // 100 ms interval stays at 10 ms (the coarse one needs a longer interval).
    const ticked = await waitUntil(
      'two ticks',
      async () => {
        const r = await runCli(['status', String(t.pid), '--json'], { env });
        return (r.json?.ticks as number) >= 2 ? r.json : null;
      },
      10_000,
      100,
    );
    expect(ticked.tickCostTotalUs).toBeGreaterThan(0);
    expect(ticked.lastTickCostUs).toBeGreaterThan(0);
    expect(ticked.lastTickCostUs).toBeLessThanOrEqual(ticked.tickCostTotalUs as number);
    expect(ticked.loopTimerMs).toBe(10);
    const human = await runCli(['status', String(t.pid)], { env });
    expect(human.stdout).toMatch(new RegExp(`leakwatch .* in pid ${t.pid} .*preloaded.*: state watching`));
    expect(human.stdout).toMatch(/samples, 0 errors, own cost \d+ µs a tick on average, \d+ µs the latest\n/);
    expect(human.stdout).toContain('handles TCPServerWrap=1');
    expect(human.stdout).toContain(
      'metrics not sent (no LEAKWATCH_DOGSTATSD, LEAKWATCH_PROMETHEUS or LEAKWATCH_OTLP)\n',
    );

    const snap = await runCli(['snapshot', String(t.pid), '--json'], { env });
    expect(snap.code).toBe(0);
    const file = String(snap.json?.path);
    expect(path.dirname(file)).toBe(reports);
    expect(parseReport(fs.readFileSync(file, 'utf8'), file)).toMatchObject({ verdict: 'snapshot', pid: t.pid });
    const after = await runCli(['status', String(t.pid), '--json'], { env });
    expect(after.json).toMatchObject({ reportsWritten: 1, reports: [file] });

    const detach = await runCli(['detach', String(t.pid)], { env });
    expect(detach.code).toBe(0);
    await waitUntil('the socket to be removed', () => !fs.existsSync(sock) || null, 10_000, 20);
    const gone = await runCli(['status', String(t.pid), '--json'], { env });
    expect(gone.code).toBe(9);
    expect(gone.json?.code).toBe('LEAKWATCH_ERR_ATTACH_NO_AGENT');
    // The agent's timer is gone too: only the server keeps the loop alive.
    expect((await get(t.port, '/ok')).status).toBe(200);
    // Never through the inspector.
    expect(t.stderr()).not.toContain('Debugger listening');
  });

  it('status names where metrics go and what each channel dropped, never a credential', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const ddPort = udp.address().port;
    const [promPort, closedPort] = [await freeTcpPort(), await freeTcpPort()];
    try {
      const t = await startTarget('attach-server.js', {
        preload: true,
        env: {
          ...env,
          LEAKWATCH_INTERVAL: '100ms',
          LEAKWATCH_FLUSH_INTERVAL: '200ms',
          LEAKWATCH_DOGSTATSD: `udp://127.0.0.1:${ddPort}`,
          LEAKWATCH_PROMETHEUS: String(promPort),
          // Nothing listens there: every export is dropped and counted.
          LEAKWATCH_OTLP: 'true',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector:s3cret@127.0.0.1:${closedPort}`,
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken',
        },
      });
      const json = await waitUntil(
        'an OTLP export dropped',
        async () => {
          const r = await runCli(['status', String(t.pid), '--json'], { env });
          return ((r.json?.exportsDropped as Record<string, number> | undefined)?.otlp ?? 0) > 0 ? r : null;
        },
        15_000,
        100,
      );
      expect(json.stdout).not.toMatch(/s3cret|t0ken/);
      expect(json.json?.config).toMatchObject({
        otlp: { url: `http://***:***@127.0.0.1:${closedPort}/v1/metrics`, headers: { authorization: '***' } },
      });
      expect(json.json?.exportsDropped).not.toHaveProperty('dogstatsd');
      const human = await runCli(['status', String(t.pid)], { env });
      expect(human.stdout).not.toMatch(/s3cret|t0ken/);
      expect(human.stdout).toMatch(
        new RegExp(
          `\\n  metrics dogstatsd udp://127\\.0\\.0\\.1:${ddPort}, prometheus http://127\\.0\\.0\\.1:${promPort}/metrics, otlp http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/v1/metrics \\(\\d+ sends? dropped\\)\\n`,
        ),
      );
    } finally {
      udp.close();
    }
  });

  it('the socket is removed when the process exits, and a stale one is cleaned up', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const dir = path.join(tmp, `leakwatch-${uid}`);
    const run = runNode(['-e', 'console.log(process.pid); setTimeout(() => {}, 1500)'], { env });
    const pid = Number((await run.waitFor(/^(\d+)\n/))[1]);
    const sock = path.join(dir, `${pid}.sock`);
    await waitUntil('the control socket', () => fs.existsSync(sock) || null, 10_000, 20);
    // The control server does not keep the process alive.
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(sock)).toBe(false);

    // SIGKILL leaves the file behind; status says so and removes it.
    const killed = await startTarget('attach-server.js', { preload: true, env });
    const stale = path.join(dir, `${killed.pid}.sock`);
    await waitUntil('the control socket', () => fs.existsSync(stale) || null, 10_000, 20);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(fs.existsSync(stale)).toBe(true);
    const r = await runCli(['status', String(killed.pid), '--json'], { env });
    expect(r.code).toBe(3);
    expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_ESRCH');
    expect(fs.existsSync(stale)).toBe(false);

    // A stale file whose pid now belongs to a live process (pid reuse):
    // nobody listens, so it is no agent, and the file goes.
    const reuser = spawn('sleep', ['30'], { stdio: 'ignore', env: { ...process.env, TMPDIR: tmp } });
    const reused = path.join(dir, `${reuser.pid}.sock`);
    const lingering = runNode(
      ['-e', `require('net').createServer().listen(${JSON.stringify(reused)}, () => console.log('up'))`],
      { preload: false },
    );
    await lingering.waitFor(/up/);
    lingering.child.kill('SIGKILL');
    await lingering.exited;
    expect(fs.existsSync(reused)).toBe(true);
    const r2 = await runCli(['status', String(reuser.pid), '--json'], { env });
    reuser.kill('SIGKILL');
    expect(r2.code).toBe(9);
    expect(String(r2.json?.message)).toContain('stale control socket');
    expect(fs.existsSync(reused)).toBe(false);

    // An agent starting in the same directory removes sockets of dead pids.
    const dead = path.join(dir, `${killed.pid}.sock`);
    const lingering2 = runNode(
      ['-e', `require('net').createServer().listen(${JSON.stringify(dead)}, () => console.log('up'))`],
      { preload: false },
    );
    await lingering2.waitFor(/up/);
    lingering2.child.kill('SIGKILL');
    await lingering2.exited;
    expect(fs.existsSync(dead)).toBe(true);
    const fresh = await startTarget('attach-server.js', { preload: true, env });
    await waitUntil(
      "the new agent's socket",
      () => fs.existsSync(path.join(dir, `${fresh.pid}.sock`)) || null,
      10_000,
      20,
    );
    // In the background: only once the socket refuses a connection.
    await waitUntil("the dead peer's socket to go", () => !fs.existsSync(dead) || null, 10_000, 20);
  });

  it('a control directory that is not private is refused; the agent keeps running', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const dir = path.join(tmp, `leakwatch-${uid}`);
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    const t = await startTarget('attach-server.js', { preload: true, env: { ...env, LEAKWATCH_DEBUG: '1' } });
    await t.waitFor(/error in control: .*has mode 755, expected 700/, 'stderr');
    expect(fs.readdirSync(dir)).toEqual([]);
    const r = await runCli(['status', String(t.pid), '--json'], { env });
    expect(r.code).toBe(9);
    await t.waitFor(/tick \d+/, 'stderr');
    expect((await get(t.port, '/ok')).status).toBe(200);
  });

  it('a control directory that is a symlink is refused, even to a private directory', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const real = path.join(tmp, 'elsewhere');
    fs.mkdirSync(real, { mode: 0o700 });
    fs.symlinkSync(real, path.join(tmp, `leakwatch-${uid}`));
    const t = await startTarget('attach-server.js', { preload: true, env: { ...env, LEAKWATCH_DEBUG: '1' } });
    await t.waitFor(/error in control: .*is not a directory/, 'stderr');
    expect(fs.readdirSync(real)).toEqual([]);
    expect((await runCli(['status', String(t.pid)], { env })).code).toBe(9);
    expect((await get(t.port, '/ok')).status).toBe(200);
  });

  it('LEAKWATCH_CONTROL=false opens no socket', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const t = await startTarget('attach-server.js', {
      preload: true,
      env: { ...env, LEAKWATCH_CONTROL: 'false', LEAKWATCH_DEBUG: '1' },
    });
    await t.waitFor(/tick 2 /, 'stderr');
    expect(fs.existsSync(path.join(tmp, `leakwatch-${uid}`, `${t.pid}.sock`))).toBe(false);
    const r = await runCli(['snapshot', String(t.pid), '--json'], { env });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('add --inspector');
  });

  it('bad request lines get an error answer and the agent keeps answering', async () => {
    const tmp = tmpDir();
    const env = { TMPDIR: tmp };
    const t = await startTarget('attach-server.js', { preload: true, env });
    const sock = path.join(tmp, `leakwatch-${uid}`, `${t.pid}.sock`);
    await waitUntil('the control socket', () => fs.existsSync(sock) || null, 10_000, 20);
    expect(JSON.parse(await rawRequest(sock, 'hello\n'))).toMatchObject({
      ok: false,
      code: 'LEAKWATCH_ERR_CONTROL_REQUEST',
    });
    expect(JSON.parse(await rawRequest(sock, '{"cmd":"rm -rf"}\n'))).toMatchObject({
      ok: false,
      code: 'LEAKWATCH_ERR_CONTROL_REQUEST',
      message: expect.stringContaining('unknown command'),
    });
    // No newline within the size cap: refused, not buffered forever.
    expect(JSON.parse(await rawRequest(sock, 'x'.repeat(5_000)))).toMatchObject({ ok: false });
    expect((await runCli(['status', String(t.pid)], { env })).code).toBe(0);
  });
});

describe('CLI help and the --name=value form', () => {
  it('--help prints the usage on stdout, exit 0, for each of attach, status, snapshot and detach', async () => {
    for (const command of ['attach', 'status', 'snapshot', 'detach']) {
      const r = await runCli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain('leakwatch attach <pid>');
    }
  });

  it('--timeout=2s is read as --timeout 2s', async () => {
    // No process 4194304 (the highest pid Linux allows): the pid check answers, not the parser.
    const r = await runCli(['status', '4194304', '--timeout=2s', '--json']);
    expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_ESRCH');
  });
});

describe('CLI usage errors: exit 2, LEAKWATCH_ERR_USAGE', () => {
  const cases: string[][] = [
    ['attach'],
    ['attach', 'abc'],
    ['attach', '0'],
    ['attach', '123', '456'],
    ['attach', '123', '--window'],
    ['attach', '123', '--window', 'forever'],
    ['attach', '123', '--bogus'],
    ['status', '123', '--window', '5m'],
    ['status', '123', '--window=5m'],
    ['attach', '123', '--window=forever'],
    ['status', '123', '--inspector=no'],
    ['detach', '--json'],
  ];
  for (const args of cases) {
    it(`leakwatch ${args.join(' ')}`, async () => {
      const r = await runCli([...args, '--json']);
      expect(r.code).toBe(2);
      expect(r.json?.code).toBe('LEAKWATCH_ERR_USAGE');
      expect(r.stderr).toContain('usage:');
    });
  }
});
