import { describe, expect, it } from 'vitest';
import type { Suspect } from '../../reports/report-schema';
import { formatMs, kindsForSignals, rankSuspects } from '../../agent/suspects';
import { displayName } from '../../reports/view-format';
import { planArming } from '../../agent/tracking';

const s = (kind: Suspect['kind'], growth: number, count: number, bytes?: number): Suspect => ({
  kind,
  title: `${kind} ${growth} ${count}`,
  count,
  growth,
  growthPerSec: 0,
  site: null,
  stack: [],
  ...(bytes === undefined ? {} : { bytes }),
});

describe('rankSuspects (issue 5)', () => {
  it('puts the kinds the growing signals point at first, then growth, handles before heap, then count', () => {
    const list = [s('heap', 900, 900, 5e7), s('timer', 0, 5000), s('timer', 200, 200), s('socket', 50, 50)];
    expect(rankSuspects([...list], ['handles.Timeout']).map((x) => x.title)).toEqual([
      'timer 200 200',
      'timer 0 5000',
      'socket 50 50',
      'heap 900 900',
    ]);
    expect(rankSuspects([...list], ['heap.floor'])[0]?.kind).toBe('heap');
    expect(rankSuspects([...list], ['fds'])[0]?.kind).toBe('socket');
  });

  it('puts a materially growing handle group before heap sites when both kinds grow', () => {
    const ranked = rankSuspects(
      [s('heap', 90_000, 90_000, 5e7), s('timer', 500, 500)],
      ['heap.floor', 'handles.Timeout'],
    );
    expect(ranked.map((x) => x.kind)).toEqual(['timer', 'heap']);
  });

  it('keeps heap sites ahead of handle groups that grew only a little', () => {
    const ranked = rankSuspects(
      [s('timer', 2, 2), s('heap', 90_000, 90_000, 5e7), s('timer', 1, 1)],
      ['heap.floor', 'handles.Timeout'],
    );
    expect(ranked.map((x) => x.kind)).toEqual(['heap', 'timer', 'timer']);
  });

  it('orders heap suspects by live bytes', () => {
    const ranked = rankSuspects([s('heap', 10, 10, 1e6), s('heap', 5, 5, 9e6)], ['heap.floor']);
    expect(ranked.map((x) => x.bytes)).toEqual([9e6, 1e6]);
  });

  it('puts a worker group that grew above the fd groups it explains, however much more they grew', () => {
    const ranked = rankSuspects([s('file', 360, 400), s('worker', 15, 15), s('file', 90, 100)], ['fds']);
    expect(ranked.map((x) => x.kind)).toEqual(['worker', 'file', 'file']);
    // One that did not grow is no cause of growth.
    expect(rankSuspects([s('file', 360, 400), s('worker', 0, 15)], ['fds'])[0]?.kind).toBe('file');
    expect(kindsForSignals(['fds']).has('worker')).toBe(true);
  });

  it('maps signals to kinds', () => {
    expect([...kindsForSignals(['handles.TCPSocketWrap'])].sort()).toEqual(['server', 'socket']);
    expect([...kindsForSignals(['rss'])]).toEqual(['heap', 'listener']);
  });
});

describe('planArming (issue 5)', () => {
  it('arms timer capture for timer signals, socket capture for socket signals', () => {
    expect(planArming(['handles.Timeout'])).toEqual({
      timers: true,
      sockets: false,
      files: false,
      processes: false,
      workers: false,
      heap: false,
    });
    expect(planArming(['handles.TCPSocketWrap'])).toEqual({
      timers: false,
      sockets: true,
      files: false,
      processes: false,
      workers: false,
      heap: false,
    });
  });

  it('arms socket, file-open, child-process and worker-thread capture for the open-fd count: any can explain it', () => {
    expect(planArming(['fds'])).toEqual({
      timers: false,
      sockets: true,
      files: true,
      processes: true,
      workers: true,
      heap: false,
    });
  });

  it('arms child-process capture for process handles and for pipes (a child has three)', () => {
    for (const signal of ['handles.ProcessWrap', 'handles.PipeWrap']) {
      expect(planArming([signal]), signal).toEqual({
        timers: false,
        sockets: true,
        files: false,
        processes: true,
        workers: false,
        heap: false,
      });
    }
  });

  it("arms everything for memory signals, since unref'd handles show only there", () => {
    expect(planArming(['heap.floor'])).toEqual({
      timers: true,
      sockets: true,
      files: false,
      processes: false,
      workers: false,
      heap: true,
    });
    expect(planArming([])).toEqual({
      timers: true,
      sockets: true,
      files: true,
      processes: true,
      workers: true,
      heap: true,
    });
  });
});

describe('formatMs', () => {
  it('reads like a duration', () => {
    expect([formatMs(250), formatMs(5000), formatMs(1500), formatMs(120_000)]).toEqual(['250ms', '5s', '1.5s', '2m']);
  });
});

describe('displayName', () => {
  it('names anonymous and bound anonymous callbacks', () => {
    expect([displayName(''), displayName('bound '), displayName('bound tick'), displayName('watch2')]).toEqual([
      '(anonymous)',
      'bound (anonymous)',
      'bound tick',
      'watch2',
    ]);
  });
});

describe('siteFromSamples: nothing cut silently (issue 5)', () => {
  it('counts creation stacks cut at capture in dropped.truncatedStacks', async () => {
    const { armCreationSites } = await import('../../probes/creation-sites');
    const { siteFromSamples } = await import('../../agent/suspects');
    const sites = armCreationSites({ timers: true, sockets: false });
    const made: NodeJS.Timeout[] = [];
    const deep = (n: number): void => {
      if (n > 0) return deep(n - 1);
      for (let i = 0; i < 200; i++) made.push(setTimeout(() => {}, 60_000));
    };
    try {
      deep(60);
    } finally {
      sites.disarm();
      for (const t of made) clearTimeout(t);
    }
    const samples = made.map((t) => sites.recordOf(t)).filter((r) => r !== undefined && r !== 1) as {
      at: number;
      holder: object;
    }[];
    expect(samples.length).toBeGreaterThan(0);
    const ctx = { armedAt: Date.now(), now: Date.now(), mapper: null, dropped: {} as Record<string, number> };
    const out = siteFromSamples(samples, ctx);
    expect(ctx.dropped.truncatedStacks).toBe(samples.length);
    expect(out.stack).toHaveLength(32);
    expect(out.site).toContain('suspects.test.ts');
  });
});
