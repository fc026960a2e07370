/**
 * The one model both viewers (terminal and HTML) render from: a report's
 * facts, formatted once, and its series reduced to what a chart can show.
 * Pure: no I/O. Strings taken from the report are kept raw here; each
 * renderer escapes them for its medium.
 */
import type { LeakReport, SignalTrend, SuspectKind } from './report-schema';
import { isModuleLoaderFrameText } from '../probes/stack-frames';
import { buildCharts, type ChartView, chartColumns, limitLabel } from './view-charts';
import { downsampleMinMax } from './view-downsample';
import {
  columnLabel,
  columnUnit,
  displayName,
  formatBytes,
  formatCount,
  formatDuration,
  formatPValue,
  formatRate,
  formatValue,
} from './view-format';

/**
 * Points per chart series in the HTML page: 1,000 buckets of (min, max).
 * A chart 1,000-2,000 px wide cannot show more, and the page stays small
 * (bench/html-render.js: 100,000 samples → under 1 MB of HTML).
 */
export const DEFAULT_MAX_POINTS = 2_000;
/** Frames shown before "… n more" in the short stack. */
export const SHORT_STACK_FRAMES = 5;

/** One judged signal, worded for display. */
export interface SignalView {
  name: string;
  label: string;
  leaking: boolean;
  slope: string;
  window: string;
  growth: string;
  from: string;
  to: string;
  pValue: string;
}

/** One suspect, worded for display. */
export interface SuspectView {
  rank: number;
  kind: SuspectKind | string;
  title: string;
  count: string;
  growth: string;
  rate: string;
  bytes: string | null;
  site: string | null;
  stack: string[];
  shortStack: string[];
  moreFrames: number;
  callback: string | null;
  detail: [string, string][];
}

/** A report as both viewers show it: every string already worded for display. */
export interface ViewModel {
  source: string;
  verdict: string;
  service: string;
  pid: number;
  /** The worker thread whose agent wrote it; null for the main thread. */
  thread: number | null;
  /** `pid 123`, or `pid 123, worker thread 2`. */
  pidLabel: string;
  hostname: string;
  nodeVersion: string;
  agentVersion: string;
  argv: string[];
  startedAtMs: number;
  detectedAtMs: number;
  armedAtMs: number | null;
  intervalMs: number;
  /** The detection window: `[detectedAt - windowMs, detectedAt]`. */
  windowStartMs: number;
  windowMs: number;
  signals: SignalView[];
  /** e.g. `3h 20m (heap floor reaches the 4.0 GiB v8-heap limit)`. */
  timeToOom: string | null;
  limitBytes: number | null;
  /** Samples in the report, points drawn, samples per bucket. */
  samples: number;
  points: number;
  bucketSize: number;
  /** Times (ms since epoch) of the drawn points, shared by every chart. */
  t: number[];
  charts: ChartView[];
  suspects: SuspectView[];
  profiles: { kind: string; path: string; size: string }[];
  notes: string[];
  dropped: [string, number][];
}

/** How the view model is built. */
export interface ViewModelOptions {
  /** Points per chart series after downsampling (default 2,000). */
  maxPoints?: number;
}

// A report passed parseReport's checks, but its inner fields come from a
// watched process: read them defensively, so a malformed field shows as
// "?" instead of crashing the viewer.
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : v == null ? fallback : String(v));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
const time = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : NaN);

/** Builds the view model of a parsed report. */
export function buildViewModel(report: LeakReport, source: string, options: ViewModelOptions = {}): ViewModel {
  const detectedAtMs = time(report.detectedAt);
  const windowMs = num(report.config?.windowMs);
  const t = Array.isArray(report.series.t) ? report.series.t.map(num) : [];
  const raw: Record<string, readonly unknown[]> = {};
  for (const [name, values] of Object.entries(report.series.columns)) if (Array.isArray(values)) raw[name] = values;
  const wanted = chartColumns(raw);
  // Only the charted columns are cleaned (a report has dozens).
  const columns: Record<string, (number | null)[]> = {};
  for (const name of [...wanted.heap, ...wanted.handles, ...wanted.loop]) {
    columns[name] = (raw[name] as readonly unknown[]).map((v) =>
      typeof v === 'number' && Number.isFinite(v) ? v : null,
    );
  }
  const reduced = downsampleMinMax(
    t,
    columns,
    [...wanted.heap, ...wanted.handles, ...wanted.loop],
    options.maxPoints ?? DEFAULT_MAX_POINTS,
  );
  const limitBytes = report.timeToOom ? num(report.timeToOom.limitBytes) : NaN;
  const suspects = report.suspects.map(suspectView);
  return {
    source,
    verdict: str(report.verdict, '?'),
    service: str(report.service, '?'),
    pid: num(report.pid),
    thread: threadOf(report),
    pidLabel: pidLabel(num(report.pid), threadOf(report)),
    hostname: str(report.hostname, '?'),
    nodeVersion: str(report.nodeVersion, '?'),
    agentVersion: str(report.agentVersion, '?'),
    argv: Array.isArray(report.argv) ? report.argv.map((a) => str(a)) : [],
    startedAtMs: time(report.startedAt),
    detectedAtMs,
    armedAtMs: report.armedAt == null ? null : time(report.armedAt),
    intervalMs: num(report.config?.intervalMs),
    windowStartMs: detectedAtMs - windowMs,
    windowMs,
    signals: report.signals.map(signalView),
    timeToOom: timeToOomText(report),
    limitBytes: Number.isFinite(limitBytes) ? limitBytes : null,
    samples: t.length,
    points: reduced.t.length,
    bucketSize: reduced.bucketSize,
    t: reduced.t,
    charts: buildCharts(
      reduced.columns,
      wanted,
      Number.isFinite(limitBytes)
        ? { bytes: limitBytes, label: limitLabel(str(report.timeToOom?.limitSource, '')) }
        : null,
      reduced.t.length,
    ),
    suspects: suspects.map((s, i) => ({ ...s, rank: i + 1 })),
    profiles: report.profiles.map((p) => ({
      kind: str(p?.kind, '?'),
      path: str(p?.path, '?'),
      size: formatBytes(num(p?.bytes)),
    })),
    notes: Array.isArray(report.notes) ? report.notes.map((n) => str(n)) : [],
    dropped:
      report.dropped && typeof report.dropped === 'object'
        ? Object.entries(report.dropped).map(([k, v]) => [k, num(v)])
        : [],
  };
}

