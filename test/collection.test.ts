// The collection conventions beside the kernel names: size, has, keys, values, clear,
// MapleTree.from, Symbol.toStringTag and the Node inspect hook.
import { describe, expect, test } from 'vitest';
import { inspect } from 'node:util';
import { MapleTree, MaState, MapleError, NodePool, ULONG_MAX } from '../src/index';
import { Model, arg, expectSame } from './support/model';
import { mulberry32 } from './support/rng';

describe('size', () => {
  for (const entries of ['object', 'number'] as const) {
    test(`equals the model's range count after every op, failed ones included (${entries} entries)`, () => {
      const r = mulberry32(entries === 'object' ? 15 : 16);
      const pool = new NodePool();
      pool.faults.failReserve(true); // erases and NULL stores fail too, not only stores of entries
      const mt = new MapleTree<number>({ pool, entries });
      const model = new Model<number>();
      let failed = 0;
      let spans = 0;
      for (let i = 0; i < 6000; i++) {
        // A quarter of the ops may allocate only 0-2 nodes, so writes of every kind needing more
        // throw ENOMEM.
        if (r.chance(0.25)) pool.faults.failAfter(r.int(3));
        else pool.faults.off();
        const a = BigInt(r.int(20_000));
        const wide = r.chance(0.05);
        const b = a + BigInt(wide ? r.int(4000) : r.int(12));
        if (wide) spans++;
        const e = r.chance(0.15) ? null : i;
        const op = r.int(12);
        const before = mt.size;
        try {
          if (op < 5) {
            mt.storeRange(arg(a), arg(b), e);
            model.store(a, b, e);
          } else if (op < 6) {
            const free = !model.occupied(a, b);
            try {
              mt.insertRange(arg(a), arg(b), i);
              expect(free).toBe(true);
              model.insert(a, b, i);
            } catch (err) {
              if ((err as MapleError).code !== 'EEXIST') throw err;
              expect(free).toBe(false);
            }
          } else if (op < 8) {
            const got = mt.erase(arg(a));
            expect(got).toBe(model.load(a));
            model.erase(a);
          } else if (op < 9) {
            const mas = new MaState(mt, arg(a), arg(b));
            try {
              mas.store(e);
            } finally {
              mas.free();
            }
            model.store(a, b, e);
          } else if (op < 10) {
            const mas = new MaState(mt, arg(a), arg(b));
            try {
              mas.preallocate(e);
              mas.storePrealloc(e);
            } finally {
              mas.free();
            }
            model.store(a, b, e);
          } else if (op < 11) {
            mt.store(arg(a), e);
            model.store(a, a, e);
          } else if (i % 97 === 0) {
            const copy = mt.dup();
            expect(copy.size).toBe(model.size);
            copy.clear();
            expect(copy.size).toBe(0);
            copy.free();
          }
        } catch (err) {
          expect(err).toBeInstanceOf(MapleError);
          expect((err as MapleError).code).toBe('ENOMEM');
          expect(mt.size).toBe(before);
          failed++;
        }
        expect(mt.size).toBe(model.size);
        pool.faults.off();
        if (i % 250 === 0) {
          mt.validate();
          expectSame(mt, model);
        }
      }
      pool.faults.off();
      mt.validate();
      expectSame(mt, model);
      expect(failed).toBeGreaterThan(100);
      expect(spans).toBeGreaterThan(100);
      mt.clear();
      expect(mt.size).toBe(0);
      expect(mt.isEmpty()).toBe(true);
      mt.free();
    });
  }

  test('allocRange, allocRRange and allocCyclic each add one; the root-only tree counts too', () => {
    const mt = new MapleTree<string>({ allocRange: true });
    expect(mt.size).toBe(0);
    mt.store(0, 'root');
    expect(mt.height).toBe(0);
    expect(mt.size).toBe(1);
    mt.store(0, null);
    expect(mt.size).toBe(0);
    mt.allocRange(10, 'a');
    mt.allocRRange(10, 'b');
    mt.allocCyclic('c', 100, 200, 150);
    expect(mt.size).toBe(3);
    mt.storeRange(0n, ULONG_MAX, null);
    expect(mt.size).toBe(0);
    mt.free();
    expect(() => mt.size).toThrow(/used after free/);
  });
});

