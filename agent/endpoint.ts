import { isIP } from 'node:net';
import type { Env } from './config';
import { TRUE_WORDS } from './words';

/** Where a push exporter sends datagrams. */
export type Endpoint =
  | { readonly protocol: 'udp'; readonly host: string; readonly port: number }
  | { readonly protocol: 'unix'; readonly path: string };

/** A bad environment value: name, value as typed, accepted form, fallback. */
export type Warn = (name: string, value: string, expected: string, fallback: string) => void;

/** Where the Datadog agent listens unless told otherwise (dd-trace's defaults). */
const DOGSTATSD_DEFAULT_HOST = '127.0.0.1';
const DOGSTATSD_DEFAULT_PORT = 8125;
/**
 * `LEAKWATCH_PROMETHEUS=true`: the port OpenTelemetry's Prometheus exporter
 * serves by default (OTEL_EXPORTER_PROMETHEUS_PORT), on loopback.
 */
export const PROMETHEUS_DEFAULT = Object.freeze({ host: '127.0.0.1', port: 9464 });

/** Longest DNS name (RFC 1035 §2.3.4); longer input is refused outright. */
const MAX_HOST_LENGTH = 253;
/** A host-name label (RFC 1123 §2.1): letters, digits, inner hyphens, ≤ 63. */
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const EXPECTED_HOST = 'a host name or IP address (expected e.g. datadog-agent, 10.0.0.5 or ::1)';
const EXPECTED_PORT = 'a port (expected a whole number 1-65535, e.g. 8125)';
const EXPECTED_DD_URL = 'a DogStatsD address (expected udp://host:port or unix:///path/to/dsd.socket)';

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port > 0 && port < 65_536 ? port : undefined;
}

/**
 * Reads a host: an IP address (IPv6 bare or in brackets) or a host name
 * made of RFC 1123 labels. A name whose last label is all digits is refused,
 * as the WHATWG URL parser refuses it: it can only mean a malformed IPv4
 * address (`10.0.0`, `300.1.1.1`). So `-1`, `a..b` and `not a host` fail.
 * @returns the host as socket APIs take it (brackets removed), or undefined
 */
export function parseHost(text: string): string | undefined {
  if (text.length > MAX_HOST_LENGTH + 2) return undefined;
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    return isIP(inner) === 6 ? inner : undefined;
  }
  if (isIP(text) !== 0) return text;
  if (text.length > MAX_HOST_LENGTH) return undefined;
  const labels = text.split('.');
  if (!labels.every((l) => LABEL_RE.test(l))) return undefined;
  return /^\d+$/.test(labels[labels.length - 1] as string) ? undefined : text;
}

/** `host:port` or `[v6]:port`, both parts required and valid; else null. */
function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const host = parseHost(m[1] as string);
  const port = parsePort(m[2]);
  return host === undefined || port === undefined ? null : { host, port };
}

/**
 * Parses `host:port`, `[::1]:port` or a bare port. The host defaults to
 * loopback: servers the agent opens bind loopback unless told otherwise.
 */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const bare = parsePort(text);
  if (bare !== undefined) return { host: '127.0.0.1', port: bare };
  return splitHostPort(text);
}

function parseUnix(text: string): Endpoint | null {
  const p = text.slice('unix://'.length);
  return p.startsWith('/') && !p.includes('\0') ? { protocol: 'unix', path: p } : null;
}

/** `udp://127.0.0.1:8125` or `unix:///path`, for messages. */
export function formatEndpoint(ep: Endpoint): string {
  if (ep.protocol === 'unix') return `unix://${ep.path}`;
  return `udp://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

/** A Datadog variable read with `parse`, or `fallback` when unset; a bad one warns. */
function datadogValue<T>(
  env: Env,
  warn: Warn,
  name: 'DD_DOGSTATSD_PORT' | 'DD_AGENT_HOST',
  parse: (raw: string) => T | undefined,
  expected: string,
  fallback: T,
): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = parse(raw);
  if (value !== undefined) return value;
  warn(name, raw, expected, `using ${String(fallback)}`);
  return fallback;
}

/** A value as a bad-value line quotes it: JSON, cut after 64 characters. */
export function quote(v: string): string {
  return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
}

/** `DD_DOGSTATSD_PORT`, or the default when unset; a bad one warns. */
const datadogPort = (env: Env, warn: Warn): number =>
  datadogValue(env, warn, 'DD_DOGSTATSD_PORT', parsePort, EXPECTED_PORT, DOGSTATSD_DEFAULT_PORT);

/** `DD_AGENT_HOST`, or the default when unset; a bad one warns. */
const datadogHost = (env: Env, warn: Warn): string =>
  datadogValue(env, warn, 'DD_AGENT_HOST', parseHost, EXPECTED_HOST, DOGSTATSD_DEFAULT_HOST);

/**
 * The DogStatsD address a Datadog user already configured, read the way
 * Datadog's clients read it: `DD_DOGSTATSD_URL` (`udp://host:port` or
 * `unix:///path`) first, else `DD_AGENT_HOST` and `DD_DOGSTATSD_PORT`,
 * else 127.0.0.1:8125. Each bad variable warns once, naming itself, and the
 * next source in that order is used: a typo never switches metrics off.
 */
