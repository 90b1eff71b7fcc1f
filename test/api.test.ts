// The normal API (mtree_*, mt_*): find / next / prev / entries semantics on known trees, dup,
// destroy / free and pool accounting, isEmpty / height / nodeCount, numeric entries, bigint keys,
// MapleError.
import { describe, expect, test } from 'vitest';
import { MapleTree, MapleError, NodePool, MAPLE_MAX, ULONG_MAX } from '../src/index';
import { Model, expectSame } from './support/model';
import { checkStructure } from './support/structure';
import { mulberry32 } from './support/rng';

/** [10,19]=a [30,39]=b [50,50]=c [100,199]=d */
function small(pool = new NodePool()): MapleTree<string> {
  const mt = new MapleTree<string>({ pool });
  mt.storeRange(10, 19, 'a');
  mt.storeRange(30, 39, 'b');
  mt.store(50, 'c');
  mt.storeRange(100, 199, 'd');
  return mt;
}

const r = (index: number | bigint, last: number | bigint, entry: unknown) => ({ index, last, entry });

describe('mt_find', () => {
  test('returns the whole range holding index, even when it starts below index', () => {
    const mt = small();
    expect(mt.find(15)).toEqual(r(10, 19, 'a'));
    expect(mt.find(19)).toEqual(r(10, 19, 'a'));
    expect(mt.find(150)).toEqual(r(100, 199, 'd'));
  });
  test('from a gap, returns the next range starting at or before max', () => {
    const mt = small();
    expect(mt.find(0)).toEqual(r(10, 19, 'a'));
    expect(mt.find(20)).toEqual(r(30, 39, 'b'));
    expect(mt.find(20, 29)).toBeUndefined();
    expect(mt.find(20, 30)).toEqual(r(30, 39, 'b'));
    expect(mt.find(40, 49)).toBeUndefined();
    expect(mt.find(40, 50)).toEqual(r(50, 50, 'c'));
    expect(mt.find(200)).toBeUndefined();
    expect(mt.find(15, 15)).toEqual(r(10, 19, 'a'));
  });
  test('on an empty tree and on a lone root entry', () => {
    const mt = new MapleTree<string>({ pool: new NodePool() });
    expect(mt.find(0)).toBeUndefined();
    mt.store(0, 'z');
    expect(mt.find(0)).toEqual(r(0, 0, 'z'));
    expect(mt.find(1)).toBeUndefined();
  });
});

describe('mt_next / mt_prev', () => {
  test('next: the first entry after the range (entry or gap) holding index', () => {
    const mt = small();
    expect(mt.next(10)).toEqual(r(30, 39, 'b'));
    expect(mt.next(19)).toEqual(r(30, 39, 'b'));
    expect(mt.next(25)).toEqual(r(30, 39, 'b'));
    expect(mt.next(0)).toEqual(r(10, 19, 'a'));
    expect(mt.next(50)).toEqual(r(100, 199, 'd'));
    expect(mt.next(150)).toBeUndefined();
    expect(mt.next(1000)).toBeUndefined();
  });
  test('next respects max: the entry must start at or before max', () => {
    const mt = small();
    expect(mt.next(15, 29)).toBeUndefined();
    expect(mt.next(15, 30)).toEqual(r(30, 39, 'b'));
    expect(mt.next(60, 99)).toBeUndefined();
    expect(mt.next(60, 100)).toEqual(r(100, 199, 'd'));
  });
  test('prev: the last entry before the range holding index', () => {
    const mt = small();
    expect(mt.prev(35)).toEqual(r(10, 19, 'a'));
    expect(mt.prev(30)).toEqual(r(10, 19, 'a'));
    expect(mt.prev(25)).toEqual(r(10, 19, 'a'));
    expect(mt.prev(100)).toEqual(r(50, 50, 'c'));
    expect(mt.prev(15)).toBeUndefined();
    expect(mt.prev(5)).toBeUndefined();
    expect(mt.prev(ULONG_MAX)).toEqual(r(100, 199, 'd'));
  });
  test('prev respects min: the entry must end at or after min', () => {
    const mt = small();
    expect(mt.prev(35, 20)).toBeUndefined();
    expect(mt.prev(35, 19)).toEqual(r(10, 19, 'a'));
    expect(mt.prev(150, 51)).toBeUndefined();
    expect(mt.prev(150, 50)).toEqual(r(50, 50, 'c'));
  });
  test('next and prev across leaves of a tall tree agree with the model', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    const model = new Model<number>();
    for (let i = 0; i < 600; i++) {
      mt.storeRange(7 * i, 7 * i + 3, i);
      model.store(BigInt(7 * i), BigInt(7 * i + 3), i);
    }
    expect(mt.height).toBeGreaterThanOrEqual(3);
    for (let k = 0; k < 4300; k += 3) {
      const n = mt.next(k);
      const mn = model.next(BigInt(k), ULONG_MAX);
      expect(n && [BigInt(n.index), BigInt(n.last), n.entry]).toEqual(mn && [mn.first, mn.last, mn.entry]);
      const p = mt.prev(k);
      const mp = model.prev(BigInt(k), 0n);
      expect(p && [BigInt(p.index), BigInt(p.last), p.entry]).toEqual(mp && [mp.first, mp.last, mp.entry]);
    }
  });
});

