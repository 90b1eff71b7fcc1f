// Every write path of the kernel's mas_wr_store_type / mas_wr_store_entry, provoked on purpose.
// After every operation: mt.validate(), the independent dump-based structure check and a full
// comparison with the reference model (test/support). Where a path needs nodes, the write is
// first run with every allocation failing: it must throw ENOMEM, leave the tree unchanged, and
// the fault record names the store type it took; in-place paths must not allocate at all.
import { describe, expect, test } from 'vitest';
import { MapleTree, NodePool, ULONG_MAX } from '../src/index';
import { Harness } from './support/harness';
import { ULONG, arg } from './support/model';
import { checkStructure, parseDump } from './support/structure';
import { mulberry32 } from './support/rng';

type Obj = { id: number };
let nextId = 0;
const obj = (): Obj => ({ id: nextId++ });
const B = (n: number): bigint => BigInt(n);

/** [10i, 10i + 5] for i in [from, to): each adds an entry and a NULL gap after it. */
function ascending(h: Harness<Obj>, from: number, to: number, types?: string[]): void {
  for (let i = from; i < to; i++) {
    const t = h.storeTyped(B(10 * i), B(10 * i + 5), obj());
    types?.push(t);
  }
}

function leafOf(h: Harness<Obj>, key: bigint) {
  const { nodes } = parseDump(h.mt as MapleTree<unknown>);
  return nodes.find((n) => n.leaf && n.min <= key && key <= n.max)!;
}

describe('store root (wr_store_root, mas_store_root, mas_root_expand)', () => {
  test('a lone entry at [0, 0] lives in the root with no node', () => {
    const h = new Harness<Obj>();
    expect(h.storeTyped(0n, 0n, obj())).toBe('in place');
    expect(h.mt.height).toBe(0);
    expect(h.mt.nodeCount).toBe(0);
    expect(h.pool.stats().nodesInUse).toBe(0);
    const y = obj();
    h.store(0n, 0n, y); // replaces the root entry, still no node
    expect(h.mt.height).toBe(0);
    expect(h.mt.load(0)).toBe(y);
    expect(h.mt.find(0)).toEqual({ index: 0, last: 0, entry: y });
    expect(h.mt.find(1)).toBeUndefined();
  });

  test('storing NULL at 0 over the root entry empties the tree', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.store(0n, 0n, null);
    expect(h.mt.isEmpty()).toBe(true);
    expect(h.mt.height).toBe(0);
  });

  test('a store elsewhere expands the root into a leaf; a store at 1 leaves no gap after [0, 0]', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    // wr_store_root expanding via mas_root_expand; the fault record may call it 'new root'
    expect(['store root', 'new root']).toContain(h.storeTyped(1n, 1n, obj()));
    expect(h.mt.height).toBe(1);
    expect(h.mt.nodeCount).toBe(1);
    // mas_root_expand: [0,0] old root entry, [1,1] new, [2, ULONG_MAX] NULL: three slots.
    expect(leafOf(h, 0n).slots.map((s) => [s.min, s.max, s.nil]))
      .toEqual([[0n, 0n, false], [1n, 1n, false], [2n, ULONG, true]]);
  });

  test('expanding a root entry for a store at 5 keeps [0,0], a NULL [1,4], then [5,5]', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.store(5n, 5n, obj());
    expect(leafOf(h, 0n).slots.map((s) => [s.min, s.max, s.nil]))
      .toEqual([[0n, 0n, false], [1n, 4n, true], [5n, 5n, false], [6n, ULONG, true]]);
  });

  test('once nodes exist the tree does not collapse back to a root entry (store 0, store 5, erase 5)', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.store(5n, 5n, obj());
    h.erase(5n);
    expect(h.mt.height).toBe(1);
    expect(h.mt.nodeCount).toBe(1);
    expect(h.model.size).toBe(1);
  });

  test('erasing the only entry of a leaf root whose NULL neighbours reach 0 and ULONG_MAX empties the tree (wr_new_root)', () => {
    const h = new Harness<Obj>();
    const start = h.pool.stats().nodesInUse;
    h.store(5n, 5n, obj());
    expect(h.mt.height).toBe(1);
    h.erase(5n); // NULL extends to [0, ULONG_MAX]: mas_new_root(NULL)
    expect(h.mt.height).toBe(0);
    expect(h.mt.nodeCount).toBe(0);
    expect(h.pool.stats().nodesInUse).toBe(start);
    // same for a lone [0,0] entry inside a leaf
    h.store(0n, 0n, obj());
    h.store(5n, 5n, obj());
    h.erase(5n);
    h.erase(0n);
    expect(h.mt.height).toBe(0);
    expect(h.mt.isEmpty()).toBe(true);
  });

  test('erasing the root entry at 0 empties the tree', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.erase(0n);
    expect(h.mt.isEmpty()).toBe(true);
    expect(h.mt.height).toBe(0);
    expect(h.mt.erase(0)).toBeUndefined();
  });

  test('storeRange(0, ULONG_MAX, NULL) over a root entry empties the tree', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.store(0n, ULONG, null);
    expect(h.mt.isEmpty()).toBe(true);
    expect(h.mt.height).toBe(0);
  });

  test('storeRange(0, 0, x) is the same as store(0, x); storeRange(0, 5, x) needs a leaf', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    expect(h.mt.height).toBe(0);
    h.store(0n, 5n, obj());
    expect(h.mt.height).toBe(1);
    expect(h.model.size).toBe(1);
  });
});

