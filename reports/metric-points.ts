/**
 * Turns the agent's readings and self metrics into channel-neutral points:
 * the one place a reading becomes a metric value. DogStatsD, Prometheus and
 * OTLP only format these points, so a reading is never formatted twice.
 *
 * Each channel owns one `MetricPoints`: `observe()` after every tick folds
 * the tick into the channel's window (O(1) work, no allocation except the
 * first time a new handle type appears); `collect()` at flush or scrape time
 * fills the points and starts a new window.
 */
import { STATE_CODE } from '../agent/state-machine';
import type { AgentView } from '../agent/agent-view';
import { GC_KINDS } from '../probes/gc';
import { spaceNames } from '../probes/heap';
import { type Attr, makeAttr } from './metric-attrs';
import {
  type HistogramPoint,
  closeHistogramWindow,
  fillPercentiles,
  newHistogram,
  recordPause,
} from './metric-histogram';
import { type AttrKind, METRICS, type MetricDef } from './metric-names';

export type { Attr } from './metric-attrs';
export type { HistogramPoint } from './metric-histogram';

/** A gauge level or a counter's running total. */
export interface ScalarPoint {
  readonly def: MetricDef;
  readonly attr: Attr | null;
  value: number;
  /** False when there is no value yet (e.g. no major GC so far). */
  present: boolean;
  /** Channel-private: the total last sent, for DogStatsD and OTLP deltas. */
  sent: number;
}

/** One metric's points, in a stable order. */
export interface Series<P> {
  readonly def: MetricDef;
  readonly points: P[];
}

/** Metrics that have a true value before the first tick. */
const KNOWN_BEFORE_FIRST_TICK: ReadonlySet<string> = new Set([
  'heapLimit',
  'uptime',
  'state',
  'ticks',
  'errors',
  'reportsWritten',
  'reportsSuppressed',
  'exportsDropped',
  'gcPausesDropped',
]);

/** Pause samples kept per window for percentiles; beyond, min/max/sum stay exact. */
const WINDOW_PAUSES = 2_048;
const MS_PER_S = 1_000;
const US_PER_S = 1e6;

/**
 * One channel's metric points: `observe()` folds each tick into the window,
 * `collect()` fills the points; the channel only formats them.
 */
export class MetricPoints {
  /** Gauges and counters, grouped by metric, in a stable order. */
  readonly scalars: Series<ScalarPoint>[] = [];
  readonly histograms: Series<HistogramPoint>[] = [];
  /** When the totals started (ms since epoch): OTLP's start time. */
  readonly startTimeMs: number;
  /** Ticks folded into the current window. */
  windowTicks = 0;
  /** Pause samples beyond `WINDOW_PAUSES` in the current window. */
  windowPausesUnsampled = 0;

  private readonly view: AgentView;
  private readonly attrCache = new Map<string, Attr>();
  /** GC pauses the probe could not keep (beyond its per-tick cap), since start. */
  private gcPausesDropped = 0;
  /** Whether any tick has filled the readings. */
  private sampled = false;
  private readonly byKey = new Map<string, ScalarPoint>();
  private readonly handleSeries: Series<ScalarPoint>;
  private readonly droppedSeries: Series<ScalarPoint>;
  private readonly droppedPoints = new Map<string, ScalarPoint>();
  private readonly handlePoints = new Map<string, ScalarPoint>();
  private readonly spacePoints: ScalarPoint[];
  private readonly gcKind: HistogramPoint[];
  private readonly gcAll: HistogramPoint;
  // Window accumulators.
  private loopMin = Infinity;
  private loopMax = 0;
  private loopMeanSum = 0;
  private loopP50 = 0;
  private loopP90 = 0;
  private loopP95 = 0;
  private loopP99 = 0;
  private eluSum = 0;
  private cpuUserSum = 0;
  private cpuSystemSum = 0;
  private lastTicks = 0;
  private lastTickCostUs = 0;
  private readonly pauseS = new Float64Array(WINDOW_PAUSES);
  private readonly pauseKind = new Int8Array(WINDOW_PAUSES);
  private pauseN = 0;
  private readonly scratch = new Float64Array(WINDOW_PAUSES);

