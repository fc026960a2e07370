import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportDirProblem } from '../../agent/report-dir-check';
import { FIXTURES, ROOT, freeTcpPort, killSurvivors, runNode } from '../helpers';
import { tempDir } from '../support/temp';

afterEach(killSurvivors);

const API = path.join(ROOT, 'dist/agent/index.js');
type Result = { ok: boolean; file?: string; code?: string | null };

async function snapshots(env: Record<string, string>, n: number): Promise<{ results: Result[]; stderr: string }> {
  const run = runNode([path.join(FIXTURES, 'report-dir.js'), API, String(n)], { preload: false, env });
  expect(await run.exited).toEqual({ code: 0, signal: null });
  const [json, tail] = run.stdout().trim().split('\n');
  expect(tail).toBe('still running');
  return { results: JSON.parse(json as string) as Result[], stderr: run.stderr() };
}

// Issue 4: reports are capped on disk; a missing directory is created; one
// that cannot be written gives one clear line per report and no crash.
describe('the report directory', () => {
  it('is created when missing', async () => {
    const dir = path.join(tempDir('lw-dir-'), 'a', 'b');
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: dir }, 1);
    expect(results[0]?.ok).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(stderr).toMatch(/leakwatch: snapshot: .*; report /);
  });

  it('never holds more reports than LEAKWATCH_MAX_REPORT_FILES', async () => {
    const dir = tempDir('lw-cap-');
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: dir, LEAKWATCH_MAX_REPORT_FILES: '2' }, 4);
    expect(results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(results[2]?.code).toBe('LEAKWATCH_ERR_REPORT_CAP');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    // No profile or temporary file is left behind by the refused ones.
    expect(fs.readdirSync(dir).filter((f) => !f.endsWith('.json'))).toEqual([]);
    const lines = stderr.split('\n').filter((l) => l.includes('could not write a report'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/cap 2, LEAKWATCH_MAX_REPORT_FILES/);
  });

  it.skipIf(process.platform !== 'linux')(
    'under /proc, where a level can never be made: one line per report, and the process is not held',
    async () => {
      // Node's own recursive mkdir spins forever there, at full CPU.
      const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: '/proc/self/leakwatch-reports' }, 2);
      expect(results).toEqual([
        { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' },
        { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' },
      ]);
      const lines = stderr.split('\n').filter((l) => l.includes('could not write a report'));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('cannot create the report directory (ENOENT');
    },
  );

  it('that cannot be created gives one line per report and no crash', async () => {
    // A path below a regular file cannot be a directory, even for root
    // (a chmod'ed directory would not stop root, who runs CI here).
    const file = path.join(tempDir('lw-ro-'), 'plain-file');
    fs.writeFileSync(file, 'x');
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: path.join(file, 'reports') }, 2);
    expect(results).toEqual([
      { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' },
      { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' },
    ]);
    const lines = stderr.trim().split('\n');
    // One line at start, then one per report, each naming the variable.
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^leakwatch: LEAKWATCH_REPORT_DIR=".*plain-file\/reports" cannot hold reports: .*plain-file is not a directory/,
    );
    expect(lines[1]).toMatch(
      /^leakwatch: could not write a report to .*plain-file\/reports \(LEAKWATCH_REPORT_DIR\): cannot create the report directory/,
    );
    expect(lines[2]).toBe(lines[1]);
  });
});

/** As root, a directory is unwritable only to another user: run as nobody. */
const asOtherUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** A directory this test's child cannot write (0555; owned by root when run as root). */
function unwritableDir(): string {
  const dir = tempDir('lw-unwritable-');
  fs.chmodSync(dir, 0o555);
  return dir;
}