describe('the whole space [0, ULONG_MAX]', () => {
  test('one entry over everything is a single leaf slot, found from any index, last comes back as a bigint', () => {
    const h = new Harness<Obj>();
    const x = obj();
    h.store(0n, ULONG, x);
    expect(h.mt.height).toBe(1);
    expect(h.mt.nodeCount).toBe(1);
    for (const k of [0, 1, 12345, Number.MAX_SAFE_INTEGER, 2n ** 60n, ULONG_MAX]) {
      expect(h.mt.load(k)).toBe(x);
      expect(h.mt.find(k)).toEqual({ index: 0, last: 18446744073709551615n, entry: x });
    }
    expect(h.mt.next(0)).toBeUndefined();
    expect(h.mt.prev(ULONG_MAX)).toBeUndefined();
  });

  test('NULL over [0, ULONG_MAX] of a single-slot leaf is an exact fit (checked before wr_new_root): the leaf stays, holding NULL', () => {
    const h = new Harness<Obj>();
    h.store(0n, ULONG, obj());
    h.store(0n, ULONG, null);
    expect([...h.mt.entries()]).toEqual([]);
    expect(h.mt.height).toBe(1);
    expect(h.mt.nodeCount).toBe(1);
  });

  test('isEmpty() is true when no index holds an entry, also when a leaf holding one NULL range remains', () => {
    const h = new Harness<Obj>();
    h.store(0n, ULONG, obj());
    h.store(0n, ULONG, null);
    expect([...h.mt.entries()]).toEqual([]);
    expect(h.mt.isEmpty()).toBe(true);
    const g = new Harness<Obj>();
    g.store(0n, ULONG, obj());
    g.erase(12345n);
    expect(g.mt.isEmpty()).toBe(true);
  });

  test('NULL over [0, ULONG_MAX] of a many-range tree is wr_new_root(NULL): height 0 and every node back in the pool', () => {
    const h = new Harness<Obj>();
    const start = h.pool.stats().nodesInUse;
    ascending(h, 0, 100);
    expect(h.mt.height).toBeGreaterThanOrEqual(2);
    h.store(0n, ULONG, null);
    expect(h.mt.height).toBe(0);
    expect(h.mt.nodeCount).toBe(0);
    expect(h.pool.stats().nodesInUse).toBe(start);
  });

  test('an entry over [0, ULONG_MAX] of a tall tree replaces everything with one leaf (mas_new_root)', () => {
    const h = new Harness<Obj>();
    ascending(h, 0, 500);
    expect(h.mt.height).toBeGreaterThanOrEqual(3);
    const x = obj();
    expect(h.storeTyped(0n, ULONG, x)).toMatch(/new root|spanning store/);
    expect(h.mt.height).toBe(1);
    expect(h.mt.nodeCount).toBe(1);
    expect(h.pool.stats().nodesInUse).toBe(1);
  });
});

describe('exact fit (wr_exact_fit: overwrite one existing range)', () => {
  test('overwriting a range exactly replaces its entry in place', () => {
    const h = new Harness<Obj>();
    h.store(10n, 19n, obj());
    h.store(30n, 39n, obj());
    expect(h.storeTyped(10n, 19n, obj())).toBe('in place');
    expect(h.storeTyped(30n, 39n, obj())).toBe('in place');
    expect(h.model.size).toBe(2);
  });

  test('exact fits of single-index ranges deep in a height-3 tree', () => {
    const h = new Harness<Obj>();
    h.full = false;
    ascending(h, 0, 500);
    h.full = true;
    h.check();
    for (const i of [0, 17, 250, 499]) expect(h.storeTyped(B(10 * i), B(10 * i + 5), obj())).toBe('in place');
    h.store(2003n, 2003n, obj());
    expect(h.storeTyped(2003n, 2003n, obj())).toBe('in place');
  });

  test('storing NULL over NULL changes nothing', () => {
    const h = new Harness<Obj>();
    h.store(10n, 19n, obj());
    h.store(40n, 49n, obj());
    const before = h.mt.dump();
    h.store(25n, 30n, null);
    h.store(20n, 39n, null);
    h.store(50n, ULONG, null);
    h.store(0n, 9n, null);
    expect(h.mt.dump()).toBe(before);
  });
});