  constructor(view: AgentView, now = Date.now()) {
    this.view = view;
    this.startTimeMs = now;
    this.lastTicks = view.self.ticks;
    this.lastTickCostUs = view.self.tickCostTotalUs;
    for (const key of ['heapUsed', 'heapTotal', 'heapTotalV8', 'external', 'rss', 'heapLimit'] as const)
      this.scalar(key);
    const spaces: ScalarPoint[] = spaceNames.map((s) => newScalar(METRICS.spaceUsed, this.attr('space', s)));
    this.scalars.push({ def: METRICS.spaceUsed, points: spaces });
    this.spacePoints = spaces;
    for (const key of [
      'heapFloor',
      'cpuUser',
      'cpuSystem',
      'cpuTotal',
      'uptime',
      'loopMin',
      'loopMax',
      'loopMean',
      'loopP50',
      'loopP90',
      'loopP95',
      'loopP99',
      'loopUtilization',
    ] as const)
      this.scalar(key);
    this.handleSeries = { def: METRICS.handles, points: [] };
    this.scalars.push(this.handleSeries);
    for (const key of [
      'handlesTotal',
      'openFds',
      'state',
      'tickDuration',
      'ticks',
      'errors',
      'reportsWritten',
      'reportsSuppressed',
      'exportsDropped',
    ] as const)
      this.scalar(key);
    this.droppedSeries = { def: METRICS.exportsDroppedByChannel, points: [] };
    this.scalars.push(this.droppedSeries);
    this.scalar('gcPausesDropped');
    this.gcKind = GC_KINDS.map((k) => newHistogram(METRICS.gcPauseByKind, this.attr('gc', k)));
    this.histograms.push({ def: METRICS.gcPauseByKind, points: this.gcKind });
    this.gcAll = newHistogram(METRICS.gcPause, null);
    this.histograms.push({ def: METRICS.gcPause, points: [this.gcAll] });
  }

  /** Folds the newest tick into the window. Call after every tick. */
  observe(): void {
    const { loop, process: proc, gc, handles } = this.view.readings;
    this.windowTicks++;
    if (loop.minMs < this.loopMin) this.loopMin = loop.minMs;
    if (loop.maxMs > this.loopMax) this.loopMax = loop.maxMs;
    this.loopMeanSum += loop.meanMs;
    // A window's p-quantile is at most the highest p-quantile of its ticks:
    // reporting that maximum is a bound that never hides a bad second.
    if (loop.p50Ms > this.loopP50) this.loopP50 = loop.p50Ms;
    if (loop.p90Ms > this.loopP90) this.loopP90 = loop.p90Ms;
    if (loop.p95Ms > this.loopP95) this.loopP95 = loop.p95Ms;
    if (loop.p99Ms > this.loopP99) this.loopP99 = loop.p99Ms;
    this.eluSum += loop.utilization;
    this.cpuUserSum += proc.cpuUserPercent;
    this.cpuSystemSum += proc.cpuSystemPercent;
    this.gcPausesDropped += gc.pausesDropped;
    for (let i = 0; i < gc.pauses.length; i++) {
      const s = (gc.pauses[i] as number) / MS_PER_S;
      const k = gc.pauseKinds[i] ?? -1;
      recordPause(this.gcAll, s);
      if (k >= 0 && k < this.gcKind.length) recordPause(this.gcKind[k] as HistogramPoint, s);
      if (this.pauseN < WINDOW_PAUSES) {
        this.pauseS[this.pauseN] = s;
        this.pauseKind[this.pauseN] = k;
        this.pauseN++;
      } else {
        this.windowPausesUnsampled++;
      }
    }
    // New handle types are rare (a handful per process): their points are
    // made once and kept, so steady-state ticks allocate nothing.
    if (handles.byType.size !== this.handlePoints.size) {
      for (const type of handles.byType.keys()) this.labelled(this.handleSeries, this.handlePoints, 'handle', type);
    }
  }

