// explain(): for every store type, the explanation measured on a copy must equal what the same
// write does when done for real on the tree itself: the pool's allocation / free / in-use
// counters, the height and node count after, the node request mas_preallocate makes, the store
// type the fault record names (for writes that allocate), the nodes the core took from the
// reserve, and whether a 'nowait' write with no 'nowait' allocation left fails.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, MapleError, NodePool, ULONG_MAX } from '../src/index';
import type { WriteExplanation } from '../src/index';
import { core } from '../src/wasm';
import { WRITE_TYPES } from '../src/gfp';
import { treeNodes } from '../src/nodes';

type Tree = MapleTree<number>;
type Write = [number | bigint, number | bigint, number | null];

function ascending(pool: NodePool, count: number, allocRange = false, scatter = false): Tree {
  const mt = new MapleTree<number>({ pool, entries: 'number', allocRange });
  for (let k = 0; k < count; k++) {
    // scatter: a fixed permutation, which leaves leaves part-full (room for pushes)
    const i = scatter ? (k * 7919) % count : k;
    mt.storeRange(10 * i, 10 * i + 5, i);
  }
  return mt;
}

function fitUsed(): number[] {
  return WRITE_TYPES.map((_, t) => core.preallocFit(t, 2));
}

/** The store type of a write from the fault record, with every allocation failing (tree untouched). */
function faultType(mt: Tree, [a, b, e]: Write): string {
  const copy = mt.dup();
  copy.pool.faults.failReserve(true); // a clear would otherwise take the emergency reserve
  copy.pool.faults.failAfter(0);
  try {
    copy.storeRange(a, b, e);
    return 'in place';
  } catch (err) {
    if (!(err instanceof MapleError) || err.code !== 'ENOMEM') throw err;
    return copy.pool.faults.stats().lastFailure!.writeType;
  } finally {
    copy.pool.faults.off();
    copy.pool.faults.failReserve(false);
    copy.free();
  }
}

/** Explain w on mt, then do it for real and check every count against the pool's counters. */
function checkAgainstRealWrite(mt: Tree, w: Write): WriteExplanation {
  const [a, b, e] = w;
  const pool = mt.pool;
  const dumpBefore = mt.dump();
  const inUse = pool.stats().nodesInUse;
  const x = mt.explain(a, b, e);
  // explain leaves the tree and the pool's in-use count as they were
  expect(mt.dump()).toBe(dumpBefore);
  expect(pool.stats().nodesInUse).toBe(inUse);
  expect(x.heightBefore).toBe(mt.height);
  expect(x.nodesBefore).toBe(mt.nodeCount);

  // what mas_preallocate reserves for this write
  const mas = new MaState(mt, a, b);
  mas.preallocate(e);
  expect(x.nodeRequest).toBe(mas.lastRequest);
  mas.destroy();
  mas.free();

  // the store type: the fault record names it when the write allocates
  const ft = faultType(mt, w);
  if (x.nodeRequest > 0) expect(ft).toBe(x.coreType);
  else expect(ft).toBe('in place');

  // 'nowait' with no 'nowait' allocation allowed fails exactly when explain says it can
  const copy = mt.dup();
  pool.faults.nonKernelBudget(0);
  let failed = false;
  try {
    copy.storeRange(a, b, e, 'nowait');
  } catch (err) {
    if (!(err instanceof MapleError) || err.code !== 'ENOMEM') throw err;
    failed = true;
  } finally {
    pool.faults.off();
    copy.free();
  }
  expect(failed).toBe(x.canFailNowait);

  // the write for real
  const s0 = pool.stats();
  const u0 = fitUsed();
  mt.storeRange(a, b, e);
  const s1 = pool.stats();
  const u1 = fitUsed();
  expect(x.allocated).toBe(s1.allocations - s0.allocations);
  expect(x.freed).toBe(s1.frees - s0.frees);
  expect(x.used - x.replaced).toBe(s1.nodesInUse - s0.nodesInUse);
  expect(x.used).toBe(u1[WRITE_TYPES.indexOf(x.coreType)] - u0[WRITE_TYPES.indexOf(x.coreType)]);
  expect(x.allocated).toBe(x.nodeRequest);
  expect(x.freed).toBe(x.replaced + x.returned);
  expect(x.heightAfter).toBe(mt.height);
  expect(x.nodesAfter).toBe(mt.nodeCount);
  expect(x.storeType).toBe(KERNEL[x.coreType]);
  mt.validate();
  return x;
}

