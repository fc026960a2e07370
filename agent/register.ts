/**
 * The preload entry: `node --require leakwatch/register app.js` or
 * `node --import leakwatch/register app.mjs`. A small guard: check the
 * runtime and double loading, resolve the config, start or stay off. It
 * leaves the host alone: no signal handlers, no exit hooks, never a throw.
 */
import { isMainThread, threadId } from 'node:worker_threads';
import type { Agent } from './agent-view';
import { writeStderr } from './debug';
import { MIN_NODE_MAJOR } from './version';

const GLOBAL_KEY = Symbol.for('leakwatch.agent');
type Holder = { [GLOBAL_KEY]?: Agent };

function register(): void {
  const holder = globalThis as Holder;
  // Loaded twice (--require and --import, or two copies): one agent only.
  if (holder[GLOBAL_KEY] !== undefined) return;
  const supported = Number(process.versions.node.split('.')[0]) >= MIN_NODE_MAJOR;
  // The main thread says an unsupported Node once; workers say nothing.
  if (!isMainThread) {
    if (supported) registerWorker(holder);
    return;
  }
  if (!supported) {
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

/**
 * Worker threads inherit `--require` and `--import`. A worker's heap,
 * timers and sockets are its own: the main thread's agent sees none of
 * them. With `LEAKWATCH_WORKERS=true` each worker gets an agent scoped to
 * its thread (agent/agent.ts: no exporters, no control socket, reports
 * named by thread); otherwise nothing is loaded here. The config's lines
 * are not printed again: the environment is the main thread's, which said
 * them.
 */
function registerWorker(holder: Holder): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only workers load it
  if (!(require('./worker-gate') as typeof import('./worker-gate')).workersWanted()) return;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded only for a watched worker */
    const { resolveConfig } = require('./config') as typeof import('./config');
    const { LeakwatchAgent } = require('./agent') as typeof import('./agent');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const { config } = resolveConfig();
    if (!config.enabled) return;
    holder[GLOBAL_KEY] = new LeakwatchAgent(config).start();
  } catch (err) {
    writeStderr(
      `leakwatch: could not start in worker thread ${threadId} (${(err as Error)?.message ?? String(err)}); that thread is not watched\n`,
    );
  }
}

register();

/** The agent started by the preload, if any (for the control channel). */
export function registeredAgent(): Agent | undefined {
  return (globalThis as Holder)[GLOBAL_KEY];
}