function signalView(raw: SignalTrend): SignalView {
  // An entry that is not an object (null, a number) renders as `?`.
  const s = (raw !== null && typeof raw === 'object' ? raw : {}) as Partial<SignalTrend>;
  const unit: SignalTrend['unit'] =
    s.unit !== undefined && (['bytes', 'count', 'ms', 'ratio'] as const).includes(s.unit)
      ? s.unit
      : columnUnit(str(s.name));
  return {
    name: str(s.name, '?'),
    label: columnLabel(str(s.name, '?')),
    leaking: s.leaking === true,
    slope: formatRate(num(s.slopePerSec), unit),
    window: formatDuration(num(s.windowMs)),
    growth: `${num(s.growth) > 0 ? '+' : ''}${formatValue(num(s.growth), unit)}`,
    from: formatValue(num(s.from), unit),
    to: formatValue(num(s.to), unit),
    pValue:
      typeof s.majorGcs === 'number' && s.majorGcs > 0
        ? `rose at ${s.majorGcs} major GCs`
        : formatPValue(num(s.pValue)),
  };
}

function timeToOomText(report: LeakReport): string | null {
  const oom = report.timeToOom;
  if (!oom || typeof oom !== 'object') return null;
  const limit = `the ${formatBytes(num(oom.limitBytes))} ${str(oom.limitSource, '?')} limit`;
  const signal = columnLabel(str(oom.signal, '?'));
  const seconds = num(oom.seconds);
  if (!Number.isFinite(seconds)) return `not growing toward ${limit} (${signal})`;
  return `${formatDuration(seconds * 1_000)} (${signal} reaches ${limit})`;
}

function suspectView(s: LeakReport['suspects'][number]): Omit<SuspectView, 'rank'> {
  const stack = s.stack.map((f) => str(f));
  const detail: [string, string][] = [];
  if (s.detail && typeof s.detail === 'object') {
    for (const [k, v] of Object.entries(s.detail)) detail.push([k, v === null ? 'null' : str(v)]);
  }
  const growth = num(s.growth);
  const cb = s.callback && typeof s.callback === 'object' ? s.callback : null;
  // The module loader's frames are left out here; the full stack keeps them.
  const shortStack = stack.filter((f) => !isModuleLoaderFrameText(f)).slice(0, SHORT_STACK_FRAMES);
  return {
    kind: str(s.kind, '?'),
    title: str(s.title) || `${str(s.kind, '?')} suspect`,
    count: formatCount(num(s.count)),
    growth: `${growth > 0 ? '+' : ''}${formatCount(growth)}`,
    rate: formatRate(num(s.growthPerSec), 'count'),
    bytes: typeof s.bytes === 'number' ? formatBytes(s.bytes) : null,
    site: typeof s.site === 'string' && s.site !== '' ? s.site : null,
    stack,
    shortStack,
    moreFrames: stack.length - shortStack.length,
    callback: cb ? `${displayName(str(cb.name))}${cb.location ? ` (${str(cb.location)})` : ''}` : null,
    detail,
  };
}

/** A report's worker thread: a whole number above 0, else null (the main thread, or a report from before threads). */
export function threadOf(report: { threadId?: unknown }): number | null {
  const t = report.threadId;
  return typeof t === 'number' && Number.isInteger(t) && t > 0 ? t : null;
}

/** `pid 123`, or `pid 123, worker thread 2`. */
export function pidLabel(pid: number, thread: number | null): string {
  return `pid ${pid}${thread === null ? '' : `, worker thread ${thread}`}`;
}
