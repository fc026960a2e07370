import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { majorGc } from '../support/gc';
import { createHeapReading, isSupported, readHeap, readHeapLimit, readOldGenUsed, spaceNames } from '../../probes/heap';

const ROOT = path.resolve(__dirname, '../..');
const YOUNG = new Set(['new_space', 'new_large_object_space']);

describe('heap probe', () => {
  it('is supported, and names the spaces V8 has', () => {
    expect(isSupported()).toBe(true);
    expect(spaceNames).toEqual(getHeapSpaceStatistics().map((s) => s.space_name));
    expect(spaceNames).toContain('old_space');
    expect(spaceNames).toContain('new_space');
  });

  it('fills the reading it is given, with consistent sizes', () => {
    const r = createHeapReading();
    const spaces = r.spaceUsedBytes;
    expect(readHeap(r)).toBe(r);
    // The same arrays every time: a tick allocates no new reading.
    expect(r.spaceUsedBytes).toBe(spaces);
    expect(r.spaceUsedBytes).toHaveLength(spaceNames.length);
    expect(r.usedBytes).toBeGreaterThan(0);
    expect(r.totalBytes).toBeGreaterThanOrEqual(r.usedBytes);
    expect(r.rssBytes).toBeGreaterThan(r.usedBytes);
    expect(r.arrayBuffersBytes).toBeLessThanOrEqual(r.externalBytes);
    // The old generation is every space but the young ones, from one read.
    const old = spaceNames.reduce((sum, name, i) => (YOUNG.has(name) ? sum : sum + (r.spaceUsedBytes[i] as number)), 0);
    expect(r.oldGenUsedBytes).toBe(old);
  });

  it('sees what survives in the old generation, and not short-lived garbage', () => {
    majorGc();
    const before = readOldGenUsed();
    for (let i = 0; i < 50; i++) Array.from({ length: 10_000 }, (_, j) => ({ j }));
    majorGc();
    const afterGarbage = readOldGenUsed();
    const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item-${i}` }));
    majorGc();
    const afterKept = readOldGenUsed();
    expect(kept).toHaveLength(200_000);
    expect(afterGarbage - before).toBeLessThan(1_000_000);
    expect(afterKept - afterGarbage).toBeGreaterThan(8_000_000);
  });

  it("reads V8's heap limit, which --max-old-space-size sets", () => {
    expect(readHeapLimit()).toBe(getHeapStatistics().heap_size_limit);
    const script = `process.stdout.write(String(require(${JSON.stringify(path.join(ROOT, 'dist/probes/heap.js'))}).readHeapLimit()))`;
    const limit = Number(
      execFileSync(process.execPath, ['--max-old-space-size=96', '-e', script], { encoding: 'utf8' }),
    );
    // The old space's 96 MiB plus the young generation's share (48 MiB on Node 20).
    expect(limit).toBeGreaterThanOrEqual(96 * 2 ** 20);
    expect(limit).toBeLessThan(160 * 2 ** 20);
  });
});
