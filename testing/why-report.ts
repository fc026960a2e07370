/**
 * What keeps this process alive, with creation sites: every ref'd timer
 * (found in Node's timer lists through an in-process inspector session,
 * `probes/timers.ts`) and every ref'd socket, server, UDP socket and other
 * handle (`process._getActiveHandles()`, which lists exactly the ref'd
 * ones). Sites come from the creation-site wrappers armed by the `why`
 * preload for every call; a timer without one (created before the preload)
 * falls back to where its callback is defined. Stacks go through the app's
 * source maps, so a compiled app is named by its `.ts` lines.
 */
import childProcess = require('node:child_process');
import dgram = require('node:dgram');
import net = require('node:net');
import type { CreationRecord } from '../probes/creation-sites';
import { activeHandles } from '../probes/handle-identity';
import { openInspector } from '../probes/inspector-session';
import { addr, safe } from '../probes/sockets';
import {
  type Frame,
  type StackHolder,
  formatFrame,
  formatLocation,
  pickSite,
  printedFrames,
} from '../probes/stack-frames';
import { timeoutPrototype, timersFromLists } from '../probes/timers';
import type { WorkerRecord } from '../probes/workers';
import { createSourceMapper } from '../agent/source-maps';
import { MAX_FRAMES, childDetail, describeLeak, framesOf, workerLeak } from './leak-format';
import type { Leak } from './leak-window';

/** Frames printed under each handle. */
const PRINTED_FRAMES = 6;

/** One thing keeping the process alive. */
export interface AliveHandle extends Leak {
  /** For timers without a creation record: where the callback is defined. */
  callback: string | null;
}

/** What kept a process alive when it should have exited: the ref'd handles with their creation stacks. */
export interface WhyReport {
  handles: AliveHandle[];
  /** Ref'd handles of other kinds (child processes, watchers), by constructor name. */
  others: Record<string, number>;
  /** `process.getActiveResourcesInfo()` by type, for comparison with other tools. */
  resources: Record<string, number>;
}

interface TimeoutLike {
  _destroyed?: boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  _onTimeout?: unknown;
  hasRef?: () => boolean;
}

/**
 * Gathers the report.
 * @param recordOf creation records of the `why` preload's wrappers
 */
