/** The viewers' shared model, downsampling and sparklines (issue 6). */
import { describe, expect, it } from 'vitest';
import type { LeakReport } from '../../reports/report-schema';
import { drawSparkline } from '../../reports/sparkline';
import { downsampleMinMax } from '../../reports/view-downsample';
import { formatBytes, formatDuration, formatRate } from '../../reports/view-format';
import { MAX_HANDLE_SERIES } from '../../reports/view-charts';
import { buildViewModel, DEFAULT_MAX_POINTS } from '../../reports/view-model';
import { sanitizeText } from '../../reports/safe-text';
import { renderReportText, truncateMiddle, wrap } from '../../reports/view-terminal';
import { renderHtml } from '../../reports/view-html';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeReport } = require('../fixtures/reports/make-report.js') as { makeReport: (o?: object) => LeakReport };

describe('downsampleMinMax', () => {
  it('keeps every sample when they fit', () => {
    const d = downsampleMinMax([1, 2, 3], { a: [5, null, 7] }, ['a'], 10);
    expect(d).toEqual({ t: [1, 2, 3], columns: { a: [5, null, 7] }, bucketSize: 1 });
  });

  it("keeps each bucket's lowest and highest reading, in the order they happened", () => {
    const t = Array.from({ length: 12 }, (_, i) => i * 1000);
    //           bucket 0        bucket 1         bucket 2
    const a = [1, 9, 5, 3, /**/ 8, 2, 4, 4, /**/ null, null, null, null];
    const d = downsampleMinMax(t, { a }, ['a'], 6);
    expect(d.bucketSize).toBe(4);
    expect(d.t).toEqual([0, 3000, 4000, 7000, 8000, 11000]);
    expect(d.columns.a).toEqual([1, 9, 8, 2, null, null]);
  });

  it('bounds the points, and a spike in 100,000 samples survives', () => {
    const n = 100_000;
    const t = Array.from({ length: n }, (_, i) => i);
    const lag = Array.from({ length: n }, (_, i) => (i === 61_234 ? 500 : 1 + (i % 7) / 10));
    const d = downsampleMinMax(t, { lag }, ['lag'], 2000);
    expect(d.t.length).toBeLessThanOrEqual(2000);
    expect(d.columns.lag).toHaveLength(d.t.length);
    expect(Math.max(...(d.columns.lag as number[]))).toBe(500);
    expect(Math.min(...(d.columns.lag as number[]))).toBe(1);
    // Time stays ordered.
    for (let i = 1; i < d.t.length; i++) expect(d.t[i]!).toBeGreaterThan(d.t[i - 1]!);
  });

  it('pads a column shorter than the time axis with nulls', () => {
    const d = downsampleMinMax([1, 2, 3], { a: [4] }, ['a', 'missing'], 10);
    expect(d.columns).toEqual({ a: [4, null, null], missing: [null, null, null] });
  });
});

describe('drawSparkline', () => {
  it('draws a rise from the lowest to the highest block', () => {
    const s = drawSparkline([0, 1, 2, 3, 4, 5, 6, 7], 8);
    expect(s.text).toBe('▁▂▃▄▅▆▇█');
    expect(s).toMatchObject({ min: 0, max: 7, first: 0, last: 7 });
  });

  it('draws each bucket at its maximum, so a one-sample spike shows', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 503 ? 100 : 1));
    expect(drawSparkline(values, 10).text).toBe('▁▁▁▁▁█▁▁▁▁');
  });

  it('draws flat as flat, gaps as spaces, and small noise small with minSpan', () => {
    expect(drawSparkline([5, 5, 5, 5], 4).text).toBe('▁▁▁▁');
    expect(drawSparkline([1, null, null, 3], 4).text).toBe('▁  █');
    expect(drawSparkline([8, 11, 8, 11], 4, { minSpan: 10 }).text).toBe('▁▃▁▃');
    expect(drawSparkline([], 10).text).toBe('');
  });
});

