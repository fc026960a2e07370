/**
 * Issue 7: `leakwatch attach|status|snapshot|detach <pid>` against plain
 * `node server.js` children (no preload). Every test here may open the
 * inspector on 127.0.0.1:9229, so they run one after another, and a
 * machine-wide lock keeps another run of this file off the port meanwhile.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withInspector } from '../../agent/attach';
import { parseReport } from '../../reports/report-schema';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import {
  INSPECTOR_PORT,
  get,
  killCliChildren,
  lockInspectorPort,
  probePort,
  reportsIn,
  runCli,
  startLoad,
  startTarget,
  unlockInspectorPort,
  waitUntil,
  type Target,
} from './attach-helpers';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-attach-'));
  tmpDirs.push(d);
  return d;
}

/** The target answers /ok with 200: it is still serving. */
async function expectServing(t: Target): Promise<void> {
  expect((await get(t.port, '/ok')).status).toBe(200);
  expect(t.child.exitCode).toBe(null);
}

/** 127.0.0.1:9229 refuses connections. */
async function expectInspectorClosed(): Promise<void> {
  expect(await probePort(INSPECTOR_PORT)).toBe('ECONNREFUSED');
}

/** How many times the target said its inspector opened. */
function inspectorOpenings(t: Target): number {
  return t.stderr().split('Debugger listening on').length - 1;
}

beforeAll(async () => {
  await lockInspectorPort(240_000);
  // A port left open by someone else would make every check below lie.
  expect(await probePort(INSPECTOR_PORT)).toBe('ECONNREFUSED');
}, 250_000);

