/**
 * OTLP protobuf encoding (pure): an ExportMetricsServiceRequest from the
 * metric points, written by a minimal protobuf writer.
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/metrics/v1/metrics.proto
 */
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

/** Aggregation temporality: cumulative (totals since the start time). */
const CUMULATIVE = 2;

/**
 * Encodes an `ExportMetricsServiceRequest` with every point that has an
 * OpenTelemetry name. Gauges are Gauge (UpDownCounters per the semantic
 * conventions a non-monotonic Sum), counters monotonic cumulative Sum,
 * GC pauses a cumulative explicit-bucket Histogram.
 */
export function encodeMetricsRequest(points: MetricPoints, resource: ResourceAttrs, nowMs: number): Uint8Array {
  const start = msToNs(points.startTimeMs);
  const now = msToNs(nowMs);
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
          m.message(sum ? 7 : 5, (data) => {
            for (const p of present) {
              data.message(1, (dp) => {
                if (sum) dp.fixed64(2, start);
                dp.fixed64(3, now);
                dp.double(4, p.value);
                attrs(dp, 7, p.attr);
              });
            }
            if (sum) {
              data.uint(2, CUMULATIVE);
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
                dp.fixed64(2, start);
                dp.fixed64(3, now);
                dp.fixed64(4, BigInt(h.count));
                dp.double(5, h.sum);
                dp.packedFixed64(6, Array.from(h.buckets));
                dp.packedDouble(7, GC_BUCKETS_S);
                attrs(dp, 9, h.attr);
              });
            }
            data.uint(2, CUMULATIVE);
          });
        });
      }
    });
  });
  return root.finish();
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
