import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { describeSuspects, markerLine, runToReport } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-pre-arm.js');

describe('snapshot: a leak that started before arming (issue 5)', () => {
  // Issue 5 acceptance: timers created before anything was armed (and
  // unref'd, so invisible to handle counts) are listed with their callback's
  // location; their site is unknown, and growth since arming is 0.
  it("lists unref'd intervals created before arm() with the callback location", async () => {
    const { out, report } = await runToReport<{ file: string; live: number }>('snapshot-pre-arm.js', {
      LW_TIMERS: '60',
    });
    expect(out.live).toBe(55);
    const s = report.suspects.find((x) => x.callback?.name === 'staleTick');
    expect(s, describeSuspects(report.suspects)).toBeDefined();
    if (s === undefined) return;
    expect(report.suspects[0]).toBe(s);
    expect(s.kind).toBe('timer');
    expect(s.count).toBe(55);
    expect(s.growth).toBe(0);
    expect(s.site).toBeNull();
    const line = markerLine(FIXTURE, 'callback staleTick');
    // V8's [[FunctionLocation]] is the function's parameter list.
    const col =
      (fs.readFileSync(FIXTURE, 'utf8').split('\n')[line - 1] as string).indexOf('function staleTick(') +
      'function staleTick'.length +
      1;
    expect(s.callback?.location).toBe(`${FIXTURE}:${line}:${col}`);
    expect(s.detail?.unrefed).toBe(55);
    expect(s.detail?.refed).toBe(0);
  });
});

describe('snapshot: the optional .heapsnapshot (issue 5)', () => {
  // Issue 5: off by default; when enabled (and the guards allow it) it is
  // written beside the report and listed in `profiles`.
  it('is absent by default and written beside the report when enabled', async () => {
    const off = await runToReport<{ file: string }>('snapshot-pre-arm.js', { LW_TIMERS: '3' });
    expect(off.report.profiles.filter((p) => p.kind === 'heapsnapshot')).toEqual([]);
    const on = await runToReport<{ file: string }>('snapshot-pre-arm.js', { LW_TIMERS: '3', LW_HEAP_SNAPSHOT: '1' });
    const snap = on.report.profiles.find((p) => p.kind === 'heapsnapshot');
    expect(snap, on.report.notes.join('\n')).toBeDefined();
    if (snap === undefined) return;
    expect(path.dirname(snap.path)).toBe(path.dirname(on.out.file));
    expect(fs.statSync(snap.path).size).toBe(snap.bytes);
    const head = Buffer.alloc(64);
    const fd = fs.openSync(snap.path, 'r');
    fs.readSync(fd, head, 0, 64, 0);
    fs.closeSync(fd);
    expect(head.toString('utf8')).toMatch(/^\{"snapshot":\{"meta"/);
  });
});

describe('snapshot: never armed (issue 5)', () => {
  // An on-demand snapshot in *watching*: timers are still listed with their
  // callbacks, and the report says why growth and sites are unknown.
  it('lists live timers and says that nothing was armed', async () => {
    const { report } = await runToReport<{ file: string }>('snapshot-pre-arm.js', { LW_TIMERS: '40', LW_NO_ARM: '1' });
    const s = report.suspects.find((x) => x.callback?.name === 'staleTick');
    expect(s, describeSuspects(report.suspects)).toMatchObject({ count: 35, growth: 0, site: null });
    expect(report.armedAt).toBeNull();
    expect(report.notes.some((n) => n.startsWith('tracking was not armed'))).toBe(true);
  });
});