export function datadogEndpoint(env: Env, warn: Warn): Endpoint {
  const url = env.DD_DOGSTATSD_URL?.trim();
  if (url !== undefined && url !== '') {
    const ep = url.startsWith('unix://')
      ? parseUnix(url)
      : url.startsWith('udp://')
        ? udp(splitHostPort(url.slice('udp://'.length)))
        : null;
    if (ep !== null) return ep;
    // The fallback's own warnings come after this one, which explains them.
    const later: (() => void)[] = [];
    const fallback: Endpoint = {
      protocol: 'udp',
      host: datadogHost(env, (...a) => later.push(() => warn(...a))),
      port: datadogPort(env, (...a) => later.push(() => warn(...a))),
    };
    warn('DD_DOGSTATSD_URL', url, EXPECTED_DD_URL, `using ${formatEndpoint(fallback)}`);
    for (const w of later) w();
    return fallback;
  }
  return { protocol: 'udp', host: datadogHost(env, warn), port: datadogPort(env, warn) };
}

function udp(hp: { host: string; port: number } | null): Endpoint | null {
  return hp === null ? null : { protocol: 'udp', ...hp };
}

/**
 * Parses a `LEAKWATCH_DOGSTATSD` address: `udp://host:port`, `host:port`,
 * a host alone (the port from `DD_DOGSTATSD_PORT` or 8125), `unix:///path`,
 * or `true` for what a Datadog user already set (see datadogEndpoint).
 * @param warn told about bad `DD_*` values consulted on the way
 * @returns null when `text` itself is not an address
 */
export function parseEndpoint(text: string, env: Env, warn: Warn): Endpoint | null {
  if (TRUE_WORDS.has(text.toLowerCase())) return datadogEndpoint(env, warn);
  if (text.startsWith('unix://')) return parseUnix(text);
  const rest = text.startsWith('udp://') ? text.slice('udp://'.length) : text;
  const hp = parseHostPort(rest);
  if (hp !== null) return { protocol: 'udp', ...hp };
  const host = parseHost(rest);
  return host === undefined ? null : { protocol: 'udp', host, port: datadogPort(env, warn) };
}

/**
 * Resolves `LEAKWATCH_DOGSTATSD` (or the `dogstatsd` option), given that it
 * is not an off word. A bad value is one line and null (DogStatsD off); a
 * bad option throws a TypeError.
 */
export function resolveDogStatsD(raw: string, fromOption: boolean, env: Env, warn: Warn): Endpoint | null {
  const ep = parseEndpoint(raw, env, warn);
  if (ep !== null) return ep;
  if (fromOption)
    throw new TypeError(
      `leakwatch: option dogstatsd must be udp://host:port, unix:///path or true (got ${quote(raw)})`,
    );
  warn(
    'LEAKWATCH_DOGSTATSD',
    raw,
    'an address (expected udp://127.0.0.1:8125, unix:///var/run/datadog/dsd.socket or true)',
    'DogStatsD disabled',
  );
  return null;
}

/**
 * Resolves `LEAKWATCH_PROMETHEUS` (or the `prometheus` option), given that
 * it is not an off word: `host:port`, a port, or true for 127.0.0.1:9464. A
 * bad value is one line and null; a bad option throws a TypeError.
 */
export function resolvePrometheus(
  raw: string,
  fromOption: boolean,
  warn: Warn,
): { readonly host: string; readonly port: number } | null {
  // `1` is "on" here as in every other variable, not port 1: nobody
  // serves metrics on a privileged port by writing a single digit.
  const where = TRUE_WORDS.has(raw.toLowerCase()) ? PROMETHEUS_DEFAULT : parseHostPort(raw);
  if (where !== null) return where;
  if (fromOption)
    throw new TypeError(`leakwatch: option prometheus must be host:port, a port or true (got ${quote(raw)})`);
  warn(
    'LEAKWATCH_PROMETHEUS',
    raw,
    'an address (expected e.g. 127.0.0.1:9464, 9464 or true)',
    'Prometheus endpoint disabled',
  );
  return null;
}