describe('NULL ranges merge, equal entries do not', () => {
  test('storing NULL next to NULL merges, as mas_wr_extend_null does', () => {
    const h = new Harness<Obj>();
    h.store(10n, 19n, obj());
    h.store(20n, 29n, obj());
    h.store(30n, 39n, obj());
    h.store(20n, 29n, null); // between two entries: one NULL range
    h.store(10n, 19n, null); // now [0, 29] is one NULL range
    const leaf = leafOf(h, 0n);
    expect(leaf.slots.map((s) => [s.min, s.max, s.nil])).toEqual([[0n, 29n, true], [30n, 39n, false], [40n, ULONG, true]]);
  });

  test('erasing a range between two NULL ranges leaves one NULL range', () => {
    const h = new Harness<Obj>();
    for (let i = 0; i < 5; i++) h.store(B(10 * i + 10), B(10 * i + 14), obj());
    h.erase(32n);
    expect(leafOf(h, 30n).slots.filter((s) => s.min <= 40n && s.max >= 25n).map((s) => [s.min, s.max, s.nil]))
      .toEqual([[25n, 39n, true], [40n, 44n, false]]);
  });

  test('adjacent ranges holding the same entry stay separate', () => {
    const h = new Harness<Obj>();
    const x = obj();
    h.store(10n, 19n, x);
    h.store(20n, 29n, x);
    expect([...h.mt.entries()]).toEqual([{ index: 10, last: 19, entry: x }, { index: 20, last: 29, entry: x }]);
    expect(h.mt.erase(15)).toBe(x);
    h.model.erase(15n);
    h.check();
    expect(h.mt.load(20)).toBe(x);
  });
});

describe('append (wr_append: store in the last slot of a leaf with room)', () => {
  test('ascending stores at the end of a root leaf fill it in place until it holds 16 slots', () => {
    const h = new Harness<Obj>();
    const types: string[] = [];
    ascending(h, 1, 9, types);
    // 1st: store root; 2nd..7th: +2 slots each into the last slot (end 2, 4, ..., 14); 8th: 16+ slots
    expect(['store root', 'new root']).toContain(types[0]);
    expect(types.slice(1, 7)).toEqual(Array(6).fill('in place'));
    expect(types[7]).toBe('split');
    expect(h.mt.height).toBe(2);
  });

  test('a store ending at ULONG_MAX in the last slot, and one index below it', () => {
    const h = new Harness<Obj>();
    h.store(10n, 19n, obj());
    expect(h.storeTyped(ULONG - 10n, ULONG, obj())).toBe('in place');
    expect(h.storeTyped(ULONG - 20n, ULONG - 11n, obj())).toBe('in place');
    const last = [...h.mt.entries()].pop()!;
    expect(last.last).toBe(18446744073709551615n);
    expect(typeof last.index).toBe('bigint');
  });
});

describe('slot store (wr_slot_store: cover one slot and the start of the next)', () => {
  test('a range over a whole slot and the head of the next trims the next', () => {
    const h = new Harness<Obj>();
    h.store(10n, 19n, obj());
    h.store(20n, 29n, obj());
    h.store(30n, 39n, obj());
    expect(h.storeTyped(10n, 24n, obj())).toBe('in place');
    expect(h.model.entries().map((r) => [r.first, r.last])).toEqual([[10n, 24n], [25n, 29n], [30n, 39n]]);
    expect(h.storeTyped(27n, 39n, obj())).toBe('in place'); // tail of one, all of the next
  });
});

