/**
 * Open files into suspects, for a report whose open-fd count grew: the fds
 * that are not sockets, grouped by the line that opened them when that was
 * captured while armed, else by what they point at, and kept only when the
 * group grew since arming.
 */
import type { Suspect } from '../reports/report-schema';
import { FILE_STACKS_PER_SECOND, type FileSites, readFdTargets } from '../probes/files';
import { type SuspectContext, bump, siteFromSamples } from './suspects';
import type { Evidence } from './tracking';

/** File groups listed as suspects, most growth first. */
export const MAX_FILE_SUSPECTS = 10;
/** Opening stacks read per report (each read costs 10–20 µs); beyond, fds are grouped by path. */
const MAX_SITE_READS = 1_000;
/** Paths named in a suspect's detail. */
const MAX_LISTED_TARGETS = 5;

interface FileGroup {
  site: string | null;
  stack: string[];
  /** Open fds per target in the group. */
  targets: Map<string, number>;
  count: number;
  /** Fds opened through `fs` while armed (their opening was captured). */
  captured: number;
  oldestAt: number | null;
}

/** `/var/log/app/a.log`, `/var/log/app/b.log` → `/var/log/app/`. */
function commonDir(paths: string[]): string | null {
  if (!paths.every((p) => p.startsWith('/'))) return null;
  let prefix = paths[0] as string;
  for (const p of paths) while (!p.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return dir === '' ? null : dir;
}

function titleOf(g: FileGroup, growth: number): string {
  const n = g.count;
  const targets = [...g.targets.keys()];
  let what: string;
  if (targets.length === 1) {
    const t = targets[0] as string;
    if (t === 'pipe') what = `${n} open pipe${n === 1 ? '' : 's'}`;
    else if (t.startsWith('/')) what = `${n} open file${n === 1 ? '' : 's'} on ${t}`;
    else what = `${n} open ${t} fd${n === 1 ? '' : 's'}`;
  } else {
    const dir = commonDir(targets);
    what = `${n} open files on ${targets.length} paths${dir === null ? '' : ` under ${dir}`}`;
  }
  return `${what}${growth > 0 ? ` (+${growth} since armed)` : ''}`;
}

/**
 * Adds the open files that grew since arming to `evidence`.
 * @param files the capture armed for the `fds` signal
 */
export function gatherFiles(files: FileSites, ctx: SuspectContext, evidence: Evidence): void {
  const targets = readFdTargets();
  if (targets === null) {
    evidence.notes.push('open files: /proc/self/fd could not be read (Linux only, at most 50,000 fds): none listed');
    return;
  }
  const groups = new Map<string, FileGroup>();
  let reads = 0;
  let unread = 0;
  const add = (key: string, target: string, site: string | null, stack: string[], at: number | null) => {
    let g = groups.get(key);
    if (g === undefined) {
      g = { site, stack, targets: new Map(), count: 0, captured: 0, oldestAt: null };
      groups.set(key, g);
    }
    g.count++;
    g.targets.set(target, (g.targets.get(target) ?? 0) + 1);
    if (at !== null) {
      g.captured++;
      g.oldestAt = g.oldestAt === null ? at : Math.min(g.oldestAt, at);
    }
  };
  for (const [target, fds] of targets) {
    for (const fd of fds) {
      const rec = files.recordOf(fd, target);
      if (rec !== undefined && reads < MAX_SITE_READS) {
        reads++;
        const { site, stack } = siteFromSamples([rec], ctx);
        add(`site:${site ?? target}`, target, site, stack, rec.at);
      } else {
        if (rec !== undefined) unread++;
        add(`target:${target}`, target, null, [], null);
      }
    }
  }
  bump(ctx.dropped, 'fileSiteReads', unread);
  if (unread > 0)
    evidence.notes.push(
      `open files: ${unread} openings beyond the first ${MAX_SITE_READS} were grouped by path, not by the line that opened them`,
    );

  // Fds opened before arming have no captured opening. Where one site
  // holds every captured fd of a path, the path's other fds join it: the
  // suspect then counts everything open on that path.
  const sitesOf = new Map<string, string[]>();
  for (const [key, g] of groups) {
    if (!key.startsWith('site:')) continue;
    for (const t of g.targets.keys()) sitesOf.set(t, [...(sitesOf.get(t) ?? []), key]);
  }
  for (const [target, keys] of sitesOf) {
    const rest = groups.get(`target:${target}`);
    const into = keys.length === 1 ? groups.get(keys[0] as string) : undefined;
    if (rest === undefined || into === undefined) continue;
    into.count += rest.count;
    into.targets.set(target, (into.targets.get(target) ?? 0) + rest.count);
    groups.delete(`target:${target}`);
  }

  const secs = (ctx.now - files.armedAt) / 1_000;
  const grown: Suspect[] = [];
  for (const [key, g] of groups) {
    // Growth against the count at arming, where the group holds every fd
    // of its paths; at least the openings captured while armed.
    const whole = [...g.targets].every(([t, n]) => targets.get(t)?.length === n);
    const sinceArming =
      files.baseline === null || !whole
        ? 0
        : [...g.targets].reduce((sum, [t, n]) => sum + Math.max(0, n - (files.baseline?.get(t) ?? 0)), 0);
    const growth = Math.max(key.startsWith('site:') ? g.captured : 0, sinceArming);
    if (growth <= 0) continue;
    const listed = [...g.targets].sort((a, b) => b[1] - a[1]).slice(0, MAX_LISTED_TARGETS);
    grown.push({
      kind: 'file',
      title: titleOf(g, growth),
      count: g.count,
      growth,
      growthPerSec: secs > 0 ? growth / secs : 0,
      site: g.site,
      stack: g.stack,
      detail: {
        paths: g.targets.size,
        targets: listed.map(([t, n]) => `${t}=${n}`).join(' '),
        openedWhileArmed: g.captured,
        openedBeforeArming: g.count - g.captured,
        oldestOpenedAgeMs: g.oldestAt === null ? null : ctx.now - g.oldestAt,
      },
    });
  }
  grown.sort((a, b) => b.growth - a.growth || b.count - a.count);
  if (grown.length > MAX_FILE_SUSPECTS) {
    bump(ctx.dropped, 'fileGroups', grown.length - MAX_FILE_SUSPECTS);
    evidence.notes.push(`open files: ${grown.length - MAX_FILE_SUSPECTS} smaller groups that grew left out`);
    grown.length = MAX_FILE_SUSPECTS;
  }
  evidence.suspects.push(...grown);
  const { opens, capped } = files.counts;
  bump(ctx.dropped, 'fileStacks', capped);
  evidence.notes.push(
    `open files: ${opens} opened through fs while armed, ${opens - capped} with their stack (at most ${FILE_STACKS_PER_SECOND} a second${capped > 0 ? `; ${capped} skipped by that cap` : ''}); ${grown.length} group${grown.length === 1 ? '' : 's'} grew since arming`,
  );
}
