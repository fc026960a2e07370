import { afterEach, describe, expect, it } from 'vitest';
import {
  QUIET_UTILIZATION,
  coarseResolutionMs,
  createEventLoopProbe,
  createEventLoopReading,
  type EventLoopProbe,
  RESOLUTION_MS,
} from '../../probes/event-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: the loop cannot run its timers.
  }
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
    // Idle interval, still read from the fine timer: it took many samples.
    await sleep(500);
    probe.read(r);
    expect(r.resolutionMs).toBe(RESOLUTION_MS);
    expect(r.utilization).toBeLessThan(QUIET_UTILIZATION);
    expect(r.samples).toBeGreaterThan(15);
    // The idle reading switched to the coarse timer: a second holds ~10.
    await sleep(1_000);
    probe.read(r);
    expect(r.resolutionMs).toBe(100);
    expect(r.samples).toBeGreaterThan(0);
    expect(r.samples).toBeLessThanOrEqual(11);
    // Reported on the fine timer's scale: lateness + 10 ms, not + 100 ms.
    expect(r.minMs).toBeGreaterThanOrEqual(RESOLUTION_MS - 1);
    expect(r.minMs).toBeLessThan(100 - 1);
  });

  it('the coarse timer still sees a blocked loop, and a busy interval brings the fine timer back', async () => {
    probe = createEventLoopProbe(1_000);
    const r = createEventLoopReading();
    await sleep(300);
    probe.read(r); // idle: switches to coarse
    await sleep(250);
    block(400);
    await sleep(150);
    probe.read(r);
    expect(r.resolutionMs).toBe(100);
    // A timer due in the first 100 ms of the block fired at least 300 ms late.
    expect(r.maxMs).toBeGreaterThanOrEqual(300 + RESOLUTION_MS - 1);
    expect(r.utilization).toBeGreaterThan(QUIET_UTILIZATION);
    await sleep(200);
    probe.read(r);
    expect(r.resolutionMs).toBe(RESOLUTION_MS);
  });

  it('an interval of 100 ms or less keeps the fine timer when idle', async () => {
    probe = createEventLoopProbe(100);
    const r = createEventLoopReading();
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      probe.read(r);
      expect(r.resolutionMs).toBe(RESOLUTION_MS);
    }
  });
});
