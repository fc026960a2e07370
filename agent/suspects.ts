/**
 * Turns what the snapshot probes found into ranked report suspects: the
 * site (innermost user frame of a sampled creation stack, source-mapped),
 * the stack, growth since arming, and a one-line title. The filters that
 * keep leakwatch's own handles out are in ./own-filters.
 */
import type { Suspect } from '../reports/report-schema';
import { displayName } from '../reports/view-format';
import { MAX_CAPTURED_FRAMES, type SampledCreation } from '../probes/creation-sites';
import type { FunctionLocation } from '../probes/inspector-session';
import type { SocketGroup } from '../probes/sockets';
import { type Frame, formatFrame, formatLocation, isNodeInternal, pickSite, readHolder } from '../probes/stack-frames';
import type { TimerGroup } from '../probes/timers';
import type { ProcessGroup } from '../probes/processes';
import type { HeapSite } from './heap-profiler';
import type { SourceMapper } from './source-maps';

/** Most suspects in one report; the rest are counted in `dropped`. */
export const MAX_SUSPECTS = 25;
/** Most frames per suspect stack. */
export const MAX_STACK_FRAMES = 32;

/**
 * What turning evidence into suspects needs: the arming time, the clock, the
 * source mapper, and where to count what is dropped.
 */
export interface SuspectContext {
  /** When creation-site capture was armed, or null. */
  armedAt: number | null;
  now: number;
  mapper: SourceMapper | null;
  dropped: Record<string, number>;
}

/** Adds `by` to `rec[key]` (a drop counter); zero and negative amounts leave it untouched. */
export function bump(rec: Record<string, number>, key: string, by = 1): void {
  if (by > 0) rec[key] = (rec[key] ?? 0) + by;
}

function mapFrame(f: Frame, mapper: SourceMapper | null): Frame {
  if (mapper === null || isNodeInternal(f.file)) return f;
  const m = mapper.map(f);
  return m === null ? f : { fn: f.fn, ...m };
}

/** A function location as `path:line:column`, mapped to the source when a map knows it. */
export function mapLocation(loc: FunctionLocation | null, mapper: SourceMapper | null): string | null {
  if (loc === null) return null;
  const m = mapper?.map(loc) ?? null;
  return formatLocation(m ?? loc);
}

/** Site and stack from sampled creations: the most frequent site wins. */
export function siteFromSamples(
  samples: readonly SampledCreation[],
  ctx: SuspectContext,
): { site: string | null; stack: string[]; distinctSites: number; oldestAt: number | null } {
  const bySite = new Map<string, { n: number; frames: Frame[] }>();
  let oldest: number | null = null;
  for (const s of samples) {
    oldest = oldest === null ? s.at : Math.min(oldest, s.at);
    let frames = readHolder(s.holder, MAX_CAPTURED_FRAMES + 1);
    if (frames.length > MAX_CAPTURED_FRAMES) {
      bump(ctx.dropped, 'truncatedStacks');
      frames = frames.slice(0, MAX_CAPTURED_FRAMES);
    }
    frames = frames.map((f) => mapFrame(f, ctx.mapper));
    const site = pickSite(frames);
    const key = site === null ? '' : formatLocation(site);
    const e = bySite.get(key);
    if (e === undefined) bySite.set(key, { n: 1, frames });
    else e.n++;
  }
  let best: [string, { n: number; frames: Frame[] }] | null = null;
  for (const e of bySite) if (best === null || e[1].n > best[1].n || (best[0] === '' && e[0] !== '')) best = e;
  if (best === null) return { site: null, stack: [], distinctSites: 0, oldestAt: oldest };
  return {
    site: best[0] === '' ? null : best[0],
    stack: capStack(best[1].frames.map(formatFrame), ctx),
    distinctSites: bySite.size,
    oldestAt: oldest,
  };
}

function capStack(stack: string[], ctx: SuspectContext): string[] {
  if (stack.length <= MAX_STACK_FRAMES) return stack;
  bump(ctx.dropped, 'stackFrames', stack.length - MAX_STACK_FRAMES);
  return stack.slice(0, MAX_STACK_FRAMES);
}

function growthOf(createdWhileArmed: number, ctx: SuspectContext): { growth: number; growthPerSec: number } {
  if (ctx.armedAt === null) return { growth: 0, growthPerSec: 0 };
  const secs = (ctx.now - ctx.armedAt) / 1_000;
  return { growth: createdWhileArmed, growthPerSec: secs > 0 ? createdWhileArmed / secs : 0 };
}

/** What a timer or process group's detail ends with: ref state, and what capture saw. */
function groupDetail(
  g: { count: number; refed: number; createdWhileArmed: number; samples: readonly unknown[] },
  distinctSites: number,
  oldestAt: number | null,
  ctx: SuspectContext,
): Record<string, number | null> {
  return {
    refed: g.refed,
    unrefed: g.count - g.refed,
    createdWhileArmed: g.createdWhileArmed,
    sampledStacks: g.samples.length,
    distinctSites,
    oldestSampledAgeMs: oldestAt === null ? null : ctx.now - oldestAt,
  };
}

