/**
 * `expectNoLeaks(fn)`: for code that must release what it opens. Runs `fn`
 * with creation-site capture armed for every call, then fails if anything
 * `fn` created (timers, intervals, sockets, servers, UDP sockets) is still
 * alive, naming each one's creation site.
 *
 * ```ts
 * await expectNoLeaks(async () => {
 *   const client = new Client();
 *   await client.close();
 * });
 * ```
 */
import { type LeakCheckOptions, resolveLeakOptions } from './leak-format';
import { closeAndCheck, openLeakWindow } from './leak-window';

export { LeakError, type LeakCheckOptions } from './leak-format';
export type { Leak, LeakType } from './leak-window';

/**
 * Runs `fn` (sync or async) and throws a `LeakError` with code
 * `LEAKWATCH_ERR_LEAKS` listing what it left alive. If `fn` throws, that
 * error is rethrown and no leak check is made.
 * @param options ignore rules and the settle wait (`settleMs`, default 250 ms)
 */
export async function expectNoLeaks(fn: () => unknown, options?: LeakCheckOptions): Promise<void> {
  if (typeof fn !== 'function') throw new TypeError('expectNoLeaks needs a function');
  const opts = resolveLeakOptions(options);
  const w = openLeakWindow();
  try {
    await fn();
  } catch (err) {
    w.close();
    throw err;
  }
  await closeAndCheck(w, opts, 'the function');
}