describe('node store (wr_node_store: rewrite a leaf in place)', () => {
  test('storing inside a range splits it into 3 pieces, the outer two keeping the old entry', () => {
    const h = new Harness<Obj>();
    const a = obj();
    h.store(10n, 29n, a);
    const b = obj();
    expect(h.storeTyped(15n, 19n, b)).toBe('in place');
    expect([...h.mt.entries()]).toEqual([
      { index: 10, last: 14, entry: a }, { index: 15, last: 19, entry: b }, { index: 20, last: 29, entry: a }]);
    // NULL inside a range: a hole, the pieces keep the entry
    h.store(12n, 12n, null);
    expect(h.mt.load(11)).toBe(a);
    expect(h.mt.load(12)).toBeUndefined();
    expect(h.mt.load(13)).toBe(a);
  });

  test('storing inside a range at 0 and at ULONG_MAX', () => {
    const h = new Harness<Obj>();
    h.store(0n, 100n, obj());
    h.store(0n, 0n, obj());
    h.store(ULONG - 100n, ULONG, obj());
    h.store(ULONG, ULONG, obj());
    h.store(ULONG - 50n, ULONG - 50n, null);
    expect(h.model.size).toBe(5);
  });
});

describe('split (wr_split_store: leaf overflow)', () => {
  test('ascending stores split leaves and cascade into new roots: height grows to 3 with every step checked', () => {
    const h = new Harness<Obj>();
    const types = new Set<string>();
    let height = 0;
    for (let i = 0; i < 450; i++) {
      types.add(h.storeTyped(B(10 * i), B(10 * i + 5), obj()));
      expect(h.mt.height).toBeGreaterThanOrEqual(height); // never shrinks while storing
      height = h.mt.height;
    }
    expect(height).toBeGreaterThanOrEqual(3);
    expect(types.has('split')).toBe(true);
    expect(types.has('in place')).toBe(true);
  });

  test('descending and random-order stores split too', () => {
    for (const order of ['descending', 'random']) {
      const h = new Harness<Obj>();
      const idx = Array.from({ length: 300 }, (_, i) => i);
      if (order === 'descending') idx.reverse();
      else {
        const r = mulberry32(7);
        for (let i = idx.length - 1; i > 0; i--) {
          const j = r.int(i + 1);
          [idx[i], idx[j]] = [idx[j], idx[i]];
        }
      }
      const types = new Set<string>();
      for (const i of idx) types.add(h.storeTyped(B(7 * i), B(7 * i + 3), obj()));
      expect(types.has('split')).toBe(true);
      expect(h.mt.height).toBeGreaterThanOrEqual(2);
    }
  });

  test('splitting a range in a full leaf (+2 slots) splits the leaf', () => {
    const h = new Harness<Obj>();
    // 16 slots in the root leaf: [0,9] NULL then 7 x (entry, NULL) and a final entry up to 95
    for (let i = 1; i <= 7; i++) h.store(B(10 * i), B(10 * i + 5), obj());
    h.store(80n, ULONG, obj());
    expect(leafOf(h, 0n).slots.length).toBe(16);
    expect(h.storeTyped(12n, 13n, obj())).toBe('split');
    expect(h.mt.height).toBe(2);
  });
});

describe('rebalance (wr_rebalance: a non-root leaf below 7 slots)', () => {
  test('erasing ranges from a middle leaf rebalances it with a neighbour', () => {
    const h = new Harness<Obj>();
    ascending(h, 0, 60);
    expect(h.mt.height).toBe(2);
    const types = new Set<string>();
    // Erase from the middle outwards, so the leaves there run short.
    for (let i = 25; i < 40; i++) types.add(h.eraseTyped(B(10 * i)));
    expect(types.has('rebalance')).toBe(true);
  });

  test('storing NULL over several ranges of one leaf so it drops below 7 slots', () => {
    const h = new Harness<Obj>();
    ascending(h, 0, 60);
    const leaf = leafOf(h, 300n);
    expect(leaf.max).not.toBe(ULONG);
    // NULL from the second slot of the leaf to just before its last entry: few slots remain
    const entriesIn = h.model.entries(leaf.min, leaf.max).filter((r) => r.first >= leaf.min && r.last <= leaf.max);
    const type = h.storeTyped(entriesIn[1].first, entriesIn[entriesIn.length - 2].last, null);
    expect(['rebalance', 'spanning store']).toContain(type);
  });
});

