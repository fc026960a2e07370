import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { at, describeSuspects, markerLine, readReport, reportDir } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-esm.mjs');

describe('snapshot: an ES module app (issue 5)', () => {
  // Issue 5: ESM frames come as file: URLs; sites are the same path:line:column.
  it('names the setInterval line of an .mjs app preloaded with --import', async () => {
    const run = runNode(['--import', 'leakwatch/register', FIXTURE], {
      preload: false,
      env: { LEAKWATCH_REPORT_DIR: reportDir(), LW_TIMERS: '150' },
    });
    const m = await run.waitFor(/^(\{.*\})$/m, 'stdout', 50_000);
    const { file, timers } = JSON.parse(m[1] as string) as { file: string; timers: number };
    expect(timers).toBe(150);
    const report = readReport(file);
    const top = report.suspects[0];
    expect(top?.callback?.name, describeSuspects(report.suspects)).toBe('esmTick');
    if (top === undefined) return;
    expect(top.count).toBe(150);
    expect(top.growth).toBe(150);
    expect(top.site?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site esm'))), String(top.site)).toBe(true);
    expect(top.callback?.location?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site esm')))).toBe(true);
    expect(top.stack.some((f) => f.includes(at(FIXTURE, markerLine(FIXTURE, 'caller'))))).toBe(true);
  });
});
