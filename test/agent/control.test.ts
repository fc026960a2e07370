/**
 * Issue 7: the control server in-process: one socket per process, closed by
 * stop(), answers the three commands, and detach releases the holder.
 * Real (built) agents and a real Unix socket in a private TMPDIR; no mocks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/agent-view';
import { ROOT } from '../helpers';

// The built agent (npx tsc first): start() loads its parts with require(),
// which only resolves compiled files.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { start } = require(path.join(ROOT, 'dist/agent/index.js')) as typeof import('../../agent/index');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { requestControl } = require(
  path.join(ROOT, 'dist/agent/control-client.js'),
) as typeof import('../../agent/control-client');

const AGENT_KEY = Symbol.for('leakwatch.agent');
const holder = globalThis as { [AGENT_KEY]?: Agent };
const agents: Agent[] = [];
let tmp = '';
let savedTmp: string | undefined;

beforeAll(() => {
  savedTmp = process.env.TMPDIR;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-ctl-unit-'));
  // os.tmpdir() reads TMPDIR: the sockets of this file go to its own directory.
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  delete holder[AGENT_KEY];
});

function startAgent(options: Parameters<typeof start>[0] = {}): Agent {
  const a = start({ interval: '100ms', reportDir: path.join(tmp, 'reports'), ...options });
  agents.push(a);
  return a;
}

const sock = () => path.join(tmp, `leakwatch-${process.getuid?.()}`, `${process.pid}.sock`);

/** A socket file at `file` that nobody serves: its process bound it and died by SIGKILL. */
function leaveStaleSocket(file: string): void {
  const killed = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  expect(killed.signal).toBe('SIGKILL');
}

describe.skipIf(process.platform !== 'linux')('control server', () => {
  it('one socket per process: a second agent opens none; stop() removes it', async () => {
    const first = startAgent() as Agent & { controlPath: string | null };
    const second = startAgent() as Agent & { controlPath: string | null };
    expect(first.controlPath).toBe(sock());
    expect(second.controlPath).toBe(null);
    expect(fs.lstatSync(sock()).isSocket()).toBe(true);
    const status = await requestControl(process.pid, 'status');
    expect(status).toMatchObject({ ok: true, mode: 'programmatic', pid: process.pid, config: { intervalMs: 100 } });
    await first.stop();
    expect(fs.existsSync(sock())).toBe(false);
    // The process-wide slot is free again.
    const third = startAgent() as Agent & { controlPath: string | null };
    expect(third.controlPath).toBe(sock());
  });

  it("dead peers' leftovers: a socket nobody serves is removed; a file that is not a socket, or a socket that answers, stays", async () => {
    const dir = path.dirname(sock());
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Pids of processes that have exited: a directory, a regular file, a
    // socket left by a process killed with SIGKILL (nobody listens), and a
    // socket that still answers (a process in another pid namespace).
    const dead = [0, 1, 2, 3].map(() => spawnSync(process.execPath, ['-e', '']).pid as number);
    const [asDir, asFile, stale, live] = dead.map((pid) => path.join(dir, `${pid}.sock`)) as [
      string,
      string,
      string,
      string,
    ];
    fs.mkdirSync(asDir);
    fs.writeFileSync(asFile, 'not a socket');
    leaveStaleSocket(stale);
    expect(fs.lstatSync(stale).isSocket()).toBe(true);
    const twin = net.createServer((c) => c.end());
    await new Promise<void>((resolve) => twin.listen(live, resolve));
    try {
      const a = startAgent() as Agent & { controlPath: string | null };
      expect(a.controlPath).toBe(sock());
      expect(await requestControl(process.pid, 'status')).toMatchObject({ ok: true, pid: process.pid });
      await expect.poll(() => fs.existsSync(stale), { timeout: 5_000 }).toBe(false);
      expect(fs.statSync(asDir).isDirectory()).toBe(true);
      expect(fs.readFileSync(asFile, 'utf8')).toBe('not a socket');
      expect(fs.lstatSync(live).isSocket()).toBe(true);
    } finally {
      twin.close();
      fs.rmSync(asDir, { recursive: true });
      fs.rmSync(asFile);
    }
  });

  it('a live socket under this very pid (a twin in another pid namespace) is not taken: control stays off', async () => {
    fs.mkdirSync(path.dirname(sock()), { recursive: true, mode: 0o700 });
    let served = 0;
    const twin = net.createServer((c) => {
      served++;
      c.end();
    });
    await new Promise<void>((resolve) => twin.listen(sock(), resolve));
    try {
      const a = startAgent({ debug: true });
      await expect.poll(() => served, { timeout: 5_000 }).toBeGreaterThan(0);
      // The twin's socket is still there, still the twin's.
      expect(fs.lstatSync(sock()).isSocket()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.stop();
      expect(fs.existsSync(sock())).toBe(true);
    } finally {
      twin.close();
    }
  });

  it('a socket under this pid that nobody serves (a dead process had the pid) is replaced', async () => {
    fs.mkdirSync(path.dirname(sock()), { recursive: true, mode: 0o700 });
    leaveStaleSocket(sock());
    expect(fs.lstatSync(sock()).isSocket()).toBe(true);
    startAgent({ debug: true });
    await expect
      .poll(
        () =>
          requestControl(process.pid, 'status').then(
            (r) => r.ok,
            (e: Error) => e.message,
          ),
        { timeout: 5_000 },
      )
      .toBe(true);
  });

  it('control: false opens nothing', () => {
    const a = startAgent({ control: false }) as Agent & { controlPath: string | null };
    expect(a.controlPath).toBe(null);
    expect(fs.existsSync(sock())).toBe(false);
  });

  it('snapshot answers with a report path; detach stops the agent and frees the holder', async () => {
    const a = startAgent();
    holder[AGENT_KEY] = a;
    const snap = await requestControl(process.pid, 'snapshot');
    expect(snap).toMatchObject({ ok: true });
    expect(fs.existsSync(String((snap as { path: string }).path))).toBe(true);
    expect(await requestControl(process.pid, 'status')).toMatchObject({ mode: 'preloaded', reportsWritten: 1 });
    expect(await requestControl(process.pid, 'detach')).toMatchObject({ ok: true, detached: true });
    await expect.poll(() => holder[AGENT_KEY], { timeout: 5_000 }).toBe(undefined);
    expect(fs.existsSync(sock())).toBe(false);
    await expect(requestControl(process.pid, 'status')).rejects.toMatchObject({
      code: 'LEAKWATCH_ERR_ATTACH_NO_AGENT',
    });
  });
});
