/**
 * The charts of a report: which history columns each draws, the heap
 * limit line, and the notes that say what a chart leaves out. Pure; part
 * of the view model (./view-model) that both viewers render from.
 */
import type { SignalTrend } from './report-schema';
import { columnLabel, columnUnit, formatBytes } from './view-format';

/** Handle types charted; the rest are named in a note. */
export const MAX_HANDLE_SERIES = 10;
/**
 * The limit line (the one time to OOM counts to) is hidden at first (one click in the legend shows it)
 * when it is this many times above the largest heap reading: drawn, it would
 * flatten the curves that matter into the bottom pixel rows.
 */
export const LIMIT_HIDE_RATIO = 4;

/** One line of a chart. */
export interface ChartSeriesView {
  /** History column, or `heap.limit` for the limit line. */
  name: string;
  label: string;
  unit: SignalTrend['unit'];
  values: (number | null)[];
  /** Shown when the page opens (all series can be toggled). */
  show: boolean;
}

/** One chart of the HTML page, with the notes that say what it leaves out. */
export interface ChartView {
  id: 'heap' | 'handles' | 'loop';
  title: string;
  unit: SignalTrend['unit'];
  series: ChartSeriesView[];
  notes: string[];
}

/** The columns each chart draws, and the handle types left out. */
export interface ChartColumns {
  heap: string[];
  handles: string[];
  handlesOmitted: string[];
  loop: string[];
}

/** Which columns the charts draw; handle types ranked by growth, then size. */
export function chartColumns(columns: Record<string, readonly unknown[]>): ChartColumns {
  const has = (name: string) => columns[name] !== undefined;
  const handleTypes = Object.keys(columns)
    .filter((name) => name.startsWith('handles.'))
    .map((name) => ({ name, ...range(columns[name] as readonly unknown[]) }))
    .filter((h) => h.max > 0)
    .sort((a, b) => b.last - b.first - (a.last - a.first) || b.max - a.max || a.name.localeCompare(b.name));
  return {
    heap: ['heap.used', 'heap.floor', 'rss'].filter(has),
    handles: [...handleTypes.slice(0, MAX_HANDLE_SERIES).map((h) => h.name), ...(has('fds') ? ['fds'] : [])],
    handlesOmitted: handleTypes.slice(MAX_HANDLE_SERIES).map((h) => h.name),
    loop: ['loop.p50', 'loop.p99', 'loop.max'].filter(has),
  };
}

/** First, last and largest finite reading. */
function range(values: readonly unknown[]): { first: number; last: number; max: number } {
  let first = NaN;
  let last = NaN;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    last = v;
    if (v > max) max = v;
  }
  return { first: Number.isNaN(first) ? 0 : first, last: Number.isNaN(last) ? 0 : last, max };
}

/** The limit time to OOM counted to, as the heap chart draws it. */
export interface ChartLimit {
  bytes: number;
  /** What it is: `old space limit`, `heap limit` or `container limit`. */
  label: string;
}

/** How each `timeToOom.limitSource` is named on the chart. */
const LIMIT_LABELS: Readonly<Record<string, string>> = {
  'v8-old-space': 'old space limit',
  'v8-heap': 'heap limit',
  cgroup: 'container limit',
};

/** The chart's name for a report's limit source; an unknown one is just `limit`. */
export function limitLabel(source: string): string {
  return Object.hasOwn(LIMIT_LABELS, source) ? (LIMIT_LABELS[source] as string) : 'limit';
}

/** The three charts of the HTML page (heap, handles, event-loop lag) from the downsampled columns. */
export function buildCharts(
  columns: Record<string, (number | null)[]>,
  wanted: ChartColumns,
  limit: ChartLimit | null,
  points: number,
): ChartView[] {
  const series = (name: string, show = true): ChartSeriesView => ({
    name,
    label: columnLabel(name),
    unit: columnUnit(name),
    values: columns[name] ?? [],
    show,
  });
  const heap: ChartView = {
    id: 'heap',
    title: 'Heap',
    unit: 'bytes',
    series: wanted.heap.map((n) => series(n, n !== 'rss')),
    notes: [],
  };
  if (limit !== null) {
    const largest = Math.max(0, ...wanted.heap.map((n) => range(columns[n] ?? []).max));
    const show = limit.bytes <= largest * LIMIT_HIDE_RATIO;
    heap.series.push({
      name: 'heap.limit',
      label: limit.label,
      unit: 'bytes',
      values: new Array(points).fill(limit.bytes),
      show,
    });
    if (!show)
      heap.notes.push(
        `The ${limit.label} (${formatBytes(limit.bytes)}) is hidden so the curves stay readable: click it in the legend to draw it.`,
      );
  }
  const handles: ChartView = {
    id: 'handles',
    title: 'Handles by type',
    unit: 'count',
    series: wanted.handles.map((n) => series(n)),
    notes: [],
  };
  if (wanted.handlesOmitted.length > 0) {
    handles.notes.push(
      `Not drawn (${wanted.handlesOmitted.length} more types, smaller growth): ${wanted.handlesOmitted.map(columnLabel).join(', ')}.`,
    );
  }
  const loop: ChartView = {
    id: 'loop',
    title: 'Event-loop lag',
    unit: 'ms',
    series: wanted.loop.map((n) => series(n)),
    notes: [],
  };
  return [heap, handles, loop];
}
