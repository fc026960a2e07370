// The GC probe against real collections forced in this process.
import { afterEach, describe, expect, it } from 'vitest';
import { gcEntriesDelivered, majorGc, minorGc } from '../support/gc';
import { createGcProbe, createGcReading, GC_KINDS, type GcProbe, isSupported } from '../../probes/gc';

const SCAVENGE = GC_KINDS.indexOf('scavenge');
const MAJOR = GC_KINDS.indexOf('mark_sweep_compact');
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** About 12 MB of small objects that survive while referenced. */
function retain(): { i: number; s: string }[] {
  return Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item-${i}` }));
}

describe('gc probe', () => {
  let probe: GcProbe | null = null;
  afterEach(() => {
    probe?.disable();
    probe = null;
  });

  it('is supported on the Node versions leakwatch runs on', () => {
    expect(isSupported()).toBe(true);
  });

  it('counts each forced collection by kind and moves the counts out on read', async () => {
    probe = createGcProbe();
    await gcEntriesDelivered();
    probe.read(createGcReading());
    majorGc();
    majorGc();
    minorGc();
    await gcEntriesDelivered();
    const r = probe.read(createGcReading());
    expect(r.count[MAJOR]).toBe(2);
    expect(r.count[SCAVENGE]).toBe(1);
    expect(r.majorTotal).toBe(2);
    // Every pause is kept with its kind, and the totals add up.
    expect(r.pauses).toHaveLength(sum(r.count));
    expect(r.pauseKinds.filter((k) => k === MAJOR)).toHaveLength(2);
    expect(sum(r.pauses)).toBeCloseTo(sum(r.pauseMs), 6);
    expect(r.pausesDropped).toBe(0);
    // The next read starts from zero; the floor and the major total persist.
    const again = probe.read(createGcReading());
    expect(sum(again.count)).toBe(0);
    expect(again.pauses).toHaveLength(0);
    expect(again.majorTotal).toBe(2);
    expect(again.floorBytes).toBe(r.floorBytes);
  });

  it('has no floor until the first major GC', async () => {
    probe = createGcProbe();
    await gcEntriesDelivered();
    expect(probe.read(createGcReading()).floorBytes).toBeNaN();
    majorGc();
    await gcEntriesDelivered();
    expect(probe.read(createGcReading()).floorBytes).toBeGreaterThan(0);
  });

  it('reads the post-GC floor: it rises with what survives and falls when it is released', async () => {
    probe = createGcProbe();
    const r = createGcReading();
    majorGc();
    await gcEntriesDelivered();
    const base = probe.read(r).floorBytes;
    let kept: unknown[] | null = retain();
    majorGc();
    await gcEntriesDelivered();
    const held = probe.read(r).floorBytes;
    const keptLength = kept.length;
    kept = null;
    majorGc();
    await gcEntriesDelivered();
    const released = probe.read(r).floorBytes;
    expect(keptLength).toBe(200_000);
    expect(held - base).toBeGreaterThan(8_000_000);
    expect(held - released).toBeGreaterThan(8_000_000);
  });

  it('keeps 1,024 pauses a read and counts the rest as dropped, never losing a count', async () => {
    probe = createGcProbe();
    await gcEntriesDelivered();
    probe.read(createGcReading());
    const forced = 1_100;
    // Several batches: Node delivers up to 32 entries per callback here.
    for (let i = 0; i < forced; i++) {
      minorGc();
      if (i % 100 === 99) await gcEntriesDelivered();
    }
    await gcEntriesDelivered();
    const r = probe.read(createGcReading());
    expect(r.count[SCAVENGE]).toBeGreaterThanOrEqual(forced);
    expect(r.pauses).toHaveLength(1_024);
    expect(r.pausesDropped).toBe(sum(r.count) - 1_024);
  });

  it('stops counting once disabled', async () => {
    probe = createGcProbe();
    probe.disable();
    majorGc();
    await gcEntriesDelivered();
    const r = probe.read(createGcReading());
    expect(sum(r.count)).toBe(0);
    expect(r.majorTotal).toBe(0);
  });
});