describe('formatting', () => {
  it('reads as people read it', () => {
    expect(formatBytes(40 * 1024 * 1024)).toBe('40.0 MiB');
    expect(formatBytes(4144 * 1024 * 1024)).toBe('4.0 GiB');
    expect(formatDuration(24_000_000)).toBe('6h 40m');
    expect(formatDuration(150_000)).toBe('2m 30s');
    expect(formatRate(2, 'count')).toBe('+2/s');
    expect(formatRate(0.05, 'count')).toBe('+3/min');
    expect(formatRate((8 * 1024 * 1024) / 60, 'bytes')).toBe('+8.0 MiB/min');
    expect(formatRate(512, 'bytes')).toBe('+1.8 MiB/h');
  });

  it('makes report strings safe for a terminal', () => {
    expect(sanitizeText('a\u001b[2Jb\rc\u009bd')).toBe('a\\x1b[2Jb\\x0dc\\x9bd');
    expect(truncateMiddle('abcdefghij', 5)).toBe('ab…ij');
    expect(wrap('one two three four', 14, '  ')).toEqual(['  one two', '  three four']);
  });

  // A wrapped detail line once began with its separator (the demo's socket suspect).
  it('keeps a · separator at the end of the line before a break', () => {
    expect(wrap('aaaa=1 · bbbb=2 · cccc=3', 16, '')).toEqual(['aaaa=1 ·', 'bbbb=2 · cccc=3']);
  });
});

