// ES modules import fs, dgram and timers functions by name, before any
// arming. Node updates those bindings only when told to
// (module.syncBuiltinESMExports), so the agent tells it when it arms and
// disarms: the sites of such imports are named, and the originals return.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { tempDir } from '../support/temp';
import { at, describeSuspects, markerLine, readReport, reportDir } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-esm-named.mjs');

describe.skipIf(process.platform !== 'linux')('snapshot: an ES module app importing by name', () => {
  it('names the lines of named fs, fs/promises, dgram and timers imports, and restores them', async () => {
    const other = path.join(tempDir('lw-esm-named-'), 'other.txt');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(other, 'x');
    const run = runNode(['--import', 'leakwatch/register', FIXTURE], {
      preload: false,
      env: { LEAKWATCH_REPORT_DIR: reportDir(), LW_OTHER: other },
    });
    const m = await run.waitFor(/^(\{.*\})$/m, 'stdout', 50_000);
    const out = JSON.parse(m[1] as string) as { file: string; wrapped: string[]; restored: string[] };
    const names = ['openSync', 'open', 'createSocket', 'setInterval'];
    expect(out.wrapped).toEqual(names);
    expect(out.restored).toEqual(names);
    const report = readReport(out.file);
    const all = describeSuspects(report.suspects);
    const bySite = (marker: string) => {
      const line = at(FIXTURE, markerLine(FIXTURE, marker));
      return report.suspects.filter((s) => s.site?.startsWith(line));
    };
    expect(bySite('site sync'), all).toMatchObject([{ kind: 'file', count: 12, growth: 12 }]);
    expect(bySite('site promises'), all).toMatchObject([{ kind: 'file', count: 11, growth: 11 }]);
    expect(bySite('site dgram'), all).toMatchObject([{ kind: 'socket', count: 3 }]);
    expect(bySite('site timer'), all).toMatchObject([{ kind: 'timer', count: 160, growth: 160 }]);
    expect((await run.exited).code).toBe(0);
  });
});