export async function gatherWhy(
  recordOf: (h: object) => CreationRecord | undefined,
  workers: readonly { worker: { threadId: number }; record: WorkerRecord }[] = [],
): Promise<WhyReport> {
  const mapper = createSourceMapper();
  const mapped = (holder: StackHolder): Frame[] =>
    framesOf(holder, MAX_FRAMES).map((f) => {
      const m = mapper.map(f);
      return m === null ? f : { fn: f.fn, ...m };
    });
  const framesFor = (h: object): Frame[] => {
    const rec = recordOf(h);
    return rec === undefined || rec === 1 ? [] : mapped(rec.holder);
  };
  const handles: AliveHandle[] = [];

  const insp = openInspector();
  try {
    const listed = await timersFromLists(insp);
    const timers = (listed ?? (await insp.queryObjects(timeoutPrototype()))) as TimeoutLike[];
    const unsited: { t: TimeoutLike; h: AliveHandle }[] = [];
    for (const t of timers) {
      if (t._destroyed === true || t._idleTimeout === -1 || typeof t._onTimeout !== 'function') continue;
      if (!safe(() => (typeof t.hasRef === 'function' ? t.hasRef() : true), true)) continue;
      const repeat = typeof t._repeat === 'number' ? t._repeat : null;
      const frames = framesFor(t as object);
      const h: AliveHandle = {
        type: repeat === null ? 'timeout' : 'interval',
        refed: true,
        detail: repeat === null ? `in ${t._idleTimeout ?? 0}ms` : `every ${repeat}ms`,
        frames,
        site: pickSite(frames),
        pooled: false,
        callback: null,
      };
      handles.push(h);
      if (h.site === null) unsited.push({ t, h });
    }
    if (unsited.length > 0) {
      const locs = await insp.functionLocations(unsited.map((u) => u.t._onTimeout));
      unsited.forEach((u, i) => {
        const l = locs[i];
        if (l !== null && l !== undefined) u.h.callback = formatLocation(mapper.map(l) ?? l);
      });
    }
  } finally {
    insp.close();
  }

  // A running worker holds the loop through its message port, which no
  // handle list shows: only the record of its creation names it.
  for (const { worker, record } of workers) {
    if (!record.refed) continue;
    handles.push({
      ...workerLeak(worker, record, mapped),
      callback: null,
    });
  }

  const others: Record<string, number> = {};
  const active = safe(() => activeHandles() ?? [], [] as unknown[]);
  // A running child's stdio pipes are its own: reported with it, not as sockets.
  const childStdio = new Set<unknown>();
  for (const o of active) if (o instanceof childProcess.ChildProcess) for (const p of o.stdio) childStdio.add(p);
  for (const o of active) {
    if (typeof o !== 'object' || o === null) continue;
    // stdout/stderr: Node's own, and writing to them is how this report gets out.
    if (o === process.stdout || o === process.stderr) continue;
    if (childStdio.has(o)) continue;
    const frames = framesFor(o);
    let h: AliveHandle | null = null;
    if (o instanceof childProcess.ChildProcess) {
      h = {
        type: 'process',
        refed: true,
        detail: childDetail(o),
        frames,
        site: pickSite(frames),
        pooled: false,
        callback: null,
      };
    } else if (o instanceof net.Server) {
      const a = safe(() => o.address(), null);
      h = {
        type: 'server',
        refed: true,
        detail: `listening on ${typeof a === 'string' ? a : a === null ? 'unknown' : addr(a.address, a.port)}`,
        frames,
        site: pickSite(frames),
        pooled: false,
        callback: null,
      };
    } else if (o instanceof net.Socket) {
      // An accepted connection has no connect call of its own: its server's
      // listen call is where it comes from.
      const server = (o as { server?: unknown }).server;
      const accepted = server instanceof net.Server;
      const remote = addr(
        safe(() => o.remoteAddress, undefined),
        safe(() => o.remotePort, undefined),
      );
      const rec = recordOf(o);
      const target = rec !== undefined && rec !== 1 ? rec.target : undefined;
      const detail =
        o === process.stdin
          ? 'stdin (being read)'
          : accepted
            ? `accepted from ${remote} by a server (site: its listen call)`
            : o.connecting
              ? `connecting to ${target ?? 'unknown'}`
              : `to ${remote === 'unknown' ? (target ?? remote) : remote}`;
      const f = accepted && frames.length === 0 ? framesFor(server) : frames;
      h = { type: 'socket', refed: true, detail, frames: f, site: pickSite(f), pooled: false, callback: null };
    } else if (o instanceof dgram.Socket) {
      const local = safe(() => o.address(), null);
      h = {
        type: 'udp',
        refed: true,
        detail: local === null ? 'unbound' : `on ${addr(local.address, local.port)}`,
        frames,
        site: pickSite(frames),
        pooled: false,
        callback: null,
      };
    }
    if (h !== null) handles.push(h);
    else {
      const name = (o as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      others[name] = (others[name] ?? 0) + 1;
    }
  }

  const resources: Record<string, number> = {};
  for (const r of safe(() => process.getActiveResourcesInfo(), [] as string[])) resources[r] = (resources[r] ?? 0) + 1;
  return { handles, others, resources };
}

/** The text printed on stderr. */
export function formatWhy(r: WhyReport, pid: number): string {
  const n = r.handles.length + Object.values(r.others).reduce((a, b) => a + b, 0);
  const lines = [`leakwatch why: ${n} handle${n === 1 ? '' : 's'} keep${n === 1 ? 's' : ''} process ${pid} alive`];
  for (const h of r.handles) {
    lines.push('', `  - ${describeLeak(h)}`);
    if (h.site === null && h.callback !== null) lines.push(`      callback defined at ${h.callback}`);
    for (const f of printedFrames(h.frames, PRINTED_FRAMES)) lines.push(`        at ${formatFrame(f)}`);
  }
  const others = Object.entries(r.others);
  if (others.length > 0) {
    lines.push('', `  - other ref'd handles: ${others.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  }
  const res = Object.entries(r.resources);
  lines.push(
    '',
    `  process.getActiveResourcesInfo(): ${res.length === 0 ? 'none' : res.map(([k, v]) => `${k} ×${v}`).join(', ')}`,
    '',
  );
  return lines.join('\n');
}
