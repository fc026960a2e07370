import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHeadline } from '../../reports/report-headline';
import { REPORT_FILE_RE, reportBaseName } from '../../reports/report-names';
import { parseReport, type LeakReport } from '../../reports/report-schema';

const timer = (): LeakReport => {
  const file = path.join(__dirname, '../fixtures/reports/timer.json');
  return parseReport(fs.readFileSync(file, 'utf8'), file);
};

describe('report names', () => {
  it('names a report file by pid and time, and only such names match', () => {
    const base = reportBaseName(4242, new Date('2026-11-27T13:05:09.123Z'));
    expect(base).toBe('leakwatch-4242-2026-11-27T13-05-09-123Z');
    expect(REPORT_FILE_RE.test(`${base}.json`)).toBe(true);
    expect(REPORT_FILE_RE.test(`${base}-2.json`)).toBe(true);
    expect(REPORT_FILE_RE.test(`${base}.heap.pb.gz`)).toBe(false);
    expect(REPORT_FILE_RE.test('leakwatch-x-2026.json')).toBe(false);
  });

  it("names a worker thread's report by its thread too", () => {
    const base = reportBaseName(4242, new Date('2026-11-27T13:05:09.123Z'), 3);
    expect(base).toBe('leakwatch-4242-t3-2026-11-27T13-05-09-123Z');
    expect(REPORT_FILE_RE.test(`${base}.json`)).toBe(true);
    expect(REPORT_FILE_RE.test(`${base}-2.json`)).toBe(true);
    expect(REPORT_FILE_RE.test('leakwatch-4242-t-2026-11-27T13-05-09-123Z.json')).toBe(false);
    expect(reportBaseName(4242, new Date('2026-11-27T13:05:09.123Z'), 0)).toBe(
      'leakwatch-4242-2026-11-27T13-05-09-123Z',
    );
  });

  // The stderr line and the DogStatsD event both say what a report is about with it.
  it('heads a report with its top suspect, else its leaking signals, else says no suspect was named', () => {
    const report = timer();
    expect(reportHeadline(report)).toBe('412 live intervals of 5s, callback pollUpstream');
    const noSuspects = { ...report, suspects: [] };
    expect(reportHeadline(noSuspects)).toBe('heap floor +8.0 MiB/min, Timeout +2.01/s');
    const nothing = { ...noSuspects, signals: noSuspects.signals.map((s) => ({ ...s, leaking: false })) };
    expect(reportHeadline(nothing)).toBe('no suspect named');
  });

  // A leak whose fds grew while the only suspects listed were timers that
  // did not: the line must not name a timer as the leak.
  it('names the grown signals when the top suspect is a handle group that did not grow', () => {
    const report = timer();
    const top = report.suspects[0] as LeakReport['suspects'][number];
    const still = { ...report, suspects: [{ ...top, growth: 0 }] };
    expect(reportHeadline(still)).toBe('heap floor +8.0 MiB/min, Timeout +2.01/s; no listed suspect grew since armed');
    // A snapshot on request names what is there, grown or not.
    expect(reportHeadline({ ...still, verdict: 'snapshot' })).toBe(top.title);
    // Listener and heap suspects are not counted by growth since arming.
    const listener = { ...top, kind: 'listener' as const, growth: 0, title: "40 'config' listeners on ConfigBus" };
    expect(reportHeadline({ ...report, suspects: [listener] })).toBe(listener.title);
  });
});
