// loadMany: the batch lookup answers exactly what load() answers, index by index, for numeric and
// object trees, number and bigint indices, trees of every height, and refuses bad input by
// position without touching the tree.
import { describe, expect, test } from 'vitest';
import { MapleTree, ULONG_MAX } from '../src/index';
import { mulberry32 } from './support/rng';

function numericTree(n: number, seed: number): MapleTree<number> {
  const r = mulberry32(seed);
  const mt = new MapleTree<number>({ entries: 'number' });
  for (let i = 0; i < n; i++) {
    const a = r.int(50 * n + 10);
    mt.storeRange(a, a + r.int(30), i);
  }
  return mt;
}

describe('loadMany answers as load does', () => {
  test.each([0, 1, 15, 17, 300, 20_000])('numeric tree of %i random ranges, 3,001 indices', (n) => {
    const mt = numericTree(n, n + 1);
    const r = mulberry32(7);
    const xs = Float64Array.from({ length: 3001 }, () => r.int(50 * n + 100));
    const got = mt.loadMany(xs);
    expect(got).toBeInstanceOf(Float64Array);
    xs.forEach((x, i) => expect([x, got[i]]).toEqual([x, mt.load(x) ?? NaN]));
    mt.free();
  });

  test('a lone entry at index 0 (no node), and an empty tree', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    expect([...mt.loadMany([0, 1, 5])]).toEqual([NaN, NaN, NaN]);
    mt.store(0, 42);
    expect(mt.height).toBe(0);
    expect([...mt.loadMany([0, 1, 0])]).toEqual([42, NaN, 42]);
  });

  test('BigUint64Array indices reach the top of the key space', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 500; i++) mt.storeRange(ULONG_MAX - BigInt(10 * i + 5), ULONG_MAX - BigInt(10 * i), i);
    const xs = BigUint64Array.from({ length: 1000 }, (_, i) => ULONG_MAX - BigInt(3 * i));
    const got = mt.loadMany(xs);
    xs.forEach((x, i) => expect(got[i]).toEqual(mt.load(x) ?? NaN));
  });

  test('object entries come back as the objects, in an array', () => {
    const mt = new MapleTree<{ id: number }>();
    const objs = Array.from({ length: 300 }, (_, id) => ({ id }));
    objs.forEach((o, i) => mt.storeRange(10 * i, 10 * i + 4, o));
    const xs = Array.from({ length: 3000 }, (_, i) => i);
    const got = mt.loadMany(xs) as ({ id: number } | undefined)[];
    xs.forEach((x, i) => expect(got[i]).toBe(mt.load(x)));
  });

  test('out is filled in place and returned', () => {
    const mt = numericTree(1000, 3);
    const out = new Float64Array(600);
    const xs = Array.from({ length: 512 }, (_, i) => 97 * i);
    expect(mt.loadMany(xs, out)).toBe(out);
    xs.forEach((x, i) => expect(out[i]).toEqual(mt.load(x) ?? NaN));
  });
});

describe('loadMany refuses bad input', () => {
  test('a bad index is named by its position', () => {
    const mt = numericTree(100, 9);
    const xs = Array.from({ length: 700 }, (_, i) => i);
    xs[600] = -1;
    expect(() => mt.loadMany(xs)).toThrow(/indices\[600\].*got -1/);
    expect(() => mt.loadMany([1, 2.5])).toThrow(RangeError);
    expect(() => mt.loadMany([1, 2 ** 53])).toThrow(RangeError);
    expect(() => mt.loadMany([1, NaN])).toThrow(RangeError);
    expect(() => mt.loadMany([1, '2' as unknown as number])).toThrow(TypeError);
    expect(() => mt.loadMany('12' as unknown as number[])).toThrow(TypeError);
    expect(() => mt.loadMany([1], new Float64Array(0))).toThrow(TypeError);
    const objects = new MapleTree<string>();
    expect(() => objects.loadMany([1], new Float64Array(1))).toThrow(TypeError);
    mt.validate();
  });
});

describe('loadMany on a keys: number tree', () => {
  test('a BigUint64Array index above 2^53 - 1 is a RangeError, as for load()', () => {
    const mt = new MapleTree<number, number>({ entries: 'number', keys: 'number' });
    mt.storeRange(0, 9, 1);
    expect(() => mt.load(2 ** 53 as number)).toThrow(RangeError);
    expect(() => mt.loadMany(new BigUint64Array([5n, 2n ** 64n - 1n]))).toThrow(/indices\[1\] must be at most 2\^53 - 1/);
    expect(Array.from(mt.loadMany(new BigUint64Array([5n, 10n])))).toEqual([1, NaN]);
  });
});
