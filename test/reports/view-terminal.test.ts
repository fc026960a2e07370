/**
 * `leakwatch view` in the terminal (issue 6): the real CLI, spawned from
 * dist/, with stdout piped and on a pseudo-terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LeakReport } from '../../reports/report-schema';
import { ANSI_RE, CLI, FIXTURES, cleanEnv, runCli, runCliInPty, stripAnsi } from './view-cli';

const KINDS = ['timer', 'immediate', 'socket', 'server', 'heap', 'listener', 'handle'] as const;
const fixture = (name: string): string => path.join(FIXTURES, `${name}.json`);
const load = (name: string): LeakReport => JSON.parse(fs.readFileSync(fixture(name), 'utf8')) as LeakReport;
/** Whitespace-normalized, so a title wrapped at 80 columns still matches. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');
const cells = (line: string): number => [...line].length;
const SPARK_RE = /[▁▂▃▄▅▆▇█]{8,}/;

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-view-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** What every rendering of a report of `kind` must say. */
function expectReportContent(text: string, kind: string): void {
  const report = load(kind);
  const s = report.suspects[0]!;
  const f = flat(text);
  expect(text.startsWith('LEAKING checkout-api · pid')).toBe(true);
  expect(text).toContain('Growing signals');
  expect(f).toContain(`time to OOM:`);
  // The signals that grew, with slope and window.
  for (const sig of report.signals) {
    const label = sig.name.startsWith('handles.') ? sig.name.slice('handles.'.length) : sig.name.replace('.', ' ');
    expect(text).toMatch(new RegExp(`^  [●○] ${label} +[+-][\\d.,]+(?: \\S+)?/(s|min|h) over 2m 30s`, 'm'));
  }
  // Sparklines: heap floor, the leaking handle type, event-loop lag.
  expect(text).toMatch(new RegExp(`^  heap floor +${SPARK_RE.source}`, 'm'));
  expect(text).toMatch(new RegExp(`^  loop lag p99 +${SPARK_RE.source} +now [\\d.]+ ms, max [\\d.]+ ms`, 'm'));
  for (const sig of report.signals.filter((x) => x.name.startsWith('handles.'))) {
    expect(text).toMatch(new RegExp(`^  ${sig.name.slice('handles.'.length)} +${SPARK_RE.source} +\\d+ → \\d+`, 'm'));
  }
  // The ranked suspect: kind, title, count, growth, site, short stack.
  expect(f).toContain(`1. ${kind} · ${s.title}`);
  expect(f).toContain(`count ${s.count.toLocaleString('en-US')} · growth +${s.growth.toLocaleString('en-US')}`);
  expect(text).toContain(s.site === null ? 'site unknown' : `site ${s.site}`);
  if (s.stack.length > 0) expect(text).toContain(`at ${s.stack[0]}`);
  const more = s.stack.length - 5;
  if (more > 0) expect(text).toContain(`… ${more} more frame${more === 1 ? '' : 's'}`);
  for (const p of report.profiles) expect(text).toContain(p.path);
}

