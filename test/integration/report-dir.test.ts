import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, killSurvivors, runNode } from '../helpers';

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
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-dir-')), 'a', 'b');
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: dir }, 1);
    expect(results[0]?.ok).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(stderr).toMatch(/leakwatch: snapshot: .*; report /);
  });

  it('never holds more reports than LEAKWATCH_MAX_REPORT_FILES', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-cap-'));
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

  it.skipIf(process.platform !== 'linux')('under /proc, where a level can never be made: one line per report, and the process is not held', async () => {
    // Node's own recursive mkdir spins forever there, at full CPU.
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: '/proc/self/leakwatch-reports' }, 2);
    expect(results).toEqual([{ ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' }, { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' }]);
    const lines = stderr.split('\n').filter((l) => l.includes('could not write a report'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('cannot create the report directory (ENOENT');
  });

  it('that cannot be created gives one line per report and no crash', async () => {
    // A path below a regular file cannot be a directory, even for root
    // (a chmod'ed directory would not stop root, who runs CI here).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-ro-')), 'plain-file');
    fs.writeFileSync(file, 'x');
    const { results, stderr } = await snapshots({ LEAKWATCH_REPORT_DIR: path.join(file, 'reports') }, 2);
    expect(results).toEqual([{ ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' }, { ok: false, code: 'LEAKWATCH_ERR_REPORT_DIR' }]);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^leakwatch: could not write a report to .*plain-file\/reports: cannot create the report directory/);
  });
});