const KERNEL: Record<string, string> = {
  'new root': 'new_root', 'store root': 'store_root', 'exact fit': 'exact_fit', 'append': 'append',
  'slot store': 'slot_store', 'node store': 'node_store', 'split': 'split_store', 'rebalance': 'rebalance',
  'spanning store': 'spanning_store', 'noop': 'noop', 'empty tree': 'empty tree',
};

/** The first candidate write whose explanation satisfies want (explain does not change mt). */
function pick(mt: Tree, cands: Write[], want: (x: WriteExplanation) => boolean): Write {
  for (const w of cands) if (want(mt.explain(w[0], w[1], w[2]))) return w;
  throw new Error(`no candidate of ${cands.length} fits`);
}

const around = (count: number, f: (i: number) => Write | undefined): Write[] => {
  const out: Write[] = [];
  const mid = count >> 1;
  for (let d = 0; d < Math.min(count, 80); d++) {
    for (const i of [mid + d, mid - d - 1]) {
      if (i < 0 || i >= count) continue;
      const w = f(i);
      if (w) out.push(w);
    }
  }
  return out;
};

interface Case {
  name: string;
  type: string;
  count: number;
  allocRange?: boolean;
  scatter?: boolean;
  cands: (count: number, mt: Tree) => Write[];
  want?: (x: WriteExplanation) => boolean;
}

const leaves = (mt: Tree) => {
  const nodes = treeNodes(mt as MapleTree<unknown>).filter((n) => n.type === 'leaf_64');
  return nodes;
};

const CASES: Case[] = [
  { name: 'store root: a lone entry at 0 in an empty tree', type: 'store root', count: 0, cands: () => [[0, 0, 7]] },
  { name: 'new root: an entry at 5..9 in an empty tree', type: 'new root', count: 0, cands: () => [[5, 9, 7]] },
  { name: 'exact fit', type: 'exact fit', count: 400, cands: (n) => around(n, (i) => [10 * i, 10 * i + 5, 7]) },
  { name: 'append past the last entry', type: 'append', count: 6, cands: (n) => [[10 * n, 10 * n + 5, 7]] },
  { name: 'slot store', type: 'slot store', count: 400, cands: (n) => around(n, (i) => [10 * i, 10 * i + 7, 7]) },
  {
    name: 'node store', type: 'node store', count: 400,
    cands: (n) => around(n, (i) => (i + 1 < n ? [10 * i, 10 * i + 15, 7] : undefined)),
  },
  {
    name: 'split pushed into a sibling (request 0)', type: 'split', count: 400, scatter: true,
    cands: (n) => around(n, (i) => [10 * i + 1, 10 * i + 2, 7]), want: (x) => x.nodeRequest === 0,
  },
  {
    name: 'split that allocates', type: 'split', count: 400,
    cands: (n) => [...Array.from({ length: 60 }, (_, k): Write => [10 * (n - 1 - k) + 1, 10 * (n - 1 - k) + 2, 7]),
      ...around(n, (i) => [10 * i + 1, 10 * i + 2, 7])],
    want: (x) => x.nodeRequest > 0,
  },
  {
    name: 'rebalance', type: 'rebalance', count: 400,
    cands: (_n, mt) => leaves(mt).slice(1, -1).map((l): Write => {
      const first = (l.min as number) + 10 - ((l.min as number) % 10); // the second slot or so
      return [first, (l.max as number) - 12, null];
    }),
  },
  {
    name: 'spanning store', type: 'spanning store', count: 400,
    cands: (n) => around(n, (i) => (i + 40 < n ? [10 * i + 3, 10 * (i + 40) + 2, 7] : undefined)),
  },
  {
    name: 'spanning clear in an allocation-range tree (gaps rewritten above)', type: 'spanning store', count: 400,
    allocRange: true, cands: (n) => around(n, (i) => (i + 40 < n ? [10 * i + 3, 10 * (i + 40) + 2, null] : undefined)),
  },
  { name: 'noop: NULL over a NULL gap', type: 'noop', count: 400, cands: (n) => around(n, (i) => [10 * i + 6, 10 * i + 9, null]) },
  { name: 'empty tree: clear everything in a root leaf', type: 'empty tree', count: 5, cands: () => [[0, ULONG_MAX, null]] },
];

