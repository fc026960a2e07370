/**
 * OTLP protobuf encoding (pure): an ExportMetricsServiceRequest from the
 * metric points, written by a minimal protobuf writer.
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/metrics/v1/metrics.proto
 */
import type { Temporality } from '../agent/config-types';
import { VERSION } from '../agent/version';
import { GC_BUCKETS_S } from './metric-names';
import type { Attr, MetricPoints } from './metric-points';

/** Protobuf wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;

/** A minimal protobuf writer: varints, fixed64, doubles, nested messages. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** Unsigned varint of a non-negative integer up to 2^53. */
  private rawVarint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  uint(field: number, n: number): this {
    this.tag(field, VARINT);
    this.rawVarint(n);
    return this;
  }

  bool(field: number, b: boolean): this {
    return this.uint(field, b ? 1 : 0);
  }

  double(field: number, v: number): this {
    this.tag(field, I64);
    this.ensure(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  fixed64(field: number, v: bigint): this {
    this.tag(field, I64);
    this.ensure(8);
    this.view.setBigUint64(this.len, v, true);
    this.len += 8;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, LEN);
    this.rawVarint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  /** A nested message, written by `fill` into its own writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.bytes(field, w.finish());
  }

  /** Packed repeated fixed64 / double. */
  packedFixed64(field: number, values: readonly number[]): this {
    const w = new ProtoWriter();
    for (const v of values) {
      w.ensure(8);
      w.view.setBigUint64(w.len, BigInt(Math.round(v)), true);
      w.len += 8;
    }
    return this.bytes(field, w.finish());
  }

  packedDouble(field: number, values: readonly number[]): this {
    const w = new ProtoWriter();
    for (const v of values) {
      w.ensure(8);
      w.view.setFloat64(w.len, v, true);
      w.len += 8;
    }
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** An OTLP attribute value: strings, or integers for ids such as the pid. */
export type ResourceAttrs = Readonly<Record<string, string | number>>;

function keyValue(w: ProtoWriter, field: number, key: string, value: string | number): void {
  w.message(field, (kv) => {
    kv.string(1, key);
    kv.message(2, (any) => {
      if (typeof value === 'number')
        any.uint(3, value); // int_value (non-negative)
      else any.string(1, value);
    });
  });
}

function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

/** Aggregation temporality: changes since the previous export, or totals since the start time. */
const DELTA = 1;
const CUMULATIVE = 2;

/** How an export sends its sums and histograms. */
export interface EncodeOptions {
  readonly temporality: Temporality;
  /** Deltas cover the time since this (ms since epoch): the last export the collector took. */
  readonly sinceMs: number;
}

const ALL_CUMULATIVE: EncodeOptions = { temporality: 'cumulative', sinceMs: 0 };

/**
 * Encodes an `ExportMetricsServiceRequest` with every point that has an
 * OpenTelemetry name. Gauges are Gauge (UpDownCounters per the semantic
 * conventions a non-monotonic Sum, always cumulative), counters monotonic
 * Sum, GC pauses an explicit-bucket Histogram. As the OTel SDK reads the
 * temporality preference: `delta` sends counters and histograms as what
 * changed since `sinceMs` (the counters are observed totals, asynchronous
 * counters in OTel's terms), `lowmemory` only the histograms.
 */
export function encodeMetricsRequest(
  points: MetricPoints,
  resource: ResourceAttrs,
  nowMs: number,
  opts: EncodeOptions = ALL_CUMULATIVE,
): Uint8Array {
  const start = msToNs(points.startTimeMs);
  const since = msToNs(opts.sinceMs);
  const now = msToNs(nowMs);
  const counterDelta = opts.temporality === 'delta';
  const histogramDelta = opts.temporality !== 'cumulative';
  const attrs = (w: ProtoWriter, field: number, a: Attr | null) => {
    if (a !== null) keyValue(w, field, a.otelKey, a.otelValue);
  };
  const root = new ProtoWriter();
  root.message(1, (rm) => {
    rm.message(1, (res) => {
      for (const [k, v] of Object.entries(resource)) keyValue(res, 1, k, v);
    });
    rm.message(2, (sm) => {
      sm.message(1, (scope) => {
        scope.string(1, 'leakwatch');
        scope.string(2, VERSION);
      });
      for (const series of points.scalars) {
        const def = series.def;
        if (def.otel === null) continue;
        const present = series.points.filter((p) => p.present);
        if (present.length === 0) continue;
        sm.message(2, (m) => {
          m.string(1, def.otel as string);
          m.string(2, def.help);
          m.string(3, def.unit);
          // Counters: monotonic Sum; UpDownCounters: non-monotonic Sum; else Gauge.
          const sum = def.kind === 'counter' || def.otelUpDown;
          const delta = counterDelta && def.kind === 'counter';
          m.message(sum ? 7 : 5, (data) => {
            for (const p of present) {
              data.message(1, (dp) => {
                if (sum) dp.fixed64(2, delta ? since : start);
                dp.fixed64(3, now);
                dp.double(4, delta ? p.value - p.sent : p.value);
                attrs(dp, 7, p.attr);
              });
            }
            if (sum) {
              data.uint(2, delta ? DELTA : CUMULATIVE);
              data.bool(3, def.kind === 'counter');
            }
          });
        });
      }
      for (const series of points.histograms) {
        const def = series.def;
        if (def.otel === null) continue;
        sm.message(2, (m) => {
          m.string(1, def.otel as string);
          m.string(2, def.help);
          m.string(3, def.unit);
          m.message(9, (data) => {
            for (const h of series.points) {
              data.message(1, (dp) => {
                dp.fixed64(2, histogramDelta ? since : start);
                dp.fixed64(3, now);
                if (histogramDelta) {
                  dp.fixed64(4, BigInt(h.count - h.sentCount));
                  dp.double(5, h.sum - h.sentSum);
                  dp.packedFixed64(
                    6,
                    Array.from(h.buckets, (n, i) => n - (h.sentBuckets[i] as number)),
                  );
                } else {
                  dp.fixed64(4, BigInt(h.count));
                  dp.double(5, h.sum);
                  dp.packedFixed64(6, Array.from(h.buckets));
                }
                dp.packedDouble(7, GC_BUCKETS_S);
                attrs(dp, 9, h.attr);
              });
            }
            data.uint(2, histogramDelta ? DELTA : CUMULATIVE);
          });
        });
      }
    });
  });
  return root.finish();
}

/**
 * After the collector took an export: the next deltas start from the totals
 * it carried. An export that was dropped commits nothing, so the next one
 * carries its changes too, from the same start time: a delta is never lost.
 */
export function commitExport(points: MetricPoints): void {
  for (const series of points.scalars) for (const p of series.points) p.sent = p.value;
  for (const series of points.histograms) {
    for (const h of series.points) {
      h.sentCount = h.count;
      h.sentSum = h.sum;
      h.sentBuckets.set(h.buckets);
    }
  }
}

/**
 * Resource attributes: who is sending. The configured ones (service.name,
 * OTEL_RESOURCE_ATTRIBUTES, …), then the process and SDK facts, which no
 * variable overrides.
 */
export function buildResource(configured: Readonly<Record<string, string>>): ResourceAttrs {
  return {
    ...configured,
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.name': 'leakwatch',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': VERSION,
  };
}
