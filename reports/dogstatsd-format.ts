/**
 * DogStatsD formatting (pure): Datadog's runtime.node.* lines, the report
 * event, and the packing of lines into datagrams within the size limit.
 * Protocol: https://docs.datadoghq.com/developers/dogstatsd/datagram_shell
 */
import type { Config } from '../agent/config';
import { DD_EVENT_SOURCE } from './metric-names';
import type { MetricPoints } from './metric-points';

/** dd-trace's choice for UDP: fits a 1500-byte MTU after IP/UDP headers. */
export const UDP_MAX_DATAGRAM = 1_432;
/** Datadog's recommended buffer for Unix datagram sockets. */
export const UDS_MAX_DATAGRAM = 8_192;

/**
 * Datadog's tag characters: letters (any script), digits, `_ - : . /`;
 * anything else becomes `_`.
 * https://docs.datadoghq.com/getting_started/tagging/#define-tags
 */
const clean = (v: string): string => v.replace(/[^\p{L}\p{N}_:./-]/gu, '_');

/**
 * Global tags: service, env, version, pid, `DD_ENTITY_ID`, then `DD_TAGS`, each stripped to
 * the characters Datadog allows; a `DD_TAGS` entry with an empty key or
 * value is left out.
 */
export function buildGlobalTags(
  config: Pick<Config, 'service' | 'env' | 'version' | 'tags' | 'ddEntityId'>,
  pid = process.pid,
): string {
  const tags: string[] = [];
  const add = (k: string, v: string) => {
    if (v !== '') tags.push(`${k}:${clean(v)}`);
  };
  add('service', config.service);
  add('env', config.env);
  add('version', config.version);
  add('pid', String(pid));
  // As Datadog's own DogStatsD clients do: the agent adds the pod's and
  // container's tags to metrics that carry it.
  add('dd.internal.entity_id', config.ddEntityId);
  for (const t of config.tags) {
    // `key:value` or a bare `value`; an empty key or value says nothing.
    const tag = clean(t.trim());
    if (tag !== '' && !tag.startsWith(':') && !tag.endsWith(':')) tags.push(tag);
  }
  return tags.join(',');
}

/** A DogStatsD number: integers as they are, others to 6 decimals. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const r = Math.round(v * 1e6) / 1e6;
  return String(r);
}

function line(name: string, value: number, type: 'g' | 'c', attrTag: string | null, tags: string): string {
  const t = attrTag === null ? tags : tags === '' ? attrTag : `${attrTag},${tags}`;
  return `${name}:${formatValue(value)}|${type}${t === '' ? '' : `|#${t}`}`;
}

/**
 * Formats every point as DogStatsD lines. Gauges are sent as levels,
 * counters as the increase since the previous call (the agent sums them),
 * GC pauses as dd-trace's aggregated histogram: `.min .max .avg .median
 * .95percentile` gauges and `.sum .total .count` counters, in nanoseconds.
 * Names in `skip` are not sent (their counters still move on, so a name
 * sent again later carries only what is new).
 */
export function formatPoints(
  points: MetricPoints,
  tags: string,
  emit: (line: string) => void,
  skip: ReadonlySet<string> | null = null,
): void {
  for (const series of points.scalars) {
    const def = series.def;
    if (def.dd === null) continue;
    const skipped = skip !== null && skip.has(def.dd);
    for (const p of series.points) {
      if (!p.present) continue;
      const tag = p.attr === null ? null : p.attr.dd;
      if (def.kind === 'counter') {
        const delta = p.value - p.sent;
        p.sent = p.value;
        if (!skipped) emit(line(def.dd, delta, 'c', tag, tags));
      } else if (!skipped) {
        const v = def.ddOffset === 0 ? p.value : Math.max(0, p.value - def.ddOffset);
        emit(line(def.dd, v * def.ddScale, 'g', tag, tags));
      }
    }
  }
  for (const series of points.histograms) {
    const def = series.def;
    if (def.dd === null) continue;
    const skipped = skip !== null && skip.has(`${def.dd}.count`);
    for (const h of series.points) {
      const count = h.count - h.sentCount;
      const sum = h.sum - h.sentSum;
      h.sentCount = h.count;
      h.sentSum = h.sum;
      if (count === 0 || skipped) continue;
      const tag = h.attr === null ? null : h.attr.dd;
      const k = def.ddScale;
      emit(line(`${def.dd}.min`, h.wMin * k, 'g', tag, tags));
      emit(line(`${def.dd}.max`, h.wMax * k, 'g', tag, tags));
      emit(line(`${def.dd}.avg`, (sum / count) * k, 'g', tag, tags));
      emit(line(`${def.dd}.median`, h.wP50 * k, 'g', tag, tags));
      emit(line(`${def.dd}.95percentile`, h.wP95 * k, 'g', tag, tags));
      emit(line(`${def.dd}.sum`, Math.round(sum * k), 'c', tag, tags));
      emit(line(`${def.dd}.total`, Math.round(sum * k), 'c', tag, tags));
      emit(line(`${def.dd}.count`, count, 'c', tag, tags));
    }
  }
}

/**
 * A DogStatsD event, cut to fit one datagram. Lengths are in UTF-8 bytes,
 * as the agent slices the payload; newlines in the text are escaped. The
 * title and text are length-prefixed, so `|` in them is data; the
 * aggregation key is not, and keeps only characters no field ends on.
 * @param alertType `error` for a leak, `info` for a snapshot asked for
 */
export function formatEvent(
  title: string,
  text: string,
  tags: string,
  maxBytes: number,
  aggregationKey: string,
  alertType: 'error' | 'info' = 'error',
): string {
  const t = title.replace(/\r?\n|\r/g, ' ');
  let body = text.replace(/\r?\n|\r/g, '\\n');
  const key = aggregationKey.replace(/[^a-z0-9_.:/-]/gi, '_');
  const tail = `|t:${alertType}|s:${DD_EVENT_SOURCE}|k:${key}${tags === '' ? '' : `|#${tags}`}`;
  const build = () => `_e{${Buffer.byteLength(t)},${Buffer.byteLength(body)}}:${t}|${body}${tail}`;
  let ev = build();
  while (Buffer.byteLength(ev) > maxBytes && body.length > 0) {
    body = body.slice(0, Math.max(0, body.length - (Buffer.byteLength(ev) - maxBytes) - 1));
    if (body.endsWith('\\')) body = body.slice(0, -1);
    ev = build();
  }
  return ev;
}

/**
 * Packs lines into datagrams of at most `maxBytes`, newline-separated.
 * A line longer than a datagram is dropped and counted, never split.
 */
export class DatagramBatcher {
  private readonly buf: Buffer;
  private used = 0;
  private lines = 0;
  /** Lines dropped because one alone exceeded the limit. */
  oversized = 0;

  constructor(
    readonly maxBytes: number,
    private readonly send: (datagram: Buffer, lines: number) => void,
  ) {
    this.buf = Buffer.allocUnsafe(maxBytes);
  }

  add(text: string): void {
    const len = Buffer.byteLength(text);
    if (len > this.maxBytes) {
      this.oversized++;
      return;
    }
    if (this.used > 0 && this.used + 1 + len > this.maxBytes) this.flush();
    if (this.used > 0) this.buf[this.used++] = 0x0a;
    this.used += this.buf.write(text, this.used, 'utf8');
    this.lines++;
  }

  flush(): void {
    if (this.used === 0) return;
    // The socket keeps the buffer until sent: hand over a copy.
    const out = Buffer.from(this.buf.subarray(0, this.used));
    const n = this.lines;
    this.used = 0;
    this.lines = 0;
    this.send(out, n);
  }
}
