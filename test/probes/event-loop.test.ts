import { afterEach, describe, expect, it } from 'vitest';
import {
  ASLEEP_UTILIZATION,
  QUIET_UTILIZATION,
  coarseResolutionMs,
  delayBounds,
  createEventLoopProbe,
  createEventLoopReading,
  type EventLoopProbe,
  type EventLoopReading,
  RESOLUTION_MS,
} from '../../probes/event-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: the loop cannot run its timers.
  }
}

/** A lightly used loop: 2 ms of work every ~10 ms, well inside quiet (1-30 %). */
async function lightLoad(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    block(2);
    await sleep(10);
  }
}

/**
 * The reading saw a block of at least 300 ms on the given timer (0: off),
 * and that busy interval brings the 10 ms timer back.
 */
async function expectBlockSeen(p: EventLoopProbe, r: EventLoopReading, timerMs: number): Promise<void> {
  expect(r.resolutionMs).toBe(timerMs);
  expect(r.maxMs).toBeGreaterThanOrEqual(300 + RESOLUTION_MS - 1);
  expect(r.utilization).toBeGreaterThan(QUIET_UTILIZATION);
  await sleep(150);
  p.read(r);
  expect(r.resolutionMs).toBe(RESOLUTION_MS);
  expect(r.samples).toBeGreaterThan(0);
}