describe('mt_for_each: entries()', () => {
  test('iterates every range in order; [Symbol.iterator] is entries()', () => {
    const mt = small();
    const all = [r(10, 19, 'a'), r(30, 39, 'b'), r(50, 50, 'c'), r(100, 199, 'd')];
    expect([...mt.entries()]).toEqual(all);
    expect([...mt]).toEqual(all);
  });
  test('a sub-range yields the ranges meeting it, whole (starting below first, ending past last)', () => {
    const mt = small();
    expect([...mt.entries(15, 35)]).toEqual([r(10, 19, 'a'), r(30, 39, 'b')]);
    expect([...mt.entries(20, 29)]).toEqual([]);
    expect([...mt.entries(50, 50)]).toEqual([r(50, 50, 'c')]);
    expect([...mt.entries(51, 100)]).toEqual([r(100, 199, 'd')]);
    expect([...mt.entries(199, ULONG_MAX)]).toEqual([r(100, 199, 'd')]);
  });
  test('erasing each range as it is returned still visits every range once', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    for (let i = 0; i < 300; i++) mt.storeRange(10 * i, 10 * i + 5, i);
    const seen: number[] = [];
    for (const { index, entry } of mt) {
      seen.push(entry);
      expect(mt.erase(index)).toBe(entry);
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(mt.isEmpty()).toBe(true);
    mt.validate();
  });
  test('stores during iteration: ranges added ahead are visited, ranges behind are not', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    for (let i = 0; i < 50; i++) mt.storeRange(100 * i, 100 * i + 9, i);
    const seen: number[] = [];
    for (const { index, entry } of mt) {
      seen.push(entry);
      const at = Number(index);
      if (entry < 1000 && at < 4900) mt.storeRange(at + 50, at + 50, 1000 + entry); // ahead
      if (at > 0) mt.store(at - 1, 2000 + entry); // behind
    }
    const ahead = seen.filter((e) => e >= 1000 && e < 2000);
    expect(ahead.length).toBe(49);
    expect(seen.some((e) => e >= 2000)).toBe(false);
    mt.validate();
  });
  test('destroy() during iteration ends it', () => {
    const mt = small();
    const seen: string[] = [];
    for (const { entry } of mt) {
      seen.push(entry);
      mt.destroy();
    }
    expect(seen).toEqual(['a']);
  });
});

