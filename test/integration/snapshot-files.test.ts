// Open files that are never closed: after arming for a growing open-fd
// count, a report groups the leaked fds by the line that opened them, for
// every way fs opens a file, counts what was open before arming, and leaves
// out files opened and closed. The wrapped calls fail as they would
// unwrapped, and disarming restores them.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { tempDir } from '../support/temp';
import { at, describeSuspects, markerLine, readReport, runToReport } from './snapshot-support';

const FIXTURE = path.join(FIXTURES, 'snapshot-files.js');

afterEach(() => killSurvivors());

describe.skipIf(process.platform !== 'linux')('snapshot: open files (fd growth)', () => {
  it('names each leaking open by its line and path, and nothing that was closed', async () => {
    const { out, report } = await runToReport<{
      file: string;
      dir: string;
      withoutCallback: string;
      promiseRejects: string;
      callbackError: string;
      restored: boolean;
    }>('snapshot-files.js', {});
    const files = report.suspects.filter((s) => s.kind === 'file');
    const all = describeSuspects(report.suspects);
    const bySite = (marker: string) => {
      const line = at(FIXTURE, markerLine(FIXTURE, marker));
      return files.filter((s) => s.site?.startsWith(line));
    };
    const expectGroup = (marker: string, title: string, count: number, growth: number) => {
      const found = bySite(marker);
      expect(found, `${marker}\n${all}`).toHaveLength(1);
      expect(found[0]).toMatchObject({ title, count, growth });
    };
    const p = (name: string) => path.join(out.dir, name);
    // 5 opened before arming join the 10 after: counted, growth 10.
    expectGroup('site sync', `15 open files on ${p('sync.txt')} (+10 since armed)`, 15, 10);
    expectGroup('site promises', `10 open files on ${p('promises.txt')} (+10 since armed)`, 10, 10);
    expectGroup('site callback', `10 open files on ${p('callback.txt')} (+10 since armed)`, 10, 10);
    expectGroup('site stream', `10 open files on ${p('stream.txt')} (+10 since armed)`, 10, 10);
    expectGroup('site distinct', `10 open files on 10 paths under ${out.dir}/ (+10 since armed)`, 10, 10);
    expect(bySite('site sync')[0]?.detail).toMatchObject({ openedWhileArmed: 10, openedBeforeArming: 5 });
    // Five groups, no more: closed.txt was opened 30 times and closed.
    expect(files, all).toHaveLength(5);
    expect(all).not.toContain('closed.txt');
    // An fd leak ranks file suspects above the (unchanged) timers.
    expect(report.suspects[0]?.kind, all).toBe('file');
    // 50 leaked, 30 closed (readFileSync opens through fs.openSync too).
    expect(report.notes).toContain(
      'open files: 80 opened through fs while armed, 80 with their stack (at most 100 a second); 5 groups grew since arming',
    );
    expect(out).toMatchObject({
      withoutCallback: 'ERR_INVALID_ARG_TYPE',
      promiseRejects: 'ENOENT',
      callbackError: 'ENOENT',
      restored: true,
    });
  });
});

describe.skipIf(process.platform !== 'linux')('snapshot: the fd count grows after arming for something else', () => {
  it('arms file opens then, and names the line of the files opened since', async () => {
    const { report } = await runToReport<{ file: string; before: number; after: number }>('snapshot-files-late.js', {});
    const fixture = path.join(FIXTURES, 'snapshot-files-late.js');
    const files = report.suspects.filter((s) => s.kind === 'file');
    expect(files, describeSuspects(report.suspects)).toHaveLength(1);
    // All 19 on the one path, named by the line; the 7 from before counted as such.
    expect(files[0]).toMatchObject({ count: 19, growth: 12 });
    expect(files[0]?.site?.startsWith(at(fixture, markerLine(fixture, 'site late'))), String(files[0]?.site)).toBe(
      true,
    );
    expect(files[0]?.detail).toMatchObject({ openedWhileArmed: 12, openedBeforeArming: 7 });
  });
});

describe.skipIf(process.platform !== 'linux')('detection: an fd left open on one path', () => {
  it('is reported as open files on that path, at the line that opened them', async () => {
    const fixture = path.join(FIXTURES, 'fd-left-open.js');
    const run = runNode([fixture], {
      env: {
        LEAKWATCH_WINDOW: '6s',
        LEAKWATCH_INTERVAL: '200ms',
        LEAKWATCH_REPORT_DIR: tempDir('lw-files-leak-'),
        EXIT_AFTER_MS: '60000',
      },
    });
    const m = await run.waitFor(/leakwatch: leak detected: (.*); report (\S+\.json)/, 'stderr', 50_000);
    expect(m[1]).toMatch(
      new RegExp(`^\\d+ open files on ${fixture.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\+\\d+ since armed\\)$`),
    );
    const report = readReport(m[2] as string);
    expect(report.signals.find((s) => s.name === 'fds')?.leaking).toBe(true);
    const top = report.suspects[0];
    expect(top?.kind).toBe('file');
    expect(top?.site?.startsWith(at(fixture, markerLine(fixture, 'site open'))), `${top?.site}`).toBe(true);
    expect(top?.count).toBeGreaterThan(top?.growth ?? Infinity);
  }, 60_000);
});
