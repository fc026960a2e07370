/**
 * Live child processes, for a report: the `ChildProcess` objects among the
 * active handles (a running child's process handle is ref'd unless
 * `unref()` was called), grouped by the command they run, with their
 * stdio pipes so that those are counted with their process, not as
 * sockets of their own.
 */
import childProcess = require('node:child_process');
import type { CreationRecord, SampledCreation } from './creation-sites';
import { activeHandles } from './handle-identity';

/** Children listed per group in the suspect's detail. */
const LISTED_PIDS = 5;
/** Sampled creations kept per group. */
const SAMPLES_PER_GROUP = 8;
/** A command is shown up to this many characters. */
const MAX_COMMAND = 120;

/** Children running the same command. */
export interface ProcessGroup {
  /** `sleep 1000`, `node worker.js --id 3`, cut at 120 characters. */
  command: string;
  count: number;
  /** The first few pids. */
  pids: number[];
  refed: number;
  createdWhileArmed: number;
  samples: SampledCreation[];
}

/** What `readLiveChildren` found. */
export interface ChildrenResult {
  groups: ProcessGroup[];
  /** The fds of the live children's stdio pipes. */
  stdioFds: Set<number>;
}

interface ChildLike {
  pid?: number;
  exitCode?: number | null;
  signalCode?: string | null;
  spawnfile?: string;
  spawnargs?: string[];
  stdio?: ({ _handle?: { fd?: number } | null } | null)[];
  _handle?: { hasRef?: () => boolean } | null;
}

function commandOf(c: ChildLike): string {
  const args = Array.isArray(c.spawnargs) && c.spawnargs.length > 0 ? c.spawnargs : [c.spawnfile ?? '?'];
  const text = args.map(String).join(' ');
  return text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
}

/**
 * The live children among `process._getActiveHandles()`: started, not yet
 * exited. Unref'd children are not among the active handles and are not
 * listed.
 * @param recordOf the creation record of a child, when spawned while armed
 */
export function readLiveChildren(recordOf: ((h: object) => CreationRecord | undefined) | null): ChildrenResult {
  const groups = new Map<string, ProcessGroup>();
  const stdioFds = new Set<number>();
  for (const h of activeHandles() ?? []) {
    if (!(h instanceof childProcess.ChildProcess)) continue;
    const c = h as unknown as ChildLike;
    if (c.exitCode != null || c.signalCode != null || c._handle == null) continue;
    for (const s of c.stdio ?? []) {
      const fd = s?._handle?.fd;
      if (typeof fd === 'number' && fd > 2) stdioFds.add(fd);
    }
    const command = commandOf(c);
    let g = groups.get(command);
    if (g === undefined) {
      g = { command, count: 0, pids: [], refed: 0, createdWhileArmed: 0, samples: [] };
      groups.set(command, g);
    }
    g.count++;
    if (g.pids.length < LISTED_PIDS && typeof c.pid === 'number') g.pids.push(c.pid);
    try {
      if (c._handle.hasRef?.() !== false) g.refed++;
    } catch {
      // A handle closing under us: counted, not as ref'd.
    }
    const rec = recordOf?.(h);
    if (rec !== undefined) {
      g.createdWhileArmed++;
      if (rec !== 1 && g.samples.length < SAMPLES_PER_GROUP) g.samples.push(rec);
    }
  }
  return { groups: [...groups.values()], stdioFds };
}
