import { threadId } from 'node:worker_threads';
import * as fs from 'node:fs';

/** A debug logger: a no-op unless debug mode is on, so callers pay nothing. */
export type Debug = ((message: string) => void) & { readonly enabled: boolean };

const noop = Object.assign((_message: string) => {}, { enabled: false as const });

/**
 * @param enabled `LEAKWATCH_DEBUG`
 * @param write where lines go (stderr by default)
 */
export function createDebug(enabled: boolean, write: (line: string) => void = writeStderr): Debug {
  if (!enabled) return noop;
  // A worker thread's agent: leakwatch[<pid>/t<thread>].
  const prefix = `leakwatch[${process.pid}${threadId !== 0 ? `/t${threadId}` : ''}]: `;
  return Object.assign((message: string) => write(`${prefix}${message}\n`), { enabled: true as const });
}

/**
 * One line on stderr, never throwing. Written to fd 2 directly, not through
 * `process.stderr`: a stream reports a closed pipe (EPIPE) later, as an
 * 'error' event that would crash an app which never wrote to stderr itself;
 * a listener for it would swallow the app's own errors. A line that cannot
 * be written is lost, and nothing else happens.
 */
export function writeStderr(line: string): void {
  try {
    fs.writeSync(2, line);
  } catch {
    // Nowhere left to say it.
  }
}
