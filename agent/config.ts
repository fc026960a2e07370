import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DurationString, type Milliseconds, formatDuration, parseDuration } from './duration';
import { quote, resolveDogStatsD, resolvePrometheus } from './endpoint';
import { FALSE_WORDS, TRUE_WORDS } from './words';

import type { Config, OtlpTarget, StartOptions } from './config-types';
import { redactTarget, resolveOtlp } from './otlp-config';
import { splitNodeOptions } from './node-options';
import { reportDirProblem } from './report-dir-check';

export type { Config, OtlpTarget, StartOptions };

/** The one source of defaults. */
export const DEFAULTS = Object.freeze({
  enabled: true,
  intervalMs: 1_000,
  // Five minutes: long enough that start-up warm-up (JIT, pools, caches
  // filling) has levelled off in the services we tried, short enough that a
  // 1 MB/s leak is reported long before a 2 GB heap fills. See README.
  windowMs: 5 * 60_000,
  // Per user, beside the control sockets (agent/control-files.ts): a directory
  // shared by every user would be the first one's, 0700, and refuse the rest.
  reportDir:
    typeof process.getuid === 'function'
      ? path.join(os.tmpdir(), `leakwatch-${process.getuid()}`, 'reports')
      : path.join(os.tmpdir(), 'leakwatch'),
  debug: false,
  flushIntervalMs: 10_000,
  maxReportsPerHour: 4,
  maxReportFiles: 20,
  heapSnapshot: false,
  control: true,
  workers: false,
});

/** Bounds that keep the agent cheap whatever it is told. */
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 60_000;
/** How often push exporters may send: 100 ms to an hour. */
const MIN_FLUSH_INTERVAL_MS = 100;
const MAX_FLUSH_INTERVAL_MS = 3_600_000;
/** The trend test needs at least this many samples in a window. */
const MIN_SAMPLES_PER_WINDOW = 10;
/** The longest window: a day (the interval then is at most 24 s). */
const MAX_WINDOW_MS = 24 * 3_600_000;
/**
 * History rows: twice the window, within these bounds (memory is fixed:
 * 3,600 rows × 28 columns ≈ 800 KB). A window never needs more than
 * MAX_HISTORY samples; the interval is raised instead (resolveConfig).
 */
const MIN_HISTORY = 120;
const MAX_HISTORY = 3_600;

/** An environment, as read here and in ./cli-env (no other file reads env). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Result of resolving: the config plus one line per rejected value. */
export interface Resolved {
  readonly config: Config;
  /** Lines for stderr, each naming the variable and the accepted form. */
  readonly warnings: readonly string[];
}

/**
 * Resolves options over environment variables over DEFAULTS.
 * Explicit nonsense in `options` throws (TypeError/RangeError naming the
 * option); a bad environment value yields a warning line and a fallback.
 */
