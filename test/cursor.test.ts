// RangeCursor: the typed-array batches give exactly the ranges entries() gives, in order, with
// bounds, across writes between batches, and refuse what a Float64Array cannot hold.
import { describe, expect, test } from 'vitest';
import { MapleTree, RangeCursor } from '../src/index';
import { mulberry32 } from './support/rng';

function drain(c: RangeCursor): [number, number, number][] {
  const got: [number, number, number][] = [];
  for (let n = c.next(); n > 0; n = c.next()) {
    expect(c.index.length).toBe(n);
    for (let k = 0; k < n; k++) got.push([c.index[k], c.last[k], c.entry[k]]);
  }
  return got;
}

const asTriples = (mt: MapleTree<number>, a?: number, b?: number) =>
  [...mt.entries(a, b)].map((r) => [r.index, r.last, r.entry] as [number, number, number]);

describe('cursor', () => {
  test.each([0, 1, 16, 170, 171, 5000])('gives what entries() gives, %i random ranges', (n) => {
    const r = mulberry32(n + 5);
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < n; i++) {
      const a = r.int(40 * n + 10);
      mt.storeRange(a, a + r.int(25), r.int(1000));
    }
    expect(drain(mt.cursor())).toEqual(asTriples(mt));
    const lo = r.int(40 * n + 10);
    const hi = lo + r.int(10 * n + 10);
    expect(drain(mt.cursor(lo, hi))).toEqual(asTriples(mt, lo, hi));
  });

  test('writes between batches: each batch is the tree as it is then, after the last range seen', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 1000; i++) mt.storeRange(10 * i, 10 * i + 4, i);
    const c = mt.cursor();
    let prevEnd = -1;
    let batches = 0;
    let seen = 0;
    for (let n = c.next(); n > 0; n = c.next()) {
      batches++;
      for (let k = 0; k < n; k++) {
        expect(c.index[k]).toBeGreaterThan(prevEnd);
        expect(mt.load(c.index[k])).toBe(c.entry[k]); // live now, not an erased range
        prevEnd = c.last[k];
        seen++;
      }
      if (prevEnd + 104 < 10_000) {
        // erase the next ten ranges and put one new range after them, through the tree
        mt.storeRange(prevEnd + 1, prevEnd + 100, null);
        mt.storeRange(prevEnd + 101, prevEnd + 104, 7777);
      }
    }
    expect(batches).toBeGreaterThan(3);
    expect(seen).toBe([...mt.entries()].length); // every range of the final tree, once
    mt.validate();
  });

  test('full batches keep their views; memory that grows between batches gets new ones', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 3000; i++) mt.storeRange(10 * i, 10 * i + 4, i);
    const want = asTriples(mt);
    const c = mt.cursor();
    const got: [number, number, number][] = [];
    const views = new Set<Float64Array>();
    const other = new MapleTree<number>({ entries: 'number' });
    let grown = 0;
    for (let n = c.next(); n > 0; n = c.next()) {
      views.add(c.entry);
      expect(c.entry.length).toBe(n);
      for (let k = 0; k < n; k++) got.push([c.index[k], c.last[k], c.entry[k]]);
      if (got.length < 1000) {
        // another tree over the same memory takes enough nodes to grow it
        const before = other.nodeCount;
        for (let i = 0; i < 20_000; i++) other.storeRange(grown * 1e6 + 4 * i, grown * 1e6 + 4 * i + 1, i);
        expect(other.nodeCount).toBeGreaterThan(before);
        grown++;
      }
    }
    expect(got).toEqual(want);
    expect(grown).toBeGreaterThan(2);
    // a view per memory grown, per batch length, not per batch
    expect(views.size).toBeLessThan(got.length / 170);
    other.free();
    mt.free();
  });

  test('next() hands out the new batch in every column, even one the caller replaced', () => {
    // The columns are plain fields: a caller may keep a transformed copy in one. A batch as long
    // as the last one reuses the cursor's views, and must still reach every field.
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 1000; i++) mt.storeRange(10 * i, 10 * i + 4, i);
    const c = mt.cursor();
    const firsts: number[] = [];
    const starts: number[] = [];
    for (let n = c.next(); n > 0; n = c.next()) {
      firsts.push(c.entry[0]);
      starts.push(c.index[0]);
      c.entry = c.entry.map((x) => 2 * x);
      c.index = new Float64Array(n);
    }
    expect(firsts).toEqual([0, 170, 340, 510, 680, 850]);
    expect(starts).toEqual([0, 1700, 3400, 5100, 6800, 8500]);
    mt.free();
  });

  test('a range past 2^53 - 1 ends the cursor with a RangeError; object trees are refused', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    mt.storeRange(5, 9, 1);
    mt.storeRange(2n ** 60n, 2n ** 60n + 5n, 2);
    const c = mt.cursor();
    expect(c.next()).toBe(1);
    expect(() => c.next()).toThrow(RangeError);
    expect(c.next()).toBe(0);
    expect(() => new MapleTree<string>().cursor()).toThrow(TypeError);
    expect(() => mt.cursor(5, 1)).toThrow(RangeError);
  });

  test('close() and the end give the state and page back; a freed tree ends the cursor', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 500; i++) mt.storeRange(10 * i, 10 * i + 4, i);
    const before = mt.pool.stats().nodesInUse;
    const c = mt.cursor();
    expect(c.next()).toBe(170);
    c.close();
    expect(c.next()).toBe(0);
    const d = mt.cursor();
    d.next();
    mt.free();
    expect(d.next()).toBe(0);
    expect(before).toBeGreaterThan(0);
  });
});
