/**
 * The other processes of a cluster, for the Prometheus endpoint.
 *
 * Every process of a `node:cluster` service (or a PM2 cluster) preloads
 * leakwatch with the same `LEAKWATCH_PROMETHEUS`. One of them binds the
 * port; the others cannot (the endpoint listens exclusively, so scrapes are
 * never handed round-robin to a different worker each time). On a scrape,
 * the one that holds the port asks its parent, its siblings and its children
 * that run an agent, over their control sockets (agent/control.ts), for
 * their metrics, and serves them all, each sample labelled with its pid.
 *
 * Family is read from `/proc/<pid>/stat` (Linux). Elsewhere only the
 * holder's own metrics are served, as before.
 */
import * as fs from 'node:fs';
import type { ProcessExposition } from './prometheus-merge';

/** A peer that has not answered by then is left out of this scrape (and counted). */
export const PEER_TIMEOUT_MS = 2_000;
/** At most this many peers are asked per scrape; the rest are counted as left out. */
export const MAX_PEERS = 64;

/** The peers' texts, and how many were asked and did not answer. */
export interface PeerExpositions {
  readonly parts: ProcessExposition[];
  /** Peers that timed out, failed, or were beyond `MAX_PEERS`. */
  readonly missed: number;
}

/** The parent pid in `/proc/<pid>/stat`; undefined when unreadable. */
export function readParentPid(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(after[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** This user's control-socket directory. */
function defaultControlDir(): string {
  // Required here: with the control channel off, none of its modules is loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../agent/control-files') as typeof import('../agent/control-files')).controlDir();
}

/**
 * The pids, other than this one, that have a control socket and are this
 * process's parent, children or siblings. Siblings count only under a real
 * parent: every orphan has pid 1 as parent.
 * @param dir the control sockets' directory; by default this user's
 */
export function findFamilyAgents(dir?: string): number[] {
  if (process.platform !== 'linux') return [];
  let names: string[];
  try {
    names = fs.readdirSync(dir ?? defaultControlDir());
  } catch {
    return [];
  }
  const me = process.pid;
  const parent = process.ppid;
  const out: number[] = [];
  for (const name of names) {
    const m = /^(\d+)\.sock$/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === me) continue;
    if (pid === parent) {
      out.push(pid);
      continue;
    }
    const ppid = readParentPid(pid);
    if (ppid === me || (parent > 1 && ppid === parent)) out.push(pid);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Asks each family agent for the metrics it would serve on `address`.
 * Agents configured for another address answer that they have none and are
 * not counted; agents that fail or time out are.
 */
export async function readPeerExpositions(address: string): Promise<PeerExpositions> {
  const pids = findFamilyAgents();
  const asked = pids.slice(0, MAX_PEERS);
  let missed = pids.length - asked.length;
  if (asked.length === 0) return { parts: [], missed };
  // Loaded only in a process that has family agents.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { requestControl } = require('../agent/control-client') as typeof import('../agent/control-client');
  const answers = await Promise.all(
    asked.map((pid) =>
      requestControl(pid, 'metrics', PEER_TIMEOUT_MS, { address }, { unref: true }).then(
        (res) => ({ pid, res }),
        () => ({ pid, res: null }),
      ),
    ),
  );
  const parts: ProcessExposition[] = [];
  for (const { pid, res } of answers) {
    if (res === null) missed++;
    else if (res.ok && typeof res.text === 'string') parts.push({ pid, text: res.text });
    else if (!res.ok && res.code !== 'LEAKWATCH_ERR_NOT_SERVED') missed++;
  }
  return { parts, missed };
}
