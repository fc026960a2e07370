/**
 * `leakwatch status` with no pid: every agent this user can reach on this
 * host, one line each, so the workers of a cluster (or the services of a
 * host) that are suspect or leaking are seen at once. Agents are found by
 * their control sockets (agent/control.ts) and asked `status` in parallel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sanitizeText } from '../reports/safe-text';
import type { AttachError } from './attach-errors';
import { readNulList } from './attach-proc';
import { requestControl } from './control-client';
import { controlDir, currentUid } from './control-files';
import type { ControlResponse } from './control';

/** An agent that has not answered by then is listed as not answering (`--timeout`). */
const ANSWER_TIMEOUT_MS = 2_000;
/** The command line is cut to this many characters in the table. */
const MAX_COMMAND_CHARS = 60;

/** One agent's line: its `status` answer, or why there is none. */
export type Listed =
  | { pid: number; ok: true; status: Record<string, unknown>; command: string }
  | { pid: number; ok: false; code: string; message: string; command: string };

/**
 * The control directories to look in: this user's; for root, every user's
 * under the same temporary directory.
 */
export function listControlDirs(): string[] {
  const own = controlDir();
  if (currentUid() !== 0) return [own];
  const base = path.dirname(own);
  try {
    const dirs = fs
      .readdirSync(base)
      .filter((d) => /^leakwatch-\d+$/.test(d))
      .map((d) => path.join(base, d));
    return dirs.includes(own) ? dirs : [own, ...dirs];
  } catch {
    return [own];
  }
}

/**
 * Asks every agent with a socket in `dirs`; stale sockets (no listener) are left out.
 * @param timeoutMs how long each agent has to answer, in milliseconds
 */
export async function listAgents(
  dirs: string[] = listControlDirs(),
  timeoutMs: number = ANSWER_TIMEOUT_MS,
): Promise<Listed[]> {
  const pids = new Set<number>();
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^(\d+)\.sock$/.exec(n);
      if (m !== null) pids.add(Number(m[1]));
    }
  }
  const rows = await Promise.all(
    [...pids].map(async (pid): Promise<Listed | null> => {
      const command = readCommand(pid);
      try {
        const res: ControlResponse = await requestControl(pid, 'status', timeoutMs);
        if (res.ok) {
          // The script and its arguments, as the agent knows them; else the
          // whole command line (node's own options come first there).
          const argv = Array.isArray(res.argv) ? (res.argv as unknown[]).map(String) : [];
          return { pid, ok: true, status: res, command: argv.length > 0 ? argv.join(' ') : command };
        }
        return { pid, ok: false, code: res.code, message: res.message, command };
      } catch (err) {
        const e = err as AttachError;
        // A socket whose process is gone: requestControl removed it.
        if (e.code === 'LEAKWATCH_ERR_ATTACH_NO_AGENT') return null;
        return { pid, ok: false, code: e.code ?? 'LEAKWATCH_ERR_ATTACH_FAILED', message: e.message, command };
      }
    }),
  );
  return rows.filter((r): r is Listed => r !== null).sort((a, b) => a.pid - b.pid);
}

/** The process's command line from /proc, or '' where there is none. */
function readCommand(pid: number): string {
  return readNulList(`/proc/${pid}/cmdline`).join(' ');
}

/** The table `leakwatch status` prints. */
export function formatAgentList(rows: Listed[], dirs: string[]): string {
  if (rows.length === 0) return `leakwatch: no agent found (looked in ${dirs.join(', ')})\n`;
  const mb = (x: unknown) => (typeof x === 'number' ? (x / 1048576).toFixed(1) : '-');
  const table: string[][] = [
    ['PID', 'STATE', 'MODE', 'UP', 'HEAP MB', 'FLOOR MB', 'RSS MB', 'HANDLES', 'REPORTS', 'COMMAND'],
  ];
  for (const r of rows) {
    // Another process's arguments: control characters are shown, never sent to the terminal.
    const text = sanitizeText(r.command);
    const command = text.length > MAX_COMMAND_CHARS ? `${text.slice(0, MAX_COMMAND_CHARS - 1)}…` : text;
    if (!r.ok) {
      table.push([
        String(r.pid),
        r.code === 'LEAKWATCH_ERR_ATTACH_TIMEOUT' ? 'no answer' : 'error',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        command,
      ]);
      continue;
    }
    const s = r.status;
    const samples = (s.samples ?? {}) as Record<string, number | null>;
    const handles = Object.values((s.handles ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
    const up = typeof s.startedAt === 'number' ? formatUptime(Date.now() - s.startedAt) : '?';
    table.push([
      String(r.pid),
      String(s.state),
      String(s.mode),
      up,
      mb(samples['heap.used']),
      mb(samples['heap.floor']),
      mb(samples.rss),
      String(handles),
      String(s.reportsWritten),
      command,
    ]);
  }
  const widths = (table[0] as string[]).map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  return `${table
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `45s`, `12m`, `3h`, `2d`: the largest whole unit. */
function formatUptime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/**
 * `leakwatch status` without a pid: one line per agent found, or with
 * `json` their answers as one JSON array.
 * @param timeoutMs how long each agent has to answer, in milliseconds
 * @returns the exit status, 0
 */
export async function printAgentList(json: boolean, timeoutMs: number = ANSWER_TIMEOUT_MS): Promise<number> {
  const dirs = listControlDirs();
  const rows = await listAgents(dirs, timeoutMs);
  process.stdout.write(json ? `${JSON.stringify(rows)}\n` : formatAgentList(rows, dirs));
  return 0;
}
