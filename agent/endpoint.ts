import type { Env } from './config';

/** Where a push exporter sends datagrams. */
export type Endpoint =
  | { readonly protocol: 'udp'; readonly host: string; readonly port: number }
  | { readonly protocol: 'unix'; readonly path: string };

const DOGSTATSD_DEFAULT_HOST = '127.0.0.1';
const DOGSTATSD_DEFAULT_PORT = 8125;

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port > 0 && port < 65_536 ? port : undefined;
}

/**
 * Parses `host:port`, `[::1]:port` or a bare port. The host defaults to
 * loopback: servers the agent opens bind loopback unless told otherwise.
 */
export function parseHostPort(
  text: string,
): { host: string; port: number } | null {
  const bare = parsePort(text);
  if (bare !== undefined) return { host: '127.0.0.1', port: bare };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const port = parsePort(m[3]);
  if (port === undefined) return null;
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Parses a DogStatsD address: `udp://host:port`, `unix:///path`, or `true`
 * for the address a Datadog user already configured (`DD_DOGSTATSD_URL`,
 * else `DD_AGENT_HOST` and `DD_DOGSTATSD_PORT`, else 127.0.0.1:8125).
 */
export function parseEndpoint(text: string, env: Env): Endpoint | null {
  const word = text.toLowerCase();
  if (word === 'true' || word === '1' || word === 'yes' || word === 'on') {
    const url = env.DD_DOGSTATSD_URL;
    if (url !== undefined && url !== '') return parseEndpoint(url, {});
    const port = parsePort(env.DD_DOGSTATSD_PORT) ?? DOGSTATSD_DEFAULT_PORT;
    return { protocol: 'udp', host: env.DD_AGENT_HOST || DOGSTATSD_DEFAULT_HOST, port };
  }
  if (text.startsWith('unix://')) {
    const p = text.slice('unix://'.length);
    return p.startsWith('/') && !p.includes('\0') ? { protocol: 'unix', path: p } : null;
  }
  const rest = text.startsWith('udp://') ? text.slice('udp://'.length) : text;
  if (!/^[[\]A-Za-z0-9.:-]+$/.test(rest)) return null;
  const hp = parseHostPort(rest);
  if (hp !== null) return { protocol: 'udp', ...hp };
  // A host alone: the port comes from DD_DOGSTATSD_PORT or the default.
  if (/^[A-Za-z0-9.-]+$/.test(rest)) {
    return { protocol: 'udp', host: rest, port: parsePort(env.DD_DOGSTATSD_PORT) ?? DOGSTATSD_DEFAULT_PORT };
  }
  return null;
}
