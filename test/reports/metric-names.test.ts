// Issue 3: one table names every metric on every channel; the names follow
// each channel's grammar and conventions.
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../reports/metric-names';

const defs = Object.entries(METRICS);

describe('metric names', () => {
  it('every metric goes out on at least one channel and says where its value comes from', () => {
    for (const [key, d] of defs) {
      expect(d.dd ?? d.prom ?? d.otel, key).not.toBeNull();
      expect(d.source.length, key).toBeGreaterThan(5);
      expect(d.help.length, key).toBeGreaterThan(5);
    }
  });

  it('no name is used twice on a channel', () => {
    for (const ch of ['dd', 'prom', 'otel'] as const) {
      const names = defs.map(([, d]) => d[ch]).filter((n): n is string => n !== null);
      expect(new Set(names).size, ch).toBe(names.length);
    }
  });

  it('DogStatsD names are Datadog runtime.node.* or leakwatch.*', () => {
    for (const [key, d] of defs) {
      if (d.dd !== null) expect(d.dd, key).toMatch(/^(runtime\.node|leakwatch)\.[a-z0-9_.]+$/);
    }
  });

  it('Prometheus names are valid; counters end in _total, durations in _seconds, sizes in _bytes', () => {
    for (const [key, d] of defs) {
      if (d.prom === null) continue;
      expect(d.prom, key).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      if (d.kind === 'counter') expect(d.prom, key).toMatch(/_total$/);
      if (d.unit === 's') expect(d.prom, key).toMatch(/_seconds$/);
      if (d.unit === 'By') expect(d.prom, key).toMatch(/_bytes$/);
    }
  });

  it('OpenTelemetry names are dotted lower case; time is in seconds', () => {
    for (const [key, d] of defs) {
      if (d.otel === null) continue;
      expect(d.otel, key).toMatch(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);
      if (d.otel.startsWith('nodejs.eventloop.delay')) expect(d.unit).toBe('s');
    }
    expect(METRICS.gcPauseByKind.otel).toBe('v8js.gc.duration');
    expect(METRICS.gcPauseByKind.unit).toBe('s');
  });

  it('Datadog time metrics are sent in nanoseconds', () => {
    for (const [key, d] of defs) {
      if (d.dd !== null && d.unit === 's' && key !== 'uptime') expect(d.ddScale, key).toBe(1e9);
    }
  });
});

describe('README.md', () => {
  it('lists every metric name on every channel', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('node:fs') as typeof import('node:fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('node:path') as typeof import('node:path');
    const doc = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    for (const [key, d] of defs) {
      for (const name of [d.dd, d.prom, d.otel])
        if (name !== null) expect(doc, `${key}: ${name}`).toContain(`\`${name}\``);
    }
  });
});
