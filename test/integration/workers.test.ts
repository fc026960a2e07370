// Worker threads: a worker's heap, timers and sockets are its own, and the
// main thread's agent never sees them. With LEAKWATCH_WORKERS=true the
// preload (which workers inherit) starts an agent in each worker, scoped to
// it: a timer leak inside a worker is reported with the worker's line and
// thread id, in a report named by thread. Without it, workers get nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors, ROOT, runNode } from '../helpers';
import { tempDir } from '../support/temp';
import { at, describeSuspects, markerLine, readReport } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'worker-leak.js');

describe('worker threads', () => {
  it('with LEAKWATCH_WORKERS=true, a leak inside a worker is reported by that worker, at its line', async () => {
    const dir = tempDir('lw-workers-');
    const run = runNode([FIXTURE], {
      env: {
        LEAKWATCH_WORKERS: 'true',
        LEAKWATCH_WINDOW: '6s',
        LEAKWATCH_INTERVAL: '200ms',
        LEAKWATCH_REPORT_DIR: dir,
        EXIT_AFTER_MS: '45000',
      },
    });
    const hello = await run.waitFor(/^worker (\d+) agent (true|false) /m, 'stdout');
    expect(hello[2]).toBe('true');
    const thread = Number(hello[1]);
    const m = await run.waitFor(
      /leakwatch: leak detected in worker thread (\d+): (.*); report (\S+\.json)/,
      'stderr',
      40_000,
    );
    expect(Number(m[1])).toBe(thread);
    expect(m[2]).toMatch(/^\d+ live intervals of 1m, callback keepTaskAlive \(\+\d+ since armed\)$/);
    const file = m[3] as string;
    expect(path.basename(file)).toMatch(new RegExp(`^leakwatch-${run.child.pid}-t${thread}-[\\dTZ-]+\\.json$`));
    const report = readReport(file) as ReturnType<typeof readReport> & { threadId?: number };
    expect(report.threadId).toBe(thread);
    expect(report.pid).toBe(run.child.pid);
    const top = report.suspects[0];
    expect(top?.kind, describeSuspects(report.suspects)).toBe('timer');
    expect(top?.site?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site worker'))), String(top?.site)).toBe(true);
    // The worker judges its own handles and heap, not the process's fds.
    expect(report.signals.map((s) => s.name)).not.toContain('fds');
    // The main thread's agent saw nothing to report: its handles did not grow.
    expect(run.stderr()).not.toMatch(/leakwatch: leak detected: /);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.includes(`-t${thread}-`))).toEqual([]);
    // The viewers name the thread: the report's header, and the directory's list.
    const view = runNode([path.join(ROOT, 'dist/bin/leakwatch.js'), 'view', '--no-color', file], { preload: false });
    expect(await view.exited).toEqual({ code: 0, signal: null });
    expect(view.stdout()).toContain(`pid ${run.child.pid}, worker thread ${thread}`);
    const list = runNode([path.join(ROOT, 'dist/bin/leakwatch.js'), 'view', '--no-color', dir], { preload: false });
    expect(await list.exited).toEqual({ code: 0, signal: null });
    expect(list.stdout()).toMatch(new RegExp(`leaking +\\S+ +pid ${run.child.pid}, worker thread ${thread}\\n`));
  }, 60_000);

  it('without it, no worker starts an agent, and the config is said once for the process', async () => {
    const run = runNode([FIXTURE], {
      env: { WORKERS: '2', EXIT_AFTER_MS: '1500', LEAKWATCH_MAX_REPORTS_PER_HOUR: 'lots' },
    });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    // Nothing of leakwatch's beyond the preload's guard is loaded in them.
    const unwatched =
      /^worker \d+ agent false loaded agent\/debug\.js,agent\/register\.js,agent\/version\.js,agent\/words\.js,agent\/worker-gate\.js$/;
    expect(run.stdout().trim().split('\n')).toEqual([
      expect.stringMatching(unwatched),
      expect.stringMatching(unwatched),
    ]);
    expect(run.stderr().match(/LEAKWATCH_MAX_REPORTS_PER_HOUR/g)).toHaveLength(1);
  });

  it('with it, each worker has its agent, the config is still said once, and every worker, then the process, ends by itself', async () => {
    const run = runNode([FIXTURE], {
      env: { WORKERS: '2', EXIT_AFTER_MS: '1500', LEAKWATCH_WORKERS: '1', LEAKWATCH_MAX_REPORTS_PER_HOUR: 'lots' },
    });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout().trim().split('\n')).toEqual([
      expect.stringMatching(/^worker \d+ agent true /),
      expect.stringMatching(/^worker \d+ agent true /),
    ]);
    expect(run.stderr().match(/LEAKWATCH_MAX_REPORTS_PER_HOUR/g)).toHaveLength(1);
  });
});

describe.skipIf(process.platform !== 'linux')('a worker thread per request, never terminated', () => {
  it('is reported as running worker threads at the new Worker line, above the fds they hold', async () => {
    const fixture = path.join(FIXTURES, 'worker-per-request.mjs');
    const run = runNode([fixture], {
      env: {
        LEAKWATCH_WINDOW: '6s',
        LEAKWATCH_INTERVAL: '200ms',
        LEAKWATCH_REPORT_DIR: tempDir('lw-worker-leak-'),
        EXIT_AFTER_MS: '60000',
      },
    });
    const m = await run.waitFor(/leakwatch: leak detected: (.*); report (\S+\.json)/, 'stderr', 50_000);
    expect(m[1]).toMatch(/^\d+ running worker threads: \[eval\] \(\+\d+ since armed\)$/);
    const report = readReport(m[2] as string);
    expect(report.signals.find((s) => s.name === 'fds')?.leaking).toBe(true);
    const top = report.suspects[0];
    expect(top?.kind, describeSuspects(report.suspects)).toBe('worker');
    expect(top?.site?.startsWith(at(fixture, markerLine(fixture, 'site worker'))), String(top?.site)).toBe(true);
    // Every worker listed was made while armed: all of it is growth.
    expect(top?.growth).toBe(top?.count);
    // The fds they hold are still there, below them.
    expect(report.suspects.some((s) => s.kind === 'file' && /eventfd|eventpoll|pipes/.test(s.title))).toBe(true);
  }, 60_000);
});
