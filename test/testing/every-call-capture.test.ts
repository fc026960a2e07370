import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { armCreationSites, type CreatedKind } from '../../probes/creation-sites';
import { ROOT } from '../helpers';

describe('creation sites for tests (timerSampleMean, onCreate)', () => {
  // Issue 9: the test helpers need every call captured, not 1 in 16.
  it('timerSampleMean: 1 captures a stack for every timer, and onCreate sees each one', () => {
    const seen: [object, CreatedKind][] = [];
    const sites = armCreationSites({
      timers: true,
      sockets: false,
      timerSampleMean: 1,
      onCreate: (h, k) => seen.push([h, k]),
    });
    const made: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 200; i++) made.push(setTimeout(() => {}, 60_000));
    } finally {
      sites.disarm();
      for (const t of made) clearTimeout(t);
    }
    expect(sites.counts.timers).toBe(200);
    expect(sites.counts.timerStacks).toBe(200);
    for (const t of made) expect(sites.recordOf(t)).toMatchObject({ holder: expect.any(Object) });
    expect(seen.map(([h]) => h)).toEqual(made);
    expect(new Set(seen.map(([, k]) => k))).toEqual(new Set(['timer']));
  });

  it('the default still samples (fewer stacks than calls)', () => {
    const sites = armCreationSites({ timers: true, sockets: false });
    const made: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 400; i++) made.push(setTimeout(() => {}, 60_000));
    } finally {
      sites.disarm();
      for (const t of made) clearTimeout(t);
    }
    expect(sites.counts.timers).toBe(400);
    expect(sites.counts.timerStacks).toBeLessThan(200);
  });

  it('an onCreate that throws never breaks the caller', () => {
    const sites = armCreationSites({
      timers: true,
      sockets: false,
      timerSampleMean: 1,
      onCreate: () => {
        throw new Error('observer bug');
      },
    });
    try {
      const t = setInterval(() => {}, 1000);
      clearInterval(t);
      expect(sites.recordOf(t)).not.toBeUndefined();
    } finally {
      sites.disarm();
    }
  });

  it('rejects a sample mean that is not an integer >= 1', () => {
    expect(() => armCreationSites({ timers: true, sockets: false, timerSampleMean: 0 })).toThrow(RangeError);
    expect(() => armCreationSites({ timers: true, sockets: false, timerSampleMean: 1.5 })).toThrow(/timerSampleMean/);
  });
});

describe('package exports for the test helpers', () => {
  // Issue 9: the subpaths users put in vitest.config / --import must exist.
  it('./vitest, ./node-test, ./expect-no-leaks and ./why point at built files, types first', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
    };
    for (const sub of ['./vitest', './node-test', './expect-no-leaks', './why']) {
      const e = pkg.exports[sub];
      expect(e, sub).toBeDefined();
      expect(Object.keys(e as object)[0]).toBe('types');
      for (const target of Object.values(e as Record<string, string>))
        expect(fs.existsSync(path.join(ROOT, target)), target).toBe(true);
    }
  });
});
