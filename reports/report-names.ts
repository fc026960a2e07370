/**
 * How report files are named, and how a report is named in one line. Kept
 * apart from the writer so the agent's control channel can name them without
 * loading `fs/promises` (and the readline and watcher modules it pulls in)
 * into every watched process.
 */
/** Report files are named `leakwatch-<pid>-<iso time>.json`, or `leakwatch-<pid>-t<thread>-<iso time>.json` from a worker thread. */
export const REPORT_FILE_RE = /^leakwatch-\d+(?:-t\d+)?-[\dTZ-]+(?:-\d+)?\.json$/;

/** The base name (no extension) for a report written now by this process (`thread`: a worker's id; 0 for the main thread). */
export function reportBaseName(pid: number, at: Date, thread = 0): string {
  return `leakwatch-${pid}${thread !== 0 ? `-t${thread}` : ''}-${at.toISOString().replace(/[:.]/g, '-')}`;
}
