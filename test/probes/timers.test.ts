import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { armCreationSites, type CreationSites } from '../../probes/creation-sites';
import { openInspector } from '../../probes/inspector-session';
import { readHolder } from '../../probes/stack-frames';
import { readLiveTimers } from '../../probes/timers';

const FIXTURE = path.resolve(__dirname, '../fixtures/timer-makers.js');
const makers = createRequire(__filename)(FIXTURE) as {
  makeIntervals(n: number): NodeJS.Timeout[];
  makeTwins(n: number): NodeJS.Timeout[];
  makeOne(): NodeJS.Timeout;
};

function lineOf(marker: string): number {
  return (
    fs
      .readFileSync(FIXTURE, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(`// @${marker}`)) + 1
  );
}

const made: NodeJS.Timeout[] = [];
let sites: CreationSites | null = null;
afterEach(() => {
  for (const t of made.splice(0)) clearTimeout(t);
  sites?.disarm();
  sites = null;
});

async function read(
  recordOf: Parameters<typeof readLiveTimers>[1] = null,
  via: 'timer-lists' | 'heap-walk' = 'timer-lists',
) {
  const insp = openInspector();
  try {
    return await readLiveTimers(insp, recordOf, via);
  } finally {
    insp.close();
  }
}

describe('readLiveTimers (issue 5)', () => {
  it("lists unref'd timers made before anything was armed, with the callback's location, and not cleared ones", async () => {
    made.push(...makers.makeIntervals(30));
    const cleared = makers.makeIntervals(7);
    for (const t of cleared) clearInterval(t);
    const r = await read();
    // Node 20 keeps its timer lists where we look: no heap walk needed.
    expect(r.via).toBe('timer-lists');
    const g = r.groups.filter((x) => x.name === 'tickA');
    expect(g).toHaveLength(1);
    expect(g[0]?.count).toBe(30);
    expect(g[0]?.refed).toBe(0);
    expect(g[0]?.repeatMs).toBe(50_000);
    expect(g[0]?.createdWhileArmed).toBe(0);
    expect(g[0]?.location?.file).toBe(FIXTURE);
    expect(g[0]?.location?.line).toBe(lineOf('tickA'));
    expect(cleared).toHaveLength(7);
  });

  it('finds the same timers by walking the heap when the timer lists are not used', async () => {
    made.push(...makers.makeIntervals(30));
    const cleared = makers.makeIntervals(7);
    for (const t of cleared) clearInterval(t);
    const r = await read(null, 'heap-walk');
    expect(r.via).toBe('heap-walk');
    const g = r.groups.filter((x) => x.name === 'tickA');
    expect(g.map((x) => [x.count, x.refed, x.location?.line])).toEqual([[30, 0, lineOf('tickA')]]);
    // The cleared ones are still referenced (`cleared`), so the heap walk
    // finds them, yet they are not live.
    expect(r.inactive).toBeGreaterThanOrEqual(7);
    expect(cleared).toHaveLength(7);
  });

  it('splits callbacks with identical source text defined in two places', async () => {
    made.push(...makers.makeTwins(12));
    const r = await read();
    const twins = r.groups.filter((x) => x.location?.file === FIXTURE && x.repeatMs === null);
    expect(twins.map((x) => [x.location?.line, x.count]).sort()).toEqual([
      [lineOf('twin1'), 12],
      [lineOf('twin2'), 12],
    ]);
  });

  it('counts members created while armed and keeps sampled creation stacks', async () => {
    made.push(makers.makeOne());
    sites = armCreationSites({ timers: true, sockets: false });
    // The wrapper only sees calls made after arming.
    for (let i = 0; i < 40; i++) made.push(...makers.makeIntervals(10));
    const r = await read(sites.recordOf);
    const a = r.groups.find((x) => x.name === 'tickA');
    const b = r.groups.find((x) => x.name === 'tickB');
    expect(a?.count).toBe(400);
    expect(a?.createdWhileArmed).toBe(400);
    expect(b?.count).toBe(1);
    expect(b?.createdWhileArmed).toBe(0);
    // 1 in 16 on average: (15/16)^400 ≈ 6e-12 that none was sampled.
    expect(a?.samples.length).toBeGreaterThan(0);
    const frames = readHolder((a?.samples[0] as { holder: object }).holder, 32);
    expect(frames[0]).toMatchObject({ file: FIXTURE, line: lineOf('tickA') });
    expect(frames[0]?.fn).toMatch(/makeIntervals$/);
  });
});

describe('readLiveTimers: concurrent snapshots (issue 5)', () => {
  // Two snapshots at once (the detector's and an on-demand one) each get
  // their own objects back: the hand-over slots are never shared.
  it('gives both concurrent readers the full list', async () => {
    made.push(...makers.makeIntervals(25));
    const [a, b] = await Promise.all([read(), read(null, 'heap-walk')]);
    expect(a.groups.find((g) => g.name === 'tickA')?.count).toBe(25);
    expect(b.groups.find((g) => g.name === 'tickA')?.count).toBe(25);
  });
});
