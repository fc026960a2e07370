/**
 * The configuration's shapes: what `start()` takes and what every part of
 * the agent reads. agent/config.ts resolves one from the other.
 */
import type { DurationString, Milliseconds } from './duration';
import type { Endpoint } from './endpoint';

/** Options of `start()`; each has the environment variable named beside it. */
export interface StartOptions {
  /** `LEAKWATCH_ENABLED`: `false` turns the agent off entirely. */
  enabled?: boolean;
  /** `LEAKWATCH_INTERVAL`: sampling interval. */
  interval?: DurationString | Milliseconds;
  /** `LEAKWATCH_WINDOW`: how long growth must be sustained before a leak. */
  window?: DurationString | Milliseconds;
  /** `LEAKWATCH_REPORT_DIR`: where leak reports are written. */
  reportDir?: string;
  /** `LEAKWATCH_DEBUG`: explain every decision on stderr. */
  debug?: boolean;
  /** `LEAKWATCH_DOGSTATSD`: `udp://host:port`, `unix:///path` or `true`. */
  dogstatsd?: string | false;
  /** `LEAKWATCH_PROMETHEUS`: `host:port`, a port, or `true` (127.0.0.1:9464) to serve `/metrics`. */
  prometheus?: string | false;
  /** `LEAKWATCH_OTLP`: an OTLP/HTTP metrics endpoint URL, or `true` for the process's `OTEL_EXPORTER_OTLP_*` settings. */
  otlp?: string | false;
  /** `LEAKWATCH_FLUSH_INTERVAL`: how often push exporters send (10s). */
  flushInterval?: DurationString | Milliseconds;
  /** `LEAKWATCH_MAX_REPORTS_PER_HOUR`: hard cap on reports written. */
  maxReportsPerHour?: number;
  /** `LEAKWATCH_MAX_REPORT_FILES`: cap on leakwatch reports kept on disk. */
  maxReportFiles?: number;
  /** `LEAKWATCH_HEAP_SNAPSHOT`: also write a `.heapsnapshot` (off). */
  heapSnapshot?: boolean;
  /** `LEAKWATCH_CONTROL`: `false` closes the control socket used by `leakwatch status|snapshot|detach <pid>` (on). */
  control?: boolean;
  /** `DD_SERVICE`, `DD_ENV`, `DD_VERSION`, `DD_TAGS` (Datadog's names). */
  service?: string;
  env?: string;
  version?: string;
  tags?: readonly string[];
}

/**
 * How OTLP sends counters and histograms (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`):
 * `cumulative` totals since start; `delta` counters and histograms as
 * changes since the last export; `lowmemory` histograms as changes.
 */
export type Temporality = 'cumulative' | 'delta' | 'lowmemory';

/** Where the OTLP channel sends, and as whom (agent/otel-env.ts). */
/** A PEM file an OpenTelemetry variable names. */
export interface PemFile {
  /** The variable that named it, for the lines about it. */
  readonly variable: string;
  readonly file: string;
}

/**
 * TLS for an https collector, from `OTEL_EXPORTER_OTLP_(METRICS_)CERTIFICATE`,
 * `…CLIENT_CERTIFICATE` and `…CLIENT_KEY` (with `LEAKWATCH_OTLP=true`).
 * Paths only: the exporter reads the files when it starts.
 */
export interface OtlpTls {
  /** The CA(s) the collector's certificate must chain to, instead of Node's trusted CAs. */
  readonly ca: PemFile | null;
  /** The client certificate and its key, for mutual TLS: both or neither. */
  readonly client: { readonly cert: PemFile; readonly key: PemFile } | null;
}

export interface OtlpTarget {
  readonly url: string;
  /** Request headers: `OTEL_EXPORTER_OTLP_(METRICS_)HEADERS` when `LEAKWATCH_OTLP=true`, else none. */
  readonly headers: Readonly<Record<string, string>>;
  /** Those header variables when set but not sent: `LEAKWATCH_OTLP` named a URL of its own. */
  readonly headersNotSent: readonly string[];
  /** Resource attributes naming the process: `service.name`, `OTEL_RESOURCE_ATTRIBUTES`, … */
  readonly resource: Readonly<Record<string, string>>;
  readonly temporality: Temporality;
  /** `gzip` compresses each body (`OTEL_EXPORTER_OTLP_COMPRESSION`, with `LEAKWATCH_OTLP=true`). */
  readonly compression: 'gzip' | 'none';
  /** How often OTLP exports (ms): `LEAKWATCH_FLUSH_INTERVAL` when set, else `OTEL_METRIC_EXPORT_INTERVAL` with `LEAKWATCH_OTLP=true`, else 10 s. */
  readonly intervalMs: number;
  /** An export's deadline (ms), at most the flush interval (`OTEL_EXPORTER_OTLP_TIMEOUT`, with `LEAKWATCH_OTLP=true`). */
  readonly timeoutMs: number;
  /** The OTel certificate variables, for an https endpoint with `LEAKWATCH_OTLP=true`; else null. */
  readonly tls: OtlpTls | null;
}

/** The fully resolved configuration: no field is ever undefined. */
export interface Config {
  readonly enabled: boolean;
  readonly intervalMs: Milliseconds;
  readonly windowMs: Milliseconds;
  readonly reportDir: string;
  readonly debug: boolean;
  readonly dogstatsd: Endpoint | null;
  readonly prometheus: { readonly host: string; readonly port: number } | null;
  readonly otlp: OtlpTarget | null;
  readonly flushIntervalMs: Milliseconds;
  readonly maxReportsPerHour: number;
  readonly maxReportFiles: number;
  readonly heapSnapshot: boolean;
  readonly control: boolean;
  /**
   * `LEAKWATCH_WORKERS` (the preload's; no `start()` option): each worker
   * thread gets an agent of its own (off).
   */
  readonly workers: boolean;
  readonly service: string;
  readonly env: string;
  readonly version: string;
  readonly tags: readonly string[];
  /** `DD_ENTITY_ID` (set by Datadog's Kubernetes admission controller): tagged `dd.internal.entity_id` for the agent's container tags. */
  readonly ddEntityId: string;
  /** Rows kept in the sample history (derived from window and interval). */
  readonly historySize: number;
}
