/**
 * Series labels, formatted once for every channel: Datadog tags,
 * Prometheus label pairs (prom-client's spellings), OpenTelemetry attributes.
 */
import { GC_KINDS } from '../probes/gc';
import { ATTR_NAMES, type AttrKind, GC_KIND_NAMES } from './metric-names';

/** A series label, pre-formatted once for every channel. */
export interface Attr {
  /** DogStatsD tag, `heap_space:old_space`. */
  readonly dd: string;
  /** Prometheus label pair, `space="old"`. */
  readonly prom: string;
  readonly promKey: string;
  readonly promValue: string;
  readonly otelKey: string;
  readonly otelValue: string;
}

/** Builds a label for every channel. Exported for tests. */
export function makeAttr(kind: AttrKind, value: string): Attr {
  const names = ATTR_NAMES[kind];
  let prom = value;
  let dd = value;
  let otel = value;
  if (kind === 'space') {
    // prom-client labels `old_space` as `old`.
    prom = value.endsWith('_space') ? value.slice(0, -'_space'.length) : value;
  } else if (kind === 'gc') {
    const i = (GC_KINDS as readonly string[]).indexOf(value);
    dd = GC_KIND_NAMES.dd[i] ?? value;
    prom = GC_KIND_NAMES.prom[i] ?? value;
    otel = GC_KIND_NAMES.otel[i] ?? value;
  }
  return Object.freeze({
    dd: `${names.dd}:${ddTagValue(dd)}`,
    prom: `${names.prom}="${promLabelValue(prom)}"`,
    promKey: names.prom,
    promValue: prom,
    otelKey: names.otel,
    otelValue: otel,
  });
}

/** DogStatsD tags cannot hold `,` `|` `#` or newlines. */
export function ddTagValue(v: string): string {
  return v.replace(/[,|#\s]/g, '_');
}

/** Prometheus label value escaping: backslash, double quote, newline. */
export function promLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