describe('event-loop probe', () => {
  let probe: EventLoopProbe | null = null;
  afterEach(() => {
    probe?.disable();
    probe = null;
  });

  it('takes a coarse timer of a tenth of the interval, at most 100 ms, never finer than 10 ms', () => {
    expect(coarseResolutionMs(1_000)).toBe(100);
    expect(coarseResolutionMs(5_000)).toBe(100);
    expect(coarseResolutionMs(300)).toBe(30);
    expect(coarseResolutionMs(100)).toBe(RESOLUTION_MS);
    expect(coarseResolutionMs(20)).toBe(RESOLUTION_MS);
  });

  it('bounds an unsampled interval by the busy time: the k-th latest sample is at most busy / k', () => {
    const r = createEventLoopReading();
    // 5 ms busy in 995 ms idle: a 10 ms timer would take 99 samples.
    delayBounds(5, 995, r);
    expect(r.minMs).toBeCloseTo(RESOLUTION_MS + 5 / 99, 9);
    expect(r.meanMs).toBeCloseTo(RESOLUTION_MS + 5 / 99, 9);
    expect(r.p50Ms).toBeCloseTo(RESOLUTION_MS + 5 / 50, 9);
    expect(r.p90Ms).toBeCloseTo(RESOLUTION_MS + 5 / 10, 9);
    expect(r.p95Ms).toBeCloseTo(RESOLUTION_MS + 5 / 5, 9);
    expect(r.p99Ms).toBeCloseTo(RESOLUTION_MS + 5, 9);
    expect(r.maxMs).toBe(RESOLUTION_MS + 5);
    // One 300 ms block: the maximum covers it, the median cannot reach it.
    delayBounds(300, 700, r);
    expect(r.maxMs).toBe(310);
    expect(r.p99Ms).toBe(310);
    expect(r.p90Ms).toBeCloseTo(RESOLUTION_MS + 300 / 7, 9);
    expect(r.p50Ms).toBeCloseTo(RESOLUTION_MS + 300 / 35, 9);
    // Nothing ran: no sample could be late.
    delayBounds(0, 1_000, r);
    expect([r.minMs, r.meanMs, r.p50Ms, r.p99Ms, r.maxMs]).toEqual([10, 10, 10, 10, 10]);
    // Busy throughout: every bound is the whole busy time.
    delayBounds(1_000, 0, r);
    expect([r.minMs, r.p50Ms, r.maxMs]).toEqual([1_010, 1_010, 1_010]);
  });

  it('samples every 10 ms while busy and every 100 ms once the loop is quiet', async () => {
    probe = createEventLoopProbe(1_000);
    const r = createEventLoopReading();
    // Busy interval: the fine timer stays.
    const busyUntil = Date.now() + 400;
    while (Date.now() < busyUntil) {
      block(20);
      await sleep(1);
    }
    probe.read(r);
    expect(r.resolutionMs).toBe(RESOLUTION_MS);
    expect(r.utilization).toBeGreaterThan(QUIET_UTILIZATION);
    // Quiet interval, still read from the fine timer: it took many samples.
    await lightLoad(500);
    probe.read(r);
    expect(r.resolutionMs).toBe(RESOLUTION_MS);
    expect(r.utilization).toBeLessThan(QUIET_UTILIZATION);
    expect(r.utilization).toBeGreaterThan(ASLEEP_UTILIZATION);
    expect(r.samples).toBeGreaterThan(15);
    // The quiet reading switched to the coarse timer: a second holds ~10.
    await lightLoad(1_000);
    probe.read(r);
    expect(r.resolutionMs).toBe(100);
    expect(r.samples).toBeGreaterThan(0);
    expect(r.samples).toBeLessThanOrEqual(11);
    // Reported on the fine timer's scale: lateness + 10 ms, not + 100 ms.
    expect(r.minMs).toBeGreaterThanOrEqual(RESOLUTION_MS - 1);
    expect(r.minMs).toBeLessThan(100 - 1);
  });

  it('the coarse timer still sees a blocked loop, and a busy interval brings the fine timer back', async () => {
    const p = createEventLoopProbe(1_000);
    probe = p;
    const r = createEventLoopReading();
    await lightLoad(300);
    p.read(r); // quiet: switches to coarse
    await lightLoad(250);
    block(400);
    await lightLoad(150);
    p.read(r);
    // A timer due in the first 100 ms of the block fired at least 300 ms late.
    await expectBlockSeen(p, r, 100);
  });

  it('switches the timer off while the loop is asleep, and bounds a block there by the busy time', async () => {
    const p = createEventLoopProbe(1_000);
    probe = p;
    const r = createEventLoopReading();
    // Idle intervals until one is asleep: on a loaded machine, the test's own
    // code can be preempted while it runs, and that counts as busy time.
    const untilAsleep = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await sleep(300);
        p.read(r);
        if (r.utilization < ASLEEP_UTILIZATION) return;
      }
    };
    await untilAsleep();
    expect(r.utilization).toBeLessThan(ASLEEP_UTILIZATION);
    // Asleep: no timer, no samples; the bounds come from the busy time.
    const t0 = performance.now();
    await sleep(500);
    p.read(r);
    const elapsed = performance.now() - t0;
    expect(r.resolutionMs).toBe(0);
    expect(r.samples).toBe(0);
    expect(r.maxMs).toBeGreaterThanOrEqual(RESOLUTION_MS);
    expect(r.maxMs).toBeLessThanOrEqual(RESOLUTION_MS + r.utilization * elapsed + 1);
    expect(r.minMs).toBeLessThanOrEqual(r.p50Ms);
    expect(r.p50Ms).toBeLessThanOrEqual(r.p90Ms);
    expect(r.p90Ms).toBeLessThanOrEqual(r.p99Ms);
    expect(r.p99Ms).toBeLessThanOrEqual(r.maxMs);
    // A 300 ms block while asleep: the maximum covers it, the median stays low.
    await untilAsleep();
    await sleep(200);
    block(300);
    await sleep(200);
    p.read(r);
    expect(r.p50Ms).toBeLessThan(30);
    await expectBlockSeen(p, r, 0);
  });

  it('an interval of 100 ms or less keeps the fine timer when idle, asleep or not', async () => {
    probe = createEventLoopProbe(100);
    const r = createEventLoopReading();
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      probe.read(r);
      expect(r.resolutionMs).toBe(RESOLUTION_MS);
    }
  });
});
