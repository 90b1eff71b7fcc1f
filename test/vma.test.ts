// VmaIterator: the vma_iter_* layer over MaState. Each test names the kernel helper it pins.
// VMAs are [vmStart, vmEnd) with vmEnd exclusive; the tree holds [vmStart, vmEnd - 1].
import { describe, expect, test } from 'vitest';
import { MapleError, MapleTree, NodePool, ULONG_MAX, VmaIterator } from '../src/index';
import type { Vma } from '../src/index';

interface V extends Vma {
  name: string;
}

const P = 0x1000;

function vma(name: string, vmStart: number | bigint, vmEnd: number | bigint): V {
  return { name, vmStart, vmEnd };
}

/** A tree with a, b, c at [1,3), [3,5), [8,10) pages and its pool. */
function setup(): { pool: NodePool; mt: MapleTree<V>; a: V; b: V; c: V } {
  const pool = new NodePool();
  const mt = new MapleTree<V>({ pool, allocRange: true });
  const a = vma('a', 1 * P, 3 * P);
  const b = vma('b', 3 * P, 5 * P);
  const c = vma('c', 8 * P, 10 * P);
  const vmi = new VmaIterator(mt);
  for (const v of [a, b, c]) vmi.storeGfp(v);
  vmi.destroy();
  return { pool, mt, a, b, c };
}

/** 40 one-page VMAs with one-page holes between them, [P, 2P), [3P, 4P), ... and an iterator. */
function fortyVmas(): { pool: NodePool; mt: MapleTree<V>; vmi: VmaIterator<V> } {
  const pool = new NodePool();
  const mt = new MapleTree<V>({ pool, allocRange: true });
  const vmi = new VmaIterator(mt);
  for (let i = 0; i < 40; i++) vmi.storeGfp(vma(`v${i}`, (2 * i + 1) * P, (2 * i + 2) * P));
  return { pool, mt, vmi };
}

function ranges(mt: MapleTree<V>): [number | bigint, number | bigint, string][] {
  return [...mt.entries()].map(({ index, last, entry }) => [index, last, entry.name]);
}

function expectNoLeak(pool: NodePool, mt: MapleTree<V>): void {
  mt.validate();
  expect(pool.stats().nodesReserved).toBe(0);
  expect(pool.stats().nodesInUse).toBe(pool.treeNodes());
}

