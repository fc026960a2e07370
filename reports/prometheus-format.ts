/**
 * Prometheus text exposition format 0.0.4 (pure), with prom-client's
 * default metric names and labels.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { GC_BUCKETS_S } from './metric-names';
import type { MetricPoints } from './metric-points';

/** The Prometheus text exposition format, version 0.0.4. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus float text: Go's ParseFloat reads what JavaScript writes. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function helpText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Every point with a Prometheus name, as exposition text. */
export function formatExposition(points: MetricPoints): string {
  const out: string[] = [];
  for (const series of points.scalars) {
    const name = series.def.prom;
    if (name === null) continue;
    let header = false;
    for (const p of series.points) {
      if (!p.present) continue;
      if (!header) {
        out.push(
          `# HELP ${name} ${helpText(series.def.help)}`,
          `# TYPE ${name} ${series.def.kind === 'counter' ? 'counter' : 'gauge'}`,
        );
        header = true;
      }
      out.push(`${name}${p.attr === null ? '' : `{${p.attr.prom}}`} ${num(p.value)}`);
    }
  }
  for (const series of points.histograms) {
    const name = series.def.prom;
    if (name === null) continue;
    out.push(`# HELP ${name} ${helpText(series.def.help)}`, `# TYPE ${name} histogram`);
    for (const h of series.points) {
      const lbl = h.attr === null ? '' : h.attr.prom;
      const sep = lbl === '' ? '' : ',';
      let cum = 0;
      for (let b = 0; b < GC_BUCKETS_S.length; b++) {
        cum += h.buckets[b] as number;
        out.push(`${name}_bucket{${lbl}${sep}le="${GC_BUCKETS_S[b]}"} ${cum}`);
      }
      out.push(`${name}_bucket{${lbl}${sep}le="+Inf"} ${h.count}`);
      out.push(`${name}_sum${lbl === '' ? '' : `{${lbl}}`} ${num(h.sum)}`);
      out.push(`${name}_count${lbl === '' ? '' : `{${lbl}}`} ${h.count}`);
    }
  }
  out.push('');
  return out.join('\n');
}
