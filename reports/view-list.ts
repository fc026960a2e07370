/**
 * Reading reports from disk for the viewers: one file, or every report in a
 * directory, newest first. A directory listing never fails on one bad file:
 * the file is listed as unreadable with the reason.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseReport, type LeakReport } from './report-schema';
import { REPORT_FILE_RE } from './report-writer';

/** One row of `leakwatch view <dir>`. */
export interface ReportListEntry {
  file: string;
  /** When the report was detected; the file's mtime when unreadable. */
  detectedAtMs: number;
  pid: number;
  service: string;
  verdict: string;
  topSuspect: { kind: string; title: string; site: string | null } | null;
  /** Why the file could not be read, or null. */
  error: string | null;
}

/** Reads and validates one report. @throws ReportError, or fs errors */
export async function readReport(file: string): Promise<LeakReport> {
  return parseReport(await fs.readFile(file, 'utf8'), file);
}

/**
 * Lists the reports in `dir` (files named like `leakwatch-<pid>-<time>.json`),
 * newest first.
 * @throws the fs error when the directory cannot be read
 */
export async function listReports(dir: string): Promise<ReportListEntry[]> {
  const names = (await fs.readdir(dir)).filter((f) => REPORT_FILE_RE.test(f));
  const entries = await Promise.all(names.map((name) => readEntry(path.join(dir, name))));
  return entries.sort((a, b) => b.detectedAtMs - a.detectedAtMs || a.file.localeCompare(b.file));
}

async function readEntry(file: string): Promise<ReportListEntry> {
  try {
    const report = await readReport(file);
    const top = report.suspects[0];
    return {
      file,
      detectedAtMs: Date.parse(String(report.detectedAt)),
      pid: report.pid,
      service: typeof report.service === 'string' ? report.service : '?',
      verdict: report.verdict,
      topSuspect:
        top === undefined
          ? null
          : { kind: String(top.kind), title: typeof top.title === 'string' ? top.title : '', site: typeof top.site === 'string' ? top.site : null },
      error: null,
    };
  } catch (err) {
    const mtime = await fs.stat(file).then((s) => s.mtimeMs, () => 0);
    return { file, detectedAtMs: mtime, pid: NaN, service: '?', verdict: '?', topSuspect: null, error: (err as Error).message };
  }
}
