import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { REPORT_FILE_RE, reportBaseName } from './report-names';
import type { LeakReport } from './report-schema';

/** The code for a report refused because the directory holds `LEAKWATCH_MAX_REPORT_FILES` reports. */
export const ERR_REPORT_CAP = 'LEAKWATCH_ERR_REPORT_CAP';
/** The code for a report directory that cannot be created or written. */
export const ERR_REPORT_DIR = 'LEAKWATCH_ERR_REPORT_DIR';

function codeError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * Creates the report directory (private to the user: reports name code and
 * hosts) and refuses to exceed `maxFiles` leakwatch reports in it.
 * @throws an error with code ERR_REPORT_DIR or ERR_REPORT_CAP
 */
export async function prepareReportDir(dir: string, maxFiles: number): Promise<void> {
  try {
    await makeDir(dir);
  } catch (err) {
    throw codeError(ERR_REPORT_DIR, `cannot create the report directory (${(err as Error).message})`);
  }
  const existing = (await fs.readdir(dir)).filter((f) => REPORT_FILE_RE.test(f));
  if (existing.length >= maxFiles) {
    throw codeError(
      ERR_REPORT_CAP,
      `${existing.length} reports are already in ${dir} (cap ${maxFiles}, LEAKWATCH_MAX_REPORT_FILES); remove old ones to get new reports`,
    );
  }
}

/**
 * `mkdir -p` one level at a time, each level tried once. Node's recursive
 * mkdir retries a level whose creation fails with ENOENT after its parent
 * exists, and spins forever where that is permanent (under /proc), which
 * held the process alive at full CPU.
 */
async function makeDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let cur = path.resolve(dir); ; cur = path.dirname(cur)) {
    try {
      if (!(await fs.stat(cur)).isDirectory()) throw codeError('ENOTDIR', `${cur} is not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(cur) === cur) throw err;
      missing.push(cur);
    }
  }
  for (const level of missing.reverse()) {
    try {
      await fs.mkdir(level, { mode: 0o700 });
    } catch (err) {
      // Made meanwhile by another process: fine.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Writes the report atomically: a temporary file in the same directory,
 * then a rename, so a reader never sees half a report.
 * @param files profile files already written beside it, removed if this fails
 * @returns the report's path
 */
export async function writeReport(
  dir: string,
  report: LeakReport,
  maxFiles: number,
  files: readonly string[] = [],
): Promise<string> {
  try {
    await prepareReportDir(dir, maxFiles);
    const base = reportBaseName(report.pid, new Date(report.detectedAt), report.threadId);
    let file = path.join(dir, `${base}.json`);
    for (let i = 1; await exists(file); i++) file = path.join(dir, `${base}-${i}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await fs.writeFile(tmp, JSON.stringify(report), { mode: 0o600 });
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw codeError(ERR_REPORT_DIR, `cannot write ${file} (${(err as Error).message})`);
    }
    return file;
  } catch (err) {
    await Promise.allSettled(files.map((f) => fs.rm(f, { force: true })));
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
