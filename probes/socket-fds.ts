/**
 * A cheap path to the live sockets, so a snapshot can skip the heap walk
 * (a forced full GC, 150–1000 ms here) when it would find nothing more.
 *
 * `process._getActiveHandles()` returns the ref'd sockets, servers and UDP
 * sockets, but not unref'd ones (measured on Node 20). The kernel knows all
 * of them: every socket is a `socket:[inode]` link in `/proc/self/fd`. If
 * each socket fd (beyond stdio) belongs to an active handle, or to one of
 * leakwatch's own endpoints (read from `/proc/net/{tcp,udp,unix}`), the
 * active handles are the complete list. Any fd left unexplained, or any
 * doubt (not Linux, IPv6, unreadable files), means "walk the heap".
 */
import * as fs from 'node:fs';
import { readFdLinks } from './fd-links';
import { activeHandles } from './handle-identity';

/** What the accounting found. */
export interface SocketAccounting {
  /** The ref'd socket, server and UDP objects. */
  handles: object[];
  /** Socket fds that were leakwatch's own endpoints (not in `handles`). */
  own: number;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * @param fdOf the fd of an active handle's object, or null if not a socket
 * @param ownEndpoints exact endpoints (`127.0.0.1:8125`, a unix path) that
 *   are leakwatch's own
 * @returns the complete list, or null when the heap must be walked
 */
export function accountSockets(
  fdOf: (h: object) => number | null,
  ownEndpoints: ReadonlySet<string>,
): SocketAccounting | null {
  if (process.platform !== 'linux') return null;
  const active = activeHandles();
  if (active === null) return null;
  const links = readFdLinks();
  if (links === null) return null;
  const unexplained = new Map<number, string>();
  for (const [fd, link] of links) {
    const m = SOCKET_LINK.exec(link);
    if (m !== null) unexplained.set(fd, m[1] as string);
  }
  const handles: object[] = [];
  for (const h of active) {
    if (typeof h !== 'object' || h === null) continue;
    const fd = fdOf(h);
    if (fd === null) continue;
    handles.push(h);
    unexplained.delete(fd);
  }
  if (unexplained.size === 0) return { handles, own: 0 };
  const ownInodes = ownSocketInodes(ownEndpoints);
  if (ownInodes === null) return null;
  for (const inode of unexplained.values()) if (!ownInodes.has(inode)) return null;
  return { handles, own: unexplained.size };
}

/** Inodes of sockets bound or connected to one of `endpoints` (IPv4, unix). */
function ownSocketInodes(endpoints: ReadonlySet<string>): Set<string> | null {
  const out = new Set<string>();
  if (endpoints.size === 0) return out;
  try {
    for (const file of ['/proc/self/net/tcp', '/proc/self/net/udp']) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      for (let i = 1; i < lines.length; i++) {
        const f = (lines[i] as string).trim().split(/\s+/);
        if (f.length < 10) continue;
        if (endpoints.has(ipv4(f[1] as string)) || endpoints.has(ipv4(f[2] as string))) out.add(f[9] as string);
      }
    }
    const lines = fs.readFileSync('/proc/self/net/unix', 'utf8').split('\n');
    for (let i = 1; i < lines.length; i++) {
      const f = (lines[i] as string).trim().split(/\s+/);
      if (f.length >= 8 && endpoints.has(f[7] as string)) out.add(f[6] as string);
    }
  } catch {
    return null;
  }
  return out;
}

/** `0100007F:1F90` (little-endian hex) → `127.0.0.1:8080`. */
export function ipv4(hex: string): string {
  const [a, p] = hex.split(':');
  if (a === undefined || p === undefined || a.length !== 8) return '';
  const n = Number.parseInt(a, 16);
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}:${Number.parseInt(p, 16)}`;
}
