/** The process's fd table as the kernel shows it: `/proc/self/fd`, each link read once. */
import * as fs from 'node:fs';

/** More fds than this: reading every link costs more than a report should. */
export const MAX_FDS = 50_000;

/**
 * Every fd above stdio and what it links to (`socket:[inode]`, `pipe:[inode]`,
 * a path, `anon_inode:[eventfd]`).
 * @returns null when not on Linux, unreadable, or over MAX_FDS
 */
export function readFdLinks(): Map<number, string> | null {
  if (process.platform !== 'linux') return null;
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fd');
  } catch {
    return null;
  }
  if (names.length > MAX_FDS) return null;
  const out = new Map<number, string>();
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      out.set(fd, fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // Closed since the readdir (the readdir's own fd, too).
    }
  }
  return out;
}