describe('mt_for_each: forEach(fn)', () => {
  const build = (n: number): MapleTree<number> => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    for (let i = 0; i < n; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    return mt;
  };

  test('visits exactly what entries() yields, across many batches, with bounds', () => {
    const mt = build(5000);
    const seen: [number | bigint, number | bigint, number][] = [];
    mt.forEach((e, a, b) => { seen.push([a, b, e]); }, 100, 40_000);
    expect(seen).toEqual([...mt.entries(100, 40_000)].map((x) => [x.index, x.last, x.entry]));
    expect(seen[0]).toEqual([96, 105, 6]); // the range holding 100 starts below it, as mt_find's does
    expect(seen.length).toBe(2500 - 6 + 1);
  });

  test('a walk nested in the callback has its own batch: the outer walk is not disturbed', () => {
    const mt = build(1000);
    let outer = 0;
    let inner = 0;
    mt.forEach((e) => {
      outer += e;
      if (e % 100 === 0) mt.forEach((f) => { inner += f; }, 0, 16 * 20);
    });
    expect(outer).toBe((999 * 1000) / 2);
    expect(inner).toBe(10 * ((20 * 21) / 2));
  });

  test('writes in the callback: erased ranges ahead are skipped, the walk resumes after the current range', () => {
    const mt = build(600);
    const seen: number[] = [];
    mt.forEach((e, a) => {
      seen.push(e);
      if (e % 2 === 0) mt.erase(Number(a) + 16); // the next range
    });
    expect(seen).toEqual(Array.from({ length: 300 }, (_, k) => 2 * k));
    mt.validate();
  });

  test('ranges beyond 2^53 come back as bigint, exactly', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    mt.storeRange(5, 6, 1);
    mt.storeRange(2n ** 60n, 2n ** 60n + 9n, 2);
    mt.storeRange(ULONG_MAX - 1n, ULONG_MAX, 3);
    const seen: unknown[] = [];
    mt.forEach((e, a, b) => { seen.push([a, b, e]); });
    expect(seen).toEqual([[5, 6, 1], [2n ** 60n, 2n ** 60n + 9n, 2], [ULONG_MAX - 1n, ULONG_MAX, 3]]);
  });

  test('fn must be a function', () => {
    expect(() => build(1).forEach(undefined as never)).toThrow(TypeError);
  });

  test('sparse trees (leaves holding only NULL), random bounds: forEach and entries() match the model', () => {
    // The batch walk skips NULL slots and steps leaf to leaf along its path; leaves emptied by
    // erasing whole runs, and bounds falling in them, exercise every way a batch can stop.
    for (const seed of [1, 2, 3, 4]) {
      const rng = mulberry32(seed);
      const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
      const model = new Model<number>();
      for (let i = 0; i < 3000; i++) {
        mt.storeRange(16 * i, 16 * i + 9, i);
        model.store(BigInt(16 * i), BigInt(16 * i + 9), i);
      }
      for (let k = 0; k < 40; k++) {
        const a = rng.int(16 * 3000);
        const b = a + rng.int(1200);
        mt.storeRange(a, b, null);
        model.store(BigInt(a), BigInt(b), null);
      }
      mt.validate();
      for (let q = 0; q < 60; q++) {
        const first = rng.int(16 * 3000 + 100);
        const last = q % 10 === 0 ? Number.MAX_SAFE_INTEGER : first + rng.int(8000);
        const want = model.ranges
          .filter((x) => x.last >= BigInt(first) && x.first <= BigInt(last))
          .map((x) => [Number(x.first), Number(x.last), x.entry]);
        const seen: unknown[] = [];
        mt.forEach((e, a, b) => { seen.push([a, b, e]); }, first, last);
        expect(seen, `seed ${seed} forEach [${first}, ${last}]`).toEqual(want);
        expect([...mt.entries(first, last)].map((x) => [x.index, x.last, x.entry]),
          `seed ${seed} entries [${first}, ${last}]`).toEqual(want);
      }
    }
  });
});

