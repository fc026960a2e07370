import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { REPORT_FILE_RE, reportBaseName } from './report-names';
import type { LeakReport } from './report-schema';

export const ERR_REPORT_CAP = 'LEAKWATCH_ERR_REPORT_CAP';
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
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw codeError(ERR_REPORT_DIR, `cannot create the report directory (${(err as Error).message})`);
  }
  const existing = (await fs.readdir(dir)).filter((f) => REPORT_FILE_RE.test(f));
  if (existing.length >= maxFiles) {
    throw codeError(ERR_REPORT_CAP, `${existing.length} reports are already in ${dir} (cap ${maxFiles}, LEAKWATCH_MAX_REPORT_FILES); remove old ones to get new reports`);
  }
}

/**
 * Writes the report atomically: a temporary file in the same directory,
 * then a rename, so a reader never sees half a report.
 * @param files profile files already written beside it, removed if this fails
 * @returns the report's path
 */
export async function writeReport(dir: string, report: LeakReport, maxFiles: number, files: readonly string[] = []): Promise<string> {
  try {
    await prepareReportDir(dir, maxFiles);
    const base = reportBaseName(report.pid, new Date(report.detectedAt));
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
