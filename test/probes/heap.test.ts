import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { majorGc } from '../support/gc';
import {
  createHeapReading,
  isSupported,
  oldSpaceFromOptions,
  readHeap,
  readHeapLimit,
  readOldGenUsed,
  spaceNames,
} from '../../probes/heap';

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

  it("reports V8's heap_size_limit as the heap limit, and the old space's maximum as the floor's limit", () => {
    expect(readHeapLimit()).toBe(getHeapStatistics().heap_size_limit);
    const limits = limitsOf(['--max-old-space-size=96']);
    // heap_size_limit adds the young generation's reserve, which depends on
    // the Node version (48 MiB on 20 and 22, 192 on 24); the floor's limit
    // is what the option says.
    expect(limits.heapSizeLimit).toBeGreaterThan(96 * MiB);
    expect(limits.old).toEqual({ bytes: 96 * MiB, source: 'v8-old-space' });
  });

  it('reads the option from NODE_OPTIONS, quoted or with underscores, and lets the command line win', () => {
    expect(limitsOf([], { NODE_OPTIONS: '--max_old_space_size=80' }).old).toEqual({
      bytes: 80 * MiB,
      source: 'v8-old-space',
    });
    expect(limitsOf([], { NODE_OPTIONS: '--trace-warnings "--max-old-space-size=72"' }).old.bytes).toBe(72 * MiB);
    expect(limitsOf(['--max-old-space-size=120'], { NODE_OPTIONS: '--max-old-space-size=80' }).old.bytes).toBe(
      120 * MiB,
    );
  });

  it('falls back to heap_size_limit when no option sets the old space', () => {
    const limits = limitsOf([]);
    expect(limits.old).toEqual({ bytes: limits.heapSizeLimit, source: 'v8-heap' });
  });

  it.runIf(process.allowedNodeEnvironmentFlags.has('--max-old-space-size-percentage'))(
    'computes --max-old-space-size-percentage of the memory as Node does, where Node has it',
    () => {
      const limits = limitsOf(['--max-old-space-size-percentage=1']);
      expect(limits.old.source).toBe('v8-old-space');
      // What V8 took, less the same reserve a size option leaves.
      const reserve = limitsOf(['--max-old-space-size=96']).heapSizeLimit - 96 * MiB;
      expect(limits.old.bytes).toBe(limits.heapSizeLimit - reserve);
    },
  );

  it("takes a worker's resource limits, whichever way Node reports them", () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const probe = ${JSON.stringify(path.join(ROOT, 'dist/probes/heap.js'))};
      const code = 'const { parentPort } = require("node:worker_threads");' +
        'parentPort.postMessage(require(' + JSON.stringify(probe) + ').readOldSpaceLimit([]))';
      const out = [];
      let answered = 0;
      [{ maxOldGenerationSizeMb: 64 }, undefined].forEach((resourceLimits, i) => {
        const w = new Worker(code, { eval: true, resourceLimits });
        w.once('message', (m) => {
          out[i] = m;
          if (++answered === 2) process.stdout.write(JSON.stringify(out));
        });
      });`;
    const [limited, inherited] = JSON.parse(
      execFileSync(process.execPath, ['--max-old-space-size=200', '-e', script], { encoding: 'utf8' }),
    ) as Array<{ bytes: number; source: string }>;
    expect(limited).toEqual({ bytes: 64 * MiB, source: 'v8-old-space' });
    expect(inherited).toEqual({ bytes: 200 * MiB, source: 'v8-old-space' });
  });

  it('parses the options as Node applies them', () => {
    const mem = 24_000 * MiB;
    expect(oldSpaceFromOptions([], mem)).toBeNull();
    expect(oldSpaceFromOptions(['--max-old-space-size=512'], mem)).toBe(512 * MiB);
    expect(oldSpaceFromOptions(['--max-old-space-size=512', '--max_old_space_size=256'], mem)).toBe(256 * MiB);
    expect(oldSpaceFromOptions(['--max-old-space-size=0'], mem)).toBeNull();
    expect(oldSpaceFromOptions(['--max-old-space-size=lots'], mem)).toBeNull();
    expect(oldSpaceFromOptions(['--max-old-space-size-percentage=10', '--max-old-space-size=512'], mem)).toBe(
      2400 * MiB,
    );
    expect(oldSpaceFromOptions(['--max_old_space_size_percentage', '0.5', '-e', 'x'], mem)).toBe(120 * MiB);
    expect(oldSpaceFromOptions(['--max-old-space-size-percentage=101'], mem)).toBeNull();
    expect(oldSpaceFromOptions(['--max-old-space-size-percentage=25%'], 1000 * MiB)).toBe(250 * MiB);
  });
});

const MiB = 2 ** 20;

/** The limits a child process reads with `execArgv` and `env` added. */
function limitsOf(
  execArgv: string[],
  env: Record<string, string> = {},
): { heapSizeLimit: number; old: { bytes: number; source: string } } {
  const script = `
    const { readOldSpaceLimit } = require(${JSON.stringify(path.join(ROOT, 'dist/probes/heap.js'))});
    const { nodeOptionWords } = require(${JSON.stringify(path.join(ROOT, 'dist/agent/config.js'))});
    process.stdout.write(JSON.stringify({
      heapSizeLimit: require('node:v8').getHeapStatistics().heap_size_limit,
      old: readOldSpaceLimit(nodeOptionWords()),
    }));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.NODE_OPTIONS === undefined) delete childEnv.NODE_OPTIONS;
  return JSON.parse(
    execFileSync(process.execPath, [...execArgv, '-e', script], { encoding: 'utf8', env: childEnv }),
  ) as {
    heapSizeLimit: number;
    old: { bytes: number; source: string };
  };
}
