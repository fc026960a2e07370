// `leakwatch status` with no pid: every agent of this user, found by its
// control socket. Each test runs its processes under its own TMPDIR, so the
// agents of tests running beside it are not in the list.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlSocketPath, currentUid } from '../../agent/control-files';
import { killSurvivors, ROOT, runNode } from '../helpers';
import { tempDir } from '../support/temp';

const CLI = path.join(ROOT, 'dist/bin/leakwatch.js');
afterEach(() => killSurvivors());

/** A preloaded child holding `intervals` intervals; blocks its loop for `blockMs` once its socket is up. */
function agentChild(tmp: string, intervals: number, blockMs = 0) {
  const dir = path.dirname(controlSocketPath(0, currentUid(), tmp));
  const script = [
    `for (let i = 0; i < ${intervals}; i++) setInterval(() => {}, 60000);`,
    `const sock = ${JSON.stringify(dir)} + '/' + process.pid + '.sock';`,
    'const wait = setInterval(() => {',
    "  if (!require('fs').existsSync(sock)) return;",
    '  clearInterval(wait);',
    "  console.log('ready');",
    `  const end = Date.now() + ${blockMs};`,
    '  while (Date.now() < end);',
    '}, 20);',
  ].join('\n');
  return runNode(['-e', script, 'held-open'], { env: { TMPDIR: tmp } });
}

async function cli(tmp: string, ...args: string[]) {
  const run = runNode([CLI, 'status', ...args], { preload: false, env: { TMPDIR: tmp } });
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('leakwatch status (every agent)', () => {
  it('lists each agent once with its state, and leaves out and removes a stale socket', async () => {
    const tmp = tempDir('lw-list-');
    const a = agentChild(tmp, 2);
    const b = agentChild(tmp, 5);
    await Promise.all([a.waitFor(/^ready$/m), b.waitFor(/^ready$/m)]);
    // A socket whose process was killed: nothing listens on it any more.
    const stalePath = path.join(path.dirname(controlSocketPath(0, currentUid(), tmp)), '4000000.sock');
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => console.log('up'))`,
    ]);
    await new Promise((r) => holder.stdout.once('data', r));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    expect(fs.existsSync(stalePath)).toBe(true);

    // A generous --timeout: every agent here answers, however loaded the machine.
    const text = await cli(tmp, '--timeout', '20s');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PID\s+STATE\s+MODE\s+UP\s+HEAP MB\s+FLOOR MB\s+RSS MB\s+HANDLES\s+REPORTS\s+COMMAND$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((r) => Number(r[0])).sort((x, y) => x - y)).toEqual(
      [a.child.pid as number, b.child.pid as number].sort((x, y) => x - y),
    );
    for (const r of rows) expect(r.slice(1, 3)).toEqual(['watching', 'preloaded']);
    expect(fs.existsSync(stalePath)).toBe(false);

    const json = await cli(tmp, '--json', '--timeout', '20s');
    const listed = JSON.parse(json.stdout) as { pid: number; ok: boolean; status: { argv: string[]; state: string } }[];
    expect(listed.map((r) => [r.pid, r.ok, r.status.state, r.status.argv])).toEqual(
      [a, b]
        .map((c) => [c.child.pid, true, 'watching', ['held-open']])
        .sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
  });

  it('says when an agent does not answer, and lists the others', async () => {
    const tmp = tempDir('lw-list-');
    const ok = agentChild(tmp, 1);
    const blocked = agentChild(tmp, 1, 30_000);
    await Promise.all([ok.waitFor(/^ready$/m), blocked.waitFor(/^ready$/m)]);
    const { code, stdout } = await cli(tmp, '--timeout', '5s');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${ok.child.pid}\\s+watching\\s`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${blocked.child.pid}\\s+no answer\\s`, 'm'));
  });

  it('says where it looked when there is no agent, and exits 0', async () => {
    const tmp = tempDir('lw-list-');
    const { code, stdout } = await cli(tmp);
    expect(code).toBe(0);
    expect(stdout).toBe(`leakwatch: no agent found (looked in ${path.join(tmp, `leakwatch-${currentUid()}`)})\n`);
    // --inspector asks one process: without a pid it is a usage error.
    const inspector = await cli(tmp, '--inspector');
    expect([inspector.code, inspector.stderr]).toEqual([2, expect.stringContaining('status --inspector needs a pid')]);
  });
});
