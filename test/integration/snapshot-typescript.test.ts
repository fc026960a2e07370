import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, killSurvivors, runNode } from '../helpers';
import { at, describeSuspects, markerLine, readReport, reportDir } from './snapshot-support';
import { tempDir } from '../support/temp';

afterEach(killSurvivors);

const PROJECT = path.join(FIXTURES, 'snapshot-ts');
const SOURCE = path.join(PROJECT, 'src/service.ts');
let outDir = '';

beforeAll(() => {
  // Built as a TypeScript service ships: tsc with source maps, to a dir of
  // its own (the fixture's sources stay untouched).
  outDir = tempDir('lw-ts-');
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', PROJECT, '--outDir', outDir],
    { stdio: 'pipe' },
  );
});

describe('snapshot: a TypeScript service with source maps (issue 5)', () => {
  // Issue 5 acceptance: a TypeScript service built with source maps gets .ts sites.
  it('reports .ts sites, callback locations and stack frames', async () => {
    const compiled = path.join(outDir, 'service.js');
    expect(fs.readFileSync(compiled, 'utf8')).toMatch(/sourceMappingURL=service\.js\.map/);
    const run = runNode([compiled], {
      preload: false,
      env: { LW_ROOT: ROOT, LW_REPORT_DIR: reportDir(), LW_JOBS: '120' },
    });
    const m = await run.waitFor(/^(\{.*\})$/m, 'stdout', 50_000);
    const { file, jobs } = JSON.parse(m[1] as string) as { file: string; jobs: number };
    expect(jobs).toBe(120);
    const report = readReport(file);
    const top = report.suspects[0];
    expect(top?.callback?.name, describeSuspects(report.suspects)).toBe('beat');
    if (top === undefined) return;
    expect(top.count).toBe(120);
    const siteLine = markerLine(SOURCE, 'site beat');
    const line = fs.readFileSync(SOURCE, 'utf8').split('\n')[siteLine - 1] as string;
    expect(top.site).toBe(`${SOURCE}:${siteLine}:${line.indexOf('setInterval(') + 1}`);
    expect(top.callback?.location).toBe(
      `${SOURCE}:${siteLine}:${line.indexOf('function beat(') + 'function beat'.length + 1}`,
    );
    expect(top.stack.some((f) => f.startsWith('startJob (') && f.includes(at(SOURCE, siteLine)))).toBe(true);
    expect(top.stack.some((f) => f.includes(at(SOURCE, markerLine(SOURCE, 'caller'))))).toBe(true);
    // No frame of the service is left pointing at the compiled .js.
    expect(top.stack.filter((f) => f.includes(compiled))).toEqual([]);
  });
});
