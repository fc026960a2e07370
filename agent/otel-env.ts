/**
 * OpenTelemetry's own environment variables, read as its SDKs read them:
 * the OTLP exporter's endpoint, headers, protocol, compression and timeout,
 * the export interval, the temporality preference and the resource. Pure:
 * the environment comes in as a value; agent/otlp-config.ts decides which
 * of them the OTLP channel follows.
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 * https://opentelemetry.io/docs/specs/otel/resource/sdk/#specifying-resource-information-via-an-environment-variable
 */
import type { Env } from './config';
import type { OtlpTls, PemFile, Temporality } from './config-types';
import { quote } from './endpoint';

/** Where a bad value's line goes. */
export type Warn = (line: string) => void;

/** Where OTLP/HTTP metrics go when no variable says otherwise (the spec's default). */
export const OTLP_DEFAULT_URL = 'http://localhost:4318/v1/metrics';

/** The variables that carry the OTLP exporter's request headers, generic first. */
export const OTEL_HEADER_VARS: readonly string[] = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'];

/** A header name: an HTTP token (RFC 9110 §5.6.2). */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node accepts in a header value (its own check, `checkInvalidHeaderChar`). */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by leakwatch for the protobuf body; an entry naming one is left out. */
const OWN_HEADERS: ReadonlySet<string> = new Set(['content-type', 'content-length']);

/** An export's deadline unless `OTEL_EXPORTER_OTLP_TIMEOUT` says otherwise: the spec's 10 s. */
export const OTLP_DEFAULT_TIMEOUT_MS = 10_000;

/** Where `LEAKWATCH_OTLP=true` sends, and how: the OTel exporter's transport settings. */
export interface OtelTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'gzip' | 'none';
  readonly timeoutMs: number;
  readonly tls: OtlpTls | null;
}

/** A value as the spec reads it: trimmed, and empty means unset. */
export function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** An absolute http(s) URL without white space. */
export function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^\s]+$/.test(text) && URL.canParse(text);
}

/** The metrics URL for a base endpoint: `v1/metrics` appended after one slash. */
export function metricsUrl(base: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}v1/metrics`;
}

/** One `key=value` entry of a W3C-baggage-style list, or why it is not one. */
type Entry = { key: string; value: string; named: string } | { bad: string };

/**
 * Splits `key1=value1,key2=value2` (W3C baggage without properties, the form
 * of OTel's header and resource variables): entries and their parts trimmed,
 * values percent-decoded, empty entries skipped. An entry is bad when it has
 * no `=`, a key that is not a token (baggage keys are), or a value that does
 * not decode. `named` and `bad` name an entry by its key when it has one
 * that is a token, else by position, and never hold its value (headers
 * carry credentials).
 */
export function parseEntries(text: string): Entry[] {
  const out: Entry[] = [];
  const parts = text.split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = (parts[i] as string).trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    // An entry without `=` may be a bare credential: named by position.
    const named = eq >= 0 && TOKEN_RE.test(key) ? quote(key) : `entry ${i + 1}`;
    if (eq < 0 || !TOKEN_RE.test(key)) {
      out.push({ bad: named });
      continue;
    }
    try {
      out.push({ key, value: decodeURIComponent(part.slice(eq + 1).trim()), named });
    } catch {
      out.push({ bad: named });
    }
  }
  return out;
}

/**
 * Request headers from `OTEL_EXPORTER_OTLP_HEADERS`, overridden key by key by
 * `OTEL_EXPORTER_OTLP_METRICS_HEADERS`. A bad entry is left out, and one line
 * per variable names it (its key, never its value).
 */
export function otelHeaders(env: Env, warn: Warn): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of OTEL_HEADER_VARS) {
    const raw = read(env, name);
    if (raw === undefined) continue;
    const left: string[] = [];
    for (const e of parseEntries(raw)) {
      if ('bad' in e) left.push(e.bad);
      else if (!HEADER_VALUE_RE.test(e.value)) left.push(e.named);
      else if (OWN_HEADERS.has(e.key.toLowerCase())) left.push(`${e.named} (leakwatch sets it)`);
      else headers[e.key.toLowerCase()] = e.value;
    }
    if (left.length > 0) {
      warn(
        `leakwatch: ${name} has entries that are not header=value (expected e.g. api-key=abc123,x-team=core, values percent-encoded); left out: ${left.join(', ')}`,
      );
    }
  }
  return headers;
}

/**
 * The target of `LEAKWATCH_OTLP=true`: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`
 * as it is, else `OTEL_EXPORTER_OTLP_ENDPOINT` with `v1/metrics` appended,
 * else http://localhost:4318/v1/metrics, each as the OTel SDKs take them; a
 * bad one is named and the next is used. Null, with one line, when
 * `OTEL_SDK_DISABLED=true`, or when the protocol variable asks for gRPC,
 * which leakwatch does not speak (its endpoint would be a gRPC port).
 */
