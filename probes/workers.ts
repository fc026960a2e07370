/**
 * Worker threads created while armed. `new Worker(…)` is wrapped by
 * replacing the `worker_threads` export with a subclass that records where
 * each was made, whether it holds the event loop (`ref()`/`unref()`), and
 * which are still running. A running worker keeps its parent alive through
 * its message port, which on Node 20 neither
 * `process.getActiveResourcesInfo()` nor the active-handle list shows: this
 * record is how `leakwatch why` and the test helpers can name it.
 *
 * `instanceof Worker` keeps answering for workers made before arming and
 * after disarming: the subclass defers to the original's test.
 *
 * A class taken off the module before arming (`const { Worker } =
 * require('worker_threads')` at load) bypasses the subclass. Node's
 * `process` 'worker' event (emitted a tick after each new Worker, with no
 * user frame on the stack) still brings those workers in: counted and
 * listed, their site and script unknown.
 */
// The real module object, as in ./creation-sites: a namespace import would be a copy.
import workerThreads = require('node:worker_threads');
import { MAX_CAPTURED_FRAMES } from './creation-sites';
import { type StackHolder, captureHolder } from './stack-frames';
import { type AnyFn, createPatcher } from './wrap';

/** A worker made while armed. */
export interface WorkerRecord {
  readonly at: number;
  /** Null when only the 'worker' event saw it. */
  readonly holder: StackHolder | null;
  /** The script it runs: the path or URL given, or `[eval]`; null when only the 'worker' event saw it. */
  readonly script: string | null;
  /** False after `unref()`: it no longer keeps the process alive. */
  refed: boolean;
}

/** The workers made while armed, and the way back. */
export interface WorkerSites {
  recordOf(worker: object): WorkerRecord | undefined;
  /** Those still running, oldest first. */
  running(): { worker: workerThreads.Worker; record: WorkerRecord }[];
  /** Restores the original export; `running()` still answers for the workers made while armed. Idempotent. */
  disarm(): void;
}

function scriptOf(args: readonly unknown[]): string {
  const options = args[1] as { eval?: unknown } | undefined;
  if (options?.eval === true) return '[eval]';
  return String(args[0]);
}

/** Wraps `worker_threads.Worker`, and listens for Node's 'worker' event while armed. */
export function armWorkerSites(): WorkerSites {
  let armed = true;
  const records = new WeakMap<object, WorkerRecord>();
  // Strong references to running workers only: each leaves at its 'exit'.
  const live = new Set<workerThreads.Worker>();
  const { patch, publish, restore } = createPatcher(() => armed);
  const track = (worker: workerThreads.Worker, record: WorkerRecord): void => {
    records.set(worker, record);
    live.add(worker);
    worker.once('exit', () => live.delete(worker));
  };
  // Every worker made while armed, however its class was reached.
  const onWorker = (worker: workerThreads.Worker): void => {
    if (!armed || records.has(worker) || worker.threadId === -1) return;
    track(worker, { at: Date.now(), holder: null, script: null, refed: true });
  };
  process.on('worker', onWorker);
  patch(workerThreads, 'Worker', (original) => {
    const Original = original as unknown as typeof workerThreads.Worker;
    class Worker extends Original {
      constructor(...args: ConstructorParameters<typeof workerThreads.Worker>) {
        super(...args);
        if (!armed) return;
        track(this, {
          at: Date.now(),
          holder: captureHolder(Worker as unknown as AnyFn, MAX_CAPTURED_FRAMES),
          script: scriptOf(args),
          refed: true,
        });
      }

      override ref(): void {
        const r = records.get(this);
        if (r !== undefined) r.refed = true;
        super.ref();
      }

      override unref(): void {
        const r = records.get(this);
        if (r !== undefined) r.refed = false;
        super.unref();
      }

      static [Symbol.hasInstance](value: unknown): boolean {
        return value instanceof Original;
      }
    }
    return Worker as unknown as AnyFn;
  });
  publish();
  return {
    recordOf: (worker) => records.get(worker),
    running() {
      const out: { worker: workerThreads.Worker; record: WorkerRecord }[] = [];
      for (const worker of live) {
        const record = records.get(worker);
        // threadId turns -1 when the thread has ended, just before 'exit'.
        if (record !== undefined && worker.threadId !== -1) out.push({ worker, record });
      }
      return out;
    },
    disarm() {
      if (!armed) return;
      armed = false;
      process.removeListener('worker', onWorker);
      // The running ones stay listed (a check reads them after disarming);
      // each leaves at its exit.
      restore();
    },
  };
}
