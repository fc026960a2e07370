// Issue 3: DogStatsD formatting: lines, counters as deltas, Datadog's
// aggregated histogram fields, events, and datagrams within the limit.
import { describe, expect, it } from 'vitest';
import {
  buildGlobalTags,
  DatagramBatcher,
  formatEvent,
  formatPoints,
  formatValue,
  UDP_MAX_DATAGRAM,
} from '../../reports/dogstatsd-format';
import { DD_TRACE_RUNTIME_NAMES } from '../../reports/dd-trace-names';
import { MetricPoints } from '../../reports/metric-points';
import { fillTick, testView } from './metric-view';

function lines(p: MetricPoints, tags = 'service:svc', skip: ReadonlySet<string> | null = null): string[] {
  const out: string[] = [];
  formatPoints(p, tags, (l) => out.push(l), skip);
  return out;
}

describe('DogStatsD formatting', () => {
  it('writes gauges, counters and tags in the datagram grammar', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, { timers: 5 });
    p.observe();
    p.collect();
    const out = lines(p);
    for (const l of out) expect(l).toMatch(/^[a-z][a-z0-9_.]*:-?\d+(\.\d+)?\|(g|c)\|#[^|\s]+$/);
    expect(out).toContain('runtime.node.mem.heap_used:10000000|g|#service:svc');
    expect(out).toContain('runtime.node.handles.by.type:5|g|#handle_type:Timeout,service:svc');
    expect(out).toContain(
      'runtime.node.heap.used_size.by.space:' + 1_000 * 3 + '|g|#heap_space:' + 'old_space,service:svc',
    );
    // ms readings go out in nanoseconds, less the 10 ms sampling resolution
    // as dd-trace reports them (floored at 0); percent as percent.
    expect(out).toContain('runtime.node.event_loop.delay.max:4000000|g|#service:svc');
    expect(out).toContain('runtime.node.event_loop.delay.min:0|g|#service:svc');
    expect(out).toContain('runtime.node.cpu.total:15|g|#service:svc');
    expect(out).toContain('leakwatch.agent.ticks:1|c|#service:svc');
  });

  it("leaves out the names in skip (dd-trace's), GC histograms included, and keeps counting", () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, { timers: 2, pausesMs: [['minor', 2]] });
    p.observe();
    p.collect();
    const out = lines(p, 'service:svc', DD_TRACE_RUNTIME_NAMES);
    const names = new Set(out.map((l) => l.slice(0, l.indexOf(':'))));
    expect([...names].filter((n) => DD_TRACE_RUNTIME_NAMES.has(n))).toEqual([]);
    expect([...names].filter((n) => n.startsWith('runtime.node.gc.'))).toEqual([]);
    expect(names).toContain('runtime.node.handles.by.type');
    expect(names).toContain('leakwatch.heap.floor');
    expect(names).toContain('leakwatch.agent.ticks');
    // The GC histogram's window was consumed: sent again later, it starts afresh.
    fillTick(v, { pausesMs: [['minor', 3]] });
    p.observe();
    p.collect();
    expect(lines(p)).toContain('runtime.node.gc.pause.count:1|c|#service:svc');
  });

  it('sends counters as the increase since the previous flush', () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v);
    fillTick(v);
    p.collect();
    expect(lines(p)).toContain('leakwatch.agent.ticks:2|c|#service:svc');
    p.collect();
    expect(lines(p)).toContain('leakwatch.agent.ticks:0|c|#service:svc');
    fillTick(v);
    v.self.exportsDropped = 3;
    p.collect();
    const out = lines(p);
    expect(out).toContain('leakwatch.agent.ticks:1|c|#service:svc');
    expect(out).toContain('leakwatch.agent.exports_dropped:3|c|#service:svc');
    // Which channel lost them: a series per channel, from its first drop.
    expect(out.some((l) => l.startsWith('leakwatch.agent.exports_dropped.by.channel'))).toBe(false);
    v.self.exportsDropped = 5;
    v.self.exportsDroppedByChannel.otlp = 4;
    v.self.exportsDroppedByChannel.prometheus = 1;
    p.collect();
    const next = lines(p);
    expect(next).toContain('leakwatch.agent.exports_dropped:2|c|#service:svc');
    expect(next).toContain('leakwatch.agent.exports_dropped.by.channel:4|c|#channel:otlp,service:svc');
    expect(next).toContain('leakwatch.agent.exports_dropped.by.channel:1|c|#channel:prometheus,service:svc');
    v.self.exportsDroppedByChannel.otlp = 6;
    p.collect();
    expect(lines(p)).toContain('leakwatch.agent.exports_dropped.by.channel:2|c|#channel:otlp,service:svc');
  });

  it("sends GC pauses as Datadog's aggregated histogram fields, in nanoseconds, only when there were pauses", () => {
    const v = testView();
    const p = new MetricPoints(v);
    fillTick(v, {
      pausesMs: [
        ['scavenge', 1],
        ['scavenge', 3],
      ],
    });
    p.observe();
    p.collect();
    const out = lines(p, '');
    const t = '|#gc_type:scavenge';
    expect(out).toEqual(
      expect.arrayContaining([
        `runtime.node.gc.pause.by.type.min:1000000|g${t}`,
        `runtime.node.gc.pause.by.type.max:3000000|g${t}`,
        `runtime.node.gc.pause.by.type.avg:2000000|g${t}`,
        `runtime.node.gc.pause.by.type.95percentile:3000000|g${t}`,
        `runtime.node.gc.pause.by.type.sum:4000000|c${t}`,
        `runtime.node.gc.pause.by.type.total:4000000|c${t}`,
        `runtime.node.gc.pause.by.type.count:2|c${t}`,
        'runtime.node.gc.pause.count:2|c',
      ]),
    );
    expect(out.some((l) => l.includes('gc_type:mark_sweep_compact'))).toBe(false);
    p.collect();
    expect(lines(p, '').some((l) => l.startsWith('runtime.node.gc.'))).toBe(false);
  });

  it('builds global tags from service, env, version, pid and DD_TAGS, stripped as Datadog allows', () => {
    expect(
      buildGlobalTags({ service: 'my svc', env: 'prod', version: '', tags: ['team:a', 'x,y'], ddEntityId: '' }, 42),
    ).toBe('service:my_svc,env:prod,pid:42,team:a,x_y');
    // DD_ENTITY_ID as Datadog's clients send it, for the agent's container tags.
    expect(
      buildGlobalTags(
        { service: 's', env: '', version: '', tags: [], ddEntityId: '04652bb7-19b7-11e9-9cc6-42010a9c016d' },
        42,
      ),
    ).toBe('service:s,pid:42,dd.internal.entity_id:04652bb7-19b7-11e9-9cc6-42010a9c016d');
    // Letters of any script stay; an empty key or value says nothing.
    expect(
      buildGlobalTags(
        {
          service: 'My Service/é',
          env: '',
          version: '',
          tags: ['team:', ' foo@bar ', ':x', '', 'zone:eu-west-1'],
          ddEntityId: '',
        },
        7,
      ),
    ).toBe('service:My_Service/é,pid:7,foo_bar,zone:eu-west-1');
  });

  it('formats numbers without exponents or long fractions', () => {
    expect(formatValue(12)).toBe('12');
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(1.5e9)).toBe('1500000000');
  });

  it('packs lines into datagrams that never exceed the limit, and never splits a line', () => {
    const sent: Buffer[] = [];
    const b = new DatagramBatcher(UDP_MAX_DATAGRAM, (d) => sent.push(d));
    const input: string[] = [];
    // Lengths from 1 to 1432 bytes, multi-byte characters included.
    for (let i = 0; i < 600; i++) {
      const len = 1 + ((i * 7919) % 300) + (i % 50 === 0 ? 1_100 : 0);
      input.push(`m${i}:${'é'.repeat(Math.floor(len / 4))}${'x'.repeat(len % 4)}|g`);
    }
    input.push('x'.repeat(UDP_MAX_DATAGRAM));
    for (const l of input) b.add(l);
    b.flush();
    for (const d of sent) expect(d.length).toBeLessThanOrEqual(UDP_MAX_DATAGRAM);
    expect(sent.flatMap((d) => d.toString('utf8').split('\n'))).toEqual(
      input.filter((l) => Buffer.byteLength(l) <= UDP_MAX_DATAGRAM),
    );
    expect(b.oversized).toBe(0);
    b.add('y'.repeat(UDP_MAX_DATAGRAM + 1));
    expect(b.oversized).toBe(1);
  });

  it('writes an event whose lengths are UTF-8 bytes and that fits one datagram', () => {
    const ev = formatEvent('leak in café', 'line one\nline two', 'service:svc', UDP_MAX_DATAGRAM, 'k1');
    expect(ev).toBe(
      `_e{${Buffer.byteLength('leak in café')},${Buffer.byteLength('line one\\nline two')}}:leak in café|line one\\nline two|t:error|s:leakwatch|k:k1|#service:svc`,
    );
    const long = formatEvent('t', 'ü'.repeat(5_000), '', UDP_MAX_DATAGRAM, 'k');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(UDP_MAX_DATAGRAM);
    const m = /^_e\{(\d+),(\d+)\}:t\|/.exec(long) as RegExpExecArray;
    const body = long.slice(m[0].length, long.indexOf('|t:error'));
    expect(Buffer.byteLength(body)).toBe(Number(m[2]));
  });

  it('an event for a service named with | and a newline stays one line with a clean key; a snapshot is info', () => {
    const svc = 'pay|ments #1\nx';
    const ev = formatEvent(`leak in ${svc}`, `a\rb\nc`, 'service:pay_ments__1_x', UDP_MAX_DATAGRAM, `leakwatch-${svc}`);
    expect(ev).not.toMatch(/[\r\n]/);
    expect(ev.endsWith('|t:error|s:leakwatch|k:leakwatch-pay_ments__1_x|#service:pay_ments__1_x')).toBe(true);
    const title = `leak in pay|ments #1 x`;
    expect(ev.startsWith(`_e{${Buffer.byteLength(title)},${Buffer.byteLength('a\\nb\\nc')}}:${title}|a\\nb\\nc|`)).toBe(
      true,
    );
    expect(formatEvent('t', 'x', '', UDP_MAX_DATAGRAM, 'k', 'info')).toContain('|t:info|');
  });
});