export function otelTarget(env: Env, warn: Warn): OtelTarget | null {
  // The process's OpenTelemetry is switched off (as in many local and test
  // setups): following its settings means not exporting either.
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') {
    warn(
      'leakwatch: OTEL_SDK_DISABLED=true and LEAKWATCH_OTLP=true, which follows the OpenTelemetry settings; OTLP export disabled (give LEAKWATCH_OTLP a URL to export anyway)',
    );
    return null;
  }
  const protocolVar = signalVar(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const protocol = read(env, protocolVar);
  if (protocol !== undefined && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    warn(
      `leakwatch: ${protocolVar}=${quote(protocol)} is not a protocol leakwatch sends (expected http/protobuf or http/json: leakwatch speaks OTLP over HTTP, not gRPC); OTLP export disabled (set LEAKWATCH_OTLP to the collector's OTLP/HTTP URL, e.g. http://localhost:4318/v1/metrics)`,
    );
    return null;
  }
  const bad: string[] = [];
  let url: string | undefined;
  const specific = read(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (specific !== undefined) {
    if (isHttpUrl(specific)) url = specific;
    else bad.push(`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=${quote(specific)}`);
  }
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (url === undefined && base !== undefined) {
    if (isHttpUrl(base)) url = metricsUrl(base);
    else bad.push(`OTEL_EXPORTER_OTLP_ENDPOINT=${quote(base)}`);
  }
  url ??= OTLP_DEFAULT_URL;
  for (const b of bad) {
    warn(`leakwatch: ${b} is not an http(s) URL (expected e.g. http://collector:4318); sending to ${url}`);
  }
  if (protocol === 'http/json') {
    warn(
      `leakwatch: ${protocolVar}="http/json": leakwatch sends OTLP/HTTP as protobuf, which every OTLP/HTTP receiver takes; sending protobuf to ${url}`,
    );
  }
  return {
    url,
    headers: otelHeaders(env, warn),
    compression: otelCompression(env, warn),
    timeoutMs: otelTimeout(env, warn),
    tls: otelTls(env, warn, url),
  };
}

/**
 * `OTEL_EXPORTER_OTLP_(METRICS_)CERTIFICATE`, `…CLIENT_CERTIFICATE` and
 * `…CLIENT_KEY`: PEM file paths, used for an https endpoint. Set for an
 * http one, or a client certificate without its key (or the other way
 * round), is one line and unused. Null when nothing is used.
 */
export function otelTls(env: Env, warn: Warn, url: string): OtlpTls | null {
  const pem = (generic: string): PemFile | null => {
    const variable = signalVar(env, generic);
    const file = read(env, variable);
    return file === undefined ? null : Object.freeze({ variable, file });
  };
  const ca = pem('OTEL_EXPORTER_OTLP_CERTIFICATE');
  const cert = pem('OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE');
  const key = pem('OTEL_EXPORTER_OTLP_CLIENT_KEY');
  const set = [ca, cert, key].filter((f): f is PemFile => f !== null);
  if (set.length === 0) return null;
  if (!url.startsWith('https:')) {
    warn(
      `leakwatch: ${set.map((f) => f.variable).join(', ')} set, but ${url} is not https; ${set.length > 1 ? 'they are' : 'it is'} not used (expected an https:// endpoint for TLS)`,
    );
    return null;
  }
  let client: OtlpTls['client'] = null;
  if (cert !== null && key !== null) {
    client = Object.freeze({ cert, key });
  } else if (cert !== null || key !== null) {
    const has = (cert ?? key) as PemFile;
    const lacks = cert === null ? 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE' : 'OTEL_EXPORTER_OTLP_CLIENT_KEY';
    warn(
      `leakwatch: ${has.variable}=${quote(has.file)} needs ${lacks} too (expected a client certificate and its private key, both PEM files); no client certificate sent`,
    );
  }
  return ca === null && client === null ? null : Object.freeze({ ca, client });
}

/** The metrics-specific variable when set, else the generic one: which one to read. */
function signalVar(env: Env, generic: string): string {
  const specific = generic.replace('OTEL_EXPORTER_OTLP_', 'OTEL_EXPORTER_OTLP_METRICS_');
  return read(env, specific) !== undefined ? specific : generic;
}

/** `OTEL_EXPORTER_OTLP_(METRICS_)COMPRESSION`: `gzip` or `none`; a bad value is one line and `none`. */
export function otelCompression(env: Env, warn: Warn): 'gzip' | 'none' {
  const name = signalVar(env, 'OTEL_EXPORTER_OTLP_COMPRESSION');
  const raw = read(env, name);
  if (raw === undefined) return 'none';
  const v = raw.toLowerCase();
  if (v === 'gzip' || v === 'none') return v;
  warn(`leakwatch: ${name}=${quote(raw)} is not a compression (expected gzip or none); sending uncompressed`);
  return 'none';
}

/**
 * `OTEL_METRIC_EXPORT_INTERVAL`: whole milliseconds, clamped to the flush
 * interval's bounds with one line; unset or bad (one line) is undefined.
 */
export function otelInterval(
  env: Env,
  warn: Warn,
  flush: { readonly minMs: number; readonly maxMs: number },
): number | undefined {
  const raw = read(env, 'OTEL_METRIC_EXPORT_INTERVAL');
  if (raw === undefined) return undefined;
  const ms = /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (ms <= 0) {
    warn(
      `leakwatch: OTEL_METRIC_EXPORT_INTERVAL=${quote(raw)} is not an interval (expected a whole number of milliseconds, e.g. 60000); using LEAKWATCH_FLUSH_INTERVAL's default`,
    );
    return undefined;
  }
  const clamped = Math.min(flush.maxMs, Math.max(flush.minMs, ms));
  if (clamped !== ms) {
    warn(`leakwatch: OTEL_METRIC_EXPORT_INTERVAL=${ms} is outside ${flush.minMs}..${flush.maxMs} ms; using ${clamped}`);
  }
  return clamped;
}

/**
 * `OTEL_EXPORTER_OTLP_(METRICS_)TIMEOUT`: a whole number of milliseconds, as
 * the spec has it; a bad value is one line and the 10 s default.
 */
export function otelTimeout(env: Env, warn: Warn): number {
  const name = signalVar(env, 'OTEL_EXPORTER_OTLP_TIMEOUT');
  const raw = read(env, name);
  if (raw === undefined) return OTLP_DEFAULT_TIMEOUT_MS;
  const ms = /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
  if (ms > 0) return ms;
  warn(
    `leakwatch: ${name}=${quote(raw)} is not a timeout (expected a whole number of milliseconds above 0, e.g. 10000); using ${OTLP_DEFAULT_TIMEOUT_MS}`,
  );
  return OTLP_DEFAULT_TIMEOUT_MS;
}

/**
 * Resource attributes from `OTEL_RESOURCE_ATTRIBUTES`, with
 * `OTEL_SERVICE_NAME` as `service.name` over it. As in the OTel SDKs, a value
 * with a bad entry is discarded whole, with one line.
 */
export function otelResource(env: Env, warn: Warn): Record<string, string> {
  const attrs: Record<string, string> = {};
  const raw = read(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (raw !== undefined) {
    const entries = parseEntries(raw);
    const bad = entries.flatMap((e) => ('bad' in e ? [e.bad] : []));
    if (bad.length > 0) {
      warn(
        `leakwatch: OTEL_RESOURCE_ATTRIBUTES=${quote(raw)} is not a list of key=value (expected e.g. k8s.pod.name=api-7,team=core, values percent-encoded; bad: ${bad.join(', ')}); none of it is used`,
      );
    } else {
      for (const e of entries) if (!('bad' in e)) attrs[e.key] = e.value;
    }
  }
  const service = read(env, 'OTEL_SERVICE_NAME');
  if (service !== undefined) attrs['service.name'] = service;
  return attrs;
}

const TEMPORALITIES: ReadonlySet<string> = new Set(['cumulative', 'delta', 'lowmemory']);

/**
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, case-insensitive as
 * the spec has it; unset or bad (one line) is `cumulative`, the default.
 */
export function otelTemporality(env: Env, warn: Warn): Temporality {
  const raw = read(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (raw === undefined) return 'cumulative';
  const v = raw.toLowerCase();
  if (TEMPORALITIES.has(v)) return v as Temporality;
  warn(
    `leakwatch: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${quote(raw)} is not a temporality (expected cumulative, delta or lowmemory); using cumulative`,
  );
  return 'cumulative';
}