afterAll(() => {
  unlockInspectorPort();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

afterEach(() => {
  killCliChildren();
  killSurvivors();
});

describe.sequential('attach to a running service', () => {
  for (const fixture of ['attach-server.js', 'attach-server.mjs']) {
    // Issue 7 acceptance: attach, drive a leak, get a report; status,
    // snapshot, detach; the inspector port is closed after attach and detach.
    it(`${fixture}: attach, leak, reports, status, snapshot, detach`, async () => {
      const t = await startTarget(fixture);
      const dir = tmpDir();
      const attach = await runCli([
        'attach',
        String(t.pid),
        '--window',
        '5s',
        '--interval',
        '200ms',
        '--report-dir',
        dir,
        '--json',
      ]);
      expect(attach.stderr).toBe('');
      expect(attach.code).toBe(0);
      expect(attach.json).toMatchObject({
        ok: true,
        outcome: 'started',
        pid: t.pid,
        version: expect.any(String),
        config: { windowMs: 5_000, intervalMs: 200, reportDir: dir },
        inspector: { preexisting: false },
      });
      await expectInspectorClosed();
      expect(inspectorOpenings(t)).toBe(1);

      const status = await runCli(['status', String(t.pid), '--json']);
      expect(status.code).toBe(0);
      expect(status.json).toMatchObject({
        ok: true,
        pid: t.pid,
        mode: 'attached',
        state: expect.stringMatching(/^(watching|suspect|leaking|cooldown)$/),
        reportDir: dir,
      });

      // The leak: one interval per request, bounded rate, until a report says so.
      const load = startLoad(t.port, '/leak', 20, 4);
      try {
        // Generous deadline, no timing assertion: the machine is shared.
        const leakReport = await waitUntil(
          'an automatic leak report',
          () =>
            reportsIn(dir)
              .map((f) => parseReport(fs.readFileSync(f, 'utf8'), f))
              .find((r) => r.verdict === 'leaking'),
          90_000,
          250,
        );
        expect(leakReport.pid).toBe(t.pid);
        expect(leakReport.signals.some((s) => s.leaking && s.name === 'handles.Timeout')).toBe(true);
      } finally {
        await load.stop();
      }
      expect(load.failed).toBe(0);

      const snap = await runCli(['snapshot', String(t.pid), '--json']);
      expect(snap.code).toBe(0);
      const file = String(snap.json?.path);
      expect(path.dirname(file)).toBe(dir);
      const report = parseReport(fs.readFileSync(file, 'utf8'), file);
      expect(report).toMatchObject({ verdict: 'snapshot', pid: t.pid });

      const after = await runCli(['status', String(t.pid), '--json']);
      expect(after.json).toMatchObject({ ok: true, reports: expect.arrayContaining([file]) });
      expect(Number(after.json?.reportsWritten)).toBeGreaterThanOrEqual(2);

      const detach = await runCli(['detach', String(t.pid)]);
      expect(detach.code).toBe(0);
      expect(detach.stdout).toMatch(/detached from pid \d+/);
      // After detach: no agent answers, the socket is gone, nothing was opened.
      const gone = await waitUntil(
        'the agent to be gone',
        async () => {
          const r = await runCli(['status', String(t.pid), '--json']);
          return r.code === 9 ? r : null;
        },
        10_000,
      );
      expect(gone.json?.code).toBe('LEAKWATCH_ERR_ATTACH_NO_AGENT');
      await expectInspectorClosed();
      expect(inspectorOpenings(t)).toBe(1);
      await expectServing(t);
    }, 180_000);
  }

  // Issue 7: attaching under bounded load completes and no request fails.
  it('attaching to a service under load: every request succeeds', async () => {
    const t = await startTarget('attach-server.js');
    // One request every 5 ms, at most 8 in flight: a second before the
    // attach, through it, and two seconds after it.
    const load = startLoad(t.port, '/ok', 5, 8);
    await new Promise((r) => setTimeout(r, 1_000));
    await waitUntil('load to flow', () => load.ok > 20 || null, 20_000);
    const okBefore = load.ok;
    const attach = await runCli(['attach', String(t.pid), '--report-dir', tmpDir(), '--json']);
    const okDuring = load.ok - okBefore;
    const okAfterAttach = load.ok;
    await new Promise((r) => setTimeout(r, 2_000));
    await waitUntil('more load after attach', () => load.ok > okAfterAttach + 50 || null, 20_000);
    await load.stop();
    expect(attach.code).toBe(0);
    expect(attach.json).toMatchObject({ ok: true, outcome: 'started' });
    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(okDuring).toBeGreaterThan(0);
    await expectInspectorClosed();
    expect((await runCli(['detach', String(t.pid)])).code).toBe(0);
  });

  // Issue 7: attach twice is a no-op with a message; the second one does
  // not open the inspector (the agent answers on its control socket).
  it('attach twice: the second is a no-op with a message', async () => {
    const t = await startTarget('attach-server.js');
    const dir = tmpDir();
    expect((await runCli(['attach', String(t.pid), '--report-dir', dir])).code).toBe(0);
    const again = await runCli(['attach', String(t.pid), '--window', '1m']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already runs leakwatch .*nothing was changed/);
    expect(inspectorOpenings(t)).toBe(1);
    // The first attach's settings still hold.
    const status = await runCli(['status', String(t.pid), '--json']);
    expect(status.json).toMatchObject({ reportDir: dir, config: { windowMs: 300_000 } });
    await expectInspectorClosed();
    await expectServing(t);
  });

  // Issue 7: "the target continues as if it had never been attached":
  // the same globals, modules, exit listeners and handles as before.
  it('detach leaves the process as it was before the attach', async () => {
    const t = await startTarget('attach-server.mjs');
    const look = async () =>
      (
        await withInspector(t.pid, { timeoutMs: 10_000 }, (evaluate) =>
          evaluate(`JSON.stringify({
      modules: Object.keys(require.cache).filter((k) => k.includes('leakwatch') || k.includes('/dist/')),
      globals: ['agent', 'attached', 'control'].filter((k) => globalThis[Symbol.for('leakwatch.' + k)] !== undefined),
      exitListeners: process.listenerCount('exit'),
      resources: process.getActiveResourcesInfo().sort(),
    })`),
        )
      ).value;
    // Node initialises process.stderr the first time any socket is
    // destroyed (net.js _destroy compares with it); the control socket's
    // connections would do that, as would the service's own clients. Make
    // it happen before the baseline, so the comparison is about leakwatch.
    await new Promise<void>((resolve) =>
      net
        .connect(t.port, '127.0.0.1', function (this: net.Socket) {
          this.end();
        })
        .on('close', () => resolve()),
    );
    await new Promise((r) => setTimeout(r, 200));
    const before = await look();
    expect((await runCli(['attach', String(t.pid), '--report-dir', tmpDir()])).code).toBe(0);
    const during = JSON.parse(String(await look())) as { globals: string[]; modules: string[] };
    expect(during.globals.sort()).toEqual(['agent', 'attached', 'control']);
    expect(during.modules.length).toBeGreaterThan(5);
    expect((await runCli(['detach', String(t.pid)])).code).toBe(0);
    await waitUntil(
      'the agent to be gone',
      async () => ((await runCli(['status', String(t.pid)])).code === 9 ? true : null),
      10_000,
    );
    expect(JSON.parse(String(await look()))).toEqual(JSON.parse(String(before)));
    await expectInspectorClosed();
    await expectServing(t);
  });

  // --duration: the attached agent detaches by itself; the process goes on.
  it('attach --duration: the agent detaches by itself', async () => {
    const t = await startTarget('attach-server.mjs');
    const r = await runCli(['attach', String(t.pid), '--duration', '1s', '--report-dir', tmpDir()]);
    expect(r.code).toBe(0);
    await waitUntil(
      'the agent to detach itself',
      async () => ((await runCli(['status', String(t.pid)])).code === 9 ? true : null),
      30_000,
      200,
    );
    await expectInspectorClosed();
    await expectServing(t);
    // And it can be attached again afterwards.
    expect((await runCli(['attach', String(t.pid), '--json'])).json).toMatchObject({ outcome: 'started' });
    await expectInspectorClosed();
  });

  // Issue 7 failure: no such pid.
  it('no such pid: ESRCH, exit 3', async () => {
    const gone = runNode(['-e', '0'], { preload: false });
    await gone.exited;
    const pid = gone.child.pid as number;
    for (const cmd of ['attach', 'status', 'snapshot', 'detach']) {
      const r = await runCli([cmd, String(pid), '--json']);
      expect(r.code).toBe(3);
      expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_ESRCH');
      expect(r.stderr).toContain(`no process with pid ${pid}`);
    }
    await expectInspectorClosed();
  });

  // Issue 7 failure: not a Node.js process. SIGUSR1 would kill `sleep`;
  // nothing may be sent to it.
  it('not a Node.js process: NOT_NODE, exit 5, the process is unharmed', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await waitUntil(
        'sleep to exec',
        () => (fs.readlinkSync(`/proc/${sleeper.pid}/exe`).endsWith('sleep') ? true : null),
        5_000,
        20,
      );
      const r = await runCli(['attach', String(sleeper.pid), '--json']);
      expect(r.code).toBe(5);
      expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_NOT_NODE');
      expect(r.stderr).toMatch(/is not a Node\.js process .*nothing was sent/);
      await new Promise((res) => setTimeout(res, 200));
      expect(sleeper.exitCode).toBe(null);
      expect(sleeper.signalCode).toBe(null);
      await expectInspectorClosed();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  // Issue 7 failure: another user's process. Only root can run the CLI as
  // another user (uid 65534, "nobody") against its own child.
  it.skipIf(process.getuid?.() !== 0)("another user's process: EPERM, exit 4", async () => {
    const t = await startTarget('attach-server.js');
    for (const cmd of ['attach', 'status']) {
      const r = await runCli([cmd, String(t.pid), '--json'], { uid: 65534 });
      expect(r.code).toBe(4);
      expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_EPERM');
      expect(r.stderr).toMatch(/belongs to another user/);
    }
    expect(inspectorOpenings(t)).toBe(0);
    await expectInspectorClosed();
    await expectServing(t);
  });

  // Root may attach to another user's service; the agent runs as that user,
  // its control socket is under that user's directory, and the CLI finds it.
  it.skipIf(process.getuid?.() !== 0)(
    "root attaches to another user's service and finds its control socket",
    async () => {
      const child = spawn(process.execPath, [path.join(FIXTURES, 'attach-server.js')], {
        uid: 65534,
        gid: 65534,
        cwd: '/',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin' },
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          child.stdout.once('data', (d: Buffer) => resolve(String(d)));
          child.once('exit', () => reject(new Error('target exited')));
        });
        const port = Number(JSON.parse(line).port);
        const dir = tmpDir();
        fs.chownSync(dir, 65534, 65534);
        const r = await runCli(['attach', String(child.pid), '--report-dir', dir, '--json']);
        expect(r.code).toBe(0);
        expect(r.json).toMatchObject({
          outcome: 'started',
          controlSocket: path.join('/tmp', 'leakwatch-65534', `${child.pid}.sock`),
        });
        await expectInspectorClosed();
        const snap = await runCli(['snapshot', String(child.pid), '--json']);
        expect(snap.code).toBe(0);
        expect(fs.statSync(String(snap.json?.path)).uid).toBe(65534);
        expect((await runCli(['detach', String(child.pid)])).code).toBe(0);
        expect((await get(port, '/ok')).status).toBe(200);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  // Issue 7 failure: the inspector port is taken by another process; say which.
  it('the inspector port is taken: PORT_IN_USE names the holder, exit 6', async () => {
    const holder = runNode(
      ['-e', `require('net').createServer().listen(${INSPECTOR_PORT}, '127.0.0.1', () => console.log('listening'))`],
      { preload: false },
    );
    await holder.waitFor(/listening/);
    const t = await startTarget('attach-server.js');
    const r = await runCli(['attach', String(t.pid), '--json']);
    expect(r.code).toBe(6);
    expect(r.json).toMatchObject({
      code: 'LEAKWATCH_ERR_ATTACH_PORT_IN_USE',
      holder: holder.child.pid,
      port: INSPECTOR_PORT,
    });
    expect(r.stderr).toContain(`taken by pid ${holder.child.pid}`);
    expect(r.stderr).toMatch(/stop that process .* then run attach again/);
    // Nothing was sent to the target.
    expect(inspectorOpenings(t)).toBe(0);
    await expectServing(t);
    holder.child.kill('SIGKILL');
    await holder.exited;
    await expectInspectorClosed();
  });

  // Issue 7 failure: a target started with --inspect already. leakwatch uses
  // the user's inspector and leaves it open (it is theirs), on a random port
  // and on the default 9229 alike.
  for (const flag of ['--inspect=127.0.0.1:0', '--inspect']) {
    it(`a target started with ${flag}: its inspector is used and left open`, async () => {
      const t = await startTarget('attach-server.js', { nodeArgs: [flag] });
      await t.waitFor(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 'stderr');
      const userPort = Number(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(t.stderr())?.[1]);
      const r = await runCli(['attach', String(t.pid), '--report-dir', tmpDir(), '--json']);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ ok: true, outcome: 'started', inspector: { preexisting: true } });
      expect(String((r.json?.inspector as { url: string }).url)).toContain(`:${userPort}/`);
      expect(r.stdout).not.toContain('closed again');
      // The user's inspector is still theirs: open, not restarted.
      expect(await probePort(userPort)).toBe('open');
      expect(inspectorOpenings(t)).toBe(1);
      expect((await runCli(['status', String(t.pid)])).code).toBe(0);
      expect((await runCli(['detach', String(t.pid)])).code).toBe(0);
      expect(await probePort(userPort)).toBe('open');
      await expectServing(t);
      if (userPort !== INSPECTOR_PORT) await expectInspectorClosed();
      t.child.kill('SIGKILL');
      await t.exited;
      await expectInspectorClosed();
    });
  }

  // The inspector opens where the target's --inspect-port says: a fixed
  // port, or 0 (a free port, found among the target's new listening ports).
  for (const port of [9339, 0]) {
    it(`a target started with --inspect-port=${port}: attach opens and closes that port`, async () => {
      const t = await startTarget('attach-server.js', { nodeArgs: [`--inspect-port=${port}`] });
      const r = await runCli(['attach', String(t.pid), '--report-dir', tmpDir(), '--json']);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ outcome: 'started', inspector: { preexisting: false } });
      const used = Number(new URL(String((r.json?.inspector as { url: string }).url)).port);
      if (port !== 0) expect(used).toBe(port);
      expect(used).not.toBe(INSPECTOR_PORT);
      expect(await probePort(used)).toBe('ECONNREFUSED');
      await expectInspectorClosed();
      expect((await runCli(['detach', String(t.pid)])).code).toBe(0);
      await expectServing(t);
    });
  }

  // The inspector that answers on the port is another process's (it took
  // the port after the check): nothing is loaded into it and it is not
  // closed, since it is not leakwatch's.
  it("an inspector that is not the target's: PORT_IN_USE, nothing loaded, left alone", async () => {
    const t = await startTarget('attach-decoy.js');
    const decoy = Number(/^decoy (\d+)$/m.exec(t.stdout())?.[1]);
    try {
      const r = await runCli(['attach', String(t.pid), '--json']);
      expect(r.code).toBe(6);
      expect(r.json).toMatchObject({ code: 'LEAKWATCH_ERR_ATTACH_PORT_IN_USE', holder: decoy });
      expect(r.stderr).toContain(`belongs to pid ${decoy}, not ${t.pid}; nothing was loaded`);
      expect(await probePort(INSPECTOR_PORT)).toBe('open');
      expect((await runCli(['status', String(decoy)])).code).toBe(9);
      await expectServing(t);
    } finally {
      process.kill(decoy, 'SIGKILL');
    }
    await waitUntil(
      "the decoy's port to close",
      async () => ((await probePort(INSPECTOR_PORT)) === 'ECONNREFUSED' ? true : null),
      10_000,
    );
  });

  // An --inspect-port beyond loopback would expose the inspector: refused.
  it('a target whose inspector would listen on 0.0.0.0: UNSAFE_HOST, exit 13', async () => {
    const t = await startTarget('attach-server.js', { nodeArgs: ['--inspect-port=0.0.0.0:9229'] });
    const r = await runCli(['attach', String(t.pid), '--json']);
    expect(r.code).toBe(13);
    expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_UNSAFE_HOST');
    expect(inspectorOpenings(t)).toBe(0);
    await expectServing(t);
    await expectInspectorClosed();
  });

  // Issue 7 failure: a target that exits mid-attach: the moment its
  // inspector opens, or the moment the agent starts in it.
  for (const fixture of ['attach-exit-on-inspect.js', 'attach-exit-on-agent.js'])
    it(`a target that exits mid-attach (${fixture}): TARGET_EXITED, exit 7, port closed`, async () => {
      const t = await startTarget(fixture);
      const r = await runCli(['attach', String(t.pid), '--json']);
      expect(r.code).toBe(7);
      expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_TARGET_EXITED');
      expect(r.stderr).toContain(`pid ${t.pid} exited while leakwatch was attaching`);
      expect(await t.exited).toEqual({ code: 0, signal: null });
      await expectInspectorClosed();
    });

  // A Node.js target that handles SIGUSR1 itself never opens its inspector:
  // a clear timeout, the target unharmed (its handler ran).
  it('a target handling SIGUSR1 itself: TIMEOUT, exit 8', async () => {
    const t = await startTarget('attach-own-sigusr1.js');
    const r = await runCli(['attach', String(t.pid), '--timeout', '1s', '--json']);
    expect(r.code).toBe(8);
    expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_TIMEOUT');
    expect(r.stderr).toMatch(/did not open its inspector .*SIGUSR1/);
    expect((await get(t.port, '/ok')).body).toBe('ok 1\n');
    await expectInspectorClosed();
  });

  // A stopped target (SIGSTOP, ^Z) would keep SIGUSR1 pending and open its
  // inspector on resume, after leakwatch gave up: refused up front.
  it('a stopped target: STOPPED, exit 15, nothing pending after it resumes', async () => {
    const t = await startTarget('attach-server.js');
    process.kill(t.pid, 'SIGSTOP');
    await waitUntil(
      'the target to stop',
      () => (/^State:\s*T/m.test(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8')) ? true : null),
      5_000,
      20,
    );
    const r = await runCli(['attach', String(t.pid), '--json']);
    process.kill(t.pid, 'SIGCONT');
    expect(r.code).toBe(15);
    expect(r.json?.code).toBe('LEAKWATCH_ERR_ATTACH_STOPPED');
    expect(r.stderr).toContain(`kill -CONT ${t.pid}`);
    await expectServing(t);
    await new Promise((res) => setTimeout(res, 300));
    expect(inspectorOpenings(t)).toBe(0);
    await expectInspectorClosed();
  });

  // Control socket off (LEAKWATCH_CONTROL=false) in a preloaded process:
  // status/snapshot/detach say how to proceed, and work with --inspector.
  it('LEAKWATCH_CONTROL=false: --inspector reaches the agent, then closes', async () => {
    const dir = tmpDir();
    const t = await startTarget('attach-server.js', {
      preload: true,
      env: { LEAKWATCH_CONTROL: 'false', LEAKWATCH_REPORT_DIR: dir },
    });
    const plain = await runCli(['status', String(t.pid), '--json']);
    expect(plain.code).toBe(9);
    expect(plain.stderr).toContain('--inspector');
    expect(inspectorOpenings(t)).toBe(0);

    const again = await runCli(['attach', String(t.pid), '--json']);
    expect(again.code).toBe(0);
    expect(again.json).toMatchObject({ outcome: 'already-running' });
    await expectInspectorClosed();

    const status = await runCli(['status', String(t.pid), '--inspector', '--json']);
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ ok: true, mode: 'preloaded', pid: t.pid });
    await expectInspectorClosed();
    const snap = await runCli(['snapshot', String(t.pid), '--inspector', '--json']);
    expect(snap.code).toBe(0);
    expect(path.dirname(String(snap.json?.path))).toBe(dir);
    await expectInspectorClosed();
    expect((await runCli(['detach', String(t.pid), '--inspector'])).code).toBe(0);
    await expectInspectorClosed();
    const after = await runCli(['status', String(t.pid), '--inspector', '--json']);
    expect(after.code).toBe(9);
    expect(after.json?.code).toBe('LEAKWATCH_ERR_ATTACH_NO_AGENT');
    await expectInspectorClosed();
    await expectServing(t);
  });
});
