/**
 * Every live `setTimeout` / `setInterval`, unref'd ones and ones created
 * before anything was armed included, grouped by where the callback is
 * defined. Enumerated through the inspector: Node's own timer lists read
 * through `setTimeout`'s closure, or else `Runtime.queryObjects` on the
 * Timeout prototype (a forced GC and heap walk).
 * `process.getActiveResourcesInfo()` cannot do this, since it does not
 * list unref'd timers at all (measured on Node 20).
 *
 * Resolving a callback's location costs a protocol round trip (~0.13 ms),
 * so timers are first grouped in JavaScript by callback name, source text
 * and repeat; one representative per group is resolved, plus a few spread
 * members to check that equal text really is one site (two identical
 * arrow functions in different files would otherwise merge). A group whose
 * check fails is resolved member by member, within a budget.
 */
import type { CreationRecord, SampledCreation } from './creation-sites';
import { type FunctionLocation, type InspectorProbe, yieldToLoop } from './inspector-session';

/** Members resolved besides the representative to confirm a group. */
const CHECKS_PER_GROUP = 3;
/** Most callbacks resolved one by one when a group mixes sites. */
export const MAX_SPLIT_LOOKUPS = 2_000;

/** Timers of one callback location and repeat. */
export interface TimerGroup {
  /** Callback function name (`''` when anonymous). */
  name: string;
  location: FunctionLocation | null;
  /** Repeat interval (ms) for intervals, null for timeouts. */
  repeatMs: number | null;
  /** Timeout of the first member (ms); timeouts of a group may differ. */
  timeoutMs: number;
  count: number;
  refed: number;
  /** Members created while creation sites were armed. */
  createdWhileArmed: number;
  /** Sampled creations (stack holders) of members, at most a few. */
  samples: SampledCreation[];
}

/** The live timers, grouped by callback, with what was left out. */
export interface TimersResult {
  groups: TimerGroup[];
  /** Timer objects found that were no longer live (cleared, fired). */
  inactive: number;
  /** Callbacks resolved one by one beyond the budget (kept merged). */
  unsplit: number;
  /** How the timers were found: Node's timer lists, or a heap walk. */
  via: 'timer-lists' | 'heap-walk';
}

/** Timers grouped between two yields to the event loop. */
const YIELD_EVERY = 2_000;

/** Samples kept per group: enough to pick a dominant site. */
const SAMPLES_PER_GROUP = 8;

/** Node's Timeout internals (lib/internal/timers.js). */
interface TimeoutLike {
  _onTimeout?: unknown;
  _idleTimeout?: number;
  _repeat?: number | null;
  _destroyed?: boolean;
  hasRef?: () => boolean;
}

/** The Timeout prototype, from a probe timer cleared at once. */
export function timeoutPrototype(): object {
  const t = setTimeout(() => {}, 1);
  clearTimeout(t);
  return Object.getPrototypeOf(t) as object;
}

interface Member {
  cb: (...a: unknown[]) => unknown;
  refed: boolean;
  record: CreationRecord | undefined;
  timeoutMs: number;
  repeatMs: number | null;
}

/**
 * Lists live timers.
 * @param recordOf creation records from the armed wrappers, if any
 * @param via `heap-walk` skips Node's timer lists (tests of the fallback)
 */