// A report directory that can never take a report was accepted silently at
// start, and named only at the first report. Now one line at start names
// LEAKWATCH_REPORT_DIR and what is wrong; nothing is created; the app runs,
// and the agent keeps sampling and exporting.
describe('the report directory, checked at start', () => {
  const APP = path.join(FIXTURES, 'app-echo.js');
  async function start(env: Record<string, string>, spawnAs: { uid?: number; gid?: number } = {}): Promise<string[]> {
    // The control socket lives in the user's own directory under TMPDIR.
    const run = runNode([APP], { env: { LEAKWATCH_CONTROL: 'false', ...env }, ...spawnAs });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toBe('app ran 3 ticks\n');
    return run
      .stderr()
      .trim()
      .split('\n')
      .filter((l) => l !== '');
  }
  const cannot = (value: string) =>
    new RegExp(
      `^leakwatch: LEAKWATCH_REPORT_DIR=${JSON.stringify(value).replace(/[/.]/g, '\\$&')} cannot hold reports: `,
    );

  it('below a device (/dev/null/x): one line naming it', async () => {
    const lines = await start({ LEAKWATCH_REPORT_DIR: '/dev/null/x' });
    expect(lines).toEqual([expect.stringMatching(cannot('/dev/null/x'))]);
    expect(lines[0]).toContain('/dev/null is not a directory, so it cannot be created');
    expect(lines[0]).toContain('keeps watching and sending metrics');
  });

  it('a directory this user cannot write: one line naming it', async () => {
    const dir = unwritableDir();
    const lines = await start({ LEAKWATCH_REPORT_DIR: dir }, asOtherUser);
    expect(lines).toEqual([expect.stringMatching(cannot(dir))]);
    expect(lines[0]).toMatch(/it is not writable by this user \(uid \d+, EACCES\)/);
  });

  it('a missing directory below one this user cannot write: one line, nothing created', async () => {
    const parent = unwritableDir();
    const dir = path.join(parent, 'a', 'b');
    const lines = await start({ LEAKWATCH_REPORT_DIR: dir }, asOtherUser);
    expect(lines).toEqual([expect.stringMatching(cannot(dir))]);
    expect(lines[0]).toContain(`it does not exist, and ${parent} is not writable by this user`);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('the default directory when it cannot be written: one line naming it and the variable', async () => {
    const tmp = tempDir('lw-tmpdir-');
    // The default is per user: <tmpdir>/leakwatch-<uid>/reports.
    const own = path.join(tmp, `leakwatch-${process.getuid?.()}`);
    fs.mkdirSync(own, { mode: 0o700 });
    fs.writeFileSync(path.join(own, 'reports'), 'not a directory');
    const lines = await start({ TMPDIR: tmp });
    expect(lines).toEqual([
      `leakwatch: the default report directory ${own}/reports (LEAKWATCH_REPORT_DIR unset) cannot hold reports: it is not a directory; leakwatch keeps watching and sending metrics, but no report can be written there`,
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'the default directory is per user: a second user on the same TMPDIR gets reports too',
    async () => {
      const tmp = tempDir('lw-shared-tmp-');
      fs.chmodSync(tmp, 0o1777);
      for (const as of [{}, asOtherUser]) {
        const run = runNode([path.join(FIXTURES, 'report-dir.js'), API, '1'], {
          preload: false,
          env: { TMPDIR: tmp },
          ...as,
        });
        expect(await run.exited, run.stderr()).toEqual({ code: 0, signal: null });
        const [result] = JSON.parse(run.stdout().trim().split('\n')[0] as string) as Result[];
        const uid = (as as { uid?: number }).uid ?? 0;
        expect(result).toMatchObject({ ok: true });
        expect(path.dirname(result?.file as string)).toBe(path.join(tmp, `leakwatch-${uid}`, 'reports'));
      }
    },
  );

  it('a missing directory that can be created: no line, and it is not created at start', async () => {
    const dir = path.join(tempDir('lw-lazy-'), 'later');
    expect(await start({ LEAKWATCH_REPORT_DIR: dir })).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('LEAKWATCH_ENABLED=false checks nothing', async () => {
    expect(await start({ LEAKWATCH_ENABLED: 'false', LEAKWATCH_REPORT_DIR: '/dev/null/x' })).toEqual([]);
  });

  it('the agent keeps sampling and serving metrics with a report directory it cannot use', async () => {
    const port = await freeTcpPort();
    const run = runNode([path.join(FIXTURES, 'exporters-timers.js')], {
      env: {
        TIMERS: '2',
        EXIT_AFTER_MS: '3000',
        LEAKWATCH_INTERVAL: '100ms',
        LEAKWATCH_REPORT_DIR: '/dev/null/x',
        LEAKWATCH_PROMETHEUS: `127.0.0.1:${port}`,
        LEAKWATCH_CONTROL: 'false',
      },
    });
    await run.waitFor(/^ready/m);
    const handles = /^nodejs_active_handles\{type="Timeout"\} 2$/m;
    let text = '';
    for (let i = 0; i < 40 && !handles.test(text); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
    }
    expect(text).toMatch(handles);
    const m = await run.waitFor(/^(\{"self".*)$/m);
    expect((await run.exited).code).toBe(0);
    const { self } = JSON.parse(m[1] as string) as { self: { ticks: number; errors: number } };
    expect(self.ticks).toBeGreaterThan(10);
    expect(self.errors).toBe(0);
    expect(run.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(/^leakwatch: LEAKWATCH_REPORT_DIR="\/dev\/null\/x" cannot hold reports/),
    ]);
  });
});

// Cheap enough to run on every start: no more than a few stat calls.
it('the start-time check costs microseconds and creates nothing', () => {
  const dir = path.join(tempDir('lw-cost-'), 'a', 'b', 'c');
  reportDirProblem(dir);
  const n = 2_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) reportDirProblem(dir);
  const meanUs = Number(process.hrtime.bigint() - t0) / 1_000 / n;
  expect(meanUs).toBeLessThan(250);
  expect(fs.existsSync(path.dirname(path.dirname(dir)))).toBe(false);
  expect(reportDirProblem(dir)).toBeNull();
  expect(reportDirProblem('/dev/null/x')).toBe('/dev/null is not a directory, so it cannot be created');
});
