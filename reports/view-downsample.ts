/**
 * Downsampling for charts: min/max-preserving buckets. Pure.
 *
 * A chart cannot draw more points than it has pixels, and a page that
 * carries 100,000 samples of 20 columns is tens of megabytes. Averaging
 * would hide exactly what a leak viewer must show (a spike in loop lag, the
 * top of a sawtooth), so each bucket of consecutive samples keeps its
 * smallest and its largest reading, in the order they happened. The drawn
 * envelope is then the true one; only the shape inside a bucket is lost.
 * (This is the "min-max" family of reductions; M4 adds first/last points.)
 */

export interface Downsampled {
  /** Times of the kept points: a bucket's first and last sample times. */
  t: number[];
  columns: Record<string, (number | null)[]>;
  /** Samples per bucket; 1 when nothing was reduced. */
  bucketSize: number;
}

/**
 * Reduces aligned columns to at most `maxPoints` points each. All columns
 * share the time axis, so each bucket yields two time points; every column
 * puts its bucket minimum and maximum on them in the order they occurred.
 * @param t sample times (ms since epoch), one per row
 * @param names the columns to keep (missing ones come back empty)
 * @param maxPoints points per column, at least 2
 */
export function downsampleMinMax(
  t: readonly number[],
  columns: Readonly<Record<string, readonly (number | null)[]>>,
  names: readonly string[],
  maxPoints: number,
): Downsampled {
  const n = t.length;
  const out: Record<string, (number | null)[]> = {};
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) {
    for (const name of names) out[name] = column(columns[name], n).slice();
    return { t: t.slice(), columns: out, bucketSize: 1 };
  }
  const size = Math.ceil(n / Math.floor(limit / 2));
  const times: number[] = [];
  for (let s = 0; s < n; s += size) {
    const e = Math.min(n, s + size);
    times.push(t[s] as number);
    if (e - s > 1) times.push(t[e - 1] as number);
  }
  for (const name of names) {
    const values = column(columns[name], n);
    const kept: (number | null)[] = new Array(times.length);
    let k = 0;
    for (let s = 0; s < n; s += size) {
      const e = Math.min(n, s + size);
      let lo = -1;
      let hi = -1;
      for (let i = s; i < e; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (lo < 0 || v < (values[lo] as number)) lo = i;
        if (hi < 0 || v > (values[hi] as number)) hi = i;
      }
      const a = lo < 0 ? null : (values[Math.min(lo, hi)] as number);
      const b = lo < 0 ? null : (values[Math.max(lo, hi)] as number);
      kept[k++] = a;
      if (e - s > 1) kept[k++] = b;
    }
    out[name] = kept;
  }
  return { t: times, columns: out, bucketSize: size };
}

/** A column padded or cut to `n` rows (a malformed report may differ). */
function column(values: readonly (number | null)[] | undefined, n: number): readonly (number | null)[] {
  if (values === undefined) return new Array<null>(n).fill(null);
  if (values.length === n) return values;
  const out: (number | null)[] = values.slice(0, n);
  while (out.length < n) out.push(null);
  return out;
}
