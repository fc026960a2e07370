import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../../agent/config';
import { parseDuration } from '../../agent/duration';

describe('parseDuration', () => {
  it('reads the grammar', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1s')).toBe(1_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
  });
  it('rejects everything else, NaN included', () => {
    for (const bad of ['', 'banana', '1', '1 sec', '-1s', 'NaNms', '1e3ms', 'Infinitys', `${'9'.repeat(40)}s`]) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });
});

describe('resolveConfig from the environment', () => {
  it('gives the defaults when nothing is set', () => {
    const { config, warnings } = resolveConfig({}, {});
    expect(warnings).toEqual([]);
    expect(config.enabled).toBe(true);
    expect(config.intervalMs).toBe(DEFAULTS.intervalMs);
    expect(config.windowMs).toBe(DEFAULTS.windowMs);
    expect(config.dogstatsd).toBeNull();
    expect(config.prometheus).toBeNull();
    expect(config.otlp).toBeNull();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.values(config).every((v) => v !== undefined)).toBe(true);
  });

  it('reads valid values', () => {
    const { config, warnings } = resolveConfig({}, {
      LEAKWATCH_INTERVAL: '250ms',
      LEAKWATCH_WINDOW: '10m',
      LEAKWATCH_REPORT_DIR: '/var/tmp/lw',
      LEAKWATCH_DEBUG: '1',
      LEAKWATCH_DOGSTATSD: 'udp://127.0.0.1:8125',
      LEAKWATCH_PROMETHEUS: '127.0.0.1:9464',
      LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics',
    });
    expect(warnings).toEqual([]);
    expect(config.intervalMs).toBe(250);
    expect(config.windowMs).toBe(600_000);
    expect(config.reportDir).toBe('/var/tmp/lw');
    expect(config.debug).toBe(true);
    expect(config.dogstatsd).toEqual({ protocol: 'udp', host: '127.0.0.1', port: 8125 });
    expect(config.prometheus).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.otlp).toBe('http://127.0.0.1:4318/v1/metrics');
  });

  it("honours Datadog's variables for LEAKWATCH_DOGSTATSD=true", () => {
    const { config } = resolveConfig({}, { LEAKWATCH_DOGSTATSD: 'true', DD_AGENT_HOST: '::1', DD_DOGSTATSD_PORT: '9125', DD_SERVICE: 'api', DD_ENV: 'staging', DD_VERSION: '1.2.3', DD_TAGS: 'team:core,region:eu' });
    expect(config.dogstatsd).toEqual({ protocol: 'udp', host: '::1', port: 9125 });
    expect(config.service).toBe('api');
    expect(config.env).toBe('staging');
    expect(config.version).toBe('1.2.3');
    expect(config.tags).toEqual(['team:core', 'region:eu']);
    expect(resolveConfig({}, { LEAKWATCH_DOGSTATSD: 'unix:///var/run/datadog/dsd.socket' }).config.dogstatsd)
      .toEqual({ protocol: 'unix', path: '/var/run/datadog/dsd.socket' });
  });

  // One line per bad value, naming the variable, the value and the form;
  // then a fallback (or, for LEAKWATCH_ENABLED, off).
  const cases: [string, string, (c: ReturnType<typeof resolveConfig>['config']) => unknown, unknown, RegExp][] = [
    ['LEAKWATCH_ENABLED', 'flase', (c) => c.enabled, false, /expected true or false/],
    ['LEAKWATCH_INTERVAL', 'banana', (c) => c.intervalMs, DEFAULTS.intervalMs, /expected e\.g\. 500ms, 1s, 10m/],
    ['LEAKWATCH_WINDOW', '5 minutes', (c) => c.windowMs, DEFAULTS.windowMs, /expected e\.g\. 500ms, 1s, 10m/],
    ['LEAKWATCH_REPORT_DIR', 'a\0b', (c) => c.reportDir, DEFAULTS.reportDir, /directory path/],
    ['LEAKWATCH_REPORT_DIR', __filename, (c) => c.reportDir, DEFAULTS.reportDir, /a directory \(it is an existing file\)/],
    ['LEAKWATCH_DEBUG', 'loud', (c) => c.debug, false, /expected true or false/],
    ['LEAKWATCH_DOGSTATSD', 'tcp://x:1', (c) => c.dogstatsd, null, /udp:\/\/127\.0\.0\.1:8125/],
    ['LEAKWATCH_PROMETHEUS', 'localhost:99999', (c) => c.prometheus, null, /127\.0\.0\.1:9464/],
    ['LEAKWATCH_OTLP', 'ftp://collector', (c) => c.otlp, null, /http:\/\/127\.0\.0\.1:4318/],
    ['LEAKWATCH_MAX_REPORTS_PER_HOUR', 'many', (c) => c.maxReportsPerHour, DEFAULTS.maxReportsPerHour, /whole number/],
  ];
  for (const [name, value, pick, fallback, form] of cases) {
    it(`${name}=${JSON.stringify(value)} warns once and falls back`, () => {
      const { config, warnings } = resolveConfig({}, { [name]: value });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(name);
      expect(warnings[0]).toContain(JSON.stringify(value));
      expect(warnings[0]).toMatch(form);
      expect(pick(config)).toEqual(fallback);
    });
  }

  it('clamps an interval below the floor and a window shorter than ten samples', () => {
    const { config, warnings } = resolveConfig({}, { LEAKWATCH_INTERVAL: '1ms', LEAKWATCH_WINDOW: '100ms' });
    expect(config.intervalMs).toBe(50);
    expect(config.windowMs).toBe(500);
    expect(warnings).toHaveLength(2);
  });

  it('keeps history bounded whatever the window', () => {
    expect(resolveConfig({}, { LEAKWATCH_INTERVAL: '50ms', LEAKWATCH_WINDOW: '24h' }).config.historySize).toBe(3_600);
  });
});

describe('resolveConfig from options', () => {
  it('options override the environment', () => {
    const { config } = resolveConfig({ interval: '2s', window: 60_000 }, { LEAKWATCH_INTERVAL: '5s' });
    expect(config.intervalMs).toBe(2_000);
    expect(config.windowMs).toBe(60_000);
  });
  it('explicit nonsense throws, naming the option', () => {
    expect(() => resolveConfig({ interval: 'banana' as never }, {})).toThrow(/option interval/);
    expect(() => resolveConfig({ window: -5 }, {})).toThrow(TypeError);
    expect(() => resolveConfig({ maxReportFiles: 1.5 }, {})).toThrow(RangeError);
    expect(() => resolveConfig({ prometheus: 'nowhere' }, {})).toThrow(/option prometheus/);
    expect(() => resolveConfig({ debug: 'yes' as never }, {})).toThrow(/option debug/);
  });
});
