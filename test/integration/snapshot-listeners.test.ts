import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { describeSuspects, markerLine, runToReport } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-listeners.js');

describe('snapshot: a listener leak (issue 5)', () => {
  // Issue 5: MaxListenersExceededWarning captured with its stack, and the
  // emitter's listener count read at report time.
  it('names the line that adds the listeners and counts them now', async () => {
    const { out, report, run } = await runToReport<{ file: string; listeners: number }>('snapshot-listeners.js', {
      LW_SUBSCRIPTIONS: '40',
    });
    expect(out.listeners).toBe(40);
    // Node still prints its own warning: we listen, we do not swallow it.
    await run.exited;
    expect(run.stderr()).toMatch(/MaxListenersExceededWarning/);
    const s = report.suspects.find((x) => x.kind === 'listener');
    expect(s, describeSuspects(report.suspects)).toBeDefined();
    if (s === undefined) return;
    expect(s.count).toBe(40);
    expect(s.detail).toMatchObject({ event: 'config', emitter: 'ConfigBus', countAtWarning: 11 });
    expect(s.growth).toBe(40 - 11);
    const line = markerLine(FIXTURE, 'site on');
    const src = fs.readFileSync(FIXTURE, 'utf8').split('\n')[line - 1] as string;
    expect(s.site).toBe(`${FIXTURE}:${line}:${src.indexOf('bus.on(') + 'bus.'.length + 1}`);
    expect(s.callback?.name).toBe('onConfig');
    expect(s.callback?.location?.startsWith(`${FIXTURE}:${line}:`)).toBe(true);
    expect(s.title).toBe("40 'config' listeners on ConfigBus (max 10)");
  });
});
