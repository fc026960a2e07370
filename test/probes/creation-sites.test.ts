import dgram = require('node:dgram');
import * as net from 'node:net';
import timers = require('node:timers');
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  armCreationSites,
  type CreationSites,
  TIMER_SAMPLE_MEAN,
  TIMER_STACKS_PER_SECOND,
} from '../../probes/creation-sites';
import { readHolder } from '../../probes/stack-frames';

let sites: CreationSites | null = null;
afterEach(() => {
  sites?.disarm();
  sites = null;
});

function originals() {
  return {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    timersSetTimeout: timers.setTimeout,
    timersSetInterval: timers.setInterval,
    connect: net.Socket.prototype.connect,
    listen: net.Server.prototype.listen,
    createSocket: dgram.createSocket,
  };
}

describe('creation-site capture (issue 5)', () => {
  it('wraps only while armed and restores every original exactly', () => {
    const before = originals();
    const custom = (setTimeout as unknown as Record<symbol, unknown>)[promisify.custom];
    sites = armCreationSites({ timers: true, sockets: true });
    const during = originals();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(during[k], k).not.toBe(before[k]);
    // What callers read off the originals is still there.
    expect((setTimeout as unknown as Record<symbol, unknown>)[promisify.custom]).toBe(custom);
    expect(setTimeout.name).toBe('setTimeout');
    sites.disarm();
    expect(originals()).toEqual(before);
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(originals()[k], k).toBe(before[k]);
  });

  it('leaves a later wrapper in place on disarm, passing straight through', () => {
    const before = globalThis.setTimeout;
    sites = armCreationSites({ timers: true, sockets: false });
    const ours = globalThis.setTimeout;
    const theirs = Object.assign((...a: Parameters<typeof setTimeout>) => ours(...a), {
      __promisify__: undefined,
    }) as unknown as typeof setTimeout;
    globalThis.setTimeout = theirs;
    try {
      sites.disarm();
      expect(globalThis.setTimeout).toBe(theirs);
      const t = setTimeout(() => {}, 1_000);
      clearTimeout(t);
      expect(sites.recordOf(t)).toBeUndefined();
    } finally {
      globalThis.setTimeout = before;
    }
  });

  it('marks every timer made while armed and captures about one stack in 16', () => {
    // Uncapped: this loop makes timers far faster than the cap allows.
    sites = armCreationSites({ timers: true, sockets: false, timerStacksPerSecond: Infinity });
    const made: NodeJS.Timeout[] = [];
    const N = 3_200;
    for (let i = 0; i < N; i++) made.push(setTimeout(() => {}, 60_000));
    for (const t of made) clearTimeout(t);
    expect(made.every((t) => sites?.recordOf(t) !== undefined)).toBe(true);
    expect(sites.counts.timers).toBe(N);
    const sampled = made.filter((t) => sites?.recordOf(t) !== 1).length;
    expect(sampled).toBe(sites.counts.timerStacks);
    // Mean N/16 = 200; gaps are uniform in 1..31, so the count stays near it.
    expect(sampled).toBeGreaterThan(N / TIMER_SAMPLE_MEAN / 2);
    expect(sampled).toBeLessThan((N / TIMER_SAMPLE_MEAN) * 2);
    // A sampled stack starts at the caller of setTimeout: this file.
    const rec = sites.recordOf(made.find((t) => sites?.recordOf(t) !== 1) as object);
    expect(rec).not.toBe(1);
    const frames = readHolder((rec as { holder: object }).holder, 8);
    expect(frames[0]?.file).toBe(__filename);
  });

  it('captures at most TIMER_STACKS_PER_SECOND stacks a second, and counts the sample points it skips', async () => {
    sites = armCreationSites({ timers: true, sockets: false });
    expect(sites.timerStacksPerSecond).toBe(TIMER_STACKS_PER_SECOND);
    const t0 = Date.now();
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) clearTimeout(setTimeout(() => {}, 60_000));
    };
    // About 400 sample points in one go: the first 50 are captured (a full
    // bucket), the rest only as the bucket refills.
    burst(6_400);
    const first = { ...sites.counts };
    const refillsFirst = ((Date.now() - t0) * TIMER_STACKS_PER_SECOND) / 1_000;
    expect(first.timers).toBe(6_400);
    expect(first.timerStacks).toBeGreaterThanOrEqual(TIMER_STACKS_PER_SECOND);
    expect(first.timerStacks).toBeLessThanOrEqual(TIMER_STACKS_PER_SECOND + Math.ceil(refillsFirst));
    // Every sample point either captured or was counted as skipped.
    const points = first.timerStacks + first.timerStacksCapped;
    expect(points).toBeGreaterThan(6_400 / TIMER_SAMPLE_MEAN / 2);
    expect(points).toBeLessThan((6_400 / TIMER_SAMPLE_MEAN) * 2);
    expect(first.timerStacksCapped).toBeGreaterThan(0);
    // 200 ms later the bucket holds about 10 more: capture resumes.
    await new Promise((r) => setTimeout(r, 200));
    burst(6_400);
    expect(sites.counts.timerStacks - first.timerStacks).toBeGreaterThanOrEqual(
      Math.floor(0.2 * TIMER_STACKS_PER_SECOND),
    );
    expect(sites.counts.timerStacks).toBeLessThanOrEqual(
      TIMER_STACKS_PER_SECOND + Math.ceil(((Date.now() - t0) * TIMER_STACKS_PER_SECOND) / 1_000),
    );
  });

  it('keeps capturing after the wall clock is set back', () => {
    sites = armCreationSites({ timers: true, sockets: false, timerSampleMean: 2, timerStacksPerSecond: 10 });
    const real = Date.now();
    const clock = vi.spyOn(Date, 'now');
    try {
      // Empty the bucket, then move the clock an hour back, then 1 s on.
      clock.mockReturnValue(real);
      for (let i = 0; i < 200; i++) clearTimeout(setTimeout(() => {}, 60_000));
      const drained = sites.counts.timerStacks;
      expect(drained).toBe(10);
      clock.mockReturnValue(real - 3_600_000);
      for (let i = 0; i < 200; i++) clearTimeout(setTimeout(() => {}, 60_000));
      expect(sites.counts.timerStacks).toBe(drained);
      clock.mockReturnValue(real - 3_600_000 + 1_000);
      for (let i = 0; i < 200; i++) clearTimeout(setTimeout(() => {}, 60_000));
      expect(sites.counts.timerStacks).toBe(drained + 10);
    } finally {
      clock.mockRestore();
    }
  });

  it('captures under a cap below one a second', () => {
    sites = armCreationSites({ timers: true, sockets: false, timerSampleMean: 1, timerStacksPerSecond: 0.5 });
    for (let i = 0; i < 10; i++) clearTimeout(setTimeout(() => {}, 60_000));
    expect(sites.counts.timerStacks).toBe(1);
    expect(sites.counts.timerStacksCapped).toBe(9);
  });

  it('refuses a cap that is not positive', () => {
    expect(() => armCreationSites({ timers: true, sockets: false, timerStacksPerSecond: 0 })).toThrow(RangeError);
    expect(() => armCreationSites({ timers: true, sockets: false, timerStacksPerSecond: Number.NaN })).toThrow(
      /timerStacksPerSecond/,
    );
  });

  it('captures the stack of every socket connect and server listen', async () => {
    sites = armCreationSites({ timers: false, sockets: true });
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    try {
      const rs = sites.recordOf(server);
      const rc = sites.recordOf(sock);
      expect(rs).not.toBe(1);
      expect(rc).not.toBe(1);
      expect(sites.counts).toMatchObject({ sockets: 1, servers: 1 });
      // net.connect → Socket#connect: the first frame outside node: is ours.
      const frames = readHolder((rc as { holder: object }).holder, 8).filter((f) => !f.file.startsWith('node:'));
      expect(frames[0]?.file).toBe(__filename);
    } finally {
      sock.destroy();
      server.close();
    }
  });
});

