// Allocation failure: every write either completes or fails with ENOMEM leaving the tree, the
// pool and the entry handles exactly as they were. Three layers:
//   1. a short fixed-seed fuzz run over every fault mode (src/fuzz/engine.ts);
//   2. exhaustive fault placement over hand-picked sequences (every k-th allocation fails once,
//      and every allocation from the k-th on fails);
//   3. the kernel test suite's allocation scenarios (lib/test_maple_tree.c,
//      tools/testing/radix-tree/maple.c), re-expressed against this API.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, NodePool, MapleError } from '../src/index';
import { fuzzSeed, exhaustive, defaultMode, DEEP_HEIGHT, type Op } from '../src/fuzz/engine';

const sr = (a: number | bigint, b: number | bigint, e: number | null, extra: Partial<Op> = {}): Op =>
  ({ t: 'store', tr: 0, api: 'storeRange', a: String(a), b: String(b), e, ...extra }) as Op;
const er = (i: number, api: 'mt' | 'mas' = 'mt'): Op => ({ t: 'erase', tr: 0, api, i: String(i) });
const ascending = (from: number, to: number): Op[] => {
  const ops: Op[] = [];
  for (let i = from; i <= to; i++) ops.push(sr(10 * i, 10 * i + 5, i));
  return ops;
};

function expectEnomem(fn: () => unknown): MapleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MapleError);
    expect((e as MapleError).code).toBe('ENOMEM');
    return e as MapleError;
  }
  throw new Error('expected ENOMEM');
}

function accounting(pool: NodePool): void {
  const st = pool.stats();
  expect(st.nodesInUse).toBe(pool.treeNodes() + st.nodesReserved);
}

function contents<T>(mt: MapleTree<T>): [string, string, T][] {
  return [...mt.entries()].map(({ index, last, entry }) => [String(index), String(last), entry]);
}

describe('fixed-seed fuzz over every fault mode', () => {
  // seeds 1..10 cycle through nth, after, rate, budget, off twice, half with object entries
  for (let seed = 1; seed <= 10; seed++) {
    test(`seed ${seed} (${defaultMode(seed)})`, () => {
      const r = fuzzSeed({ seed, ops: 400, shrinkMs: 20_000 });
      expect(r.ops).toBe(400);
      if (defaultMode(seed) !== 'off') expect(r.failedAllocs).toBeGreaterThan(0);
    });
  }

  for (const seed of [2, 6]) {
    // seed 2: failRate, object entries; seed 6: failAfter, numeric entries
    test(`deep seed ${seed} (${defaultMode(seed)}): grown to height ${DEEP_HEIGHT} before the failures start`, () => {
      const r = fuzzSeed({ seed, ops: 150, deep: true, shrinkMs: 20_000 });
      console.log(`deep seed ${seed}: height ${r.grown?.height} with ${r.grown?.ranges} ranges after ${r.grown?.ops} ` +
        `ops, then ${r.ops - (r.grown?.ops ?? 0)} ops: max height ${r.maxHeight}, ${r.failedAllocs} allocations failed, ${r.enomem} ENOMEM`);
      expect(r.grown?.height).toBeGreaterThanOrEqual(DEEP_HEIGHT);
      expect(r.maxHeight).toBeGreaterThanOrEqual(DEEP_HEIGHT);
      expect(r.failedAllocs).toBeGreaterThan(0);
    });
  }

  for (const seed of [1, 5]) {
    test(`tall seed ${seed} (${defaultMode(seed)}): thousands of ranges, height 3 and more, under faults`, () => {
      const r = fuzzSeed({ seed, ops: 300, tall: true, shrinkMs: 20_000 });
      expect(r.maxHeight).toBeGreaterThanOrEqual(3);
      expect(r.failedAllocs).toBeGreaterThan(0);
    });
  }
});

