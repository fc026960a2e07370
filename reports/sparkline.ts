/**
 * Sparklines: a series drawn as one line of block characters. Pure.
 */

/** Eight levels, lowest first (U+2581..U+2588). */
const BLOCKS = '▁▂▃▄▅▆▇█';
/** Drawn where a bucket holds no reading at all. */
const GAP = ' ';

/** A drawn sparkline and the range it spans. */
export interface Sparkline {
  text: string;
  /** Smallest and largest bucket value drawn; null when nothing was. */
  min: number | null;
  max: number | null;
  /** The last reading in the series; null when there is none. */
  last: number | null;
  first: number | null;
}

/** How a series is drawn in eight levels. */
export interface SparklineOptions {
  /**
   * The smallest range the eight levels span (in the values' unit). Without
   * it a count wobbling between 8 and 11 would draw floor-to-ceiling; with
   * a span of 10 it draws as the small wobble it is.
   */
  minSpan?: number;
}

/**
 * Draws `values` in `width` characters. Each character is one bucket of
 * consecutive readings, drawn at the bucket's maximum: a spike or a step is
 * never averaged away, and a leak's slope survives any bucket size.
 * Missing readings (null, NaN) are skipped; an empty bucket is a gap.
 * A flat series draws at the lowest level, so it reads as flat, not full.
 * @param width characters, at least 1
 */
export function drawSparkline(
  values: ArrayLike<number | null>,
  width: number,
  options: SparklineOptions = {},
): Sparkline {
  const n = values.length;
  const w = Math.max(1, Math.min(Math.floor(width), n));
  const buckets: (number | null)[] = new Array(w).fill(null);
  let first: number | null = null;
  let last: number | null = null;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (first === null) first = v;
    last = v;
    const b = Math.min(w - 1, Math.floor((i * w) / n));
    const cur = buckets[b];
    if (cur === null || cur === undefined || v > cur) buckets[b] = v;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of buckets) {
    if (v === null || v === undefined) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { text: n === 0 ? '' : GAP.repeat(w), min: null, max: null, first, last };
  const base = min;
  const span = Math.max(max - min, options.minSpan ?? 0);
  let text = '';
  for (const v of buckets) {
    if (v === null || v === undefined) {
      text += GAP;
      continue;
    }
    const level = span === 0 ? 0 : Math.round(((v - base) / span) * (BLOCKS.length - 1));
    text += BLOCKS[level];
  }
  return { text, min, max, first, last };
}