  /** Fills every point from the readings and the window, then starts a new window. */
  collect(): void {
    const v = this.view;
    const { heap, loop, process: proc, gc, handles } = v.readings;
    // Before the first tick the readings are empty: send no fake zeros,
    // only what the agent knows of itself.
    this.sampled = v.self.ticks > 0;
    this.set('heapUsed', heap.usedBytes);
    this.set('heapTotal', heap.totalBytes);
    this.set('heapTotalV8', heap.totalBytes);
    this.set('external', heap.externalBytes);
    this.set('rss', heap.rssBytes);
    this.set('heapLimit', v.heapLimitBytes);
    for (let i = 0; i < this.spacePoints.length; i++) {
      const p = this.spacePoints[i] as ScalarPoint;
      p.value = heap.spaceUsedBytes[i] ?? 0;
      p.present = this.sampled;
    }
    this.set('heapFloor', gc.floorBytes, !Number.isNaN(gc.floorBytes));
    const n = this.windowTicks;
    const cpuUser = n > 0 ? this.cpuUserSum / n : proc.cpuUserPercent;
    const cpuSystem = n > 0 ? this.cpuSystemSum / n : proc.cpuSystemPercent;
    this.set('cpuUser', cpuUser);
    this.set('cpuSystem', cpuSystem);
    this.set('cpuTotal', cpuUser + cpuSystem);
    this.set('uptime', process.uptime());
    this.set('loopMin', (n > 0 ? this.loopMin : loop.minMs) / MS_PER_S);
    this.set('loopMax', (n > 0 ? this.loopMax : loop.maxMs) / MS_PER_S);
    this.set('loopMean', (n > 0 ? this.loopMeanSum / n : loop.meanMs) / MS_PER_S);
    this.set('loopP50', (n > 0 ? this.loopP50 : loop.p50Ms) / MS_PER_S);
    this.set('loopP90', (n > 0 ? this.loopP90 : loop.p90Ms) / MS_PER_S);
    this.set('loopP95', (n > 0 ? this.loopP95 : loop.p95Ms) / MS_PER_S);
    this.set('loopP99', (n > 0 ? this.loopP99 : loop.p99Ms) / MS_PER_S);
    this.set('loopUtilization', n > 0 ? this.eluSum / n : loop.utilization);
    let total = 0;
    for (const [type, count] of handles.byType) {
      total += count;
      const p = this.handlePoints.get(type);
      if (p !== undefined) {
        p.value = count;
        p.present = this.sampled;
      }
    }
    this.set('handlesTotal', total);
    this.set('openFds', handles.openFds, handles.openFds >= 0);
    this.set('state', STATE_CODE[v.state]);
    const s = v.self;
    const ticks = s.ticks - this.lastTicks;
    const costUs = s.tickCostTotalUs - this.lastTickCostUs;
    this.set('tickDuration', (ticks > 0 ? costUs / ticks : s.tickCostUs) / US_PER_S);
    this.lastTicks = s.ticks;
    this.lastTickCostUs = s.tickCostTotalUs;
    this.set('ticks', s.ticks);
    this.set('errors', s.errors);
    this.set('reportsWritten', s.reportsWritten);
    this.set('reportsSuppressed', s.reportsSuppressed);
    this.set('exportsDropped', s.exportsDropped);
    // A channel's point is made at its first drop and kept (three at most).
    for (const channel in s.exportsDroppedByChannel) {
      const p = this.labelled(this.droppedSeries, this.droppedPoints, 'channel', channel);
      p.value = s.exportsDroppedByChannel[channel] as number;
      p.present = true;
    }
    this.set('gcPausesDropped', this.gcPausesDropped);
    this.closeGcWindow();
    this.resetWindow();
  }

  /** Window percentiles of the GC pauses, per kind and for all kinds. */
  private closeGcWindow(): void {
    for (const h of this.gcKind) closeHistogramWindow(h);
    closeHistogramWindow(this.gcAll);
    const all = this.pauseS.subarray(0, this.pauseN);
    fillPercentiles(this.gcAll, this.scratch, all, null, this.pauseKind);
    for (let k = 0; k < this.gcKind.length; k++) {
      fillPercentiles(this.gcKind[k] as HistogramPoint, this.scratch, all, k, this.pauseKind);
    }
  }

  private resetWindow(): void {
    this.windowTicks = 0;
    this.windowPausesUnsampled = 0;
    this.loopMin = Infinity;
    this.loopMax = this.loopMeanSum = this.loopP50 = this.loopP90 = this.loopP95 = this.loopP99 = 0;
    this.eluSum = this.cpuUserSum = this.cpuSystemSum = 0;
    this.pauseN = 0;
  }

  private scalar(key: keyof typeof METRICS): void {
    const p = newScalar(METRICS[key], null);
    this.byKey.set(key, p);
    this.scalars.push({ def: p.def, points: [p] });
  }

  /** The point of `series` for one attribute value, made at first sight and kept. */
  private labelled(
    series: Series<ScalarPoint>,
    byValue: Map<string, ScalarPoint>,
    kind: AttrKind,
    value: string,
  ): ScalarPoint {
    let p = byValue.get(value);
    if (p === undefined) {
      p = newScalar(series.def, this.attr(kind, value));
      byValue.set(value, p);
      series.points.push(p);
    }
    return p;
  }

  private set(key: keyof typeof METRICS, value: number, present = true): void {
    const p = this.byKey.get(key) as ScalarPoint;
    p.value = value;
    p.present = present && Number.isFinite(value) && (this.sampled || KNOWN_BEFORE_FIRST_TICK.has(key));
  }

  /** One pre-formatted label per (kind, value), made once. */
  private attr(kind: AttrKind, value: string): Attr {
    const id = `${kind}\0${value}`;
    let a = this.attrCache.get(id);
    if (a === undefined) {
      a = makeAttr(kind, value);
      this.attrCache.set(id, a);
    }
    return a;
  }
}

function newScalar(def: MetricDef, attr: Attr | null): ScalarPoint {
  return { def, attr, value: 0, present: false, sent: 0 };
}
