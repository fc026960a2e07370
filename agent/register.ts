/**
 * The preload entry: `node --require leakwatch/register app.js` or
 * `node --import leakwatch/register app.mjs`. A small guard: check the
 * runtime and double loading, resolve the config, start or stay off. It
 * leaves the host alone: no signal handlers, no exit hooks, never a throw.
 */
import { isMainThread } from 'node:worker_threads';
import type { Agent } from './agent-view';
import { writeStderr } from './debug';
import { MIN_NODE_MAJOR } from './version';

const GLOBAL_KEY = Symbol.for('leakwatch.agent');
type Holder = { [GLOBAL_KEY]?: Agent };

function register(): void {
  const holder = globalThis as Holder;
  // Loaded twice (--require and --import, or two copies): one agent only.
  if (holder[GLOBAL_KEY] !== undefined) return;
  // Worker threads inherit --require; the main thread's agent covers the
  // process (RSS, handles), so workers do not start their own.
  if (!isMainThread) return;
  const major = Number(process.versions.node.split('.')[0]);
  if (!(major >= MIN_NODE_MAJOR)) {
    writeStderr(
      `leakwatch: Node.js ${process.version} is not supported (needs ${MIN_NODE_MAJOR} or newer); leakwatch disabled\n`,
    );
    return;
  }
  try {
    // Required lazily so the version guard above runs on any Node.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { start } = require('./index') as typeof import('./index');
    holder[GLOBAL_KEY] = start();
  } catch (err) {
    writeStderr(`leakwatch: could not start (${(err as Error)?.message ?? String(err)}); leakwatch disabled\n`);
  }
}

register();

/** The agent started by the preload, if any (for the control channel). */
export function registeredAgent(): Agent | undefined {
  return (globalThis as Holder)[GLOBAL_KEY];
}