describe('has, keys, values, clear', () => {
  test('as a Map of ranges keyed by each range start', () => {
    const mt = new MapleTree<string>();
    mt.storeRange(10, 19, 'a');
    mt.storeRange(30, 39, 'b');
    mt.storeRange(2n ** 60n, ULONG_MAX, 'top');
    expect(mt.has(15)).toBe(true);
    expect(mt.has(20)).toBe(false);
    expect(mt.has(ULONG_MAX)).toBe(true);
    expect(() => mt.has(-1)).toThrow(RangeError);
    expect([...mt.keys()]).toEqual([10, 30, 2n ** 60n]);
    expect([...mt.values()]).toEqual(['a', 'b', 'top']);
    expect([...mt.keys(20, 40)]).toEqual([30]);
    expect([...mt.values(0, 15)]).toEqual(['a']);
    for (const k of mt.keys()) expect(mt.load(k)).toBeDefined();
    mt.clear();
    expect(mt.size).toBe(0);
    expect([...mt.keys()]).toEqual([]);
    mt.store(5, 'again'); // clear leaves the tree usable
    expect([...mt.values()]).toEqual(['again']);
  });
});

describe('MapleTree.from', () => {
  const ranges = Array.from({ length: 1000 }, (_, i) => [i * 16, i * 16 + 9, i] as const);

  test('ascending ranges are bulk-loaded through expected-entries mode', () => {
    const pool = new NodePool();
    const mt = MapleTree.from(ranges, { pool, entries: 'number' });
    mt.validate();
    expect(mt.size).toBe(1000);
    expect([...mt].map((e) => [e.index, e.last, e.entry])).toEqual(ranges.map((r) => [...r]));
    // The bulk path's first allocation is mas_expected_entries' reserve.
    const before = pool.stats().nodesInUse;
    pool.faults.failAfter(0);
    expect(() => MapleTree.from(ranges, { pool })).toThrow(MapleError);
    expect(pool.faults.stats().lastFailure?.op).toBe('expectedEntries');
    pool.faults.off();
    expect(pool.stats().nodesInUse).toBe(before); // the half-built tree was freed
    // Bulk loading packs leaves densely: no more nodes than storing one by one.
    const one = new MapleTree<number>({ pool, entries: 'number' });
    for (const [a, b, e] of ranges) one.storeRange(a, b, e);
    expect(mt.nodeCount).toBeLessThanOrEqual(one.nodeCount);
  });

  test('entry objects, unsorted and overlapping input (later wins), bigint keys', () => {
    const mt = MapleTree.from<string>([
      { index: 100, last: 199, entry: 'x' },
      [0, 9, 'a'],
      [150, 160, 'y'],
      [2n ** 62n, ULONG_MAX, 'top'],
    ]);
    mt.validate();
    expect([...mt].map((e) => [e.index, e.last, e.entry])).toEqual([
      [0, 9, 'a'], [100, 149, 'x'], [150, 160, 'y'], [161, 199, 'x'], [2n ** 62n, ULONG_MAX, 'top'],
    ]);
    expect(mt.size).toBe(5);
    expect(MapleTree.from([]).size).toBe(0);
    expect(MapleTree.from([[7, 7, 'one']]).load(7)).toBe('one');
  });

  test('bad input throws naming the range, and leaves nothing behind', () => {
    const pool = new NodePool();
    expect(() => MapleTree.from(5 as never)).toThrow(/ranges must be iterable/);
    expect(() => MapleTree.from([[0, 1, 'a'], 3] as never, { pool })).toThrow(TypeError);
    expect(() => MapleTree.from([[0, 1, 'a'], [5, 2, 'b']], { pool })).toThrow(/ranges\[1\] first \(5\) must not be greater than ranges\[1\] last/);
    expect(() => MapleTree.from([[0, -1, 'a']], { pool })).toThrow(/ranges\[0\] last/);
    expect(() => MapleTree.from([[0, 1, 'a'], [2, 3, undefined]], { pool })).toThrow(/undefined/);
    expect(pool.stats().nodesInUse).toBe(0);
  });
});

describe('toStringTag and inspect', () => {
  test('Object.prototype.toString and util.inspect show what the tree holds', () => {
    const mt = MapleTree.from(Array.from({ length: 20 }, (_, i) => [i * 10, i * 10 + 4, `e${i}`] as const));
    expect(Object.prototype.toString.call(mt)).toBe('[object MapleTree]');
    const text = inspect(mt);
    expect(text).toMatch(new RegExp(`^MapleTree\\(20\\) \\{ height: ${mt.height}, \\[0, 4\\]`));
    expect(text).toMatch(/^MapleTree\(20\) \{ height: \d, \[0, 4\] => 'e0', \[10, 14\] => 'e1', /);
    expect(text).toMatch(/\[70, 74\] => 'e7', \.\.\. 12 more \}$/);
    expect(inspect(new MapleTree())).toBe('MapleTree(0) { height: 0 }');
    expect(inspect({ nested: { deeper: mt } }, { depth: 1 })).toMatch(/\[MapleTree\(20\)\]/);
    mt.free();
    expect(inspect(mt)).toBe('MapleTree <freed>');
  });
});