describe('creation-site capture: arm/disarm cycles (issue 5)', () => {
  it('restores the originals after overlapping cycles, stacking no dead layers', () => {
    const before = originals();
    // An arm that races a pending disarm wraps the previous wrapper.
    const a = armCreationSites({ timers: true, sockets: true });
    const b = armCreationSites({ timers: true, sockets: true });
    a.disarm();
    const c = armCreationSites({ timers: true, sockets: true });
    b.disarm();
    c.disarm();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(originals()[k], k).toBe(before[k]);
    // Twenty quick cycles in a row end where they started.
    const open: CreationSites[] = [];
    for (let i = 0; i < 20; i++) {
      open.push(armCreationSites({ timers: true, sockets: false }));
      if (i % 3 === 2) open.shift()?.disarm();
    }
    for (const s of open) s.disarm();
    expect(globalThis.setTimeout).toBe(before.setTimeout);
    expect(timers.setTimeout).toBe(before.timersSetTimeout);
  });
});

describe('creation-site capture: growth without per-call records (issue 5)', () => {
  it('counts timers made through a reference taken before arming as created while armed, and not older ones', () => {
    const early = setTimeout;
    const old = setTimeout(() => {}, 60_000);
    sites = armCreationSites({ timers: true, sockets: false });
    const bypass = early(() => {}, 60_000);
    const wrapped = setTimeout(() => {}, 60_000);
    sites.disarm();
    const after = setTimeout(() => {}, 60_000);
    try {
      expect(sites.recordOf(old)).toBeUndefined();
      expect(sites.recordOf(bypass)).toBeDefined();
      expect(sites.recordOf(wrapped)).toBeDefined();
      expect(sites.recordOf(after)).toBeUndefined();
      // Only the wrapped call was seen by the wrapper.
      expect(sites.counts.timers).toBe(1);
    } finally {
      for (const t of [old, bypass, wrapped, after]) clearTimeout(t);
    }
  });
});

describe('connectTarget (issue 5)', () => {
  it('reads every form Socket#connect accepts', async () => {
    const { connectTarget } = await import('../../probes/handle-identity');
    expect(connectTarget([6379, '127.0.0.1'])).toBe('127.0.0.1:6379');
    expect(connectTarget([6379])).toBe('localhost:6379');
    expect(connectTarget(['/run/db.sock'])).toBe('/run/db.sock');
    expect(connectTarget([{ port: 443, host: 'api.internal' }])).toBe('api.internal:443');
    expect(connectTarget([[{ path: '/run/db.sock' }, null]])).toBe('/run/db.sock');
    expect(connectTarget([{}])).toBeUndefined();
  });
});