describe('spanning store (wr_spanning_store: one range over several leaves)', () => {
  test('an entry over ranges in many leaves of a height-3 tree', () => {
    const h = new Harness<Obj>();
    h.full = false;
    ascending(h, 0, 500);
    h.full = true;
    h.check();
    expect(h.mt.height).toBe(3);
    expect(h.storeTyped(15n, 3007n, obj())).toBe('spanning store');
    expect(h.storeTyped(0n, 4000n, obj())).toBe('spanning store');
  });

  test('NULL over a large span, starting and ending inside ranges', () => {
    const h = new Harness<Obj>();
    h.full = false;
    ascending(h, 0, 500);
    h.full = true;
    expect(h.storeTyped(1003n, 3502n, null)).toBe('spanning store');
    expect(h.mt.load(1002)).toBeDefined();
    expect(h.mt.load(3503)).toBeDefined();
    h.store(1003n, 3502n, null); // NULL over the now-NULL span: nothing changes
  });

  test('a span ending exactly at the end of a leaf, and one ending at ULONG_MAX', () => {
    const h = new Harness<Obj>();
    h.full = false;
    ascending(h, 0, 200);
    h.full = true;
    const { nodes } = parseDump(h.mt as MapleTree<unknown>);
    const leaves = nodes.filter((n) => n.leaf);
    h.store(leaves[1].min, leaves[3].max, obj());
    h.store(leaves[4].min + 1n, leaves[6].max, null);
    h.store(leaves[2].max, ULONG, obj());
    h.store(5n, ULONG - 1n, null);
  });

  test('storeRange(0, big, x) on a tree with a root-area entry at 0', () => {
    const h = new Harness<Obj>();
    h.store(0n, 0n, obj());
    h.full = false;
    ascending(h, 1, 300);
    h.full = true;
    h.store(0n, 2500n, obj());
    expect(h.model.entries(0n, 2500n).length).toBe(1);
  });
});

describe('height growth and shrink', () => {
  test('erasing most of a height-4 tree shrinks it, erasing the rest empties it', () => {
    const h = new Harness<Obj>();
    h.full = false;
    const start = h.pool.stats().nodesInUse;
    ascending(h, 0, 3000);
    h.full = true;
    h.check();
    expect(h.mt.height).toBe(4);
    const r = mulberry32(11);
    const order = Array.from({ length: 3000 }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let height = h.mt.height;
    h.full = false;
    const heights: number[] = [];
    for (let k = 0; k < order.length; k++) {
      h.erase(B(10 * order[k] + r.int(6)));
      expect(h.mt.height).toBeLessThanOrEqual(height); // erasing never grows the tree
      height = h.mt.height;
      if (k % 100 === 0 || order.length - k < 40) {
        checkStructure(h.mt as MapleTree<unknown>);
        heights.push(height);
      }
      if (k === 2950) {
        h.full = true;
        h.check();
        expect(height).toBeLessThanOrEqual(2);
      }
    }
    expect(heights[0]).toBe(4);
    expect(h.mt.isEmpty()).toBe(true);
    expect(h.mt.height).toBeLessThanOrEqual(1);
    h.mt.destroy();
    expect(h.pool.stats().nodesInUse).toBe(start);
  });
});

describe('edge keys', () => {
  test('single-index ranges at 0, 1, 2^53 - 1, 2^53, ULONG_MAX - 1 and ULONG_MAX', () => {
    const h = new Harness<Obj>();
    const keys = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, ULONG - 1n, ULONG];
    for (const k of keys) h.store(k, k, obj());
    for (const k of keys) {
      const r = h.mt.find(arg(k))!;
      expect(BigInt(r.index)).toBe(k);
      expect(typeof r.index).toBe(k <= 2n ** 53n - 1n ? 'number' : 'bigint');
    }
    for (const k of keys) h.erase(k);
    expect(h.mt.isEmpty()).toBe(true);
  });

  test('a range crossing 2^53 comes back with a number index and a bigint last', () => {
    const h = new Harness<Obj>();
    const x = obj();
    h.store(2n ** 53n - 2n, 2n ** 53n + 2n, x);
    expect(h.mt.find(0)).toEqual({ index: Number.MAX_SAFE_INTEGER - 1, last: 2n ** 53n + 2n, entry: x });
    h.store(2n ** 53n, 2n ** 53n, null);
    expect(h.model.size).toBe(2);
  });

  test('new tree from a range at ULONG_MAX only, then a root entry at 0 as well', () => {
    const h = new Harness<Obj>();
    h.store(ULONG, ULONG, obj());
    expect(h.mt.height).toBe(1);
    h.store(0n, 0n, obj());
    h.erase(ULONG);
    expect(h.mt.height).toBe(1); // nodes exist: no collapse back to a root entry
    expect(h.mt.load(0)).toBeDefined();
  });

  test('the numeric entry 0 is an entry, not NULL, on every path', () => {
    const h = new Harness<number>('number');
    h.store(0n, 0n, 0);
    expect(h.mt.height).toBe(0);
    expect(h.mt.isEmpty()).toBe(false);
    for (let i = 1; i < 200; i++) h.store(B(3 * i), B(3 * i + 1), 0);
    expect(h.mt.height).toBeGreaterThanOrEqual(2);
    h.store(10n, 400n, 0);
    expect(h.mt.load(10)).toBe(0);
    expect(h.mt.load(2)).toBeUndefined();
  });
});
