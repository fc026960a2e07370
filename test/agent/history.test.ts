import { describe, expect, it } from 'vitest';
import { History } from '../../agent/history';

describe('History', () => {
  it('keeps the newest rows in order once it wraps', () => {
    const h = new History(4);
    for (let i = 1; i <= 10; i++) {
      h.beginRow(i * 1000);
      h.set('x', i);
    }
    expect(h.length).toBe(4);
    expect(h.totalRows).toBe(10);
    expect(h.toSeries()).toEqual({ t: [7000, 8000, 9000, 10000], columns: { x: [7, 8, 9, 10] } });
    expect(h.last('x')).toBe(10);
  });

  it('fills a late column with its fill value and counts refused columns', () => {
    const h = new History(3, 2);
    h.beginRow(1);
    h.set('a', 1);
    h.beginRow(2);
    h.set('a', 2);
    h.set('handles.Timeout', 5, 0);
    h.set('c', 9);
    expect(h.toSeries().columns['handles.Timeout']).toEqual([0, 5]);
    expect(h.has('c')).toBe(false);
    expect(h.droppedColumns).toBe(1);
  });

  it('copies the newest rows into a typed array across the wrap as into an array', () => {
    const h = new History(5);
    for (let i = 1; i <= 13; i++) {
      h.beginRow(i * 1000);
      h.set('x', i * 10);
    }
    for (const n of [1, 2, 3, 4, 5, 9]) {
      const typed = new Float64Array(8).fill(-1);
      const plain: number[] = new Array<number>(8).fill(-1);
      expect(h.copyLast('x', n, typed)).toBe(Math.min(n, 5));
      h.copyLast('x', n, plain);
      expect([...typed]).toEqual(plain);
      expect([...typed].slice(0, Math.min(n, 5))).toEqual([90, 100, 110, 120, 130].slice(5 - Math.min(n, 5)));
    }
    const times = new Float64Array(3);
    h.copyLast(null, 3, times);
    expect([...times]).toEqual([11000, 12000, 13000]);
  });
});
