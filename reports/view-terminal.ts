/**
 * The terminal viewer: a report (or a list of reports) as text that reads
 * at 80 columns, with ANSI colour only when asked for. Pure: it returns
 * strings; the command decides where they go and whether to colour.
 */
import { sanitizeText } from './safe-text';
import { drawSparkline } from './sparkline';
import { formatClock, formatDuration, formatTime, formatValue } from './view-format';
import type { ReportListEntry } from './view-list';
import type { ChartSeriesView } from './view-charts';
import { pidLabel, type SuspectView, type ViewModel } from './view-model';

/** How the terminal view is rendered. */
export interface TextOptions {
  /** Emit ANSI colour (only for a TTY, never when NO_COLOR is set). */
  color: boolean;
  /** Columns to fit (default 80). */
  width?: number;
  /** Suspects to show (default 10; Infinity for all). */
  maxSuspects?: number;
}

/** Columns when the output is not a terminal. */
export const DEFAULT_WIDTH = 80;
/** Suspects shown unless `--all`. */
export const DEFAULT_MAX_SUSPECTS = 10;
/** Handle types drawn as sparklines; the HTML page draws more. */
const MAX_HANDLE_LINES = 6;
const LABEL_WIDTH = 16;
/**
 * Handle types with fewer live handles are left to the HTML view unless
 * they are a growing signal: the detector's own minimum growth for handles
 * is 10 (agent/judge.ts HANDLE_SPEC), so fewer cannot be a leak by count.
 */
const MIN_HANDLES_DRAWN = 10;
/**
 * The least range a sparkline spans, per unit: the detector's minimum
 * growth for such a signal (agent/judge.ts), so noise below what could
 * ever be a leak draws small, and a flat line draws flat.
 */
const SPARK_MIN_SPAN: Readonly<Record<ChartSeriesView['unit'], number>> = {
  bytes: 4 * 1024 * 1024,
  count: 10,
  ms: 50,
  ratio: 0.1,
};

type Paint = (text: string) => string;
interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
  cyan: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

function palette(color: boolean): Palette {
  if (!color) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
  };
}

/** Length in terminal cells (code points; the viewers print no wide glyphs). */
const cells = (text: string): number => [...text].length;