/** `5000` → `5s`, `1500` → `1.5s`, `250` → `250ms`. */
export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000) return `${+(ms / 1_000).toFixed(2)}s`;
  return `${ms}ms`;
}

/**
 * A suspect from a group of live timers with the same callback: count, growth
 * since arming, site and sampled stack.
 */
export function timerSuspect(g: TimerGroup, ctx: SuspectContext): Suspect {
  const { site, stack, distinctSites, oldestAt } = siteFromSamples(g.samples, ctx);
  const { growth, growthPerSec } = growthOf(g.createdWhileArmed, ctx);
  const name = displayName(g.name);
  const what =
    g.repeatMs !== null
      ? `interval${g.count === 1 ? '' : 's'} of ${formatMs(g.repeatMs)}`
      : `timeout${g.count === 1 ? '' : 's'} (${formatMs(g.timeoutMs)})`;
  return {
    kind: 'timer',
    title: `${g.count} live ${what}, callback ${name}${growth > 0 ? ` (+${growth} since armed)` : ''}`,
    count: g.count,
    growth,
    growthPerSec,
    site,
    stack,
    callback: { name: g.name, location: mapLocation(g.location, ctx.mapper) },
    detail: {
      intervalMs: g.repeatMs,
      timeoutMs: g.timeoutMs,
      repeat: g.repeatMs !== null,
      ...groupDetail(g, distinctSites, oldestAt, ctx),
    },
  };
}

const KIND_LABEL: Record<string, string> = {
  tcp: 'TCP',
  tls: 'TLS',
  pipe: 'pipe',
  udp: 'UDP',
  tty: 'TTY',
  unknown: '',
};

/** A suspect from a group of live sockets or servers with the same kind, role and endpoint. */
export function socketSuspect(g: SocketGroup, ctx: SuspectContext): Suspect {
  const { site, stack, distinctSites, oldestAt } = siteFromSamples(g.samples, ctx);
  const { growth, growthPerSec } = growthOf(g.createdWhileArmed, ctx);
  const label = KIND_LABEL[g.kind] ?? '';
  const n = g.count;
  const title =
    g.role === 'server'
      ? `${n} listening ${label} server${n === 1 ? '' : 's'} on ${g.endpoint}`
      : g.role === 'accepted'
        ? `${n} open accepted ${label} connection${n === 1 ? '' : 's'} on ${g.endpoint}`
        : g.role === 'udp'
          ? `${n} open UDP socket${n === 1 ? '' : 's'} ${g.endpoint.startsWith('unconnected') || g.endpoint === 'unbound' ? g.endpoint : `to ${g.endpoint}`}`
          : `${n} open ${label} socket${n === 1 ? '' : 's'} ${g.endpoint === 'connecting' ? 'still connecting' : `to ${g.endpoint}`}`;
  const detail: Record<string, string | number | boolean | null> = {
    role: g.role,
    type: g.kind,
    endpoint: g.endpoint,
    endpoints: g.endpoints.join(' '),
    refed: g.refed,
    unrefed: g.count - g.refed,
    bytesRead: g.bytesRead,
    bytesWritten: g.bytesWritten,
    states: Object.entries(g.states)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    createdWhileArmed: g.createdWhileArmed,
    sampledStacks: g.samples.length,
    distinctSites,
    oldestSampledAgeMs: oldestAt === null ? null : ctx.now - oldestAt,
  };
  return {
    kind: g.role === 'server' ? 'server' : 'socket',
    title: `${title.replace(/ {2,}/g, ' ')}${growth > 0 ? ` (+${growth} since armed)` : ''}`,
    count: n,
    growth,
    growthPerSec,
    site,
    stack,
    detail,
  };
}

/**
 * A suspect from a group of live things made at sampled sites (child
 * processes, worker threads): the site the samples agree on, growth from
 * those made while armed.
 */
function liveGroupSuspect(
  kind: 'process' | 'worker',
  g: { count: number; refed: number; createdWhileArmed: number; samples: readonly SampledCreation[] },
  title: (growth: number) => string,
  detail: Record<string, string>,
  ctx: SuspectContext,
): Suspect {
  const { site, stack, distinctSites, oldestAt } = siteFromSamples(g.samples, ctx);
  const { growth, growthPerSec } = growthOf(g.createdWhileArmed, ctx);
  return {
    kind,
    title: title(growth),
    count: g.count,
    growth,
    growthPerSec,
    site,
    stack,
    detail: { ...detail, ...groupDetail(g, distinctSites, oldestAt, ctx) },
  };
}

/** A suspect from a group of live child processes running the same command. */
export function processSuspect(g: ProcessGroup, ctx: SuspectContext): Suspect {
  const n = g.count;
  return liveGroupSuspect(
    'process',
    g,
    (growth) =>
      `${n} live child process${n === 1 ? '' : 'es'}: ${g.command}${growth > 0 ? ` (+${growth} since armed)` : ''}`,
    { command: g.command, pids: g.pids.join(' ') },
    ctx,
  );
}

