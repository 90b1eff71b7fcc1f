// Resource bounds: the entry handle table stays bounded by the live ranges however many objects
// pass through, and every node goes back to its pool.
import { describe, expect, test } from 'vitest';
import { MapleTree, NodePool } from '../src/index';
import { mulberry32 } from './support/rng';

const liveRanges = (mt: MapleTree<unknown>): number => {
  let n = 0;
  for (const _ of mt) n++;
  return n;
};

describe('entry handles', () => {
  test('1,000,000 overwrites of 1,000 indices keep the handle table at the live ranges', () => {
    const mt = new MapleTree<{ i: number }>({ pool: new NodePool() });
    for (let i = 0; i < 1_000_000; i++) mt.store(i % 1000, { i });
    const live = liveRanges(mt);
    expect(live).toBe(1000);
    const { live: handles, capacity } = mt.handleStats;
    expect(handles).toBe(1000);
    expect(capacity).toBeLessThanOrEqual(2 * live + 16);
    expect(mt.load(999)).toEqual({ i: 999_999 });
    mt.validate();
  });

  test('storeRange overwrites that split and cover ranges keep the table bounded', () => {
    const r = mulberry32(99);
    const mt = new MapleTree<{ i: number }>({ pool: new NodePool() });
    let maxLive = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const a = r.int(5000);
      const b = a + (r.chance(0.9) ? r.int(8) : r.int(400));
      mt.storeRange(a, b, r.chance(0.05) ? null : { i });
      if (i % 100_000 === 0) {
        const live = liveRanges(mt);
        maxLive = Math.max(maxLive, live);
        expect(mt.handleStats.live).toBeLessThanOrEqual(live);
        mt.validate();
      }
    }
    const live = liveRanges(mt);
    maxLive = Math.max(maxLive, live);
    expect(mt.handleStats.live).toBeLessThanOrEqual(live);
    // Each live handle is held by >= 1 range; freed slots are reused, so the table never grew
    // past the most ranges alive at once (plus the transient one of a write).
    expect(mt.handleStats.capacity).toBeLessThanOrEqual(2 * maxLive + 16);
    mt.validate();
    mt.destroy();
    expect(mt.handleStats.live).toBe(0);
  });

  test('one object over many split ranges is one handle, released when the last piece goes', () => {
    const mt = new MapleTree<{ x: number }>({ pool: new NodePool() });
    const x = { x: 1 };
    mt.storeRange(0, 10_000, x);
    for (let i = 1; i < 10_000; i += 2) mt.store(i, null); // 5001 pieces of x
    expect(liveRanges(mt)).toBe(5001);
    expect(mt.handleStats.live).toBe(1);
    mt.validate();
    for (let i = 0; i <= 10_000; i += 2) expect(mt.erase(i)).toBe(x);
    expect(mt.handleStats.live).toBe(0);
    mt.validate();
  });
});

describe('nodes back to the pool', () => {
  test.each([1, 10, 100, 1_000, 10_000, 60_000])('destroy() after %i ranges returns nodesInUse to its start', (n) => {
    const pool = new NodePool();
    const start = pool.stats().nodesInUse;
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    const r = mulberry32(n);
    for (let i = 0; i < n; i++) mt.storeRange(i * 10, i * 10 + r.int(9), i);
    for (let i = 0; i < n / 3; i++) mt.erase(r.int(n) * 10);
    mt.validate();
    expect(pool.stats().nodesInUse).toBe(start + mt.nodeCount);
    mt.destroy();
    expect(pool.stats().nodesInUse).toBe(start);
    mt.validate();
    // the same tree reused, then freed
    for (let i = 0; i < n; i++) mt.store(i, i);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(start);
    const s = pool.stats();
    expect(s.allocations - s.frees).toBe(s.nodesInUse);
  });

  test('100 trees sharing one pool: accounting holds throughout and returns to zero', () => {
    const pool = new NodePool();
    const r = mulberry32(100);
    const trees = Array.from({ length: 100 }, () => new MapleTree<number>({ pool, entries: 'number' }));
    for (let round = 0; round < 20; round++) {
      for (const mt of trees) {
        for (let k = 0; k < 30; k++) {
          const a = r.int(20_000);
          if (r.chance(0.2)) mt.storeRange(a, a + r.int(300), null);
          else mt.storeRange(a, a + r.int(5), a);
        }
      }
      const inTrees = trees.reduce((s, mt) => s + mt.nodeCount, 0);
      expect(pool.stats().nodesInUse).toBe(inTrees);
      expect(pool.treeNodes()).toBe(inTrees);
      trees[r.int(100)].validate();
    }
    for (const mt of trees) mt.validate();
    for (let i = 0; i < 50; i++) trees[i].destroy();
    expect(pool.stats().nodesInUse).toBe(trees.slice(50).reduce((s, mt) => s + mt.nodeCount, 0));
    for (const mt of trees) mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
    const s = pool.stats();
    expect(s.allocations).toBe(s.frees);
  });
});
