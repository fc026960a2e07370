/**
 * The leak report: a JSON file `<reportDir>/leakwatch-<pid>-<time>.json`.
 * This module is pure: the types, and a validator the viewers use before
 * they trust a file. Bump REPORT_VERSION on any incompatible change.
 */

export const REPORT_VERSION = 1;

/** What a suspect is. */
export type SuspectKind =
  'timer' | 'immediate' | 'socket' | 'server' | 'file' | 'process' | 'worker' | 'heap' | 'listener' | 'handle';

/** A signal whose growth the detector judged. */
export interface SignalTrend {
  /** History column, e.g. `heap.floor`, `handles.Timeout`. */
  name: string;
  unit: 'bytes' | 'count' | 'ms' | 'ratio';
  /** Robust (Theil–Sen) slope, in `unit` per second. */
  slopePerSec: number;
  /** Mann–Kendall normal score; > 0 means rising. */
  z: number;
  /** Two-sided p-value of the Mann–Kendall test. */
  pValue: number;
  /** Robust growth over the window (slope × window), in `unit`. */
  growth: number;
  /** Value at the start and end of the window (robust level). */
  from: number;
  to: number;
  /** Window the judgement covered (ms). */
  windowMs: number;
  /** True when this signal crossed the leak threshold. */
  leaking: boolean;
  /**
   * Set when the heap floor was judged on its readings at this many major
   * GCs in a row, each higher than the one before, rather than on the
   * window (V8 can run major GCs minutes apart). `pValue` is then the exact
   * Mann–Kendall p-value of that order, 2 / majorGcs!.
   */
  majorGcs?: number;
}

/** Estimated time until memory runs out at the current slope. */
export interface TimeToOom {
  /** The limit that applies: the lower of the V8 heap and container limits. */
  limitBytes: number;
  /**
   * `v8-old-space`: the old generation's maximum that the process's options
   * set; `v8-heap`: V8's heap_size_limit (no such option), which includes
   * the young generation's reserve; `cgroup`: the container's memory limit.
   */
  limitSource: 'v8-old-space' | 'v8-heap' | 'cgroup';
  /** The signal the estimate extrapolates (`heap.floor` or `rss`). */
  signal: string;
  /** Seconds until the limit at the current slope; null if not growing. */
  seconds: number | null;
}

/** One ranked explanation: what is alive, how many, and who made it. */
export interface Suspect {
  kind: SuspectKind;
  /** One line for humans, e.g. "412 live intervals of 5s, callback watch2". */
  title: string;
  /** Live objects in the group now. */
  count: number;
  /** Growth of `count` since tracking was armed (or since the first sample). */
  growth: number;
  /** Growth per second over the same span. */
  growthPerSec: number;
  /** Bytes, for heap suspects (live bytes of allocations at this site). */
  bytes?: number;
  /**
   * The line a developer has to change: `path:line:column` (absolute path or
   * file URL) of the call in user code that creates what leaks. Null when no
   * creation site could be had (the stack then says what is known).
   */
  site: string | null;
  /** Frames `fn (path:line:column)`, innermost first; library frames kept. */
  stack: string[];
  /** Timer callbacks: the function and where it is defined. */
  callback?: { name: string; location: string | null };
  /** Kind-specific facts (interval, endpoints, emitter, ...). */
  detail?: Record<string, string | number | boolean | null>;
}

/** Time-series for charts: `t` in ms since epoch, columns aligned to it. */
export interface Series {
  t: number[];
  columns: Record<string, (number | null)[]>;
}

/** A profile written beside a report. */
export interface ProfileFile {
  kind: 'pprof-heap' | 'heapsnapshot';
  /** Absolute path, beside the report. */
  path: string;
  bytes: number;
}

/**
 * A leak report, as written to `leakwatch-<pid>-<time>.json` and read by `leakwatch view`.
 * README, The leak report, describes every field.
 */
export interface LeakReport {
  version: typeof REPORT_VERSION;
  tool: 'leakwatch';
  agentVersion: string;
  /** `leaking` when the detector decided; `snapshot` when asked for one. */
  verdict: 'leaking' | 'snapshot';
  pid: number;
  /** The worker thread whose agent wrote it (`worker_threads.threadId`); absent from the main thread's. */
  threadId?: number;
  hostname: string;
  service: string;
  nodeVersion: string;
  argv: string[];
  /** ISO 8601 times. */
  startedAt: string;
  detectedAt: string;
  /** When tracking was armed (suspect), if it was. */
  armedAt: string | null;
  config: { intervalMs: number; windowMs: number };
  signals: SignalTrend[];
  timeToOom: TimeToOom | null;
  series: Series;
  suspects: Suspect[];
  profiles: ProfileFile[];
  /** What was capped or could not be gathered: never silent. */
  notes: string[];
  dropped: Record<string, number>;
}

/** Error codes are the contract; messages may change. */
export const ERR_REPORT_CORRUPT = 'LEAKWATCH_ERR_REPORT_CORRUPT';
/** The code for a report of a version this leakwatch cannot read. */
export const ERR_REPORT_VERSION = 'LEAKWATCH_ERR_REPORT_VERSION';

/** A report that cannot be read, with a stable code the CLI maps to its message and exit status. */
export class ReportError extends Error {
  constructor(
    readonly code: typeof ERR_REPORT_CORRUPT | typeof ERR_REPORT_VERSION,
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and checks a report's text.
 * @throws ReportError with a stable code when it is not JSON, not a report,
 *   or a version this build cannot read.
 */
export function parseReport(text: string, source = 'report'): LeakReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ReportError(
      ERR_REPORT_CORRUPT,
      `${source} is not valid JSON (${(err as Error).message}); the file may be truncated`,
    );
  }
  if (!isObj(data) || data.tool !== 'leakwatch') {
    throw new ReportError(ERR_REPORT_CORRUPT, `${source} is not a leakwatch report`);
  }
  if (data.version !== REPORT_VERSION) {
    throw new ReportError(
      ERR_REPORT_VERSION,
      `${source} has report version ${JSON.stringify(data.version)}; this leakwatch reads version ${REPORT_VERSION}`,
    );
  }
  const problems: string[] = [];
  const need = (key: string, ok: (v: unknown) => boolean) => {
    if (!ok(data[key as keyof typeof data])) problems.push(key);
  };
  need('pid', (v) => typeof v === 'number');
  need('detectedAt', (v) => typeof v === 'string');
  need('startedAt', (v) => typeof v === 'string');
  need('verdict', (v) => v === 'leaking' || v === 'snapshot');
  need('signals', Array.isArray);
  need('suspects', Array.isArray);
  need('profiles', Array.isArray);
  need('series', (v) => isObj(v) && Array.isArray(v.t) && isObj(v.columns));
  if (problems.length === 0) {
    (data.suspects as unknown[]).forEach((s, i) => {
      if (!isObj(s) || typeof s.kind !== 'string' || typeof s.count !== 'number' || !Array.isArray(s.stack)) {
        problems.push(`suspects[${i}]`);
      }
    });
  }
  if (problems.length > 0) {
    throw new ReportError(
      ERR_REPORT_CORRUPT,
      `${source} is missing or has malformed fields: ${problems.slice(0, 5).join(', ')}`,
    );
  }
  return data as unknown as LeakReport;
}