describe('explain matches the real write for every store type', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const pool = new NodePool();
      const mt = ascending(pool, c.count, c.allocRange, c.scatter);
      const w = pick(mt, c.cands(c.count, mt), (x) => x.coreType === c.type && (c.want?.(x) ?? true));
      const x = checkAgainstRealWrite(mt, w);
      expect(x.coreType).toBe(c.type);
      if (['exact fit', 'append', 'slot store', 'node store', 'noop', 'store root', 'empty tree'].includes(c.type)) {
        expect(x.nodeRequest).toBe(0);
        expect(x.canFailNowait).toBe(false);
      }
      if (['exact fit', 'append', 'slot store', 'node store'].includes(c.type)) {
        expect(x.rewritten).toBe(1);
        expect(x.used).toBe(0);
        expect(x.levels).toEqual([mt.height - 1]);
      }
      if (c.type === 'noop') expect(x.rewritten + x.used + x.replaced).toBe(0);
      if (c.type === 'spanning store') {
        expect(x.nodeRequest).toBe(3 * x.heightBefore + 1);
        expect(x.replaced).toBeGreaterThan(0);
      }
      if (c.allocRange) expect(x.levels).toContain(0); // the root's recorded gaps changed
      mt.free();
      expect(pool.stats().nodesInUse).toBe(0);
    });
  }

  test('a split that grows the tree: height before and after', () => {
    const pool = new NodePool();
    const mt = ascending(pool, 0);
    let x: WriteExplanation | undefined;
    for (let i = 0; i < 200 && !x; i++) {
      const e = mt.explain(10 * i, 10 * i + 5, i);
      if (e.heightAfter > e.heightBefore && e.heightBefore > 0) x = checkAgainstRealWrite(mt, [10 * i, 10 * i + 5, i]);
      else mt.storeRange(10 * i, 10 * i + 5, i);
    }
    expect(x).toBeDefined();
    expect(x!.coreType).toBe('split');
    expect(x!.heightAfter).toBe(x!.heightBefore + 1);
    expect(x!.levels).toContain(0);
    mt.free();
  });
});