export function resolveConfig(options: StartOptions = {}, env: Env = process.env): Resolved {
  const warnings: string[] = [];
  const bad = (name: string, value: string, expected: string, fb: string) =>
    warnings.push(`leakwatch: ${name}=${quote(value)} is not ${expected}; ${fb}`);

  const bool = (name: string, opt: boolean | undefined, def: boolean) => {
    if (opt !== undefined) {
      if (typeof opt !== 'boolean') throw new TypeError(`leakwatch: option ${name} must be a boolean`);
      return opt;
    }
    const raw = env[envName(name)];
    if (raw === undefined || raw === '') return def;
    const v = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(v)) return true;
    if (FALSE_WORDS.has(v)) return false;
    // An unreadable LEAKWATCH_ENABLED most likely meant "off": be safe.
    const fallback = name === 'enabled' ? false : def;
    bad(
      envName(name),
      raw,
      'a boolean (expected true or false)',
      name === 'enabled' ? 'leakwatch disabled' : `using ${fallback}`,
    );
    return fallback;
  };

  // Durations taken from an option or the environment, not the default.
  const chosen = new Set<string>();
  const duration = (
    name: string,
    opt: DurationString | Milliseconds | undefined,
    def: Milliseconds,
    min: Milliseconds,
    max: Milliseconds,
  ): Milliseconds => {
    let ms: Milliseconds | undefined;
    if (opt !== undefined) {
      ms = typeof opt === 'number' ? opt : parseDuration(String(opt));
      if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
        throw new TypeError(
          `leakwatch: option ${name} must be a duration such as 500ms, 1s or 10m (got ${quote(String(opt))})`,
        );
      }
    } else {
      const raw = env[envName(name)];
      if (raw === undefined || raw === '') return def;
      ms = parseDuration(raw);
      if (ms === undefined || ms <= 0) {
        bad(envName(name), raw, 'a duration (expected e.g. 500ms, 1s, 10m)', `using ${formatDuration(def)}`);
        return def;
      }
    }
    chosen.add(name);
    if (ms < min || ms > max) {
      if (opt !== undefined) {
        throw new RangeError(
          `leakwatch: option ${name} must be between ${formatDuration(min)} and ${formatDuration(max)} (got ${formatDuration(ms)})`,
        );
      }
      const clamped = Math.min(max, Math.max(min, ms));
      warnings.push(
        `leakwatch: ${envName(name)}=${formatDuration(ms)} is outside ${formatDuration(min)}..${formatDuration(max)}; using ${formatDuration(clamped)}`,
      );
      return clamped;
    }
    return ms;
  };

  const count = (name: string, opt: number | undefined, def: number) => {
    if (opt !== undefined) {
      if (!Number.isInteger(opt) || opt < 0)
        throw new RangeError(`leakwatch: option ${name} must be a non-negative integer`);
      return opt;
    }
    const raw = env[envName(name)];
    if (raw === undefined || raw === '') return def;
    if (/^\d{1,6}$/.test(raw.trim())) return Number(raw.trim());
    bad(envName(name), raw, 'a whole number from 0 to 999999 (expected e.g. 4)', `using ${def}`);
    return def;
  };

  const str = (name: string, opt: string | false | undefined): string | undefined => {
    if (opt === false) return undefined;
    if (opt !== undefined) {
      if (typeof opt !== 'string') throw new TypeError(`leakwatch: option ${name} must be a string`);
      return opt;
    }
    const raw = env[envName(name)];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };

  const enabled = bool('enabled', options.enabled, DEFAULTS.enabled);
  const debug = bool('debug', options.debug, DEFAULTS.debug);
  let intervalMs = duration('interval', options.interval, DEFAULTS.intervalMs, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  let windowMs = duration(
    'window',
    options.window,
    DEFAULTS.windowMs,
    intervalMs * MIN_SAMPLES_PER_WINDOW,
    MAX_WINDOW_MS,
  );
  // Chosen, as opposed to the default (unset, or unreadable and replaced).
  const windowText = !chosen.has('window')
    ? `the default ${formatDuration(windowMs)} LEAKWATCH_WINDOW`
    : `LEAKWATCH_WINDOW=${formatDuration(windowMs)}`;
  // The default window obeys the same ten-samples rule as a chosen one.
  if (windowMs < intervalMs * MIN_SAMPLES_PER_WINDOW) {
    const raised = intervalMs * MIN_SAMPLES_PER_WINDOW;
    warnings.push(
      `leakwatch: LEAKWATCH_INTERVAL=${formatDuration(intervalMs)} leaves fewer than ${MIN_SAMPLES_PER_WINDOW} samples in ${windowText}; using a ${formatDuration(raised)} window`,
    );
    windowMs = raised;
  }
  // The history holds at most MAX_HISTORY rows, and a leak is judged over
  // window / interval of them. Rather than judge a shorter window than the
  // one asked for (a leak declared on less sustained growth than promised,
  // and reports saying otherwise), sample less often: MAX_HISTORY samples
  // are still twelve times what the default window uses.
  if (windowMs / intervalMs > MAX_HISTORY) {
    const raised = Math.ceil(windowMs / MAX_HISTORY);
    warnings.push(
      `leakwatch: ${windowText} at LEAKWATCH_INTERVAL=${formatDuration(intervalMs)} needs ${Math.round(windowMs / intervalMs)} samples, more than the ${MAX_HISTORY} the history keeps; sampling every ${formatDuration(raised)} so that the whole ${formatDuration(windowMs)} is judged`,
    );
    intervalMs = raised;
  }
  const flushIntervalMs = duration(
    'flushInterval',
    options.flushInterval,
    DEFAULTS.flushIntervalMs,
    MIN_FLUSH_INTERVAL_MS,
    MAX_FLUSH_INTERVAL_MS,
  );

  let reportDir = DEFAULTS.reportDir;
  const dir = str('reportDir', options.reportDir);
  if (dir !== undefined) {
    if (dir.includes('\0')) {
      if (options.reportDir !== undefined) throw new TypeError('leakwatch: option reportDir must be a path');
      bad('LEAKWATCH_REPORT_DIR', dir, 'a directory path', `using ${DEFAULTS.reportDir}`);
    } else if (isNonDirectory(path.resolve(dir))) {
      if (options.reportDir !== undefined)
        throw new TypeError(`leakwatch: option reportDir ${quote(dir)} is a file, not a directory`);
      bad('LEAKWATCH_REPORT_DIR', dir, 'a directory (it is an existing file)', `using ${DEFAULTS.reportDir}`);
    } else {
      reportDir = path.resolve(dir);
    }
  }
  // Said at start, not at the first leak days later. Creates nothing: the
  // directory is made with the first report (reports/report-writer.ts).
  if (enabled) {
    const problem = reportDirProblem(reportDir);
    if (problem !== null) {
      const which =
        reportDir === DEFAULTS.reportDir && dir === undefined
          ? `the default report directory ${reportDir} (LEAKWATCH_REPORT_DIR unset)`
          : options.reportDir !== undefined
            ? `option reportDir ${quote(reportDir)}`
            : `LEAKWATCH_REPORT_DIR=${quote(dir ?? reportDir)}`;
      warnings.push(
        `leakwatch: ${which} cannot hold reports: ${problem}; leakwatch keeps watching and sending metrics, but no report can be written there`,
      );
    }
  }

  const on = (raw: string | undefined): raw is string => raw !== undefined && !FALSE_WORDS.has(raw.toLowerCase());
  const dd = str('dogstatsd', options.dogstatsd);
  const dogstatsd = on(dd) ? resolveDogStatsD(dd, options.dogstatsd !== undefined, env, bad) : null;
  const prom = str('prometheus', options.prometheus);
  const prometheus = on(prom) ? resolvePrometheus(prom, options.prometheus !== undefined, bad) : null;

  const otlpRaw = str('otlp', options.otlp);
  const otlp = !on(otlpRaw)
    ? null
    : resolveOtlp(otlpRaw, options, env, (line) => warnings.push(line), defaultService(), {
        ms: flushIntervalMs,
        chosen: chosen.has('flushInterval'),
        minMs: MIN_FLUSH_INTERVAL_MS,
        maxMs: MAX_FLUSH_INTERVAL_MS,
      });

  const tags = options.tags ?? (env.DD_TAGS ?? '').split(/[,\s]+/).filter((t) => t.length > 0);

  const historySize = Math.min(MAX_HISTORY, Math.max(MIN_HISTORY, Math.ceil((2 * windowMs) / intervalMs)));

  const config: Config = Object.freeze({
    enabled,
    intervalMs,
    windowMs,
    reportDir,
    debug,
    dogstatsd,
    prometheus,
    otlp,
    flushIntervalMs,
    maxReportsPerHour: count('maxReportsPerHour', options.maxReportsPerHour, DEFAULTS.maxReportsPerHour),
    maxReportFiles: count('maxReportFiles', options.maxReportFiles, DEFAULTS.maxReportFiles),
    heapSnapshot: bool('heapSnapshot', options.heapSnapshot, DEFAULTS.heapSnapshot),
    control: bool('control', options.control, DEFAULTS.control),
    workers: bool('workers', undefined, DEFAULTS.workers),
    service: options.service ?? env.DD_SERVICE ?? defaultService(),
    env: options.env ?? env.DD_ENV ?? '',
    version: options.version ?? env.DD_VERSION ?? '',
    tags: Object.freeze([...tags]),
    ddEntityId: (env.DD_ENTITY_ID ?? '').trim(),
    historySize,
  });
  return { config, warnings };
}

/**
 * The config as answers leaving the process show it (`leakwatch status`,
 * `attach`): OTLP credentials, in the URL or the headers, become `***`.
 */
export function publicConfig(config: Config): Config {
  return config.otlp === null ? config : Object.freeze({ ...config, otlp: redactTarget(config.otlp) });
}

/** The process's Node options, as Node applies them: NODE_OPTIONS' words, then `process.execArgv`. */
export function nodeOptionWords(env: Env = process.env, execArgv: readonly string[] = process.execArgv): string[] {
  return [...splitNodeOptions(env.NODE_OPTIONS ?? ''), ...execArgv];
}

/** True when `p` exists and is not a directory (a missing one is created later). */
function isNonDirectory(p: string): boolean {
  try {
    return !fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `reportDir` → `LEAKWATCH_REPORT_DIR`. */
function envName(option: string): string {
  return `LEAKWATCH_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The service name Datadog's tracer would pick: the main script's name. */
function defaultService(): string {
  const main = process.argv[1];
  return main ? path.basename(main).replace(/\.[cm]?[jt]s$/, '') : 'node';
}