describe('leakwatch view <file>, piped', () => {
  it.each(KINDS)('renders a %s report as plain text that fits 80 columns', (kind) => {
    const r = runCli(['view', fixture(kind)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(ANSI_RE);
    expectReportContent(r.stdout, kind);
    const wide = r.stdout.split('\n').filter((l) => cells(l) > 80);
    expect(wide).toEqual([]);
  });

  it('ranks every suspect kind of one report in order, with profiles and notes', () => {
    const r = runCli(['view', fixture('all')]);
    expect(r.status).toBe(0);
    const report = load('all');
    const text = flat(r.stdout);
    let at = -1;
    report.suspects.forEach((s, i) => {
      const next = text.indexOf(`${i + 1}. ${s.kind} · ${s.title}`);
      expect(next).toBeGreaterThan(at);
      at = next;
    });
    expect(text).toContain('38.2 MiB live');
    expect(text).toContain('pprof-heap, 180 KiB:');
    expect(text).toContain(report.notes[0]);
    expect(text).toContain('Dropped: suspects 3');
    expect(text).toContain('○ open fds');
    expect(r.stdout.split('\n').filter((l) => cells(l) > 80)).toEqual([]);
  });

  it('shows 10 suspects and says how many more; --all shows every one', () => {
    const dir = tmpDir();
    const report = load('timer');
    const many = {
      ...report,
      suspects: Array.from({ length: 14 }, (_, i) => ({ ...report.suspects[0]!, title: `suspect number ${i + 1}` })),
    };
    const file = path.join(dir, 'many.json');
    fs.writeFileSync(file, JSON.stringify(many));
    const r = runCli(['view', file]);
    expect(r.stdout).toContain('10. timer · suspect number 10');
    expect(r.stdout).not.toContain('suspect number 11');
    expect(r.stdout).toContain('… 4 more suspects (--all shows them)');
    const all = runCli(['view', '--all', file]);
    expect(all.stdout).toContain('14. timer · suspect number 14');
    expect(all.stdout).not.toContain('more suspects');
  });

  it('prints markup as text and control characters from a report as visible escapes', () => {
    const r = runCli(['view', fixture('hostile')]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('ansi=\\x1b[2J\\x1b[31mred\\x1b[0m');
    expect(r.stdout).toContain('site /srv/app/<img src=x onerror=alert(1)>.js:3:7');
    expect(r.stdout).not.toContain('\u2028');
  });

  it('--json prints the report without its series, suspects ranked', () => {
    const r = runCli(['view', '--json', fixture('socket')]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & {
      suspects: { rank: number; kind: string; site: string }[];
    };
    expect(out.series).toBeUndefined();
    expect(out.samples).toBe(300);
    expect(out.file).toBe(fixture('socket'));
    expect(out.verdict).toBe('leaking');
    expect(out.suspects[0]).toMatchObject({ rank: 1, kind: 'socket', site: '/srv/checkout/src/cache/redis.js:17:12' });
  });
});

describe('leakwatch view <file>, on a terminal', () => {
  it.each(KINDS)('colours a %s report and says the same things', (kind) => {
    const r = runCliInPty(['view', fixture(kind)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(ANSI_RE);
    expect(r.stdout).toContain('\u001b[1m\u001b[31mLEAKING');
    const text = stripAnsi(r.stdout);
    expect(text).not.toContain('\u001b');
    expectReportContent(text, kind);
  });

  it('stays plain on a terminal when NO_COLOR is set or --no-color is given', () => {
    expect(runCliInPty(['view', fixture('timer')], { NO_COLOR: '1' }).stdout).not.toMatch(ANSI_RE);
    expect(runCliInPty(['view', '--no-color', fixture('timer')]).stdout).not.toMatch(ANSI_RE);
  });

  it('colours piped output when FORCE_COLOR or --color asks for it', () => {
    expect(runCli(['view', fixture('timer')], { FORCE_COLOR: '1' }).stdout).toMatch(ANSI_RE);
    expect(runCli(['view', '--color', fixture('timer')]).stdout).toMatch(ANSI_RE);
    expect(runCli(['view', fixture('timer')], { FORCE_COLOR: '0' }).stdout).not.toMatch(ANSI_RE);
  });
});

describe('leakwatch view: unreadable reports', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated', 'LEAKWATCH_ERR_REPORT_CORRUPT', /is not valid JSON .*truncated/],
    ['wrong-version', 'LEAKWATCH_ERR_REPORT_VERSION', /has report version 99; this leakwatch reads version 1/],
    ['not-a-report', 'LEAKWATCH_ERR_REPORT_CORRUPT', /is not a leakwatch report/],
    ['missing-fields', 'LEAKWATCH_ERR_REPORT_CORRUPT', /is missing or has malformed fields: detectedAt/],
  ];
  it.each(cases)('%s: one clear line on stderr, exit 1', (name, code, message) => {
    for (const args of [['view'], ['view', '--json'], ['view', '--html', '-o', path.join(tmpDir(), 'x.html')]]) {
      const r = runCli([...args, fixture(name)]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`leakwatch: ${fixture(name)}`);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toContain(`[${code}]`);
    }
  });

  it('an empty file is corrupt too', () => {
    const file = path.join(tmpDir(), 'empty.json');
    fs.writeFileSync(file, '');
    const r = runCli(['view', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON .*LEAKWATCH_ERR_REPORT_CORRUPT/);
  });

  it('a missing file says so and exits non-zero', () => {
    const missing = path.join(tmpDir(), 'nope.json');
    const r = runCli(['view', missing]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`leakwatch: no such file or directory: ${missing}\n`);
  });

  it('bad arguments print usage and exit 2', () => {
    const r = runCli(['view', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
    expect(r.stderr).toContain('usage: leakwatch view');
    expect(runCli(['view', '--json', '--html']).status).toBe(2);
    expect(runCli(['view', '-o', 'x.html']).status).toBe(2);
    // A value on a switch is refused, not read as "on".
    const colorNo = runCli(['view', '--color=no', fixture('timer')]);
    expect(colorNo.status).toBe(2);
    expect(colorNo.stdout).toBe('');
    expect(colorNo.stderr).toContain('--color takes no value (got --color=no)');
    expect(runCli(['view', '--json=false', fixture('timer')]).status).toBe(2);
    expect(runCli(['view', '--html', '-o', '-', '--open', fixture('timer')]).stderr).toContain(
      '--open needs a file to open',
    );
  });

  it.skipIf(process.platform === 'win32')('a FIFO named like a report is refused, not waited on', () => {
    const fifo = path.join(tmpDir(), 'leakwatch-1-2026-11-26T20-33-56-543Z.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = runCli(['view', fifo]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`leakwatch: cannot read ${fifo} (not a regular file)\n`);
    // In a listing, it is one unreadable entry.
    const listed = runCli(['view', path.dirname(fifo)]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('not a regular file');
  });

  it('--width takes decimal digits only', () => {
    for (const w of ['0x50', '1e2', '80.0', ' 80'])
      expect(runCli(['view', '--width', w, fixture('timer')]).status, w).toBe(2);
    expect(runCli(['view', '--width', '80', fixture('timer')]).status).toBe(0);
  });

  it('a file that is not JSON: its control characters are escaped in the error, not sent to the terminal', () => {
    const file = path.join(tmpDir(), 'ansi.json');
    fs.writeFileSync(file, '\u001b[2J\u001b[31mHACKED\u202e');
    const r = runCli(['view', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    expect(r.stderr).toContain('\\x1b[2J');
    expect(r.stderr).toMatch(/LEAKWATCH_ERR_REPORT_CORRUPT\]\n$/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a signal entry that is not an object renders as ? instead of stopping the report', () => {
    const report = load('timer') as unknown as { signals: unknown[] };
    report.signals = [null, 7, ...report.signals];
    const file = path.join(tmpDir(), 'null-signal.json');
    fs.writeFileSync(file, JSON.stringify(report));
    const r = runCli(['view', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}○ \? +\? over \?/m);
    expect(runCli(['view', '--html', '-o', path.join(tmpDir(), 'n.html'), file]).status).toBe(0);
  });
});

describe('leakwatch: output that cannot be written', () => {
  it('a full disk is an error: one line, status 1', () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      for (const args of [['view', fixture('timer')], ['version'], ['--help']]) {
        const r = spawnSync(process.execPath, [CLI, ...args], {
          stdio: ['ignore', full, 'pipe'],
          encoding: 'utf8',
          env: cleanEnv(),
        });
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(/^leakwatch: cannot write output \(ENOSPC[^\n]*\)\n$/);
      }
    } finally {
      fs.closeSync(full);
    }
  });

  it('a reader that quits early (| head) is not an error: no stack trace, the status of the command', async () => {
    for (const args of [['--help'], ['version'], ['view', '--help'], ['why', '--help'], ['view', fixture('timer')]]) {
      // The read end is closed before the CLI writes anything.
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      expect(stderr, args.join(' ')).toBe('');
      expect(status, args.join(' ')).toBe(0);
    }
  });

  it('leakwatch with no command prints usage on stderr and exits 2', () => {
    const r = runCli([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('usage: leakwatch <command>');
  });
});

describe('leakwatch view <dir>', () => {
  it('an empty directory has nothing to show', () => {
    const dir = tmpDir();
    const r = runCli(['view', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`No leak reports in ${dir}: nothing to show.\n`);
  });

  it('defaults to LEAKWATCH_REPORT_DIR, even when it does not exist yet', () => {
    const dir = tmpDir();
    expect(runCli(['view'], { LEAKWATCH_REPORT_DIR: dir }).stdout).toBe(
      `No leak reports in ${dir}: nothing to show.\n`,
    );
    const absent = path.join(dir, 'not-yet');
    const r = runCli(['view'], { LEAKWATCH_REPORT_DIR: absent });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`No leak reports in ${absent}`);
    // --html has nothing to render: a clear line and a non-zero exit.
    const html = runCli(['view', '--html'], { LEAKWATCH_REPORT_DIR: absent });
    expect(html.status).toBe(1);
    expect(html.stderr).toBe(
      `leakwatch: no leak report in ${absent} (no report has been written there yet): nothing to show\n`,
    );
  });

  it('lists reports newest first with time, pid, service, verdict and top suspect', () => {
    const dir = tmpDir();
    const put = (kind: string, pid: number, service: string, detectedAt: string) => {
      const r = { ...load(kind), pid, service, detectedAt };
      const name = `leakwatch-${pid}-${detectedAt.replace(/[:.]/g, '-')}.json`;
      fs.writeFileSync(path.join(dir, name), JSON.stringify(r));
      return path.join(dir, name);
    };
    const oldest = put('socket', 111, 'cart', '2026-11-20T10:00:00.000Z');
    const newest = put('timer', 333, 'checkout', '2026-11-26T10:00:00.000Z');
    const middle = put('handle', 222, 'search', '2026-11-23T10:00:00.000Z');
    fs.writeFileSync(path.join(dir, 'leakwatch-444-2026-11-24T10-00-00-000Z.json'), '{"tool":"leakwatch","vers');
    fs.writeFileSync(path.join(dir, 'notes.json'), '{}');
    fs.writeFileSync(path.join(dir, 'leakwatch-333-2026-11-26T10-00-00-000Z.html'), '<p>');

    const r = runCli(['view', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(ANSI_RE);
    const out = r.stdout;
    expect(out.split('\n')[0]).toBe(`4 reports in ${dir}, newest first`);
    expect(out).toContain(
      '2026-11-26 10:00:00Z  leaking  checkout  pid 333\n    timer: 412 live intervals of 5s, callback pollUpstream\n',
    );
    expect(out).toContain(
      '2026-11-20 10:00:00Z  leaking  cart  pid 111\n    socket: 318 open sockets to 127.0.0.1:6379, never closed\n',
    );
    expect(out).toContain('pid 222\n    handle: 612 active FSReqCallback handles (+600)\n');
    expect(out).toMatch(
      /\n2026-11-24 10:00:00Z {2}unreadable {2}pid 444\n {4}the file is not valid JSON .*\n.*\n {4}\S+leakwatch-444-/,
    );
    expect(out.indexOf(newest)).toBeLessThan(out.indexOf(middle));
    expect(out.indexOf(middle)).toBeLessThan(out.indexOf(oldest));
    expect(out).not.toContain('notes.json');
    expect(out.split('\n').filter((l) => cells(l) > 80 && !l.includes(dir))).toEqual([]);

    const json = JSON.parse(runCli(['view', '--json', dir]).stdout) as {
      reports: {
        file: string;
        pid: number | null;
        verdict: string;
        topSuspect: { kind: string } | null;
        error: string | null;
      }[];
    };
    expect(json.reports.map((x) => x.pid)).toEqual([333, 444, 222, 111]);
    expect(json.reports.map((x) => x.topSuspect?.kind ?? null)).toEqual(['timer', null, 'handle', 'socket']);
    expect(json.reports[1]).toMatchObject({
      verdict: 'unreadable',
      error: expect.stringContaining('is not valid JSON'),
    });

    // A directory given to --html means its newest readable report.
    const html = runCli(['view', '--html', dir, '-o', '-']);
    expect(html.status).toBe(0);
    expect(html.stdout).toContain('pid 333');
  });
});
