/** Polling for a condition in integration tests, with a named timeout. */

/**
 * Calls `fn` every 200 ms until it gives a value (a rejection counts as
 * "not yet": a server still starting refuses connections).
 * @param timeoutMs how long to keep trying, in milliseconds
 * @throws an Error naming `what` when the time is up
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
