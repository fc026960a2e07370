/**
 * How report files are named, and how a report is named in one line. Kept
 * apart from the writer so the agent's control channel can name them without
 * loading `fs/promises` (and the readline and watcher modules it pulls in)
 * into every watched process.
 */
/** Report files are named `leakwatch-<pid>-<iso time>.json`. */
export const REPORT_FILE_RE = /^leakwatch-\d+-[\dTZ-]+(?:-\d+)?\.json$/;

/** The base name (no extension) for a report written now by this process. */
export function reportBaseName(pid: number, at: Date): string {
  return `leakwatch-${pid}-${at.toISOString().replace(/[:.]/g, '-')}`;
}