describe('insert / erase', () => {
  test('insertRange fails with EEXIST if any index is occupied and changes nothing', () => {
    const mt = small();
    const before = [...mt];
    for (const [a, b] of [[5, 10], [19, 25], [0, 1000], [50, 50], [120, 130]]) {
      let err: unknown;
      try {
        mt.insertRange(a, b, 'x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MapleError);
      expect(err).toMatchObject({ code: 'EEXIST', errno: 17, op: 'insertRange' });
      expect([...mt]).toEqual(before);
      mt.validate();
    }
    expect(() => mt.insert(15, 'x')).toThrow(MapleError);
    mt.insertRange(20, 29, 'x'); // exactly the gap
    mt.insert(40, 'y');
    expect(mt.find(20)).toEqual(r(20, 29, 'x'));
    mt.validate();
  });
  test('erase removes the whole range holding index and returns its entry; in a gap it does nothing', () => {
    const mt = small();
    expect(mt.erase(150)).toBe('d');
    expect(mt.load(100)).toBeUndefined();
    expect(mt.load(199)).toBeUndefined();
    const before = mt.dump();
    expect(mt.erase(25)).toBeUndefined();
    expect(mt.dump()).toBe(before);
    mt.validate();
  });
});

describe('dup (mt_dup)', () => {
  test('the copy has equal contents, its own nodes in the same pool, and is independent', () => {
    const pool = new NodePool();
    const mt = new MapleTree<{ i: number }>({ pool });
    const model = new Model<{ i: number }>();
    for (let i = 0; i < 700; i++) {
      const e = { i };
      mt.storeRange(5 * i, 5 * i + 2, e);
      model.store(BigInt(5 * i), BigInt(5 * i + 2), e);
    }
    const inUse = pool.stats().nodesInUse;
    const copy = mt.dup();
    expect(copy.pool).toBe(pool);
    expect(copy.height).toBe(mt.height);
    expect(copy.nodeCount).toBe(mt.nodeCount);
    expect(pool.stats().nodesInUse).toBe(inUse + mt.nodeCount);
    expect(pool.treeNodes()).toBe(pool.stats().nodesInUse);
    expectSame(copy, model);
    copy.validate();
    checkStructure(copy as MapleTree<unknown>);
    // writes to either side do not show in the other
    const m2 = model.clone();
    mt.storeRange(0, 1000, { i: -1 });
    mt.erase(3000);
    model.store(0n, 1000n, mt.load(0)!);
    model.erase(3000n);
    copy.store(2, { i: -2 });
    m2.store(2n, 2n, copy.load(2)!);
    copy.storeRange(1500, 2000, null);
    m2.store(1500n, 2000n, null);
    expectSame(mt, model);
    expectSame(copy, m2);
    mt.validate();
    copy.validate();
    copy.free();
    mt.validate();
    expect(pool.stats().nodesInUse).toBe(mt.nodeCount);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });
  test('dup of an empty tree and of a lone root entry', () => {
    const pool = new NodePool();
    const mt = new MapleTree<string>({ pool });
    expect([...mt.dup()]).toEqual([]);
    mt.store(0, 'z');
    const c = mt.dup();
    expect([...c]).toEqual([r(0, 0, 'z')]);
    expect(c.height).toBe(0);
    c.store(0, 'y');
    expect(mt.load(0)).toBe('z');
    c.validate();
    mt.validate();
  });
  test('numeric-entry dup keeps the entry mode', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    mt.store(7, 0);
    const c = mt.dup();
    expect(c.entryMode).toBe('number');
    expect(c.load(7)).toBe(0);
  });
});

describe('destroy / free and the pool', () => {
  test('destroy empties the tree, returns every node, and the tree stays usable', () => {
    const pool = new NodePool();
    const start = pool.stats().nodesInUse;
    const mt = small(pool);
    for (let i = 0; i < 2000; i++) mt.store(1000 + 3 * i, `v${i}`);
    expect(pool.stats().nodesInUse).toBe(mt.nodeCount);
    mt.destroy();
    expect(mt.isEmpty()).toBe(true);
    expect(mt.height).toBe(0);
    expect(mt.nodeCount).toBe(0);
    expect(pool.stats().nodesInUse).toBe(start);
    mt.store(5, 'again');
    expect(mt.load(5)).toBe('again');
    mt.validate();
  });
  test('free releases everything; any further use throws', () => {
    const pool = new NodePool();
    const mt = small(pool);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
    expect(() => mt.store(1, 'x')).toThrow();
    expect(() => mt.load(1)).toThrow();
    expect(() => [...mt]).toThrow();
    expect(() => mt.validate()).toThrow();
    expect(() => mt.dup()).toThrow();
    mt.free(); // a second free is harmless
  });
  test('find / next / prev on a freed tree throw, and never read another tree that reused its memory', () => {
    const pool = new NodePool();
    const mt = small(pool);
    mt.free();
    const other = new MapleTree<string>({ pool });
    other.storeRange(100, 200, 'other');
    expect(() => mt.find(0)).toThrow(/free/);
    expect(() => mt.next(0)).toThrow(/free/);
    expect(() => mt.prev(1000)).toThrow(/free/);
    expect([...other]).toEqual([r(100, 200, 'other')]);
    other.validate();
  });
  test('pool counters: allocations - frees == nodesInUse', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 5000; i++) mt.store(i * 2, i);
    for (let i = 0; i < 5000; i += 2) mt.erase(i * 2);
    const s = pool.stats();
    expect(s.allocations - s.frees).toBe(s.nodesInUse);
    expect(s.nodesInUse).toBe(mt.nodeCount);
    expect(s.pagesInUse * 16).toBeGreaterThanOrEqual(s.nodesInUse + s.nodesFree);
  });
});

