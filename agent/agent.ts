import { threadId } from 'node:worker_threads';
import { readCgroupMemoryLimit } from '../probes/process';
import { type OldSpaceLimit, readHeapLimit, readOldSpaceLimit } from '../probes/heap';
import type { LeakReport } from '../reports/report-schema';
import { startExporters, type Exporter } from '../reports/exporters';
import { type Config, nodeOptionWords } from './config';
import { createDebug, type Debug, writeStderr } from './debug';
import { History } from './history';
import { createJudgeScratch, judgeSignal, type JudgeScratch, signalSpecs } from './judge';
import { COLUMN, Sampler, type Readings } from './sampler';
import { type Judgement, type LeakState, type Machine, initialMachine, step, type Limits } from './state-machine';
import type { Tracking } from './tracking';
import type { SignalSpec } from './trend';
import { VERSION } from './version';
import { type Agent, type AgentView, createSelfMetrics, type ExportChannel, type SelfMetrics } from './agent-view';

/** Evaluate trends every this many ticks (and at least every 5 s). */
const EVAL_EVERY_MS = 5_000;

/**
 * The running agent: owns the one sampling timer, the history, the state
 * machine and the exporters, and arms, gathers evidence and reports when
 * the machine says so. Made by `start()`; `stop()` undoes everything.
 */
