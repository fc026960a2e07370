// Child processes left running: a report lists them as processes, grouped
// by command, with the line that spawned them, and counts their stdio
// pipes with them instead of as sockets of their own.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { at, describeSuspects, markerLine, runToReport } from './snapshot-support';

const FIXTURE = path.join(FIXTURES, 'snapshot-processes.js');

afterEach(() => killSurvivors());

describe('snapshot: child processes left running', () => {
  it('names each command with its spawning line, and no pipe as a socket', async () => {
    const { report, run } = await runToReport<{ file: string; pids: number[] }>('snapshot-processes.js', {});
    await run.exited;
    const all = describeSuspects(report.suspects);
    const processes = report.suspects.filter((s) => s.kind === 'process');
    expect(processes, all).toHaveLength(2);
    const [spawned, execed] = [...processes].sort((a, b) => b.count - a.count);
    // 2 before arming and 4 after: all listed, 4 grown.
    expect(spawned).toMatchObject({ count: 6, growth: 4 });
    expect(spawned?.title).toMatch(
      /^6 live child processes: \S+ -e setInterval\(\(\) => \{\}, 1e6\) \(\+4 since armed\)$/,
    );
    expect(spawned?.site?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site spawn'))), all).toBe(true);
    expect(execed).toMatchObject({ count: 3, growth: 3 });
    expect(execed?.detail?.command).toMatch(/ -e setInterval\(\(\) => \{\}, 1e6\) \/\/ b$/);
    expect(execed?.site?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site execFile'))), all).toBe(true);
    // 9 children × 3 stdio pipes, counted with their process.
    expect(
      report.suspects.some((s) => s.kind === 'socket'),
      all,
    ).toBe(false);
    expect(report.notes).toContain(
      'excluded 27 sockets or servers: stdio pipes of live child processes (each child is listed as a process)',
    );
    expect(report.suspects[0]?.kind, all).toBe('process');
  });
});
