import { describe, expect, it } from 'vitest';
import { labelSample, mergeExpositions } from '../../reports/prometheus-merge';

describe('labelSample', () => {
  it('adds pid as the first label, with or without a label set', () => {
    expect(labelSample('nodejs_heap_size_used_bytes 123', 7)).toBe('nodejs_heap_size_used_bytes{pid="7"} 123');
    expect(labelSample('nodejs_active_handles{type="Timeout"} 3', 7)).toBe(
      'nodejs_active_handles{pid="7",type="Timeout"} 3',
    );
    expect(labelSample('x{} 1', 7)).toBe('x{pid="7"} 1');
  });
});

describe('mergeExpositions', () => {
  const a = [
    '# HELP up_bytes Bytes.',
    '# TYPE up_bytes gauge',
    'up_bytes 1',
    '# HELP g_seconds Pauses.',
    '# TYPE g_seconds histogram',
    'g_seconds_bucket{kind="minor",le="0.001"} 2',
    'g_seconds_bucket{kind="minor",le="+Inf"} 3',
    'g_seconds_sum{kind="minor"} 0.004',
    'g_seconds_count{kind="minor"} 3',
    '',
  ].join('\n');
  const b = [
    '# HELP up_bytes Bytes.',
    '# TYPE up_bytes gauge',
    'up_bytes 2',
    '# HELP only_b_total Only in b.',
    '# TYPE only_b_total counter',
    'only_b_total 5',
    '# HELP g_seconds Pauses.',
    '# TYPE g_seconds histogram',
    'g_seconds_bucket{kind="minor",le="0.001"} 0',
    'g_seconds_bucket{kind="minor",le="+Inf"} 1',
    'g_seconds_sum{kind="minor"} 0.02',
    'g_seconds_count{kind="minor"} 1',
    '',
  ].join('\n');

  it("groups each family's samples under one header, every sample labelled with its process", () => {
    expect(
      mergeExpositions([
        { pid: 1, text: a },
        { pid: 2, text: b },
      ]),
    ).toBe(
      [
        '# HELP up_bytes Bytes.',
        '# TYPE up_bytes gauge',
        'up_bytes{pid="1"} 1',
        'up_bytes{pid="2"} 2',
        '# HELP g_seconds Pauses.',
        '# TYPE g_seconds histogram',
        'g_seconds_bucket{pid="1",kind="minor",le="0.001"} 2',
        'g_seconds_bucket{pid="1",kind="minor",le="+Inf"} 3',
        'g_seconds_sum{pid="1",kind="minor"} 0.004',
        'g_seconds_count{pid="1",kind="minor"} 3',
        'g_seconds_bucket{pid="2",kind="minor",le="0.001"} 0',
        'g_seconds_bucket{pid="2",kind="minor",le="+Inf"} 1',
        'g_seconds_sum{pid="2",kind="minor"} 0.02',
        'g_seconds_count{pid="2",kind="minor"} 1',
        '# HELP only_b_total Only in b.',
        '# TYPE only_b_total counter',
        'only_b_total{pid="2"} 5',
        '',
      ].join('\n'),
    );
  });

  it("keeps the first process's header when another's differs, and drops other comments", () => {
    const other = ['# HELP up_bytes Other words.', '# TYPE up_bytes gauge', '# a comment', 'up_bytes 9', ''].join('\n');
    const merged = mergeExpositions([
      { pid: 1, text: a },
      { pid: 3, text: other },
    ]);
    expect(merged.match(/^# HELP up_bytes .*$/gm)).toEqual(['# HELP up_bytes Bytes.']);
    expect(merged).not.toContain('# a comment');
    expect(merged).toContain('up_bytes{pid="3"} 9');
  });

  it('labels one process alone too', () => {
    expect(mergeExpositions([{ pid: 4, text: '# TYPE x gauge\nx 1\n' }])).toBe('# TYPE x gauge\nx{pid="4"} 1\n');
  });
});