export class LeakwatchAgent implements Agent, AgentView {
  readonly history: History;
  readonly readings: Readings;
  readonly self: SelfMetrics = createSelfMetrics();
  readonly debug: Debug;
  readonly heapLimitBytes = readHeapLimit();
  readonly oldSpaceLimit: OldSpaceLimit = readOldSpaceLimit(nodeOptionWords(), this.heapLimitBytes);
  readonly cgroupLimitBytes = readCgroupMemoryLimit();
  readonly startedAt = Date.now();
  /**
   * 0 in the main thread. In a worker thread the agent watches that thread
   * only: its heap, loop and handles are its own, while the process-wide
   * numbers (RSS, open fds) and the metric channels and control socket
   * belong to the main thread's agent.
   */
  readonly threadId: number = threadId;
  private readonly sampler: Sampler;
  private readonly scratch: JudgeScratch;
  private readonly limits: Limits;
  private readonly evalEveryTicks: number;
  private machine: Machine;
  private tracking: Tracking | null = null;
  private exporters: Exporter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The control channel (agent/control.ts), when on. */
  private control: import('./control').ControlServer | null = null;
  private lastJudgements: Judgement[] = [];
  /** The evaluation under way: signals judged a few per tick. */
  private cycle: { specs: SignalSpec[]; next: number; judged: Judgement[] } | null = null;
  private reporting: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: Config,
    debug: Debug = createDebug(config.debug),
  ) {
    this.debug = debug;
    this.history = new History(config.historySize);
    this.sampler = new Sampler(this.history, config.intervalMs);
    this.readings = this.sampler.readings;
    this.scratch = createJudgeScratch(config.historySize);
    this.machine = initialMachine(this.startedAt);
    this.evalEveryTicks = Math.max(
      1,
      Math.min(Math.round(config.windowMs / 24 / config.intervalMs), Math.round(EVAL_EVERY_MS / config.intervalMs)),
    );
    this.limits = {
      windowMs: config.windowMs,
      minArmedMs: Math.max(2 * config.intervalMs, config.windowMs / 6),
      calmEvalsToDisarm: 6,
      confirmEvals: 2,
      cooldownMs: config.windowMs,
      maxReportsPerHour: config.maxReportsPerHour,
    };
  }

  get state(): LeakState {
    return this.machine.state;
  }

  /** Starts the one sampling timer and the configured exporters. */
  start(): this {
    const c = this.config;
    this.debug(
      `started v${VERSION}: interval ${c.intervalMs}ms, window ${c.windowMs}ms, history ${c.historySize} rows, report dir ${c.reportDir}, heap limit ${this.heapLimitBytes} bytes, old space limit ${this.oldSpaceLimit.bytes} bytes (${this.oldSpaceLimit.source}), container limit ${this.cgroupLimitBytes ?? 'none'}`,
    );
    if (this.threadId !== 0) {
      this.debug(
        `watching worker thread ${this.threadId}: its heap, event loop and handles; no metric channels, no control socket and no open-fd trend here (the main thread's agent has those)`,
      );
    } else {
      try {
        this.exporters = startExporters(this);
      } catch (err) {
        this.onError('exporters', err);
      }
    }
    this.timer = setInterval(() => this.tick(), c.intervalMs);
    this.timer.unref();
    if (c.control && this.threadId === 0) {
      try {
        // Loaded only when on: LEAKWATCH_CONTROL=false loads nothing.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        this.control = (require('./control') as typeof import('./control')).startControl(this);
      } catch (err) {
        this.onError('control', err);
      }
    }
    return this;
  }

  /** The control socket's path (`leakwatch status <pid>`), or null. */
  get controlPath(): string | null {
    return this.control?.path ?? null;
  }

  /**
   * One sampling tick; public so tests and benchmarks can drive it without
   * waiting in real time. Never throws.
   */
  tick(now = Date.now()): void {
    if (this.stopped) return;
    try {
      const t0 = process.hrtime.bigint();
      this.sampler.sample(now);
      this.self.ticks++;
      for (const e of this.exporters) {
        try {
          e.onTick();
        } catch (err) {
          this.onError(`exporter ${e.name}`, err);
        }
      }
      this.evaluateSome(now);
      // The agent's own cost: the whole tick (sampling, exporters, judging).
      const cost = Number(process.hrtime.bigint() - t0) / 1_000;
      this.self.tickCostUs = cost;
      this.self.tickCostTotalUs += cost;
      if (this.debug.enabled) this.debugTick();
    } catch (err) {
      this.onError('tick', err);
    }
  }

  private debugTick(): void {
    const h = this.history;
    const handles: string[] = [];
    for (const [type, n] of this.readings.handles.byType) if (n > 0) handles.push(`${type}=${n}`);
    this.debug(
      `tick ${this.self.ticks} (${this.self.tickCostUs.toFixed(0)}µs): heap ${mb(h.last(COLUMN.heapUsed))} floor ${mb(h.last(COLUMN.heapFloor))} (major GCs ${this.readings.gc.majorTotal}) rss ${mb(h.last(COLUMN.rss))} loop p99 ${h.last(COLUMN.loopP99).toFixed(1)}ms elu ${h.last(COLUMN.loopUtilization).toFixed(2)} (delay timer ${delayTimer(this.readings.loop.resolutionMs)}) fds ${h.last(COLUMN.fds)} handles ${handles.join(' ') || 'none'} state ${this.machine.state}`,
    );
  }

  /**
   * Judges a share of the signals: an evaluation starts every
   * `evalEveryTicks` ticks and is spread over that many ticks, so that no
   * tick pays for judging every signal (bench/tick.js: a whole evaluation
   * is 100-200 µs, a sampling tick 30 µs). Then moves the state machine.
   */
  private evaluateSome(now: number): void {
    if (this.cycle === null) {
      if (this.self.ticks % this.evalEveryTicks !== 0) return;
      this.cycle = { specs: signalSpecs(this.history, this.threadId !== 0), next: 0, judged: [] };
    }
    const c = this.cycle;
    const share = Math.ceil(c.specs.length / this.evalEveryTicks);
    for (let i = 0; i < share && c.next < c.specs.length; i++) {
      const j = judgeSignal(
        this.history,
        c.specs[c.next++] as SignalSpec,
        this.config.windowMs,
        this.config.intervalMs,
        this.scratch,
        this.sampler.floorSteps,
      );
      if (j !== null) c.judged.push(j);
    }
    if (c.next < c.specs.length) return;
    this.cycle = null;
    this.decide(now, c.judged);
  }

  /** Moves the state machine on one evaluation's judgements. */
  private decide(now: number, judgements: Judgement[]): void {
    this.self.evaluations++;
    this.lastJudgements = judgements;
    const result = step(this.machine, now, judgements, this.limits);
    this.machine = result.machine;
    if (this.debug.enabled) for (const line of result.explain) this.debug(line);
    for (const action of result.actions) {
      switch (action.type) {
        case 'arm':
          this.arm(action.signals);
          break;
        case 'disarm':
          this.disarm();
          break;
        case 'report':
          this.reporting = this.report('leaking', action.signals).catch(() => {});
          break;
      }
    }
    // A signal that starts growing after arming (the heap first, the fd
    // count later) gets what explains it armed too.
    if (this.tracking !== null && this.machine.state === 'suspect') {
      const growing = judgements.filter((j) => j.informational !== true && (j.half?.growing || j.full?.growing));
      if (growing.length > 0) this.tracking.extend(growing.map((j) => j.signal));
    }
  }

  /**
   * Arms tracking for the given signals, as *suspect* does. Internal: used
   * by the state machine, and by tests and benchmarks to force the armed
   * state.
   */
  arm(signals: readonly string[]): void {
    if (this.tracking !== null) {
      this.tracking.extend(signals);
      return;
    }
    try {
      // Loaded on first arm: in *watching* none of the tracking, profiling or
      // inspector code is in memory (about 6 MB of RSS, bench/overhead.js).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { armTracking } = require('./tracking') as typeof import('./tracking');
      this.tracking = armTracking(signals, this);
    } catch (err) {
      this.onError('arm', err);
    }
  }

  /** Disarms what `arm` switched on. Internal, like `arm`. */
  disarm(): void {
    const t = this.tracking;
    this.tracking = null;
    if (t !== null) {
      Promise.resolve()
        .then(() => t.disarm())
        .catch((err: unknown) => this.onError('disarm', err));
    }
  }

  private async report(verdict: LeakReport['verdict'], signals: readonly string[]): Promise<string> {
    try {
      /* eslint-disable @typescript-eslint/no-require-imports -- loaded when a report is due */
      const { gatherEvidence } = require('./tracking') as typeof import('./tracking');
      const { buildReport } = require('./report-builder') as typeof import('./report-builder');
      const { writeReport } = require('../reports/report-writer') as typeof import('../reports/report-writer');
      const { reportHeadline } = require('../reports/report-headline') as typeof import('../reports/report-headline');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const evidence = await gatherEvidence(this, this.tracking, signals);
      const report = buildReport({
        verdict,
        agent: this,
        judgements: this.lastJudgements,
        leakingSignals: signals,
        armedAt: this.tracking?.armedAt ?? null,
        evidence,
      });
      const file = await writeReport(this.config.reportDir, report, this.config.maxReportFiles, evidence.files);
      this.self.reportsWritten++;
      for (const e of this.exporters) e.onReport?.(report, file);
      // A report is the one thing said without debug mode: users must see it.
      writeStderr(
        `leakwatch: ${verdict === 'leaking' ? 'leak detected' : 'snapshot'}${this.threadId !== 0 ? ` in worker thread ${this.threadId}` : ''}: ${reportHeadline(report)}; report ${file}\n`,
      );
      return file;
    } catch (err) {
      this.self.reportsSuppressed++;
      const e = err as Error & { code?: string };
      writeStderr(
        `leakwatch: could not write a report to ${this.config.reportDir} (LEAKWATCH_REPORT_DIR): ${e.message}${e.code ? ` (${e.code})` : ''}\n`,
      );
      this.onError('report', err);
      throw err;
    }
  }

  async snapshot(): Promise<string> {
    await this.reporting;
    return this.report('snapshot', []);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sampler.stop();
    this.disarm();
    this.control?.close();
    this.control = null;
    const exporters = this.exporters;
    this.exporters = [];
    await Promise.allSettled(exporters.map((e) => e.stop()));
    await this.reporting;
    this.debug('stopped');
  }

  onError(where: string, err: unknown): void {
    this.self.errors++;
    if (this.debug.enabled) this.debug(`error in ${where}: ${oneLine(err)}`);
  }

  onChannelDown(where: string, message: string): void {
    this.self.errors++;
    if (this.debug.enabled) this.debug(`error in ${where}: ${message}`);
    else writeStderr(`leakwatch: ${where}: ${message}\n`);
  }

  onNotice(where: string, message: string): void {
    if (this.debug.enabled) this.debug(`${where}: ${message}`);
    else writeStderr(`leakwatch: ${where}: ${message}\n`);
  }

  onDrop(channel: ExportChannel, where: string, count: number, why: string): void {
    this.self.exportsDropped += count;
    const by = this.self.exportsDroppedByChannel;
    by[channel] = (by[channel] ?? 0) + count;
    if (this.debug.enabled) this.debug(`${where}: dropped ${count} (${why})`);
  }
}

/** An error as one line: its message, and where it was thrown when known. */
function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err).replace(/\s*\n\s*/g, ' ');
  const at = /\n\s+at (.*)/.exec(err.stack ?? '')?.[1];
  return `${err.message.replace(/\s*\n\s*/g, ' ')}${at === undefined ? '' : ` (at ${at})`}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}MB`;
}

/** The delay histogram's timer as the debug line names it. */
function delayTimer(resolutionMs: number): string {
  return resolutionMs === 0 ? 'off, asleep' : `${resolutionMs}ms`;
}
