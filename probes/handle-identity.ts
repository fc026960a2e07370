/**
 * What a handle is and when it was made, without a record per handle:
 * its async id (one counter that only grows, so an id above a mark was
 * created after it) and, for a client socket, where it was asked to go.
 */
import { AsyncResource } from 'node:async_hooks';

let asyncIdSymbol: symbol | null | undefined;

/**
 * `process._getActiveHandles()`: the ref'd sockets, servers, UDP sockets and
 * child processes (their owner objects); null where Node has no such call.
 */
export function activeHandles(): unknown[] | null {
  const get = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  return typeof get === 'function' ? get.call(process) : null;
}

/**
 * The async id of a timer (its `Symbol(asyncId)` field, lib/internal/timers.js)
 * or of a socket's or server's handle (`AsyncWrap#getAsyncId`); -1 if none.
 * Ids come from one counter that only grows, and an interval keeps its id
 * across repeats (checked on Node 20).
 */
export function asyncIdOf(o: object): number {
  if (asyncIdSymbol === undefined) {
    const t = setTimeout(() => {}, 1);
    clearTimeout(t);
    asyncIdSymbol = Object.getOwnPropertySymbols(t).find((x) => x.description === 'asyncId') ?? null;
  }
  const rec = o as Record<symbol, unknown> & { _handle?: { getAsyncId?: () => number } | null };
  const own = asyncIdSymbol === null ? undefined : rec[asyncIdSymbol];
  if (typeof own === 'number' && own > 0) return own;
  try {
    const h = rec._handle ?? udpHandle(o);
    const id = h?.getAsyncId?.();
    return typeof id === 'number' ? id : -1;
  } catch {
    return -1;
  }
}

/**
 * The target of `Socket#connect(...)`: `(port, host)`, `(path)`,
 * `({ port, host } | { path })`, or Node's normalized array form
 * (`net.connect` passes `[options, cb]`).
 */
export function connectTarget(args: readonly unknown[]): string | undefined {
  let a = args;
  if (Array.isArray(a[0])) a = a[0] as unknown[];
  const first = a[0];
  if (typeof first === 'string') return first;
  if (typeof first === 'number') return `${typeof a[1] === 'string' ? a[1] : 'localhost'}:${first}`;
  if (typeof first === 'object' && first !== null) {
    const o = first as { path?: unknown; port?: unknown; host?: unknown };
    if (typeof o.path === 'string') return o.path;
    if (o.port !== undefined) return `${typeof o.host === 'string' ? o.host : 'localhost'}:${String(o.port)}`;
  }
  return undefined;
}

/** A fresh async id: above every id handed out so far. */
export function nextAsyncId(): number {
  const r = new AsyncResource('leakwatch.arm');
  r.emitDestroy();
  return r.asyncId();
}

function udpHandle(o: object): { getAsyncId?: () => number } | null {
  for (const sym of Object.getOwnPropertySymbols(o)) {
    if (sym.description !== 'state symbol') continue;
    const st = (o as Record<symbol, { handle?: { getAsyncId?: () => number } | null }>)[sym];
    return st?.handle ?? null;
  }
  return null;
}
