/** A debug logger: a no-op unless debug mode is on, so callers pay nothing. */
export type Debug = ((message: string) => void) & { readonly enabled: boolean };

const noop = Object.assign((_message: string) => {}, { enabled: false as const });

/**
 * @param enabled `LEAKWATCH_DEBUG`
 * @param write where lines go (stderr by default)
 */
export function createDebug(enabled: boolean, write: (line: string) => void = writeStderr): Debug {
  if (!enabled) return noop;
  const prefix = `leakwatch[${process.pid}]: `;
  return Object.assign((message: string) => write(`${prefix}${message}\n`), { enabled: true as const });
}

/** One line on stderr, never throwing (stderr may be closed). */
export function writeStderr(line: string): void {
  try {
    process.stderr.write(line);
  } catch {
    // Nowhere left to say it.
  }
}
