// OpenTelemetry's environment variables for the OTLP channel, as the OTel
// SDKs read them: LEAKWATCH_OTLP=true sends where the process's OTel metrics
// exporter sends, and the resource names the process as the SDK would.
import { describe, expect, it } from 'vitest';
import { publicConfig, resolveConfig } from '../../agent/config';
import { metricsUrl, otelResource, otelTarget, otelTls, parseEntries } from '../../agent/otel-env';

function target(env: Record<string, string>) {
  const lines: string[] = [];
  return { target: otelTarget(env, (l) => lines.push(l)), lines };
}

describe('the OTLP endpoint for LEAKWATCH_OTLP=true', () => {
  it('is the spec default when nothing is set', () => {
    expect(target({})).toEqual({
      target: {
        url: 'http://localhost:4318/v1/metrics',
        headers: {},
        compression: 'none',
        timeoutMs: 10_000,
        tls: null,
      },
      lines: [],
    });
  });

  it('appends v1/metrics to OTEL_EXPORTER_OTLP_ENDPOINT, with or without a path or slash', () => {
    expect(metricsUrl('http://collector:4318')).toBe('http://collector:4318/v1/metrics');
    expect(metricsUrl('http://collector:4318/')).toBe('http://collector:4318/v1/metrics');
    expect(metricsUrl('https://gw.example/otlp/')).toBe('https://gw.example/otlp/v1/metrics');
    expect(target({ OTEL_EXPORTER_OTLP_ENDPOINT: ' http://10.0.0.5:4318 ' }).target?.url).toBe(
      'http://10.0.0.5:4318/v1/metrics',
    );
  });

  it('takes OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as it is, over the generic one', () => {
    const { target: t, lines } = target({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://b:443/custom/path',
    });
    expect(t?.url).toBe('https://b:443/custom/path');
    expect(lines).toEqual([]);
  });

  it('treats an empty value as unset', () => {
    expect(target({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: '  ', OTEL_EXPORTER_OTLP_ENDPOINT: '' }).target?.url).toBe(
      'http://localhost:4318/v1/metrics',
    );
  });

  it('names a bad endpoint and falls back to the next one', () => {
    const a = target({
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
    });
    expect(a.target?.url).toBe('http://c/v1/metrics');
    expect(a.lines).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="collector:4318" is not an http(s) URL (expected e.g. http://collector:4318); sending to http://c/v1/metrics',
    ]);
    const b = target({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' });
    expect(b.target?.url).toBe('http://localhost:4318/v1/metrics');
    expect(b.lines).toHaveLength(1);
    expect(b.lines[0]).toMatch(/^leakwatch: OTEL_EXPORTER_OTLP_ENDPOINT="grpc:\/\/c:4317" is not an http\(s\) URL/);
  });

  it('is off, with one line, when OTEL_SDK_DISABLED=true', () => {
    expect(target({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      target: null,
      lines: [
        'leakwatch: OTEL_SDK_DISABLED=true and LEAKWATCH_OTLP=true, which follows the OpenTelemetry settings; OTLP export disabled (give LEAKWATCH_OTLP a URL to export anyway)',
      ],
    });
    expect(target({ OTEL_SDK_DISABLED: 'false' }).target?.url).toBe('http://localhost:4318/v1/metrics');
    // A URL of its own is not the OpenTelemetry settings: it exports.
    expect(
      resolveConfig({}, { LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics', OTEL_SDK_DISABLED: 'true' }).config.otlp
        ?.url,
    ).toBe('http://127.0.0.1:4318/v1/metrics');
  });

  it('is off, with one line, when the protocol is gRPC; protobuf is sent for http/json', () => {
    const grpc = target({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' });
    expect(grpc.target).toBeNull();
    expect(grpc.lines).toHaveLength(1);
    expect(grpc.lines[0]).toMatch(
      /^leakwatch: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not a protocol leakwatch sends \(expected http\/protobuf or http\/json.*; OTLP export disabled/,
    );
    // The metrics-specific protocol wins over the generic one.
    expect(
      target({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' }).target,
    ).not.toBeNull();
    const json = target({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' });
    expect(json.target?.url).toBe('http://localhost:4318/v1/metrics');
    expect(json.lines).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="http/json": leakwatch sends OTLP/HTTP as protobuf, which every OTLP/HTTP receiver takes; sending protobuf to http://localhost:4318/v1/metrics',
    ]);
  });
});

describe('the OTLP request headers', () => {
  it('are read as W3C baggage: trimmed, percent-decoded, the metrics variable overriding key by key', () => {
    const { target: t, lines } = target({
      OTEL_EXPORTER_OTLP_HEADERS: ' Authorization=Bearer%20abc%3D%3D , x-team = core,,x-region=eu',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-team=metrics',
    });
    expect(lines).toEqual([]);
    expect(t?.headers).toEqual({ authorization: 'Bearer abc==', 'x-team': 'metrics', 'x-region': 'eu' });
  });

  it('leave out a bad entry, naming it by key or position and never by value', () => {
    const { target: t, lines } = target({
      OTEL_EXPORTER_OTLP_HEADERS:
        'api-key=ok,sekr3tToken,bad key=x,x-broken=%E0%A4%A,x-crlf=a%0D%0Ab,content-type=text/plain,x-euro=%E2%82%AC',
    });
    expect(t?.headers).toEqual({ 'api-key': 'ok' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      'leakwatch: OTEL_EXPORTER_OTLP_HEADERS has entries that are not header=value (expected e.g. api-key=abc123,x-team=core, values percent-encoded); left out: entry 2, entry 3, "x-broken", "x-crlf", "content-type" (leakwatch sets it), "x-euro"',
    );
    expect(lines[0]).not.toContain('sekr3t');
  });
});

describe('entries', () => {
  it('split on commas and the first =, so a value may hold =', () => {
    expect(parseEntries('a=1=2, b = x y ')).toEqual([
      { key: 'a', value: '1=2', named: '"a"' },
      { key: 'b', value: 'x y', named: '"b"' },
    ]);
    expect(parseEntries('=v,k')).toEqual([{ bad: 'entry 1' }, { bad: 'entry 2' }]);
  });
});

describe('the OTLP resource', () => {
  function resource(env: Record<string, string>) {
    const lines: string[] = [];
    return { attrs: otelResource(env, (l) => lines.push(l)), lines };
  }

  it('reads OTEL_RESOURCE_ATTRIBUTES, with OTEL_SERVICE_NAME as service.name over it', () => {
    expect(
      resource({
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,k8s.pod.name=api-7,note=a%2Cb',
        OTEL_SERVICE_NAME: 'checkout',
      }),
    ).toEqual({ attrs: { 'service.name': 'checkout', 'k8s.pod.name': 'api-7', note: 'a,b' }, lines: [] });
  });

  it('discards a list with a bad entry whole, with one line', () => {
    const { attrs, lines } = resource({ OTEL_RESOURCE_ATTRIBUTES: 'team=core,oops', OTEL_SERVICE_NAME: 'svc' });
    expect(attrs).toEqual({ 'service.name': 'svc' });
    expect(lines).toEqual([
      'leakwatch: OTEL_RESOURCE_ATTRIBUTES="team=core,oops" is not a list of key=value (expected e.g. k8s.pod.name=api-7,team=core, values percent-encoded; bad: entry 2); none of it is used',
    ]);
  });
});

describe('resolveConfig: LEAKWATCH_OTLP and the OTel variables', () => {
  const OTEL = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc',
    OTEL_SERVICE_NAME: 'checkout',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,k8s.pod.name=api-7',
  };

  it('LEAKWATCH_OTLP=true sends to the OTel endpoint with its headers', () => {
    const { config, warnings } = resolveConfig({}, { LEAKWATCH_OTLP: 'true', ...OTEL });
    expect(warnings).toEqual([]);
    expect(config.otlp).toEqual({
      url: 'http://collector:4318/v1/metrics',
      headers: { 'api-key': 'abc' },
      headersNotSent: [],
      resource: { 'service.name': 'checkout', 'deployment.environment.name': 'staging', 'k8s.pod.name': 'api-7' },
      temporality: 'cumulative',
      compression: 'none',
      intervalMs: 10_000,
      timeoutMs: 10_000,
      tls: null,
    });
    expect(Object.isFrozen(config.otlp?.headers)).toBe(true);
    expect(resolveConfig({ otlp: 'true' }, OTEL).config.otlp?.url).toBe('http://collector:4318/v1/metrics');
  });

  it('a URL of its own gets the resource but not the OTel headers, and says which were not sent', () => {
    const { config } = resolveConfig({}, { LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics', ...OTEL });
    expect(config.otlp?.url).toBe('http://127.0.0.1:4318/v1/metrics');
    expect(config.otlp?.headers).toEqual({});
    expect(config.otlp?.headersNotSent).toEqual(['OTEL_EXPORTER_OTLP_HEADERS']);
    expect(config.otlp?.resource['service.name']).toBe('checkout');
  });

  it('orders the names: start() options, then OTel, then Datadog, then the script', () => {
    const dd = { LEAKWATCH_OTLP: 'true', DD_SERVICE: 'dd-svc', DD_ENV: 'dd-env', DD_VERSION: '2.0.0' };
    expect(resolveConfig({}, dd).config.otlp?.resource).toEqual({
      'service.name': 'dd-svc',
      'deployment.environment.name': 'dd-env',
      'service.version': '2.0.0',
    });
    const both = { ...dd, OTEL_SERVICE_NAME: 'otel-svc', OTEL_RESOURCE_ATTRIBUTES: 'service.version=3.0.0' };
    expect(resolveConfig({}, both).config.otlp?.resource).toEqual({
      'service.name': 'otel-svc',
      'deployment.environment.name': 'dd-env',
      'service.version': '3.0.0',
    });
    // DogStatsD keeps Datadog's names.
    expect(resolveConfig({}, both).config.service).toBe('dd-svc');
    expect(resolveConfig({ service: 'opt', version: '9' }, both).config.otlp?.resource).toMatchObject({
      'service.name': 'opt',
      'service.version': '9',
    });
    expect(resolveConfig({}, { LEAKWATCH_OTLP: 'true' }).config.otlp?.resource['service.name']).toBe(
      resolveConfig({}, {}).config.service,
    );
  });

  it('gRPC leaves the channel off with one line; a bad LEAKWATCH_OTLP names the true form', () => {
    const grpc = resolveConfig({}, { LEAKWATCH_OTLP: 'on', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(grpc.config.otlp).toBeNull();
    expect(grpc.warnings).toHaveLength(1);
    const bad = resolveConfig({}, { LEAKWATCH_OTLP: 'collector:4318' });
    expect(bad.config.otlp).toBeNull();
    expect(bad.warnings).toEqual([
      'leakwatch: LEAKWATCH_OTLP="collector:4318" is not a URL (expected e.g. http://127.0.0.1:4318/v1/metrics, or true for the OTEL_EXPORTER_OTLP_* settings); OTLP export disabled',
    ]);
    expect(() => resolveConfig({ otlp: 'collector:4318' }, {})).toThrow(/must be an http\(s\) URL or true/);
  });

  it('reads no OTel variable while the channel is off', () => {
    const { config, warnings } = resolveConfig(
      {},
      { OTEL_RESOURCE_ATTRIBUTES: 'broken', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    );
    expect(config.otlp).toBeNull();
    expect(warnings).toEqual([]);
  });
});

describe('compression and timeout', () => {
  it('read gzip and none, the metrics variable first; anything else is one line and none', () => {
    expect(target({ OTEL_EXPORTER_OTLP_COMPRESSION: 'GZIP' }).target?.compression).toBe('gzip');
    expect(
      target({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none' }).target
        ?.compression,
    ).toBe('none');
    const zstd = target({ OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'zstd' });
    expect(zstd.target?.compression).toBe('none');
    expect(zstd.lines).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_METRICS_COMPRESSION="zstd" is not a compression (expected gzip or none); sending uncompressed',
    ]);
  });

  it('read a timeout in whole milliseconds, the metrics variable first; anything else is one line and 10 s', () => {
    expect(target({ OTEL_EXPORTER_OTLP_TIMEOUT: '2500' }).target?.timeoutMs).toBe(2_500);
    expect(
      target({ OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '700' }).target?.timeoutMs,
    ).toBe(700);
    for (const bad of ['10s', '0', '-5', '1.5']) {
      const t = target({ OTEL_EXPORTER_OTLP_TIMEOUT: bad });
      expect(t.target?.timeoutMs, bad).toBe(10_000);
      expect(t.lines, bad).toEqual([
        `leakwatch: OTEL_EXPORTER_OTLP_TIMEOUT=${JSON.stringify(bad)} is not a timeout (expected a whole number of milliseconds above 0, e.g. 10000); using 10000`,
      ]);
    }
  });

  it('belong to the OTel endpoint: a URL of its own is sent plain, with the 10 s deadline', () => {
    const { config, warnings } = resolveConfig(
      {},
      {
        LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TIMEOUT: 'junk',
      },
    );
    expect(config.otlp).toMatchObject({ compression: 'none', timeoutMs: 10_000 });
    expect(warnings).toEqual([]);
  });
});

describe('the certificate variables', () => {
  const tls = (env: Record<string, string>, url = 'https://collector:4318/v1/metrics') => {
    const lines: string[] = [];
    return { tls: otelTls(env, (l) => lines.push(l), url), lines };
  };

  it('name the CA and the client identity for an https endpoint, the metrics variables first', () => {
    expect(
      tls({
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/otel/ca.pem',
        OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: ' /etc/otel/metrics-ca.pem ',
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/etc/otel/client.pem',
        OTEL_EXPORTER_OTLP_CLIENT_KEY: '/etc/otel/client.key',
      }),
    ).toEqual({
      tls: {
        ca: { variable: 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', file: '/etc/otel/metrics-ca.pem' },
        client: {
          cert: { variable: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', file: '/etc/otel/client.pem' },
          key: { variable: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', file: '/etc/otel/client.key' },
        },
      },
      lines: [],
    });
    expect(tls({ OTEL_EXPORTER_OTLP_CERTIFICATE: '' })).toEqual({ tls: null, lines: [] });
  });

  it('are one line and unused for an http endpoint', () => {
    expect(
      tls(
        { OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem', OTEL_EXPORTER_OTLP_CLIENT_KEY: '/k.pem' },
        'http://c:4318/v1/metrics',
      ),
    ).toEqual({
      tls: null,
      lines: [
        'leakwatch: OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_KEY set, but http://c:4318/v1/metrics is not https; they are not used (expected an https:// endpoint for TLS)',
      ],
    });
  });

  it('need a client certificate and its key together; one alone is one line and not sent', () => {
    expect(tls({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/c.pem' })).toEqual({
      tls: null,
      lines: [
        'leakwatch: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE="/c.pem" needs OTEL_EXPORTER_OTLP_CLIENT_KEY too (expected a client certificate and its private key, both PEM files); no client certificate sent',
      ],
    });
    const { tls: t, lines } = tls({
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem',
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: '/k.pem',
    });
    expect(t).toEqual({ ca: { variable: 'OTEL_EXPORTER_OTLP_CERTIFICATE', file: '/ca.pem' }, client: null });
    expect(lines).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY="/k.pem" needs OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too (expected a client certificate and its private key, both PEM files); no client certificate sent',
    ]);
  });

  it('belong to the OTel endpoint: LEAKWATCH_OTLP with a URL of its own uses none', () => {
    const env = { OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem' };
    expect(resolveConfig({}, { LEAKWATCH_OTLP: 'https://127.0.0.1:4318/v1/metrics', ...env }).config.otlp?.tls).toBe(
      null,
    );
    expect(
      resolveConfig({}, { LEAKWATCH_OTLP: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318', ...env }).config.otlp
        ?.tls,
    ).toEqual({ ca: { variable: 'OTEL_EXPORTER_OTLP_CERTIFICATE', file: '/ca.pem' }, client: null });
  });
});

describe('the export interval', () => {
  it('follows OTEL_METRIC_EXPORT_INTERVAL for LEAKWATCH_OTLP=true unless LEAKWATCH_FLUSH_INTERVAL is set', () => {
    const otel = { LEAKWATCH_OTLP: 'true', OTEL_METRIC_EXPORT_INTERVAL: '60000' };
    const { config, warnings } = resolveConfig({}, otel);
    expect(warnings).toEqual([]);
    expect(config.otlp?.intervalMs).toBe(60_000);
    // DogStatsD keeps its own pace.
    expect(config.flushIntervalMs).toBe(10_000);
    expect(resolveConfig({}, { ...otel, LEAKWATCH_FLUSH_INTERVAL: '5s' }).config.otlp?.intervalMs).toBe(5_000);
    expect(resolveConfig({ flushInterval: '2s' }, otel).config.otlp?.intervalMs).toBe(2_000);
    // A URL of its own is not the OTel settings.
    expect(
      resolveConfig({}, { ...otel, LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics' }).config.otlp?.intervalMs,
    ).toBe(10_000);
    expect(resolveConfig({}, { LEAKWATCH_OTLP: 'true' }).config.otlp?.intervalMs).toBe(10_000);
  });

  it('names a bad or out-of-range value in one line', () => {
    const bad = resolveConfig({}, { LEAKWATCH_OTLP: 'true', OTEL_METRIC_EXPORT_INTERVAL: '1m' });
    expect(bad.config.otlp?.intervalMs).toBe(10_000);
    expect(bad.warnings).toEqual([
      'leakwatch: OTEL_METRIC_EXPORT_INTERVAL="1m" is not an interval (expected a whole number of milliseconds, e.g. 60000); using LEAKWATCH_FLUSH_INTERVAL\'s default',
    ]);
    const low = resolveConfig({}, { LEAKWATCH_OTLP: 'true', OTEL_METRIC_EXPORT_INTERVAL: '20' });
    expect(low.config.otlp?.intervalMs).toBe(100);
    expect(low.warnings).toEqual(['leakwatch: OTEL_METRIC_EXPORT_INTERVAL=20 is outside 100..3600000 ms; using 100']);
  });
});

describe('the temporality preference', () => {
  it('reads OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE case-insensitively, with a URL too', () => {
    const pick = (v: string) =>
      resolveConfig(
        {},
        { LEAKWATCH_OTLP: 'http://127.0.0.1:4318/v1/metrics', OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: v },
      );
    expect(pick('Delta').config.otlp?.temporality).toBe('delta');
    expect(pick('lowmemory').config.otlp?.temporality).toBe('lowmemory');
    expect(pick('').config.otlp?.temporality).toBe('cumulative');
    const bad = pick('deltas');
    expect(bad.config.otlp?.temporality).toBe('cumulative');
    expect(bad.warnings).toEqual([
      'leakwatch: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="deltas" is not a temporality (expected cumulative, delta or lowmemory); using cumulative',
    ]);
  });
});

describe('publicConfig: the config as status and attach answers show it', () => {
  it('replaces the OTLP credentials, in the URL and the header values, by ***', () => {
    const { config } = resolveConfig(
      {},
      {
        LEAKWATCH_OTLP: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cret@collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken',
      },
    );
    const shown = publicConfig(config);
    expect(shown.otlp?.url).toBe('https://***:***@collector:4318/v1/metrics');
    expect(shown.otlp?.headers).toEqual({ authorization: '***' });
    expect(JSON.stringify(shown)).not.toMatch(/s3cret|t0ken/);
    // The running config keeps them.
    expect(config.otlp?.headers).toEqual({ authorization: 'Bearer t0ken' });
    const plain = resolveConfig({}, {}).config;
    expect(publicConfig(plain)).toBe(plain);
  });
});