describe('explainErase and insert', () => {
  test('explainErase(index) is the NULL store over the range holding index', () => {
    const pool = new NodePool();
    const mt = ascending(pool, 400);
    const x = mt.explainErase(2003);
    expect(x.op).toBe('erase');
    expect([x.first, x.last]).toEqual([2000, 2005]);
    const y = mt.explain(2000, 2005, null);
    expect({ ...x, op: 'store', toString: 0 }).toEqual({ ...y, toString: 0 });
    const s0 = pool.stats();
    expect(mt.erase(2003)).toBe(200);
    const s1 = pool.stats();
    expect(s1.allocations - s0.allocations).toBe(x.allocated);
    expect(s1.frees - s0.frees).toBe(x.freed);
    // an index holding nothing: nothing is written
    const z = mt.explainErase(2003);
    expect(z.storeType).toBe('noop');
    expect(z.first).toBeUndefined();
    expect(z.allocated + z.freed + z.rewritten).toBe(0);
    mt.free();
  });

  test('an insert over an entry throws EEXIST as the insert would; into a gap it explains the store', () => {
    const pool = new NodePool();
    const mt = ascending(pool, 100);
    expect(() => mt.explain(500, 502, 1, { insert: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    const x = mt.explain(506, 509, 1, { insert: true });
    expect(x.op).toBe('insert');
    expect(x.storeType).toBe('exact_fit');
    expect(pool.stats().nodesInUse).toBe(mt.nodeCount);
    mt.free();
  });

  test('toString gives the store type, the counts and whether nowait can fail', () => {
    const pool = new NodePool();
    const mt = ascending(pool, 400);
    const x = mt.explain(1003, 1802, null, { gfp: 'nowait' });
    const s = String(x);
    expect(s).toContain('clear [1003, 1802] (gfp nowait)');
    expect(s).toContain('store type  spanning_store');
    expect(s).toContain(`request ${x.nodeRequest}, allocated ${x.allocated}, freed ${x.freed}`);
    // a clear the emergency reserve covers cannot fail; a store that must allocate can
    expect(s).toContain('cannot fail (the emergency reserve covers a clear)');
    expect(String(mt.explain(1003, 1802, 7, { gfp: 'nowait' }))).toContain('can fail with ENOMEM');
    expect(String(mt.explain(1000, 1005, 3))).toContain('cannot fail (allocates nothing)');
    mt.free();
  });

  test('keepNodes marks the nodes: replaced ones gone after, allocated ones new', () => {
    const pool = new NodePool();
    const mt = ascending(pool, 400);
    const x = mt.explain(1003, 1802, null, { keepNodes: true });
    const before = x.before!;
    const after = x.after!;
    expect(before.filter((n) => n.mark === 'replaced').length).toBe(x.replaced);
    expect(after.filter((n) => n.mark === 'allocated').length).toBe(x.used);
    expect(after.filter((n) => n.mark === 'rewritten').length).toBe(x.rewritten);
    const afterAddresses = new Set(after.map((n) => n.address));
    for (const n of before) if (n.mark === 'replaced') expect(afterAddresses.has(n.address)).toBe(false);
    mt.free();
  });

  test('bad arguments: RangeError / TypeError naming the argument', () => {
    const mt = ascending(new NodePool(), 10);
    expect(() => mt.explain(-1, 5, 1)).toThrow(/first/);
    expect(() => mt.explain(5, 1, 1)).toThrow(RangeError);
    expect(() => mt.explain(1, 'x' as unknown as number, 1)).toThrow(TypeError);
    expect(() => mt.explain(1, 2, 1, { gfp: 'atomic' as never })).toThrow(/gfp/);
    expect(() => mt.explain(1, 2, 1, { insert: 1 as never })).toThrow(/insert/);
    expect(() => mt.explain(1, 2, 1, 5 as never)).toThrow(/options/);
    expect(() => mt.explainErase(-3)).toThrow(/index/);
    expect(() => mt.explainErase(3, { gfp: 'nowait' })).toThrow(/gfp/);
    mt.free();
  });
});

describe('explain in RCU mode', () => {
  test('dup() keeps RCU mode (mas_dup_build copies ma_flags), so explain() answers as the real write', () => {
    const mt = new MapleTree<number>({ entries: 'number', rcu: true });
    for (let i = 0; i < 5; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    expect(mt.dup().inRcu).toBe(true);
    expect(new MapleTree({ entries: 'number', allocRange: true }).dup().inRcu).toBe(false);
    // The append position: an append outside RCU mode, a node store into a new leaf in it.
    const x = mt.explain(100, 109, 7);
    expect(x.storeType).toBe('node_store');
    expect(x.nodeRequest).toBe(1);
    const before = mt.pool.stats().allocations;
    const mas = new MaState(mt, 100, 109);
    mas.store(7);
    expect(mas.storeType).toBe(x.storeType);
    expect(mt.pool.stats().allocations - before).toBe(1);
    mt.validate();
  });
});
