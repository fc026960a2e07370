import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { at, describeSuspects, get, markerLine, readReport, reportDir, runFixture } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-founding.js');
/**
 * Requests driven. The creation stack is sampled (1 call in 16 on average,
 * over both intervals), so the chance that none of the 200 surviving
 * intervals was sampled is (15/16)^200 ≈ 2.5e-6.
 */
const REQUESTS = 200;

describe('snapshot: the founding story (issue 5)', () => {
  // Issue 5 acceptance: a client per request whose close() clears one of two
  // intervals; the surviving interval is the top suspect, with the exact
  // setInterval line as site, the handler in its stack, and the count served.
  it('names the surviving interval, its setInterval line and the request handler', async () => {
    const run = runFixture('snapshot-founding.js', reportDir());
    const port = Number((await run.waitFor(/listening (\d+)/))[1]);
    for (let i = 0; i < REQUESTS; i++) await get(port, `/users/${i}`);
    const { file, served } = JSON.parse(await get(port, '/snapshot')) as { file: string; served: number };
    expect(served).toBe(REQUESTS);
    const report = readReport(file);
    const top = report.suspects[0];
    expect(top, describeSuspects(report.suspects)).toBeDefined();
    if (top === undefined) return;
    expect(top.kind, describeSuspects(report.suspects)).toBe('timer');
    expect(top.callback?.name).toBe('watch2');
    expect(top.count).toBe(served);
    expect(top.growth).toBe(served);
    expect(top.detail?.intervalMs).toBe(5000);
    // The exact setInterval call: line and the column of `setInterval`.
    const siteLine = markerLine(FIXTURE, 'site watch2');
    const source = (await import('node:fs')).readFileSync(FIXTURE, 'utf8').split('\n')[siteLine - 1] as string;
    expect(top.site).toBe(`${FIXTURE}:${siteLine}:${source.indexOf('setInterval(') + 1}`);
    // The callback is the function defined on that line (V8's
    // [[FunctionLocation]] points at its parameter list).
    expect(top.callback?.location).toBe(
      `${FIXTURE}:${siteLine}:${source.indexOf('function watch2(') + 'function watch2'.length + 1}`,
    );
    // The handler that created the client is in the stack, below the site.
    const handler = top.stack.findIndex(
      (f) => f.startsWith('handleRequest (') && f.includes(at(FIXTURE, markerLine(FIXTURE, 'handler'))),
    );
    expect(handler, top.stack.join('\n')).toBeGreaterThan(0);
    // watch1 was cleared by close(): not a suspect at all.
    expect(report.suspects.some((s) => s.callback?.name === 'watch1')).toBe(false);
    // The agent's own sampling timer is excluded, and the report says so.
    expect(report.dropped['excluded.leakwatch-timer']).toBe(1);
    expect(report.notes.join('\n')).toMatch(/excluded 1 timer with callback .*leakwatch's own sampling/);
    // What the stack sampler saw and skipped is in the report.
    const stacks =
      /creation stacks: (\d+) captured for (\d+) timers created while armed \(1 in 16 on average, at most 50 a second(?:; (\d+) more sample points skipped by that cap)?\)/.exec(
        report.notes.join('\n'),
      );
    expect(stacks, report.notes.join('\n')).not.toBeNull();
    expect(Number(stacks?.[1])).toBeGreaterThan(0);
    expect(Number(stacks?.[2])).toBeGreaterThanOrEqual(2 * served);
    expect(report.dropped.timerStacks ?? 0).toBe(Number(stacks?.[3] ?? 0));
  });
});