export async function readLiveTimers(
  insp: InspectorProbe,
  recordOf: ((h: object) => CreationRecord | undefined) | null,
  via: TimersResult['via'] = 'timer-lists',
): Promise<TimersResult> {
  const listed = via === 'timer-lists' ? await timersFromLists(insp) : null;
  const objects = listed ?? (await insp.queryObjects(timeoutPrototype()));
  const byText = new Map<string, Member[]>();
  let inactive = 0;
  const fnToString = Function.prototype.toString;
  let seen = 0;
  for (const o of objects) {
    // Let the host's loop run now and then: 10,000 timers are ~100 ms here.
    if (++seen % YIELD_EVERY === 0) await yieldToLoop();
    const t = o as TimeoutLike;
    const cb = t._onTimeout;
    // Cleared or fired timers that are still referenced are not live.
    if (t._destroyed === true || t._idleTimeout === -1 || typeof cb !== 'function') {
      inactive++;
      continue;
    }
    let refed = true;
    let text = '';
    try {
      refed = typeof t.hasRef === 'function' ? t.hasRef() : true;
      text = fnToString.call(cb);
    } catch {
      // A revoked proxy or an odd callback: group it by name alone.
    }
    const repeat = typeof t._repeat === 'number' ? t._repeat : null;
    const key = `${cb.name}\0${repeat}\0${text}`;
    let list = byText.get(key);
    if (list === undefined) byText.set(key, (list = []));
    list.push({
      cb: cb as Member['cb'],
      refed,
      record: recordOf?.(o as object),
      timeoutMs: t._idleTimeout ?? 0,
      repeatMs: repeat,
    });
  }
  objects.length = 0;

  // Representatives and check members of every text group, resolved in one
  // batch.
  const lists = [...byText.values()];
  const probes: Member['cb'][] = [];
  const probeIndex: number[][] = [];
  for (const list of lists) {
    const idx = pickChecks(list.length);
    probeIndex.push(idx.map((i) => probes.push((list[i] as Member).cb) - 1));
  }
  const locs = await insp.functionLocations(probes);

  const groups = new Map<string, TimerGroup>();
  let budget = MAX_SPLIT_LOOKUPS;
  let unsplit = 0;
  for (let g = 0; g < lists.length; g++) {
    const list = lists[g] as Member[];
    const checked = (probeIndex[g] as number[]).map((i) => locs[i] ?? null);
    const same = checked.every((l) => sameLocation(l, checked[0] ?? null));
    if (same || list.length <= 1) {
      for (const m of list) add(groups, m, checked[0] ?? null);
      continue;
    }
    // Equal text, different places: resolve members one by one.
    const n = Math.min(list.length, budget);
    budget -= n;
    const each = n > 0 ? await insp.functionLocations(list.slice(0, n).map((m) => m.cb)) : [];
    list.forEach((m, i) => add(groups, m, i < n ? (each[i] ?? null) : (checked[0] ?? null)));
    unsplit += list.length - n;
  }
  return { groups: [...groups.values()], inactive, unsplit, via: listed === null ? 'heap-walk' : 'timer-lists' };
}

interface ListNode {
  _idleNext?: ListNode | null;
}

/**
 * Node keeps every active timer in a linked list per duration, in the
 * `timerListMap` of lib/timers.js's module context, which `clearTimeout`
 * closes over.
 * Reading it through `[[Scopes]]` lists all timers, unref'd ones included,
 * in O(timers) with no forced GC or heap walk (a `queryObjects` took
 * 200–600 ms here). Null when this Node keeps it elsewhere: the caller then
 * walks the heap.
 */
export async function timersFromLists(insp: InspectorProbe): Promise<unknown[] | null> {
  let map: unknown;
  try {
    // clearTimeout shares lib/timers.js's context with setTimeout and is
    // not the one our creation-site capture wraps.
    map = await insp.closureVariable(clearTimeout, 'timerListMap');
  } catch {
    return null;
  }
  if (typeof map !== 'object' || map === null) return null;
  const out: unknown[] = [];
  for (const key of Object.keys(map)) {
    const list = (map as Record<string, ListNode>)[key];
    if (typeof list !== 'object' || list === null) return null;
    // A circular list: the head links to itself when empty. The bound
    // guards against a list shape this code does not know.
    let n = 0;
    for (let t = list._idleNext; t && t !== list; t = t._idleNext) {
      if (++n > 10_000_000) return null;
      out.push(t);
    }
  }
  return out;
}

/** Indices to resolve: the first member and a few spread over the rest. */
function pickChecks(n: number): number[] {
  if (n <= 1) return [0];
  const out = new Set<number>([0]);
  for (let k = 1; k <= CHECKS_PER_GROUP; k++) out.add(Math.floor((k * (n - 1)) / CHECKS_PER_GROUP));
  return [...out];
}

function sameLocation(a: FunctionLocation | null, b: FunctionLocation | null): boolean {
  if (a === null || b === null) return a === b;
  return a.file === b.file && a.line === b.line && a.column === b.column;
}

function add(groups: Map<string, TimerGroup>, m: Member, loc: FunctionLocation | null): void {
  // Intervals split by period ("412 intervals of 5s"); timeouts of one
  // callback stay together whatever their delays (backoff, jitter).
  const kind = m.repeatMs === null ? 'timeout' : `every ${m.repeatMs}`;
  const key = `${loc === null ? `?${m.cb.name}` : `${loc.file}:${loc.line}:${loc.column}`}\0${kind}`;
  let g = groups.get(key);
  if (g === undefined) {
    g = {
      name: m.cb.name,
      location: loc,
      repeatMs: m.repeatMs,
      timeoutMs: m.timeoutMs,
      count: 0,
      refed: 0,
      createdWhileArmed: 0,
      samples: [],
    };
    groups.set(key, g);
  }
  g.count++;
  if (m.refed) g.refed++;
  if (m.record !== undefined) {
    g.createdWhileArmed++;
    if (m.record !== 1 && g.samples.length < SAMPLES_PER_GROUP) g.samples.push(m.record);
  }
}
