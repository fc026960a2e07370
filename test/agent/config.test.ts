import { describe, expect, it } from 'vitest';
import { DEFAULTS, nodeOptionWords, resolveConfig } from '../../agent/config';
import { parseDuration } from '../../agent/duration';
import { History } from '../../agent/history';
import { SIGNALS, createJudgeScratch, judgeSignal } from '../../agent/judge';
import { COLUMN } from '../../agent/sampler';
import type { SignalSpec } from '../../agent/trend';

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
    const { config, warnings } = resolveConfig(
      {},
      {
        LEAKWATCH_INTERVAL: '250ms',
        LEAKWATCH_WINDOW: '10m',
        LEAKWATCH_REPORT_DIR: '/var/tmp/lw',
        LEAKWATCH_DEBUG: '1',
        LEAKWATCH_DOGSTATSD: 'udp://127.0.0.1:8125',
        LEAKWATCH_PROMETHEUS: '127.0.0.1:9464',
        LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics',
      },
    );
    expect(warnings).toEqual([]);
    expect(config.intervalMs).toBe(250);
    expect(config.windowMs).toBe(600_000);
    expect(config.reportDir).toBe('/var/tmp/lw');
    expect(config.debug).toBe(true);
    expect(config.dogstatsd).toEqual({ protocol: 'udp', host: '127.0.0.1', port: 8125 });
    expect(config.prometheus).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.otlp?.url).toBe('http://127.0.0.1:4318/v1/metrics');
    expect(config.otlp?.headers).toEqual({});
  });

  it("honours Datadog's variables for LEAKWATCH_DOGSTATSD=true", () => {
    const { config } = resolveConfig(
      {},
      {
        LEAKWATCH_DOGSTATSD: 'true',
        DD_AGENT_HOST: '::1',
        DD_DOGSTATSD_PORT: '9125',
        DD_SERVICE: 'api',
        DD_ENV: 'staging',
        DD_VERSION: '1.2.3',
        DD_TAGS: 'team:core,region:eu',
      },
    );
    expect(config.dogstatsd).toEqual({ protocol: 'udp', host: '::1', port: 9125 });
    expect(config.service).toBe('api');
    expect(config.env).toBe('staging');
    expect(config.version).toBe('1.2.3');
    expect(config.tags).toEqual(['team:core', 'region:eu']);
    expect(resolveConfig({}, { LEAKWATCH_DOGSTATSD: 'unix:///var/run/datadog/dsd.socket' }).config.dogstatsd).toEqual({
      protocol: 'unix',
      path: '/var/run/datadog/dsd.socket',
    });
  });

  // Datadog's variables are read only for LEAKWATCH_DOGSTATSD=true (or a
  // bare host, for the port). A bad one is blamed on itself, never on
  // LEAKWATCH_DOGSTATSD, and the next source is used: DD_DOGSTATSD_URL,
  // then DD_AGENT_HOST + DD_DOGSTATSD_PORT, then 127.0.0.1:8125.
  const ddCases: [Record<string, string>, string, RegExp, unknown][] = [
    [
      { DD_DOGSTATSD_URL: 'tcp://x:1' },
      'DD_DOGSTATSD_URL',
      /expected udp:\/\/host:port or unix:\/\/\/path/,
      { protocol: 'udp', host: '127.0.0.1', port: 8125 },
    ],
    [
      { DD_DOGSTATSD_URL: 'garbage' },
      'DD_DOGSTATSD_URL',
      /expected udp:\/\/host:port or unix:\/\/\/path.*; using udp:\/\/127\.0\.0\.1:8125$/,
      { protocol: 'udp', host: '127.0.0.1', port: 8125 },
    ],
    [
      { DD_DOGSTATSD_URL: 'udp://dd-agent', DD_AGENT_HOST: 'dd-agent', DD_DOGSTATSD_PORT: '9125' },
      'DD_DOGSTATSD_URL',
      /; using udp:\/\/dd-agent:9125$/,
      { protocol: 'udp', host: 'dd-agent', port: 9125 },
    ],
    [
      { DD_AGENT_HOST: 'not a host' },
      'DD_AGENT_HOST',
      /host name or IP address .*; using 127\.0\.0\.1$/,
      { protocol: 'udp', host: '127.0.0.1', port: 8125 },
    ],
    [
      { DD_AGENT_HOST: '-1', DD_DOGSTATSD_PORT: '9125' },
      'DD_AGENT_HOST',
      /host name or IP address/,
      { protocol: 'udp', host: '127.0.0.1', port: 9125 },
    ],
    [
      { DD_DOGSTATSD_PORT: 'abc' },
      'DD_DOGSTATSD_PORT',
      /expected a whole number 1-65535.*; using 8125$/,
      { protocol: 'udp', host: '127.0.0.1', port: 8125 },
    ],
    [
      { DD_DOGSTATSD_PORT: '99999', DD_AGENT_HOST: '10.0.0.5' },
      'DD_DOGSTATSD_PORT',
      /expected a whole number 1-65535/,
      { protocol: 'udp', host: '10.0.0.5', port: 8125 },
    ],
  ];
  for (const [dd, name, form, endpoint] of ddCases) {
    it(`LEAKWATCH_DOGSTATSD=true with ${JSON.stringify(dd)} warns once about ${name} and falls back`, () => {
      const { config, warnings } = resolveConfig({}, { LEAKWATCH_DOGSTATSD: 'true', ...dd });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^leakwatch: ${name}=${JSON.stringify(dd[name])} `));
      expect(warnings[0]).not.toContain('LEAKWATCH_DOGSTATSD');
      expect(warnings[0]).toMatch(form);
      expect(config.dogstatsd).toEqual(endpoint);
    });
  }

  it('a bad DD_DOGSTATSD_URL and a bad fallback give one line each, the URL first', () => {
    const { config, warnings } = resolveConfig(
      {},
      { LEAKWATCH_DOGSTATSD: 'true', DD_DOGSTATSD_URL: 'dd:8125', DD_DOGSTATSD_PORT: '0' },
    );
    expect(warnings.map((w) => w.split('=')[0])).toEqual([
      'leakwatch: DD_DOGSTATSD_URL',
      'leakwatch: DD_DOGSTATSD_PORT',
    ]);
    expect(config.dogstatsd).toEqual({ protocol: 'udp', host: '127.0.0.1', port: 8125 });
  });

  it('reads DD_DOGSTATSD_PORT for a bare LEAKWATCH_DOGSTATSD host, and ignores DD_* otherwise', () => {
    const bare = resolveConfig({}, { LEAKWATCH_DOGSTATSD: 'dd-agent', DD_DOGSTATSD_PORT: 'x' });
    expect(bare.config.dogstatsd).toEqual({ protocol: 'udp', host: 'dd-agent', port: 8125 });
    expect(bare.warnings).toEqual([expect.stringMatching(/^leakwatch: DD_DOGSTATSD_PORT="x" is not a port/)]);
    const off = resolveConfig({}, { DD_DOGSTATSD_URL: 'garbage', DD_AGENT_HOST: 'not a host', DD_DOGSTATSD_PORT: 'x' });
    expect(off.warnings).toEqual([]);
    expect(off.config.dogstatsd).toBeNull();
    const url = resolveConfig(
      {},
      { LEAKWATCH_DOGSTATSD: 'true', DD_DOGSTATSD_URL: 'udp://[::1]:9125', DD_AGENT_HOST: 'not a host' },
    );
    expect(url.warnings).toEqual([]);
    expect(url.config.dogstatsd).toEqual({ protocol: 'udp', host: '::1', port: 9125 });
  });

  it('a host must be a host name or an IP address', () => {
    for (const bad of ['-1', 'a..b', 'not a host', 'host-', '10.0.0', '300.1.1.1', 'x'.repeat(64), '[10.0.0.1]']) {
      const { config, warnings } = resolveConfig({}, { LEAKWATCH_DOGSTATSD: bad });
      expect(config.dogstatsd, bad).toBeNull();
      expect(warnings, bad).toHaveLength(1);
      expect(resolveConfig({}, { LEAKWATCH_PROMETHEUS: `${bad}:9464` }).config.prometheus, bad).toBeNull();
    }
    for (const good of [
      'localhost',
      'dd-agent',
      'datadog.svc.cluster.local',
      '10.0.0.5',
      '[::1]',
      '[fe80::1]',
      '1password.example',
    ]) {
      const { config, warnings } = resolveConfig({}, { LEAKWATCH_DOGSTATSD: good });
      expect(warnings, good).toEqual([]);
      expect(config.dogstatsd, good).toEqual({ protocol: 'udp', host: good.replace(/^\[|\]$/g, ''), port: 8125 });
    }
  });

  it('LEAKWATCH_PROMETHEUS reads 1, true, yes and on as "on" at 127.0.0.1:9464, as LEAKWATCH_DOGSTATSD does', () => {
    for (const on of ['1', 'true', 'TRUE', 'yes', 'on']) {
      const { config, warnings } = resolveConfig({}, { LEAKWATCH_PROMETHEUS: on });
      expect(warnings, on).toEqual([]);
      expect(config.prometheus, on).toEqual({ host: '127.0.0.1', port: 9464 });
    }
    expect(resolveConfig({}, { LEAKWATCH_PROMETHEUS: '0' }).config.prometheus).toBeNull();
    expect(resolveConfig({}, { LEAKWATCH_PROMETHEUS: '2' }).config.prometheus).toEqual({ host: '127.0.0.1', port: 2 });
  });

  // One line per bad value, naming the variable, the value and the form;
  // then a fallback (or, for LEAKWATCH_ENABLED, off).
  const cases: [string, string, (c: ReturnType<typeof resolveConfig>['config']) => unknown, unknown, RegExp][] = [
    ['LEAKWATCH_ENABLED', 'flase', (c) => c.enabled, false, /expected true or false/],
    ['LEAKWATCH_INTERVAL', 'banana', (c) => c.intervalMs, DEFAULTS.intervalMs, /expected e\.g\. 500ms, 1s, 10m/],
    ['LEAKWATCH_WINDOW', '5 minutes', (c) => c.windowMs, DEFAULTS.windowMs, /expected e\.g\. 500ms, 1s, 10m/],
    ['LEAKWATCH_REPORT_DIR', 'a\0b', (c) => c.reportDir, DEFAULTS.reportDir, /directory path/],
    [
      'LEAKWATCH_REPORT_DIR',
      __filename,
      (c) => c.reportDir,
      DEFAULTS.reportDir,
      /a directory \(it is an existing file\)/,
    ],
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

  // A window longer than the history holds at that interval was judged over
  // the history only (10m at 50ms over 3 minutes) while reports said 10m.
  // The interval is raised instead, with one line, so the window is judged
  // whole; and whatever the values, a window fits the history and holds at
  // least ten samples.
  it('raises the interval, with one line, when the window needs more samples than the history keeps', () => {
    const { config, warnings } = resolveConfig({}, { LEAKWATCH_WINDOW: '10m', LEAKWATCH_INTERVAL: '50ms' });
    expect(config.windowMs).toBe(600_000);
    expect(config.intervalMs).toBe(167);
    expect(warnings).toEqual([
      'leakwatch: LEAKWATCH_WINDOW=10m at LEAKWATCH_INTERVAL=50ms needs 12000 samples, more than the 3600 the history keeps; sampling every 167ms so that the whole 10m is judged',
    ]);
    const hours = resolveConfig({}, { LEAKWATCH_WINDOW: '2h' });
    expect([hours.config.windowMs, hours.config.intervalMs]).toEqual([7_200_000, 2_000]);
    expect(hours.warnings).toHaveLength(1);
    expect(resolveConfig({}, { LEAKWATCH_WINDOW: '1h' }).warnings).toEqual([]);
    const dflt = resolveConfig({}, { LEAKWATCH_INTERVAL: '50ms' });
    expect(dflt.warnings).toEqual([
      expect.stringMatching(
        /^leakwatch: the default 5m LEAKWATCH_WINDOW at LEAKWATCH_INTERVAL=50ms needs 6000 samples/,
      ),
    ]);
    expect(dflt.config.windowMs).toBe(DEFAULTS.windowMs);
  });

  it('gives the default window ten samples too, with one line', () => {
    const { config, warnings } = resolveConfig({}, { LEAKWATCH_INTERVAL: '60s' });
    expect(config.intervalMs).toBe(60_000);
    expect(config.windowMs).toBe(600_000);
    expect(warnings).toEqual([
      'leakwatch: LEAKWATCH_INTERVAL=1m leaves fewer than 10 samples in the default 5m LEAKWATCH_WINDOW; using a 10m window',
    ]);
    expect(resolveConfig({}, { LEAKWATCH_INTERVAL: '30s' }).warnings).toEqual([]);
  });

  it('the window judged is the window configured, for any interval and window', () => {
    for (const interval of ['50ms', '100ms', '250ms', '1s', '7s', '60s']) {
      for (const window of ['', '500ms', '30s', '5m', '10m', '1h', '90m', '6h', '24h']) {
        const { config } = resolveConfig({}, { LEAKWATCH_INTERVAL: interval, LEAKWATCH_WINDOW: window });
        const rows = Math.round(config.windowMs / config.intervalMs);
        expect(rows, `${interval} ${window}`).toBeLessThanOrEqual(config.historySize);
        expect(rows, `${interval} ${window}`).toBeGreaterThanOrEqual(10);
        expect(config.intervalMs).toBeLessThanOrEqual(60_000);
      }
    }
  });

  it('judges a long window over all of it, as the report says', () => {
    const { config } = resolveConfig({}, { LEAKWATCH_WINDOW: '10m', LEAKWATCH_INTERVAL: '50ms' });
    const history = new History(config.historySize);
    const rows = Math.round((1.5 * config.windowMs) / config.intervalMs);
    for (let i = 0; i < rows; i++) {
      history.beginRow(i * config.intervalMs);
      history.set(COLUMN.heapFloor, 100e6 + i * 10_000);
    }
    const spec = SIGNALS.find((s) => s.name === COLUMN.heapFloor) as SignalSpec;
    const j = judgeSignal(history, spec, config.windowMs, config.intervalMs, createJudgeScratch(config.historySize));
    expect(j?.full?.spanMs).toBeGreaterThan(config.windowMs - 2 * config.intervalMs);
    expect(j?.full?.spanMs).toBeLessThanOrEqual(config.windowMs);
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
  it('an option out of range throws a RangeError naming it; the same value from the environment is clamped with one line', () => {
    expect(() => resolveConfig({ interval: '10ms' }, {})).toThrow(
      new RangeError('leakwatch: option interval must be between 50ms and 1m (got 10ms)'),
    );
    expect(() => resolveConfig({ window: '1s' }, {})).toThrow(
      /^leakwatch: option window must be between 10s and 24h \(got 1s\)$/,
    );
    expect(() => resolveConfig({ flushInterval: '10ms' }, {})).toThrow(/option flushInterval/);
    const { config, warnings } = resolveConfig({}, { LEAKWATCH_INTERVAL: '10ms', LEAKWATCH_WINDOW: '1m' });
    expect(config.intervalMs).toBe(50);
    expect(warnings).toEqual(['leakwatch: LEAKWATCH_INTERVAL=10ms is outside 50ms..1m; using 50ms']);
  });
});

describe('nodeOptionWords', () => {
  it("splits NODE_OPTIONS as Node does, then adds the command line's options", () => {
    expect(nodeOptionWords({}, [])).toEqual([]);
    expect(nodeOptionWords({ NODE_OPTIONS: '  --trace-warnings   --max-old-space-size=96 ' }, ['--inspect'])).toEqual([
      '--trace-warnings',
      '--max-old-space-size=96',
      '--inspect',
    ]);
    expect(
      nodeOptionWords(
        { NODE_OPTIONS: '--require "/srv/my app/pre.js" "--max-old-space-size=72" --title="a \\"b\\""' },
        [],
      ),
    ).toEqual(['--require', '/srv/my app/pre.js', '--max-old-space-size=72', '--title=a "b"']);
  });
});
