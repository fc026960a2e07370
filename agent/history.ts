/**
 * The bounded sample history: a ring of rows, one `Float64Array` per named
 * column. Memory is fixed when the history is made (capacity × columns), so
 * a long uptime costs nothing more than a short one.
 */
export class History {
  readonly capacity: number;
  readonly maxColumns: number;
  /** Rows written over the agent's life (rows beyond capacity overwrite). */
  totalRows = 0;
  /** Columns refused because `maxColumns` was reached; never silent. */
  droppedColumns = 0;
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private readonly fills = new Map<string, number>();
  private head = -1;

  /**
   * @param capacity rows kept
   * @param maxColumns columns kept; new names beyond it are counted, not kept
   */
  constructor(capacity: number, maxColumns = 96) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('History capacity must be an integer ≥ 2');
    this.capacity = capacity;
    this.maxColumns = maxColumns;
    this.times = new Float64Array(capacity);
  }

  /** Rows currently held. */
  get length(): number {
    return Math.min(this.totalRows, this.capacity);
  }

  /** Starts a row at time `t` (ms since epoch); unset cells read the fill. */
  beginRow(t: number): void {
    this.head = (this.head + 1) % this.capacity;
    this.times[this.head] = t;
    this.totalRows++;
    for (const [name, col] of this.columns) col[this.head] = this.fills.get(name) as number;
  }

  /**
   * Sets a cell of the current row. A column first seen now is created with
   * `fill` for the earlier rows (0 for counts: a handle type absent before
   * had none; NaN for readings that did not exist).
   */
  set(name: string, value: number, fill = Number.NaN): void {
    let col = this.columns.get(name);
    if (col === undefined) {
      if (this.columns.size >= this.maxColumns) {
        this.droppedColumns++;
        return;
      }
      col = new Float64Array(this.capacity).fill(fill);
      this.columns.set(name, col);
      this.fills.set(name, fill);
    }
    col[this.head] = value;
  }

  /** Column names, in the order first seen. */
  names(): string[] {
    return [...this.columns.keys()];
  }

  has(name: string): boolean {
    return this.columns.has(name);
  }

  /** The newest value of a column, or NaN. */
  last(name: string): number {
    const col = this.columns.get(name);
    return col === undefined || this.totalRows === 0 ? Number.NaN : (col[this.head] as number);
  }

  /** The time of the newest row, or NaN. */
  lastTime(): number {
    return this.totalRows === 0 ? Number.NaN : (this.times[this.head] as number);
  }

  /**
   * Copies the newest `n` rows (oldest first) of a column into `out`, or the
   * times when `name` is null. @returns how many were copied.
   */
  copyLast(name: string | null, n: number, out: Float64Array | number[]): number {
    const src = name === null ? this.times : this.columns.get(name);
    const count = Math.min(n, this.length, out.length);
    if (src === undefined) return 0;
    let i = (this.head - count + 1 + this.capacity) % this.capacity;
    if (out instanceof Float64Array) {
      // Two native block copies: a tick's code runs mostly unoptimized at
      // one tick a second, where an element loop costs ~10× as much.
      const first = Math.min(count, this.capacity - i);
      out.set(src.subarray(i, i + first), 0);
      if (first < count) out.set(src.subarray(0, count - first), first);
      return count;
    }
    for (let k = 0; k < count; k++) {
      out[k] = src[i] as number;
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
    return count;
  }

  /** All rows of the named columns, oldest first, for a report. */
  toSeries(names: readonly string[] = this.names()): { t: number[]; columns: Record<string, number[]> } {
    const n = this.length;
    const t = new Array<number>(n);
    this.copyLast(null, n, t);
    const columns: Record<string, number[]> = {};
    for (const name of names) {
      if (!this.columns.has(name)) continue;
      const values = new Array<number>(n);
      this.copyLast(name, n, values);
      columns[name] = values;
    }
    return { t, columns };
  }
}