describe('walks', () => {
  test('vma_find / vma_next / vma_prev / for_each_vma', () => {
    const { mt, a, b, c } = setup();
    const vmi = new VmaIterator(mt, 2 * P);
    expect(vmi.find(4 * P)).toBe(a); // a holds the address
    expect([vmi.addr, vmi.end]).toEqual([1 * P, 3 * P]); // vma_iter_addr / vma_iter_end
    expect(vmi.find(4 * P)).toBe(b); // starts below max
    expect(vmi.find(4 * P)).toBeUndefined();
    vmi.set(0);
    expect([...vmi]).toEqual([a, b, c]); // for_each_vma
    vmi.set(9 * P);
    expect(vmi.load()).toBe(c);
    expect(vmi.prev()).toBe(b);
    expect(vmi.prev()).toBe(a);
    expect(vmi.prev()).toBeUndefined();
    vmi.set(3 * P);
    expect(vmi.next()).toBe(b); // first call: the VMA at the address
    expect(vmi.next()).toBe(c);
    expect(vmi.next()).toBeUndefined();
    vmi.destroy();
  });

  test('vma_find: max is exclusive', () => {
    const { mt, c } = setup();
    const vmi = new VmaIterator(mt, 6 * P);
    expect(vmi.find(8 * P)).toBeUndefined(); // c starts at 8P: not below max
    vmi.set(6 * P);
    expect(vmi.find(8 * P + 1)).toBe(c);
    vmi.destroy();
  });

  test('for_each_vma_range visits exactly the VMAs meeting [start, end)', () => {
    const { mt, a, b, c } = setup();
    const vmi = new VmaIterator(mt);
    expect([...vmi.range(2 * P, 3 * P)]).toEqual([a]);
    expect([...vmi.range(2 * P, 3 * P + 1)]).toEqual([a, b]);
    expect([...vmi.range(5 * P, 8 * P)]).toEqual([]);
    expect([...vmi.range(0, 10 * P)]).toEqual([a, b, c]);
    expect([...vmi.range(9 * P, ULONG_MAX + 1n)]).toEqual([c]);
    vmi.destroy();
  });

  test('vma_iter_next_range / vma_iter_prev_range stop on gaps too', () => {
    const { mt, a, b, c } = setup();
    const vmi = new VmaIterator(mt, 0);
    expect(vmi.load()).toBeUndefined(); // the gap [0, 1P)
    expect([vmi.addr, vmi.end]).toEqual([0, P]);
    expect(vmi.nextRange()).toBe(a);
    expect(vmi.nextRange()).toBe(b);
    expect(vmi.nextRange()).toBeUndefined();
    expect([vmi.addr, vmi.end]).toEqual([5 * P, 8 * P]);
    expect(vmi.nextRange()).toBe(c);
    expect(vmi.nextRange()).toBeUndefined(); // the gap to the end
    expect(vmi.end).toBe(ULONG_MAX + 1n);
    expect(vmi.prevRange()).toBe(c);
    expect(vmi.prevRange()).toBeUndefined();
    expect(vmi.prevRange()).toBe(b);
    vmi.destroy();
  });

  test('vma_iter_config / vma_iter_load / vma_iter_reset / vma_iter_set', () => {
    const { mt, b } = setup();
    const vmi = new VmaIterator(mt);
    vmi.config(4 * P, 6 * P);
    expect([vmi.addr, vmi.end]).toEqual([4 * P, 6 * P]);
    expect(vmi.load()).toBe(b); // walks index 4P
    expect([vmi.addr, vmi.end]).toEqual([3 * P, 5 * P]);
    vmi.reset();
    expect(vmi.mas.status).toBe('start');
    vmi.set(7 * P);
    expect(vmi.load()).toBeUndefined();
    expect([vmi.addr, vmi.end]).toEqual([5 * P, 8 * P]);
    vmi.destroy();
  });

  test('vma_iter_area_lowest / vma_iter_area_highest: max exclusive', () => {
    const { mt } = setup();
    const vmi = new VmaIterator(mt);
    expect(vmi.areaLowest(P, 20 * P, 3 * P)).toBe(5 * P);
    expect([vmi.addr, vmi.end]).toEqual([5 * P, 8 * P]);
    expect(vmi.areaHighest(P, 20 * P, 3 * P)).toBe(17 * P);
    expect(vmi.end).toBe(20 * P);
    expect(vmi.areaHighest(P, 8 * P, 3 * P)).toBe(5 * P);
    expect(() => vmi.areaHighest(P, 8 * P - 1, 3 * P)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    vmi.destroy();
  });
});

describe('writes', () => {
  test('vma_iter_prealloc + vma_iter_store: never allocates', () => {
    const { pool, mt, a } = setup();
    const vmi = new VmaIterator(mt);
    const d = vma('d', 5 * P, 8 * P);
    vmi.prealloc(d);
    const asked = pool.faults.stats().asked;
    pool.faults.failAfter(0);
    vmi.store(d);
    pool.faults.off();
    expect(pool.faults.stats().asked).toBe(asked);
    expect(vmi.mas.allocated).toBe(0);
    expect(ranges(mt).map((r) => r[2])).toEqual(['a', 'b', 'd', 'c']);
    // overwrite part of a with a new piece: vma_iter_store over a's upper page
    const a2 = vma('a2', 2 * P, 3 * P);
    vmi.prealloc(a2);
    vmi.store(a2);
    expect(ranges(mt).slice(0, 2)).toEqual([[P, 2 * P - 1, 'a'], [2 * P, 3 * P - 1, 'a2']]);
    expect(mt.load(P)).toBe(a);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  // vma_iter_prealloc and vma_iter_store set the state's range from the VMA (__mas_set_range)
  // in the same call into the core as the write: a walk in between does not move the write.
  test('vma_iter_prealloc + vma_iter_store over the VMA\'s range, above 2^53 and up to 2^64, with walks in between', () => {
    const pool = new NodePool();
    const mt = new MapleTree<V>({ pool, allocRange: true });
    const vmi = new VmaIterator(mt);
    const G = 2n ** 60n;
    const low = vma('low', P, 2 * P);
    const hi = [0, 1, 2, 3].map((i) => vma(`h${i}`, G + BigInt(2 * i) * 0x1000n, G + BigInt(2 * i + 1) * 0x1000n));
    const top = vma('top', ULONG_MAX - 0xfffn, ULONG_MAX + 1n);
    for (const v of [low, ...hi, top]) {
      vmi.prealloc(v);
      vmi.set(0);
      expect(vmi.next()).toBe(v === low ? undefined : low); // the iterator walks elsewhere
      vmi.store(v);
      expect([vmi.addr, vmi.end]).toEqual([v.vmStart, v.vmEnd]);
    }
    const across = vma('across', G + 0x800n, G + 0x4800n); // over h0's tail, h1, h2's head
    vmi.prealloc(across);
    vmi.prev();
    vmi.store(across);
    expect(ranges(mt)).toEqual([
      [P, 2 * P - 1, 'low'], [G, G + 0x7ffn, 'h0'], [G + 0x800n, G + 0x47ffn, 'across'],
      [G + 0x4800n, G + 0x4fffn, 'h2'], [G + 0x6000n, G + 0x6fffn, 'h3'], [ULONG_MAX - 0xfffn, ULONG_MAX, 'top'],
    ]);
    vmi.storeGfp(vma('gfp', G + 0x6000n, G + 0x7000n)); // vma_iter_store_gfp over h3 exactly
    vmi.clearGfp(G, G + 0x800n); // and vma_iter_clear_gfp over h0
    expect(ranges(mt).map((r) => r[2])).toEqual(['low', 'across', 'h2', 'gfp', 'top']);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('vma_iter_store without a covering reserve: EINVAL, tree unchanged', () => {
    const { pool, mt, vmi } = fortyVmas();
    const before = ranges(mt);
    // a store spanning many VMAs needs nodes; there is no reserve
    expect(() => vmi.store(vma('big', P, 60 * P))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(ranges(mt)).toEqual(before);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('vma_iter_store_gfp: ENOMEM leaves the tree unchanged; retry succeeds', () => {
    const { pool, mt, vmi } = fortyVmas();
    const before = ranges(mt);
    const big = vma('big', P, 60 * P);
    pool.faults.failAfter(0);
    expect(() => vmi.storeGfp(big)).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    pool.faults.off();
    expect(ranges(mt)).toEqual(before);
    expectNoLeak(pool, mt);
    vmi.storeGfp(big);
    expect(mt.load(30 * P)).toBe(big);
    expect(mt.load(60 * P)).toBeUndefined();
    expect(mt.load(61 * P)?.name).toBe('v30');
    expectNoLeak(pool, mt);
    // 'nowait' alone is refused when only the fallback would succeed
    pool.faults.nonKernelBudget(0);
    const again = vma('again', P, 80 * P);
    expect(() => vmi.storeGfp(again, 'nowait')).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    vmi.storeGfp(again, 'kernel');
    pool.faults.off();
    expect(mt.load(79 * P)).toBe(again);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('vma_iter_clear_gfp and vma_iter_config + vma_iter_prealloc(NULL) + vma_iter_clear', () => {
    const pool = new NodePool();
    const mt = new MapleTree<V>({ pool, allocRange: true });
    const vmi = new VmaIterator(mt);
    const list: V[] = [];
    for (let i = 0; i < 200; i++) {
      const v = vma(`v${i}`, (2 * i + 1) * P, (2 * i + 2) * P);
      list.push(v);
      vmi.storeGfp(v);
    }
    // clear_gfp under failAfter(0), the emergency reserve failing too (else the clear, a NULL
    // store, would draw on it and succeed): ENOMEM, unchanged
    const before = ranges(mt);
    pool.faults.failReserve(true);
    pool.faults.failAfter(0);
    expect(() => vmi.clearGfp(10 * P, 300 * P)).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    pool.faults.off();
    expect(ranges(mt)).toEqual(before);
    vmi.clearGfp(10 * P, 300 * P);
    expect([...vmi.range(0, ULONG_MAX + 1n)].length).toBe(200 - 145);
    expect(mt.load(9 * P)).toBe(list[4]);
    expect(mt.load(301 * P)).toBe(list[150]);
    expectNoLeak(pool, mt);
    // the preallocated clear: nothing asked between config and the end of clear
    vmi.config(301 * P, 399 * P);
    vmi.prealloc(null);
    expect(vmi.mas.allocated).toBe(vmi.mas.lastRequest);
    expect(pool.stats().nodesReserved).toBe(vmi.mas.allocated);
    // walking with the same iterator keeps the reserve (mas_set does not drop it)
    expect([...vmi.range(301 * P, 399 * P)].length).toBe(49);
    vmi.config(301 * P, 399 * P);
    const asked = pool.faults.stats().asked;
    pool.faults.failAfter(0);
    vmi.clear();
    pool.faults.off();
    expect(pool.faults.stats().asked).toBe(asked);
    expect([...vmi.range(301 * P, 399 * P)]).toEqual([]);
    expect(mt.load(399 * P)).toBe(list[199]);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('vma_iter_free gives the reserve back', () => {
    const { pool, mt } = setup();
    const vmi = new VmaIterator(mt);
    vmi.config(0, 100 * P);
    vmi.prealloc(null);
    expect(pool.stats().nodesReserved).toBe(vmi.mas.allocated);
    vmi.free();
    expect(vmi.mas.allocated).toBe(0);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('vma_iter_bulk_alloc + vma_iter_bulk_store', () => {
    const pool = new NodePool();
    const mt = new MapleTree<V>({ pool, allocRange: true });
    const vmi = new VmaIterator(mt, 0, { pageSize: P });
    const n = 1000;
    vmi.bulkAlloc(n);
    for (let i = 0; i < n; i++) vmi.bulkStore(vma(`v${i}`, (3 * i + 1) * P, (3 * i + 3) * P));
    vmi.free();
    expect([...vmi.range(0, ULONG_MAX + 1n)].length).toBe(n);
    expect(mt.load(3 * 500 * P + P)?.name).toBe('v500');
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('insert: EEXIST on overlap, tree unchanged', () => {
    const { pool, mt } = setup();
    const vmi = new VmaIterator(mt);
    const before = ranges(mt);
    for (const [s, e] of [[0, 2 * P], [4 * P, 6 * P], [5 * P, 9 * P], [9 * P, 9 * P + 1], [0, 20 * P]]) {
      expect(() => vmi.insert(vma('x', s, e))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    }
    expect(ranges(mt)).toEqual(before);
    const d = vma('d', 5 * P, 8 * P); // fits exactly between b and c
    vmi.insert(d);
    expect(mt.load(7 * P)).toBe(d);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });
});

describe('bad VMAs and ranges', () => {
  test('vmEnd <= vmStart, bad types: clear errors, tree unchanged', () => {
    const { pool, mt } = setup();
    const vmi = new VmaIterator(mt);
    const before = ranges(mt);
    const bad: [unknown, unknown][] = [[5 * P, 5 * P], [6 * P, 5 * P], [-1, 5], [0.5, 5], [0, 0],
      [0, ULONG_MAX + 2n], [0, Number.MAX_SAFE_INTEGER + 1]];
    for (const [s, e] of bad) {
      const v = { name: 'bad', vmStart: s, vmEnd: e } as V;
      for (const op of [() => vmi.storeGfp(v), () => vmi.prealloc(v), () => vmi.store(v), () => vmi.insert(v),
        () => vmi.bulkStore(v), () => vmi.config(s as number, e as number), () => vmi.clearGfp(s as number, e as number)]) {
        expect(op).toThrow(RangeError);
      }
    }
    expect(() => vmi.storeGfp({ name: 'x', vmStart: '1', vmEnd: 2 } as unknown as V)).toThrow(TypeError);
    expect(() => vmi.storeGfp(null as unknown as V)).toThrow(TypeError);
    expect(() => vmi.find(0)).toThrow(RangeError);
    expect(() => new VmaIterator(mt, 0, { pageSize: 0 })).toThrow(RangeError);
    expect(vmi.mas.allocated).toBe(0);
    expect(ranges(mt)).toEqual(before);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('pageSize: unaligned VMAs and ranges are RangeErrors, tree unchanged', () => {
    const { pool, mt } = setup();
    const vmi = new VmaIterator(mt, 0, { pageSize: P });
    const before = ranges(mt);
    for (const [s, e] of [[20 * P + 1, 21 * P], [20 * P, 21 * P - 1], [20 * P, 20 * P + 7]]) {
      const v = vma('u', s, e);
      expect(() => vmi.storeGfp(v)).toThrow(/not aligned to the page size/);
      expect(() => vmi.insert(v)).toThrow(RangeError);
      expect(() => vmi.prealloc(v)).toThrow(RangeError);
      expect(() => vmi.config(s, e)).toThrow(RangeError);
      expect(() => vmi.clearGfp(s, e)).toThrow(RangeError);
    }
    expect(ranges(mt)).toEqual(before);
    // bigint pages are checked the same way
    expect(() => vmi.storeGfp(vma('u', 2n ** 60n + 1n, 2n ** 60n + 4096n))).toThrow(RangeError);
    vmi.storeGfp(vma('hi', 2n ** 60n, 2n ** 60n + 4096n));
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('a VMA reaching ULONG_MAX: vmEnd = 2^64', () => {
    const pool = new NodePool();
    const mt = new MapleTree<V>({ pool, allocRange: true });
    const vmi = new VmaIterator(mt);
    const top = vma('top', ULONG_MAX - 0xfffn, ULONG_MAX + 1n);
    vmi.insert(top);
    expect(mt.load(ULONG_MAX)).toBe(top);
    vmi.set(ULONG_MAX);
    expect(vmi.load()).toBe(top);
    expect(vmi.addr).toBe(ULONG_MAX - 0xfffn);
    expect(vmi.end).toBe(ULONG_MAX + 1n);
    vmi.clearGfp(ULONG_MAX - 0xfffn, ULONG_MAX + 1n);
    expect(mt.isEmpty()).toBe(true);
    expectNoLeak(pool, mt);
    vmi.destroy();
  });

  test('errors are MapleErrors with the kernel code', () => {
    const { mt } = setup();
    const vmi = new VmaIterator(mt);
    try {
      vmi.insert(vma('x', 0, 2 * P));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MapleError);
      expect((e as MapleError).errno).toBe(17);
    }
    vmi.destroy();
  });
});