/** Cuts the middle out of a line too long for `width`, keeping both ends. */
export function truncateMiddle(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  const keep = Math.max(1, width - 1);
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

const truncateEnd = (text: string, width: number): string => {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
};

/**
 * Word-wraps `text` to `width`: the first line starts with `indent`, the
 * others with `hanging` (default: the same indent). A ` · ` separator stays
 * at the end of the line before it, never at the start of the next.
 */
export function wrap(text: string, width: number, indent: string, hanging = indent): string[] {
  const roomOf = (prefix: string) => Math.max(10, width - cells(prefix));
  if (cells(text) <= roomOf(indent)) return [indent + text];
  const words: string[] = [];
  for (const word of text.split(/ +/)) {
    if (word === '·' && words.length > 0) words[words.length - 1] += ' ·';
    else words.push(word);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const room = roomOf(lines.length === 0 ? indent : hanging);
    if (line === '') line = word;
    else if (cells(line) + 1 + cells(word) <= room) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  // A single word longer than the room (a path) is cut in the middle.
  return lines.map((l, i) => {
    const prefix = i === 0 ? indent : hanging;
    return prefix + truncateMiddle(l, roomOf(prefix));
  });
}

/** Renders one report for the terminal. */
export function renderReportText(model: ViewModel, options: TextOptions): string {
  const p = palette(options.color);
  const width = options.width ?? DEFAULT_WIDTH;
  const s = sanitizeText;
  const out: string[] = [];
  const verdict = s(model.verdict).toUpperCase();
  const head = wrap(
    `${verdict} ${s(model.service)} · ${model.pidLabel} · ${s(model.hostname)} · node ${s(model.nodeVersion)}`,
    width,
    '',
  );
  const paint = model.verdict === 'leaking' ? p.red : p.cyan;
  head[0] = p.bold(paint(verdict)) + (head[0] ?? '').slice(verdict.length);
  out.push(...head);
  out.push(
    ...wrap(
      `detected ${formatTime(model.detectedAtMs)}, ${formatDuration(model.detectedAtMs - model.startedAtMs)} after start (leakwatch ${s(model.agentVersion)})`,
      width,
      '',
    ),
  );
  const armed = model.armedAtMs === null ? 'tracking not armed' : `tracking armed ${formatClock(model.armedAtMs)}`;
  out.push(
    ...wrap(
      `window ${formatDuration(model.windowMs)} (${formatClock(model.windowStartMs)} → ${formatClock(model.detectedAtMs)}), ${armed}, sampled every ${formatDuration(model.intervalMs)}`,
      width,
      '',
    ),
  );
  out.push(p.dim(truncateMiddle(s(model.source), width)));

  out.push(
    '',
    p.bold(model.signals.length === 0 ? 'No growing signals' : 'Growing signals (● crossed the leak threshold)'),
  );
  for (const sig of model.signals) {
    const mark = sig.leaking ? p.red('●') : p.yellow('○');
    const line = `${padCells(truncateEnd(s(sig.label), 14), 14)} ${sig.slope} over ${sig.window}  ${sig.from} → ${sig.to}  ${sig.pValue}`;
    const [first, ...rest] = wrap(line, width, '    ');
    out.push(`  ${mark} ${(first ?? '').slice(4)}`, ...rest);
  }
  if (model.timeToOom !== null) out.push(...wrap(`time to OOM: ${model.timeToOom}`, width, '  '));

  out.push('', ...renderSparklines(model, width, p));
  out.push('', ...renderSuspects(model, width, options.maxSuspects ?? DEFAULT_MAX_SUSPECTS, p));

  if (model.profiles.length > 0) {
    out.push('', p.bold('Profiles'));
    for (const f of model.profiles) out.push(`  ${s(f.kind)}, ${f.size}:`, `    ${s(f.path)}`);
  }
  if (model.notes.length > 0) {
    out.push('', p.bold('Notes'));
    for (const n of model.notes) out.push(...wrap(`- ${s(n)}`, width, '  ', '    '));
  }
  const dropped = model.dropped.filter(([, n]) => n > 0);
  if (dropped.length > 0)
    out.push('', ...wrap(`Dropped: ${dropped.map(([k, n]) => `${s(k)} ${n}`).join(', ')}`, width, '', '  '));
  return `${out.join('\n')}\n`;
}

const padCells = (text: string, n: number): string => text + ' '.repeat(Math.max(0, n - cells(text)));

function renderSparklines(model: ViewModel, width: number, p: Palette): string[] {
  const range =
    model.t.length > 0
      ? `${formatClock(model.t[0] as number)} → ${formatClock(model.t[model.t.length - 1] as number)}`
      : 'no samples';
  const out = [p.bold(`Series ${range} (${model.samples.toLocaleString('en-US')} samples)`)];
  const find = (chart: string, name: string) =>
    model.charts.find((c) => c.id === chart)?.series.find((x) => x.name === name);
  const rows: ChartSeriesView[] = [];
  const floor = find('heap', 'heap.floor');
  if (floor) rows.push(floor);
  const growing = new Set(model.signals.map((x) => x.name));
  const handles =
    model.charts
      .find((c) => c.id === 'handles')
      ?.series.filter(
        (x) =>
          x.name.startsWith('handles.') &&
          (growing.has(x.name) || Math.max(...x.values.map((v) => v ?? 0)) >= MIN_HANDLES_DRAWN),
      ) ?? [];
  rows.push(...handles.slice(0, MAX_HANDLE_LINES));
  const lag = find('loop', 'loop.p99');
  if (lag) rows.push(lag);
  if (rows.length === 0) out.push('  nothing was sampled');
  // label, sparkline, then "first → last" in up to 24 cells.
  const sparkWidth = Math.max(8, Math.min(48, width - 2 - LABEL_WIDTH - 2 - 24));
  for (const row of rows) {
    const line = drawSparkline(row.values, sparkWidth, { minSpan: SPARK_MIN_SPAN[row.unit] });
    const lag = row.name.startsWith('loop.');
    const span =
      line.first === null || line.last === null || line.max === null
        ? 'no readings'
        : lag
          ? `now ${formatValue(line.last, row.unit)}, max ${formatValue(line.max, row.unit)}`
          : `${formatValue(line.first, row.unit)} → ${formatValue(line.last, row.unit)}`;
    out.push(
      `  ${padCells(truncateEnd(sanitizeText(row.label), LABEL_WIDTH - 1), LABEL_WIDTH)}${p.yellow(line.text)}  ${truncateEnd(span, width - 4 - LABEL_WIDTH - cells(line.text))}`,
    );
  }
  const more = handles.length - MAX_HANDLE_LINES;
  if (more > 0)
    out.push(p.dim(`  … ${more} more handle type${more === 1 ? '' : 's'} in the HTML view (leakwatch view --html)`));
  return out;
}

function renderSuspects(model: ViewModel, width: number, max: number, p: Palette): string[] {
  if (model.suspects.length === 0)
    return [
      p.bold('No suspects'),
      ...wrap('Nothing could be named; the series above and any profiles are what is known.', width, '  '),
    ];
  const out = [p.bold(`Suspects (${model.suspects.length}, most likely first)`)];
  for (const x of model.suspects.slice(0, max)) out.push(...renderSuspect(x, width, p));
  const hidden = model.suspects.length - Math.min(max, model.suspects.length);
  if (hidden > 0) out.push(p.dim(`  … ${hidden} more suspects (--all shows them)`));
  return out;
}

function renderSuspect(x: SuspectView, width: number, p: Palette): string[] {
  const s = sanitizeText;
  const num = `${x.rank}.`;
  const indent = ' '.repeat(2 + num.length + 1);
  const head = wrap(`${s(x.kind)} · ${s(x.title)}`, width, indent);
  head[0] = `  ${p.bold(num)} ${(head[0] ?? '').slice(indent.length)}`;
  const out = [...head];
  const facts = [`count ${x.count}`, `growth ${x.growth} (${x.rate})`];
  if (x.bytes !== null) facts.push(`${x.bytes} live`);
  out.push(...wrap(facts.join(' · '), width, indent));
  // The site is the line to change: printed whole, never cut.
  out.push(`${indent}${p.dim('site')} ${x.site === null ? p.dim('unknown') : p.green(s(x.site))}`);
  if (x.callback !== null) out.push(...wrap(`callback ${s(x.callback)}`, width, indent));
  if (x.detail.length > 0) out.push(...wrap(x.detail.map(([k, v]) => `${s(k)}=${s(v)}`).join(' · '), width, indent));
  for (const frame of x.shortStack)
    out.push(p.dim(`${indent}  ${truncateMiddle(`at ${s(frame)}`, width - indent.length - 2)}`));
  if (x.moreFrames > 0) out.push(p.dim(`${indent}  … ${x.moreFrames} more frame${x.moreFrames === 1 ? '' : 's'}`));
  return out;
}

/** Renders the list of reports in a directory, newest first. */
export function renderListText(dir: string, entries: readonly ReportListEntry[], options: TextOptions): string {
  const p = palette(options.color);
  const width = options.width ?? DEFAULT_WIDTH;
  const s = sanitizeText;
  if (entries.length === 0) return `No leak reports in ${s(dir)}: nothing to show.\n`;
  const out = [p.bold(`${entries.length} report${entries.length === 1 ? '' : 's'} in ${s(dir)}, newest first`)];
  for (const e of entries) {
    out.push('');
    if (e.error !== null) {
      const pid = Number.isNaN(e.pid) ? '' : `  ${pidLabel(e.pid, e.thread)}`;
      out.push(
        `${formatTime(e.detectedAtMs)}  ${p.red('unreadable')}${pid}`,
        ...wrap(s(e.error), width, '    '),
        p.dim(`    ${s(e.file)}`),
      );
      continue;
    }
    const verdict = e.verdict === 'leaking' ? p.red('leaking') : p.cyan(s(e.verdict));
    out.push(
      `${formatTime(e.detectedAtMs)}  ${verdict}  ${p.bold(truncateEnd(s(e.service), 30))}  ${pidLabel(e.pid, e.thread)}`,
    );
    out.push(
      `    ${truncateEnd(e.topSuspect === null ? 'no suspects named' : s(`${e.topSuspect.kind}: ${e.topSuspect.title}`), width - 4)}`,
    );
    out.push(p.dim(`    ${s(e.file)}`));
  }
  return `${out.join('\n')}\n`;
}
