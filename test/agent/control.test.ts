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
import type { Agent } from '../../agent/agent';
import { ROOT } from '../helpers';

// The built agent (npx tsc first): start() loads its parts with require(),
// which only resolves compiled files.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { start } = require(path.join(ROOT, 'dist/agent/index.js')) as typeof import('../../agent/index');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { requestControl } = require(path.join(ROOT, 'dist/agent/control-client.js')) as typeof import('../../agent/control-client');

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

  it("a dead peer's leftover that is not a socket is left alone and costs no agent its own socket", async () => {
    const dir = path.dirname(sock());
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Pids of processes that have exited: a directory, a regular file and a
    // real socket file under their names.
    const dead = [0, 1, 2].map(() => spawnSync(process.execPath, ['-e', '']).pid as number);
    const [asDir, asFile, asSocket] = dead.map((pid) => path.join(dir, `${pid}.sock`));
    fs.mkdirSync(asDir as string);
    fs.writeFileSync(asFile as string, 'not a socket');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(asSocket as string, resolve));
    // Still open here, as a process killed by SIGKILL leaves its file.
    expect(fs.lstatSync(asSocket as string).isSocket()).toBe(true);
    const a = startAgent() as Agent & { controlPath: string | null };
    expect(a.controlPath).toBe(sock());
    expect(await requestControl(process.pid, 'status')).toMatchObject({ ok: true, pid: process.pid });
    expect(fs.statSync(asDir as string).isDirectory()).toBe(true);
    expect(fs.readFileSync(asFile as string, 'utf8')).toBe('not a socket');
    expect(fs.existsSync(asSocket as string)).toBe(false);
    server.close();
    fs.rmSync(asDir as string, { recursive: true });
    fs.rmSync(asFile as string);
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
    await expect(requestControl(process.pid, 'status')).rejects.toMatchObject({ code: 'LEAKWATCH_ERR_ATTACH_NO_AGENT' });
  });
});