describe('exhaustive fault placement', () => {
  test('new root, appends and the first root split (height 0 -> 1 -> 2)', () => {
    const r = exhaustive([sr(5, 7, 1), ...ascending(1, 20)]);
    expect(r.asked).toBeGreaterThan(0);
    expect(r.runsWithEnomem).toBeGreaterThan(0);
    expect(r.failedTypes).toContain('new root');
    expect(r.failedTypes).toContain('split');
  });

  test('height growth to 3, spanning stores, and shrinking back to empty', () => {
    const r = exhaustive([
      ...ascending(0, 130),
      sr(15, 1203, 7),          // spans many leaves
      sr(400, 900, null),       // NULL spanning store
      sr(0, 5000, null),        // empties the tree (height back to 0)
      sr(3, 4, 9),              // new root again
    ], 'object');
    expect(r.failedTypes).toContain('split');
    expect(r.failedTypes).toContain('spanning store');
    expect(r.failedTypes).toContain('new root');
  });

  test('rebalance: erasing a leaf below its minimum occupancy', () => {
    const ops: Op[] = [...ascending(0, 60)];
    // leaf [156, 235] holds entries 16..23: erasing 16..21 (not its last) shrinks it in place
    // until it falls to the minimum and is rebalanced with a neighbour
    for (let i = 16; i <= 21; i++) ops.push(er(10 * i, i % 2 ? 'mas' : 'mt'));
    for (let i = 40; i <= 50; i++) ops.push(er(10 * i, i % 2 ? 'mas' : 'mt'));
    ops.push(sr(1, 2, 5, { api: 'masNomem' } as Partial<Op>));
    const r = exhaustive(ops);
    expect(r.failedTypes).toContain('rebalance');
  });

  test('advanced API: mas_nomem retry, preallocate/store_prealloc, expected entries, dup', () => {
    const ops: Op[] = [
      ...ascending(0, 24),
      { t: 'store', tr: 0, api: 'masNomem', a: '101', b: '102', e: 1 },
      { t: 'pre', tr: 0, a: '33', b: '34', e: 2 },
      { t: 'pre', tr: 0, a: '40', b: '190', e: null },
      { t: 'bulk', tr: 0, a: '1000', n: 40, step: '3', len: '2', e: 50 },
      { t: 'dup' },
      { t: 'store', tr: 1, api: 'storeRange', a: '0', b: '500', e: 3 },
      { t: 'erase', tr: 1, api: 'mas', i: '1003' },
      { t: 'store', tr: 0, api: 'insertRange', a: '7', b: '8', e: 4 },
    ];
    const r = exhaustive(ops, 'object');
    expect(r.runsWithEnomem).toBeGreaterThan(0);
  });
});