describe('buildViewModel', () => {
  it('charts heap (used, floor, limit), handles by type and loop lag over one time axis', () => {
    const m = buildViewModel(makeReport({ kind: 'socket' }), 'x.json');
    expect(m.charts.map((c) => c.id)).toEqual(['heap', 'handles', 'loop']);
    const heap = m.charts[0]!;
    expect(heap.series.map((s) => s.name)).toEqual(['heap.used', 'heap.floor', 'rss', 'heap.limit']);
    // 4 GiB limit over a ~100 MiB heap: drawn only on request, and said so.
    expect(heap.series.find((s) => s.name === 'heap.limit')?.show).toBe(false);
    expect(heap.notes[0]).toContain('4.0 GiB');
    const handles = m.charts[1]!.series.map((s) => s.name);
    expect(handles[0]).toBe('handles.TCPSocketWrap');
    expect(handles).toContain('fds');
    expect(m.charts[2]!.series.map((s) => s.name)).toEqual(['loop.p50', 'loop.p99', 'loop.max']);
    for (const c of m.charts) for (const s of c.series) expect(s.values).toHaveLength(m.t.length);
    expect(m.windowStartMs).toBe(m.detectedAtMs - 150_000);
  });

  it('names the limit line after what time to OOM counted to', () => {
    const labelOf = (limitSource: string, limitBytes = 4144 * 2 ** 20) => {
      const report = makeReport({ kind: 'heap' });
      report.timeToOom = { limitBytes, limitSource, signal: 'heap.floor', seconds: 60 } as LeakReport['timeToOom'];
      const heap = buildViewModel(report, 'x.json').charts[0]!;
      return { label: heap.series.find((s) => s.name === 'heap.limit')?.label, notes: heap.notes };
    };
    expect(labelOf('v8-heap').label).toBe('heap limit');
    expect(labelOf('v8-old-space').label).toBe('old space limit');
    expect(labelOf('v8-old-space').notes[0]).toMatch(/^The old space limit \(4\.0 GiB\) is hidden/);
    expect(labelOf('cgroup').label).toBe('container limit');
    // From another version, or made up: not taken for a heap limit.
    expect(labelOf('toString').label).toBe('limit');
  });

  it('says a heap floor judged on its major-GC readings rose at each, in place of the p-value', () => {
    const r = makeReport({ kind: 'heap' });
    const floor = r.signals.find((s) => s.name === 'heap.floor')!;
    expect(buildViewModel(r, 'x.json').signals.find((s) => s.name === 'heap.floor')!.pValue).toMatch(/^p[<=]/);
    floor.majorGcs = 3;
    floor.pValue = 1 / 3;
    const view = buildViewModel(r, 'x.json').signals.find((s) => s.name === 'heap.floor')!;
    expect(view.pValue).toBe('rose at 3 major GCs');
    expect(renderReportText(buildViewModel(r, 'x.json'), { color: false, width: 120 })).toContain(
      'rose at 3 major GCs',
    );
    expect(renderHtml(buildViewModel(r, 'x.json'), { js: '', css: '' })).toContain(
      '<td class="num">rose at 3 major GCs</td>',
    );
  });

  it("names a bound anonymous callback as the suspect's title does", () => {
    const r = makeReport({ kind: 'timer' });
    const s = r.suspects[0]!;
    s.callback = { name: 'bound ', location: 'node:net:581:39' };
    expect(buildViewModel(r, 'x.json').suspects[0]!.callback).toBe('bound (anonymous) (node:net:581:39)');
    s.callback = { name: '', location: null };
    expect(buildViewModel(r, 'x.json').suspects[0]!.callback).toBe('(anonymous)');
  });

  it('downsamples 100,000 samples and caps the handle types drawn', () => {
    const r = makeReport({ kind: 'timer', samples: 100_000 });
    for (let i = 0; i < 15; i++) r.series.columns[`handles.Extra${i}`] = r.series.t.map(() => i + 1);
    const m = buildViewModel(r, 'x.json');
    expect(m.samples).toBe(100_000);
    expect(m.points).toBeLessThanOrEqual(DEFAULT_MAX_POINTS);
    expect(m.bucketSize).toBe(100);
    const handles = m.charts[1]!;
    expect(handles.series.filter((s) => s.name.startsWith('handles.'))).toHaveLength(MAX_HANDLE_SERIES);
    expect(handles.notes[0]).toMatch(/^Not drawn \(\d+ more types/);
  });

  it('shows what it can of malformed inner fields instead of throwing', () => {
    const r = makeReport({ kind: 'timer' }) as unknown as Record<string, unknown>;
    r.config = null;
    r.timeToOom = 'soon';
    r.signals = [{ name: 42 }];
    r.suspects = [{ kind: 'timer', count: 3, stack: [7, null], title: null, site: 5, detail: { a: null } }];
    r.profiles = [null];
    r.notes = 'none';
    const m = buildViewModel(r as unknown as LeakReport, 'x.json');
    expect(m.suspects[0]).toMatchObject({
      title: 'timer suspect',
      site: null,
      stack: ['7', ''],
      detail: [['a', 'null']],
    });
    expect(m.signals[0]!.slope).toBe('?');
    expect(m.notes).toEqual([]);
  });

  // The terminal's short stack showed Node's module loader under a
  // top-level creation; the full stack keeps those frames.
  it("leaves the module loader's frames out of the short stack, and counts them as more frames", () => {
    const r = makeReport({ kind: 'timer' });
    const stack = [
      'Object.<anonymous> (/srv/app/lib.js:1:1)',
      'Module._compile (node:internal/modules/cjs/loader:1521:14)',
      'require (node:internal/modules/helpers:177:18)',
      'Object.<anonymous> (/srv/app/app.js:2:1)',
      'node:internal/main/run_main_module:28:49',
    ];
    (r.suspects[0] as unknown as { stack: string[] }).stack = stack;
    const m = buildViewModel(r, 'x.json');
    expect(m.suspects[0]!.stack).toEqual(stack);
    expect(m.suspects[0]!.shortStack).toEqual([stack[0], stack[3]]);
    expect(m.suspects[0]!.moreFrames).toBe(3);
    // One hidden frame is "1 more frame".
    (r.suspects[0] as unknown as { stack: string[] }).stack = [
      'a (/srv/a.js:1:1)',
      'b (/srv/b.js:1:1)',
      'c (/srv/c.js:1:1)',
      'd (/srv/d.js:1:1)',
      'e (/srv/e.js:1:1)',
      'f (/srv/f.js:1:1)',
    ];
    const text = renderReportText(buildViewModel(r, 'x.json'), { color: false });
    expect(text).toContain('… 1 more frame\n');
  });
});

describe('a worker thread report', () => {
  it("names the thread beside the pid; the main thread's, and a bad value, name the pid alone", () => {
    const worker = buildViewModel({ ...makeReport(), pid: 4242, threadId: 3 } as LeakReport, 'r.json');
    expect(worker.thread).toBe(3);
    expect(worker.pidLabel).toBe('pid 4242, worker thread 3');
    expect(renderReportText(worker, { color: false, width: 100 })).toContain('· pid 4242, worker thread 3 ·');
    const html = renderHtml(worker, { js: '', css: '' });
    expect(html).toContain('(pid 4242, worker thread 3)</title>');
    expect(html).toContain('<dt>worker thread</dt><dd>3</dd>');
    const main = buildViewModel({ ...makeReport(), pid: 4242 }, 'r.json');
    expect([main.thread, main.pidLabel]).toEqual([null, 'pid 4242']);
    const bad = buildViewModel({ ...makeReport(), pid: 4242, threadId: -1 } as LeakReport, 'r.json');
    expect([bad.thread, bad.pidLabel]).toEqual([null, 'pid 4242']);
  });
});