/** Worker threads still running that were made while armed, with the same script. */
export interface WorkerGroup {
  /** The path or URL given to `new Worker`, or `[eval]`. */
  script: string;
  count: number;
  /** The first few thread ids. */
  threadIds: number[];
  refed: number;
  samples: SampledCreation[];
}

/** A suspect from a group of running worker threads: each was made while armed, so all of it is growth. */
export function workerSuspect(g: WorkerGroup, ctx: SuspectContext): Suspect {
  const n = g.count;
  return liveGroupSuspect(
    'worker',
    { ...g, createdWhileArmed: n },
    (growth) => `${n} running worker thread${n === 1 ? '' : 's'}: ${g.script} (+${growth} since armed)`,
    { script: g.script, threadIds: g.threadIds.join(' ') },
    ctx,
  );
}

/**
 * A suspect from one heap allocation site of the sampler.
 * @param since when the sampler started (ms since epoch), for the growth rate
 */
export function heapSuspect(h: HeapSite, ctx: SuspectContext, since: number): Suspect {
  const site = mapFrame(h.site, ctx.mapper);
  const secs = (ctx.now - since) / 1_000;
  const stack = capStack(h.stack.length > 0 ? h.stack : [formatFrame(h.site)], ctx);
  return {
    kind: 'heap',
    title: `${(h.bytes / 1_048_576).toFixed(1)} MB live allocated since armed in ${site.fn} (${Math.round(h.count)} objects)`,
    count: Math.round(h.count),
    growth: Math.round(h.count),
    growthPerSec: secs > 0 ? h.count / secs : 0,
    bytes: Math.round(h.bytes),
    site: formatLocation(site),
    stack: ctx.mapper === null ? stack : stack.map((line) => mapFormatted(line, ctx.mapper as SourceMapper)),
    detail: { function: site.fn, bytesPerSec: secs > 0 ? Math.round(h.bytes / secs) : 0, granularity: 'function' },
  };
}

const FORMATTED_RE = /^(.*?) \((.*):(\d+):(\d+)\)$/;

function mapFormatted(line: string, mapper: SourceMapper): string {
  const m = FORMATTED_RE.exec(line);
  if (m === null) return line;
  const f = mapFrame({ fn: m[1] as string, file: m[2] as string, line: Number(m[3]), column: Number(m[4]) }, mapper);
  return formatFrame(f);
}

/**
 * A handle group that grew by fewer than this since arming is as likely
 * warm-up or ordinary traffic (a keep-alive timer, a pool connection) as a
 * leak: heap sites outrank it. The leaks in the scenario corpus grow by
 * hundreds within a window.
 */
export const MATERIAL_HANDLE_GROWTH = 20;

/**
 * Most likely first:
 * 1. suspects of the kinds the growing signals point at;
 * 2. handle groups (timers, sockets, listeners) that grew materially, then
 *    heap sites that grew, then handle groups that grew a little, then the
 *    rest. A leaking handle group is a cause, and the memory its closures
 *    hold is its symptom; growth in objects and in handles do not compare;
 * 3. heap sites by live bytes, others by growth, then count.
 */
export function rankSuspects(suspects: Suspect[], signals: readonly string[]): Suspect[] {
  const kinds = kindsForSignals(signals);
  const tier = (s: Suspect) => {
    if (s.growth <= 0) return 0;
    if (s.kind === 'heap') return 2;
    return s.growth >= MATERIAL_HANDLE_GROWTH ? 3 : 1;
  };
  // A running worker holds four fds of its own (its loop's epoll and
  // eventfd, two pipes): it is their cause, so a worker group that grew
  // outranks the fd groups it explains, however much more they grew.
  const cause = (s: Suspect) => (s.kind === 'worker' && s.growth > 0 ? 2.5 : 0);
  const score = (s: Suspect) => (kinds.has(s.kind) ? 4 : 0) + tier(s) + cause(s);
  return suspects.sort(
    (a, b) =>
      score(b) - score(a) ||
      (a.kind === 'heap' && b.kind === 'heap' ? (b.bytes ?? 0) - (a.bytes ?? 0) : 0) ||
      b.growth - a.growth ||
      b.count - a.count,
  );
}

/** Which suspect kinds explain which history columns. */
export function kindsForSignals(signals: readonly string[]): Set<Suspect['kind']> {
  const out = new Set<Suspect['kind']>();
  for (const s of signals) {
    if (s === 'handles.Timeout' || s === 'handles.Immediate') out.add('timer');
    else if (s === 'handles.ProcessWrap') out.add('process');
    else if (s.startsWith('handles.')) {
      out.add('socket');
      out.add('server');
      // A child's stdio pipes are PipeWraps of this process.
      if (s === 'handles.PipeWrap') out.add('process');
    } else if (s === 'fds') {
      out.add('socket');
      out.add('server');
      out.add('file');
      out.add('process');
      out.add('worker');
    } else if (s.startsWith('heap.') || s.startsWith('space.') || s === 'rss') {
      out.add('heap');
      // Leaked listeners (and what their closures hold) are memory too.
      out.add('listener');
    }
  }
  return out;
}
