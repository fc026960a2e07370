// Worker-thread creation sites: the worker_threads export is replaced by a
// subclass while armed, and put back on disarm; instanceof keeps working
// both ways, and a kept reference to the subclass records nothing after.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { armWorkerSites, type WorkerRecord } from '../../probes/workers';
import { workerDetail } from '../../testing/leak-format';

const wt = createRequire(__filename)('node:worker_threads') as typeof import('node:worker_threads');
const CODE = 'setInterval(() => {}, 1e6)';

describe('worker sites', () => {
  it('records a running worker with its script and ref state, until it exits; disarm restores the class', async () => {
    const Original = wt.Worker;
    const before = new Original(CODE, { eval: true });
    const sites = armWorkerSites();
    const Wrapped = wt.Worker;
    expect(Wrapped).not.toBe(Original);
    expect(Wrapped.name).toBe('Worker');
    const w = new wt.Worker(CODE, { eval: true });
    expect(sites.running().map((r) => [r.worker, r.record.script, r.record.refed])).toEqual([[w, '[eval]', true]]);
    w.unref();
    expect(sites.recordOf(w)?.refed).toBe(false);
    w.ref();
    expect(sites.recordOf(w)?.refed).toBe(true);
    // Both ways round: made before arming, and by the subclass.
    expect(before instanceof Wrapped).toBe(true);
    expect(w instanceof Original).toBe(true);
    expect(sites.recordOf(before)).toBeUndefined();
    sites.disarm();
    expect(wt.Worker).toBe(Original);
    // Still listed after disarming, until it exits.
    expect(sites.running()).toHaveLength(1);
    const after = new Wrapped(CODE, { eval: true });
    expect(sites.recordOf(after)).toBeUndefined();
    await Promise.all([w, before, after].map((x) => x.terminate()));
    expect(sites.running()).toEqual([]);
  });

  it('lists a worker made through a class taken before arming, by the worker event: no site, no script', async () => {
    const Taken = wt.Worker;
    const sites = armWorkerSites();
    try {
      const w = new Taken(CODE, { eval: true });
      // Node emits 'worker' a tick after the constructor.
      await new Promise((resolve) => process.nextTick(resolve));
      expect(sites.running().map((r) => [r.worker, r.record.script, r.record.holder])).toEqual([[w, null, null]]);
      expect(workerDetail(w, sites.recordOf(w) as WorkerRecord)).toBe(`thread ${w.threadId} (script unknown)`);
      // One made through the subclass is not listed twice.
      const v = new wt.Worker(CODE, { eval: true });
      await new Promise((resolve) => process.nextTick(resolve));
      expect(sites.running().map((r) => r.worker)).toEqual([w, v]);
      await Promise.all([w.terminate(), v.terminate()]);
    } finally {
      sites.disarm();
    }
    expect(process.listenerCount('worker')).toBe(0);
  });

  it('passes what the constructor throws through unchanged', () => {
    const sites = armWorkerSites();
    try {
      expect(() => new wt.Worker(42 as unknown as string)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
      expect(sites.running()).toEqual([]);
    } finally {
      sites.disarm();
    }
  });

  it('a worker that ends by itself leaves the list', async () => {
    const sites = armWorkerSites();
    try {
      const w = new wt.Worker('0', { eval: true });
      await once(w, 'exit');
      expect(sites.running()).toEqual([]);
    } finally {
      sites.disarm();
    }
  });
});
