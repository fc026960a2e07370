/**
 * Reading reports from disk for the viewers: one file, or every report in a
 * directory, newest first. A directory listing never fails on one bad file:
 * the file is listed as unreadable with the reason.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseReport, type LeakReport } from './report-schema';
import { REPORT_FILE_RE } from './report-names';
import { threadOf } from './view-model';

/** One row of `leakwatch view <dir>`. */
export interface ReportListEntry {
  file: string;
  /** When the report was detected; from the name (or mtime) when unreadable. */
  detectedAtMs: number;
  pid: number;
  /** The worker thread that wrote it, or null (the main thread). */
  thread: number | null;
  service: string;
  verdict: string;
  topSuspect: { kind: string; title: string; site: string | null } | null;
  /** Why the file could not be read, or null. */
  error: string | null;
}

/**
 * Reads and validates one report.
 * @param source how error messages name the file (default: its path)
 * @throws ReportError, or fs errors
 */
export async function readReport(file: string, source = file): Promise<LeakReport> {
  // A FIFO or a device would block the read, or never end.
  if (!(await fs.stat(file)).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
  return parseReport(await fs.readFile(file, 'utf8'), source);
}

/** `leakwatch-4242-2026-11-26T20-31-05-123Z.json` → pid and time. */
const NAME_PARTS_RE = /^leakwatch-(\d+)(?:-t(\d+))?-(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/;

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
    const report = await readReport(file, 'the file');
    const top = report.suspects[0];
    return {
      file,
      detectedAtMs: Date.parse(String(report.detectedAt)),
      pid: report.pid,
      thread: threadOf(report),
      service: typeof report.service === 'string' ? report.service : '?',
      verdict: report.verdict,
      topSuspect:
        top === undefined
          ? null
          : {
              kind: String(top.kind),
              title: typeof top.title === 'string' ? top.title : '',
              site: typeof top.site === 'string' ? top.site : null,
            },
      error: null,
    };
  } catch (err) {
    // What the name tells: the writer puts the pid and time in it.
    const m = NAME_PARTS_RE.exec(path.basename(file));
    const at = m === null ? NaN : Date.parse(`${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
    const mtime = Number.isFinite(at)
      ? at
      : await fs.stat(file).then(
          (s) => s.mtimeMs,
          () => 0,
        );
    return {
      file,
      detectedAtMs: mtime,
      pid: m === null ? NaN : Number(m[1]),
      thread: m?.[2] === undefined ? null : Number(m[2]),
      service: '?',
      verdict: 'unreadable',
      topSuspect: null,
      error: (err as Error).message,
    };
  }
}