describe('isEmpty / height / nodeCount', () => {
  test('track the tree from empty through growth and back', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    expect([mt.isEmpty(), mt.height, mt.nodeCount]).toEqual([true, 0, 0]);
    mt.store(3, 1);
    expect([mt.isEmpty(), mt.height, mt.nodeCount]).toEqual([false, 1, 1]);
    for (let i = 0; i < 100; i++) mt.store(10 * i + 20, i);
    expect(mt.height).toBe(2);
    expect(mt.nodeCount).toBe(mt.pool.stats().nodesInUse);
    expect(mt.nodeCount).toBeGreaterThanOrEqual(1 + Math.ceil(202 / 16));
    mt.storeRange(0, ULONG_MAX, null);
    expect([mt.isEmpty(), mt.height, mt.nodeCount]).toEqual([true, 0, 0]);
  });
});

describe('numeric entry mode', () => {
  test('0 is a valid entry distinct from empty; the largest is 2^53 - 2', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    mt.store(5, 0);
    expect(mt.load(5)).toBe(0);
    expect(mt.load(4)).toBeUndefined();
    expect(mt.isEmpty()).toBe(false);
    expect(mt.find(0)).toEqual(r(5, 5, 0));
    expect(mt.erase(5)).toBe(0);
    expect(mt.isEmpty()).toBe(true);
    mt.store(0, 0);
    expect(mt.load(0)).toBe(0);
    expect(mt.isEmpty()).toBe(false);
    mt.store(1, Number.MAX_SAFE_INTEGER - 1);
    expect(mt.load(1)).toBe(Number.MAX_SAFE_INTEGER - 1);
    mt.validate();
  });
  test('insert of 0 into a gap works, over an entry 0 fails with EEXIST', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    mt.insert(9, 0);
    expect(() => mt.insert(9, 0)).toThrow(MapleError);
    expect(mt.load(9)).toBe(0);
  });
});

describe('bigint keys', () => {
  test('keys above 2^53 round-trip and come back as bigint; keys up to 2^53 - 1 as number', () => {
    const mt = new MapleTree<string>({ pool: new NodePool() });
    const k = 2n ** 60n + 12345n;
    mt.storeRange(k, k + 10n, 'hi');
    mt.store(2n ** 53n - 1n, 'edge'); // bigint argument, safe value: comes back as number
    expect(mt.load(k + 5n)).toBe('hi');
    expect(mt.find(0)).toEqual(r(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'edge'));
    expect(mt.find(2n ** 53n)).toEqual(r(k, k + 10n, 'hi'));
    mt.store(ULONG_MAX, 'top');
    expect(mt.find(ULONG_MAX)).toEqual(r(18446744073709551615n, 18446744073709551615n, 'top'));
    expect(mt.prev(ULONG_MAX)).toEqual(r(k, k + 10n, 'hi'));
    expect(MAPLE_MAX).toBe(ULONG_MAX);
    expect(ULONG_MAX).toBe(2n ** 64n - 1n);
    expect(mt.erase(k)).toBe('hi');
    mt.validate();
  });
  test('a number and an equal bigint address the same index', () => {
    const mt = new MapleTree<string>({ pool: new NodePool() });
    mt.store(12345n, 'a');
    expect(mt.load(12345)).toBe('a');
    mt.store(Number.MAX_SAFE_INTEGER, 'b');
    expect(mt.load(BigInt(Number.MAX_SAFE_INTEGER))).toBe('b');
  });
});

describe('MapleError', () => {
  test('carries code, errno and op', () => {
    const mt = small();
    try {
      mt.insert(10, 'x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MapleError);
      expect(e).toBeInstanceOf(Error);
      const m = e as MapleError;
      expect([m.name, m.code, m.errno, m.op]).toEqual(['MapleError', 'EEXIST', 17, 'insert']);
      expect(m.message).toContain('EEXIST');
    }
    const err = new MapleError('ENOMEM', 'store');
    expect([err.code, err.errno, err.op]).toEqual(['ENOMEM', 12, 'store']);
  });
});