describe('kernel allocation scenarios', () => {
  test('check_nomem: a store needing a node in an empty tree fails with ENOMEM and leaves it empty', () => {
    const pool = new NodePool();
    const mt = new MapleTree<string>({ pool });
    pool.faults.failAfter(0);
    const err = expectEnomem(() => mt.store(1, 'a'));
    expect(err.op).toBe('store');
    expect(mt.isEmpty()).toBe(true);
    expect(mt.load(1)).toBeUndefined();
    expect(pool.stats().nodesInUse).toBe(0);
    expect(pool.faults.stats().lastFailure?.writeType).toBe('new root');
    mt.validate();
    pool.faults.off();
    mt.store(1, 'a');
    expect(mt.load(1)).toBe('a');
    expect(mt.height).toBe(1);
    mt.validate();
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('check_nomem: with no GFP_ATOMIC memory, insert at 1 fails, insert at 0 needs no node, mas_nomem then retries', () => {
    const pool = new NodePool();
    const mt = new MapleTree<string>({ pool });
    pool.faults.nonKernelBudget(0); // mt_set_non_kernel(0)
    expectEnomem(() => mt.insert(1, 'ms', 'nowait'));
    expect(mt.isEmpty()).toBe(true);
    mt.insert(0, 'ms', 'nowait'); // the root pointer holds it: no node
    expect(mt.height).toBe(0);
    expect(mt.load(0)).toBe('ms');

    const ms = new MaState(mt, 1, 1);
    expectEnomem(() => ms.store('ms', 'nowait'));
    expect(ms.status).toBe('error');
    expect(ms.allocated).toBe(0);
    expect(mt.load(1)).toBeUndefined();
    expect(ms.nomem('kernel')).toBe(true); // node allocated in here
    expect(ms.status).toBe('start');
    expect(ms.allocated).toBeGreaterThan(0);
    accounting(pool);

    mt.insert(2, 'mt'); // another writer gets in first (GFP_KERNEL)
    ms.store('ms', 'nowait'); // the reserve covers it; leftovers go back
    expect(ms.allocated).toBe(0);
    expect(contents(mt)).toEqual([['0', '0', 'ms'], ['1', '1', 'ms'], ['2', '2', 'mt']]);
    mt.validate();
    accounting(pool);
    ms.free();
    mt.destroy();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('mt_set_non_kernel(0): normal writes still succeed through the GFP_KERNEL fallback', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    pool.faults.nonKernelBudget(0);
    for (let i = 0; i < 200; i++) mt.storeRange(10 * i, 10 * i + 5, i);
    for (let i = 0; i < 200; i += 3) mt.erase(10 * i);
    mt.storeRange(55, 1555, 7);
    const fs = pool.faults.stats();
    expect(fs.failed).toBeGreaterThan(0);
    expect(fs.lastFailure?.gfp).toBe('nowait');
    expect(mt.load(1000)).toBe(7);
    expect(mt.height).toBeGreaterThanOrEqual(2);
    mt.validate();
    // an explicitly atomic write has no fallback
    const before = contents(mt);
    expectEnomem(() => mt.storeRange(15, 1205, 1, 'nowait')); // a spanning store needs nodes
    expect(contents(mt)).toEqual(before);
    mt.validate();
    // a budget lets exactly that many GFP_NOWAIT allocations through
    pool.faults.nonKernelBudget(1000);
    const failed = pool.faults.stats().failed;
    mt.storeRange(15, 1205, 1, 'nowait');
    expect(pool.faults.stats().failed).toBe(failed);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('failNth: one failed allocation never fails a normal-API write (mas_nomem falls back)', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let k = 1; k <= 40; k++) {
      pool.faults.failNth(1);
      mt.storeRange(10 * k, 10 * k + 5, k);
    }
    expect(pool.faults.stats().failed).toBeGreaterThan(0);
    expect(mt.height).toBe(2);
    mt.validate();
    mt.free();
  });

  test('check_prealloc: mas_preallocate reserves the request, mas_destroy returns every node', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i <= 500; i++) mt.storeRange(10 * i, 10 * i + 5, i);
    const before = pool.stats().nodesInUse;
    const mas = new MaState(mt, 470, 500);
    mas.preallocate(1);
    expect(mas.allocated).toBeGreaterThan(0);
    expect(mas.allocated).toBe(mas.lastRequest);
    // A spanning store under a root with a free slot and children to spare: 3 nodes a level below
    // the root and 1 more, 3(h - 1) + 1 (check_prealloc counts from the vacant height too).
    expect(mt.height).toBe(3);
    expect(mas.lastRequest).toBe(3 * (mt.height - 1) + 1);
    expect(pool.stats().nodesReserved).toBe(mas.allocated);
    accounting(pool);
    mas.destroy();
    expect(mas.allocated).toBe(0);
    expect(pool.stats().nodesInUse).toBe(before);
    expect(pool.stats().nodesReserved).toBe(0);

    // preallocate, then store from the reserve with every allocation failing
    mas.setRange(470, 500);
    mas.preallocate(1);
    pool.faults.failAfter(0);
    mas.storePrealloc(1);
    expect(mas.allocated).toBe(0);
    expect(mt.load(480)).toBe(1);
    mt.validate();
    pool.faults.off();

    // GFP_NOWAIT with mt_set_non_kernel(1): not enough, nothing kept
    const now = pool.stats().nodesInUse;
    mas.setRange(1001, 4003);
    pool.faults.nonKernelBudget(1);
    expectEnomem(() => mas.preallocate(2, 'nowait'));
    expect(mas.allocated).toBe(0);
    expect(pool.stats().nodesInUse).toBe(now);
    pool.faults.off();
    mas.free();
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('mas_store_prealloc without a matching preallocation is refused (EINVAL) and changes nothing', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i <= 100; i++) mt.storeRange(10 * i, 10 * i + 5, i);
    const before = contents(mt);
    const mas = new MaState(mt, 15, 905);
    expect(() => mas.storePrealloc(3)).toThrowError(MapleError);
    expect(contents(mt)).toEqual(before);
    mt.validate();
    accounting(pool);
    mt.free();
  });

  test('mas_expected_entries: bulk store, mas_destroy gives the unused reserve back', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    const mas = new MaState(mt, 0);
    mas.expectedEntries(300);
    const reserved = mas.allocated;
    expect(reserved).toBeGreaterThan(0);
    pool.faults.failAfter(0); // the reservation covers the whole load
    for (let i = 0; i < 300; i++) {
      mas.setRange(10 * i, 10 * i + 5);
      mas.store(i);
    }
    pool.faults.off();
    mas.destroy();
    expect(mas.allocated).toBe(0);
    expect(pool.stats().nodesReserved).toBe(0);
    expect(pool.stats().nodesInUse).toBe(mt.nodeCount);
    expect(mt.load(2995)).toBe(299);
    mt.validate();

    // and with no memory at all, nothing is reserved
    const mas2 = new MaState(mt, 5000);
    pool.faults.failAfter(0);
    expectEnomem(() => mas2.expectedEntries(100));
    expect(mas2.allocated).toBe(0);
    expect(pool.stats().nodesInUse).toBe(mt.nodeCount);
    pool.faults.off();
    mas.free();
    mas2.free();
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('mt_dup under failAfter(k): no copy, no leaked node, source untouched, for every k', () => {
    const pool = new NodePool();
    const mt = new MapleTree<string>({ pool });
    for (let i = 0; i < 400; i++) mt.storeRange(10 * i, 10 * i + 5, `v${i}`);
    expect(mt.height).toBe(3);
    const want = contents(mt);
    const nodes = mt.nodeCount;
    for (let k = 0; k < nodes; k++) {
      pool.faults.failAfter(k);
      expectEnomem(() => mt.dup());
      pool.faults.off();
      expect(pool.stats().nodesInUse).toBe(nodes);
      accounting(pool);
    }
    mt.validate();
    expect(contents(mt)).toEqual(want);
    pool.faults.failAfter(nodes); // exactly enough
    const copy = mt.dup();
    pool.faults.off();
    expect(contents(copy)).toEqual(want);
    copy.validate();
    expect(pool.stats().nodesInUse).toBe(2 * nodes);
    copy.free();
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('mas_store_gfp + mas_nomem: the retry loop of the kernel succeeds once memory is back', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 150; i++) mt.storeRange(10 * i, 10 * i + 5, i);
    const before = contents(mt);
    const mas = new MaState(mt, 3, 1203);
    pool.faults.failAfter(0);
    expectEnomem(() => mas.store(9));
    expect(mas.status).toBe('error');
    expect(contents(mt)).toEqual(before);
    expect(mas.nomem('kernel')).toBe(false); // still no memory: nothing kept
    expect(mas.allocated).toBe(0);
    pool.faults.off();
    expect(mas.nomem('kernel')).toBe(true);
    expect(mas.allocated).toBeGreaterThan(0);
    pool.faults.failAfter(0); // the retry must not allocate
    mas.store(9);
    pool.faults.off();
    expect(mas.allocated).toBe(0);
    expect(mt.load(600)).toBe(9);
    mt.validate();
    accounting(pool);
    mas.free();
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('mtree_erase needing a rebalance fails atomically under failAfter(0)', () => {
    const pool = new NodePool();
    // Erases draw on the pool's emergency reserve when the normal allocation fails; to see an
    // erase fail at all, the armed faults fail the reserve too.
    pool.faults.failReserve(true);
    const mt = new MapleTree<string>({ pool });
    for (let i = 0; i < 60; i++) mt.storeRange(10 * i, 10 * i + 5, `v${i}`);
    let sawFailure = false;
    for (let i = 0; i < 60; i++) {
      const before = contents(mt);
      const inUse = pool.stats().nodesInUse;
      pool.faults.failAfter(0);
      try {
        expect(mt.erase(10 * i)).toBe(`v${i}`);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        sawFailure = true;
        expect(contents(mt)).toEqual(before);
        expect(pool.stats().nodesInUse).toBe(inUse);
        pool.faults.off();
        expect(mt.erase(10 * i)).toBe(`v${i}`);
      }
      pool.faults.off();
      mt.validate();
    }
    expect(sawFailure).toBe(true);
    expect(mt.isEmpty()).toBe(true);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });
});
