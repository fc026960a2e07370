/**
 * `leakwatch/why`: `node --require leakwatch/why app.js`, or through
 * `leakwatch why -- node app.js`. When the process should have exited but
 * did not, prints what keeps it alive with the line that created each
 * handle.
 *
 * This is a debugging entry the user opts into, unlike `register`: it arms
 * creation-site capture for every timer, socket and server call from the
 * start, and it listens for SIGINT (Ctrl-C) and SIGTERM (a supervisor, a
 * CI timeout). On either it prints the report to stderr, then, if no one
 * else listens for that signal, re-raises it so the process ends as it
 * would have ended. With
 * `LEAKWATCH_WHY_IDLE` (set by `leakwatch why --idle 5s`) it also reports
 * once the event loop has been idle that long, then sends itself SIGTERM.
 *
 * Cost: nothing per promise or async operation (no async_hooks); one
 * stack capture per setTimeout/setInterval/connect/listen call.
 */
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { testingFromEnv } from '../agent/cli-env';
import { writeStderr } from '../agent/debug';
import { armCreationSites, type CreationSites } from '../probes/creation-sites';
import { armWorkerSites, type WorkerSites } from '../probes/workers';
import { batched } from '../probes/wrap';

const KEY = Symbol.for('leakwatch.why');
/** Event-loop utilisation under which a sampling period counts as idle. */
const IDLE_UTILIZATION = 0.05;
/** Longest gap between two idle checks. */
const MAX_IDLE_STEP_MS = 250;
/**
 * Signals that end a process someone was waiting on: Ctrl-C, and a
 * supervisor or a CI timeout (SIGTERM). Each prints the report first.
 */
const REPORT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Prints the report once; resolves when it is written. */
async function report(sites: CreationSites, workers: WorkerSites | null): Promise<void> {
  try {
    // Loaded on demand: the inspector and source maps cost nothing until asked.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatWhy, gatherWhy } = require('./why-report') as typeof import('./why-report');
    const r = await gatherWhy((h) => sites.recordOf(h), workers?.running() ?? []);
    writeStderr(`${formatWhy(r, process.pid)}\n`);
  } catch (err) {
    writeStderr(`leakwatch why: could not list live handles (${(err as Error)?.message ?? String(err)})\n`);
  }
}

function start(): void {
  const g = globalThis as { [KEY]?: CreationSites };
  if (g[KEY] !== undefined || !isMainThread) return;
  const env = testingFromEnv();
  for (const w of env.warnings) writeStderr(`${w}\n`);
  let sites: CreationSites;
  let workers: WorkerSites | null = null;
  try {
    sites = batched(() => {
      const s = armCreationSites({ timers: true, sockets: true, processes: true, timerSampleMean: 1 });
      try {
        workers = armWorkerSites();
      } catch (err) {
        writeStderr(`leakwatch why: worker threads not tracked (${(err as Error)?.message ?? String(err)})\n`);
      }
      return s;
    });
  } catch (err) {
    writeStderr(`leakwatch why: creation sites not armed (${(err as Error)?.message ?? String(err)})\n`);
    return;
  }
  g[KEY] = sites;
  let reporting = false;
  // Signals that arrived while a report was being written.
  const pending = new Set<NodeJS.Signals>();
  const listeners = new Map<NodeJS.Signals, () => void>();
  const stopListening = (signal: NodeJS.Signals): void => {
    const listener = listeners.get(signal);
    if (listener !== undefined) process.removeListener(signal, listener);
    listeners.delete(signal);
  };
  // Reports once, then lets each signal that came meanwhile do what it
  // would have done: re-raised, unless the app handles it itself.
  const reportThenPassOn = (then: () => void = () => {}): void => {
    reporting = true;
    void report(sites, workers).then(() => {
      reporting = false;
      for (const signal of pending) {
        stopListening(signal);
        // Someone else handles it: they decide what it does.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      }
      pending.clear();
      then();
    });
  };
  for (const signal of REPORT_SIGNALS) {
    const listener = (): void => {
      pending.add(signal);
      // The terminal signals the whole group and `leakwatch why` forwards:
      // the second signal of a pair arrives while the first is reporting.
      if (!reporting) reportThenPassOn();
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }

  const idleMs = env.whyIdleMs;
  if (idleMs !== null) {
    const stepMs = Math.min(MAX_IDLE_STEP_MS, Math.max(10, idleMs / 4));
    let last = performance.eventLoopUtilization();
    let idleSince = performance.now();
    const timer = setInterval(() => {
      try {
        const now = performance.eventLoopUtilization();
        const u = performance.eventLoopUtilization(now, last).utilization;
        last = now;
        if (u > IDLE_UTILIZATION) idleSince = performance.now();
        if (performance.now() - idleSince < idleMs || reporting) return;
        clearInterval(timer);
        reportThenPassOn(() => {
          stopListening('SIGTERM');
          process.kill(process.pid, 'SIGTERM');
        });
      } catch (err) {
        writeStderr(`leakwatch why: idle check failed (${(err as Error)?.message ?? String(err)})\n`);
      }
    }, stepMs);
    // Never what keeps the process alive: if it can exit, let it.
    timer.unref();
  }
}

start();
