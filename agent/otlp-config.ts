/**
 * The OTLP channel's configuration: `LEAKWATCH_OTLP` resolved into where to
 * send, how, and as whom. `true` follows the process's OpenTelemetry
 * settings (agent/otel-env.ts) for the transport; the resource and the
 * temporality follow them whatever the URL. Pure.
 */
import type { Env } from './config';
import type { OtlpTarget, StartOptions } from './config-types';
import { quote } from './endpoint';
import { TRUE_WORDS } from './words';
import {
  OTEL_HEADER_VARS,
  OTLP_DEFAULT_TIMEOUT_MS,
  type OtelTarget,
  type Warn,
  isHttpUrl,
  otelInterval,
  otelResource,
  otelTarget,
  otelTemporality,
  read,
} from './otel-env';

/** The URL as lines and answers may show it: a user name or password becomes `***`. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.username === '' && u.password === '') return url;
  if (u.username !== '') u.username = '***';
  if (u.password !== '') u.password = '***';
  return u.href;
}

/**
 * The target as `leakwatch status` and `attach` show it: the URL's
 * credentials and every header value replaced by `***`.
 */
export function redactTarget(t: OtlpTarget): OtlpTarget {
  return Object.freeze({
    ...t,
    url: redactUrl(t.url),
    headers: Object.freeze(Object.fromEntries(Object.keys(t.headers).map((k) => [k, '***']))),
  });
}

/** The flush interval as agent/config.ts resolved it, and its bounds. */
export interface Flush {
  readonly ms: number;
  /** Set by `LEAKWATCH_FLUSH_INTERVAL` or the option, rather than the default. */
  readonly chosen: boolean;
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * The OTLP resource: `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME` over
 * Datadog's `DD_SERVICE`/`DD_ENV`/`DD_VERSION`, `start()` options over both.
 */
function resource(options: StartOptions, env: Env, warn: Warn, scriptName: string): Record<string, string> {
  const r = otelResource(env, warn);
  const pick = (opt: string | undefined, key: string, dd: string | undefined): void => {
    const v = opt ?? r[key] ?? dd;
    if (v !== undefined && v !== '') r[key] = v;
  };
  pick(options.service, 'service.name', env.DD_SERVICE ?? scriptName);
  pick(options.env, 'deployment.environment.name', env.DD_ENV);
  pick(options.version, 'service.version', env.DD_VERSION);
  return r;
}

/**
 * Resolves an `LEAKWATCH_OTLP` (or `otlp` option) value that is not an off
 * word: `true` reads the OTel variables, a URL is used as it is. A bad value
 * is one line and null; a bad `start()` option throws a TypeError.
 */
export function resolveOtlp(
  raw: string,
  options: StartOptions,
  env: Env,
  warn: Warn,
  scriptName: string,
  flush: Flush,
): OtlpTarget | null {
  let target: OtelTarget | null;
  let headersNotSent: string[] = [];
  const followsOtel = TRUE_WORDS.has(raw.toLowerCase());
  if (followsOtel) {
    target = otelTarget(env, warn);
  } else if (isHttpUrl(raw)) {
    // The process's OTel credentials go only where its OTel config sends.
    target = { url: raw, headers: {}, compression: 'none', timeoutMs: OTLP_DEFAULT_TIMEOUT_MS, tls: null };
    headersNotSent = OTEL_HEADER_VARS.filter((name) => read(env, name) !== undefined);
  } else {
    if (options.otlp !== undefined)
      throw new TypeError(`leakwatch: option otlp must be an http(s) URL or true (got ${quote(raw)})`);
    warn(
      `leakwatch: LEAKWATCH_OTLP=${quote(raw)} is not a URL (expected e.g. http://127.0.0.1:4318/v1/metrics, or true for the OTEL_EXPORTER_OTLP_* settings); OTLP export disabled`,
    );
    return null;
  }
  if (target === null) return null;
  return Object.freeze({
    url: target.url,
    headers: Object.freeze({ ...target.headers }),
    headersNotSent: Object.freeze(headersNotSent),
    resource: Object.freeze(resource(options, env, warn, scriptName)),
    temporality: otelTemporality(env, warn),
    compression: target.compression,
    intervalMs: flush.chosen || !followsOtel ? flush.ms : (otelInterval(env, warn, flush) ?? flush.ms),
    timeoutMs: target.timeoutMs,
    tls: target.tls,
  });
}
