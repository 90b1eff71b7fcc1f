// At the limits: dropped objects give their memory back, and reads and erases work when linear
// memory cannot grow (a test cap stands in for the engine's 4 GiB ceiling).
import { afterEach, describe, expect, test } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MapleTree, NodePool, MaState, MapleError, linearMemoryBytes } from '../src/index';
import { _setMemoryCap, _freePages } from '../src/pool';
import { _walkKits } from '../src/tree';
import { _setHandleLimit } from '../src/handles';
import { mulberry32, type Rng } from './support/rng';

function shuffle<X>(xs: X[], rng: Rng): X[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collect, then let the finalization callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
}

/**
 * Cap memory where it is now (plus `extra` bytes), so that it cannot grow past that; what was
 * left of the core's current chunk of memory is dropped (test-only), so `extra` is the room.
 */
function capHere(extra = 0): void {
  _setMemoryCap(linearMemoryBytes() + extra);
}

afterEach(() => {
  _setMemoryCap(0);
  _setHandleLimit();
});

describe('object-entry trees at the handle ceiling', () => {
  test('a store past the ceiling throws ENOMEM, the tree unchanged, and works again after erases', () => {
    _setHandleLimit(1000); // the real ceiling is 2^26 handles
    const mt = new MapleTree<object>({ pool: new NodePool() });
    const o = {};
    let n = 0;
    let error: unknown;
    for (; n < 2000; n++) {
      try {
        mt.storeRange(16 * n, 16 * n + 9, o);
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(error).toBeInstanceOf(MapleError);
    expect((error as MapleError).code).toBe('ENOMEM');
    expect(n).toBe(1000);
    mt.validate();
    expect(mt.handleStats.live).toBe(1000);
    expect(mt.load(16 * n)).toBeUndefined();
    expect([...mt].length).toBe(1000);
    // Splitting a range or storing null needs no new handle; a new object entry does.
    mt.store(16 * 5 + 3, null);
    mt.validate();
    expect(() => mt.insert(16 * 5000, {})).toThrow(/ENOMEM/);
    expect(() => mt.store(16 * 7, {})).toThrow(/ENOMEM/);
    expect(mt.load(16 * 7)).toBe(o);
    mt.validate();
    mt.erase(0);
    mt.storeRange(16 * 5000, 16 * 5000 + 9, { late: true });
    expect(mt.load(16 * 5000)).toEqual({ late: true });
    mt.validate();
    // A numeric tree has no table: the same ranges go on past it.
    const nt = new MapleTree<number>({ entries: 'number', pool: new NodePool() });
    for (let i = 0; i < 2000; i++) nt.storeRange(16 * i, 16 * i + 9, i);
    nt.validate();
  });
});

describe('dropped objects', () => {
  test('entries() iterators advanced once and dropped cost nothing once collected', async () => {
    const mt = new MapleTree<number>({ entries: 'number', pool: new NodePool() });
    for (let i = 0; i < 2000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    const round = (): void => {
      for (let k = 0; k < 300; k++) {
        const it = mt.entries(16 * k);
        expect(it.next().value).toEqual({ index: 16 * k, last: 16 * k + 9, entry: k });
      }
    };
    round();
    await collect();
    const bytes = linearMemoryBytes();
    const kits = _walkKits();
    expect(kits.spare).toBeGreaterThan(0);
    for (let r = 0; r < 5; r++) round();
    // 1,500 more dropped iterators, 1,500 still uncollected: not a byte more (they held 5.3 KB
    // each for good before), and not one more walk kit.
    expect(linearMemoryBytes()).toBe(bytes);
    expect(_walkKits()).toEqual(kits);
    await collect();
    expect(linearMemoryBytes()).toBe(bytes);
    mt.free();
  });

  test('an open iterator holds no kit; walks, broken off or finished, make none', () => {
    const mt = new MapleTree<string>();
    for (let i = 0; i < 100; i++) mt.store(i, `v${i}`);
    for (const _ of mt) break; // make sure a kit exists
    const { made, spare } = _walkKits();
    for (let k = 0; k < 1000; k++) {
      for (const e of mt.entries()) if (e.index === 3) break;
      let n = 0;
      mt.forEach(() => n++);
      expect(n).toBe(100);
    }
    expect(_walkKits()).toEqual({ made, spare });
    const its = Array.from({ length: 10 }, () => mt.entries());
    for (const it of its) expect(it.next().value).toEqual({ index: 0, last: 0, entry: 'v0' });
    expect(_walkKits()).toEqual({ made, spare }); // ten open iterators, no kit held
    expect(its[0].next().value).toEqual({ index: 1, last: 1, entry: 'v1' });
    expect(its[0].return?.()).toEqual({ done: true, value: undefined });
    expect(its[0].next()).toEqual({ done: true, value: undefined });
    // An iterator sees a write made while it was open, after the range it returned last.
    mt.store(1000, 'late');
    let rest = 0;
    for (const e of its[1]) rest++, expect(e.entry).not.toBeUndefined();
    expect(rest).toBe(100);
    mt.free();
  });

  test('pool.free() gives every page back; it throws EBUSY while a tree or reserve uses it', () => {
    const churn = (): void => {
      for (let p = 0; p < 50; p++) {
        const pool = new NodePool();
        const mt = new MapleTree<number>({ pool, entries: 'number' });
        for (let i = 0; i < 500; i++) mt.storeRange(16 * i, 16 * i + 9, i);
        expect(pool.stats().pagesInUse).toBeGreaterThan(0);
        expect(() => pool.free()).toThrow(MapleError);
        try { pool.free(); } catch (e) { expect((e as MapleError).code).toBe('EBUSY'); }
        mt.validate(); // unchanged and usable
        const mas = new MaState(mt, 5, 16 * 400); // a spanning store: up to 3h + 1 nodes reserved
        mas.preallocate(5);
        expect(pool.stats().nodesReserved).toBeGreaterThan(0);
        mt.free();
        expect(() => pool.free()).toThrow(/EBUSY/); // the state's reserve holds nodes
        mas.free();
        pool.free();
        pool.free(); // a second call does nothing
        expect(() => pool.stats()).toThrow(/after free/);
        expect(() => new MapleTree({ pool })).toThrow(/after free/);
      }
    };
    churn();
    const bytes = linearMemoryBytes();
    for (let r = 0; r < 4; r++) churn();
    expect(linearMemoryBytes()).toBe(bytes); // 200 more pools, not a page more
  });

  test('pool.shrink() gives back the pages whose nodes are all free, and nothing else', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 20_000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    for (let i = 0; i < 20_000; i++) if (i % 100 !== 0) mt.erase(16 * i);
    mt.validate();
    const s0 = pool.stats();
    const freePages = _freePages();
    const given = pool.shrink();
    const s1 = pool.stats();
    expect(given).toBeGreaterThan(s0.pagesInUse / 2);
    expect(s1.pagesInUse).toBe(s0.pagesInUse - given);
    expect(s1.nodesFree).toBe(s0.nodesFree - 16 * given);
    expect(s1.nodesInUse).toBe(s0.nodesInUse);
    expect(_freePages()).toBe(freePages + given);
    expect(pool.shrink()).toBe(0); // nothing freed since
    expect(s1.nodesEmergency).toBe(s0.nodesEmergency);
    expect(s1.pagesInUse * 16).toBe(s1.nodesInUse + s1.nodesFree + s1.nodesEmergency);
    mt.validate();
    let k = 0;
    mt.forEach((v) => { expect(v).toBe(100 * k++); });
    expect(k).toBe(200);
    // The pages are taken again before memory grows.
    const bytes = linearMemoryBytes();
    for (let i = 0; i < 20_000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    mt.validate();
    expect(linearMemoryBytes()).toBe(bytes);
    expect(_freePages()).toBeLessThan(freePages + given);
    mt.free();
    pool.free();
  });

  test('a pool dropped with its trees gives its pages back when collected', async () => {
    const make = (): void => {
      const pool = new NodePool();
      const mt = new MapleTree<number>({ pool, entries: 'number' });
      for (let i = 0; i < 2000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    };
    for (let p = 0; p < 20; p++) make();
    await collect();
    const bytes = linearMemoryBytes();
    const free = _freePages();
    expect(free).toBeGreaterThanOrEqual(20 * 10); // each pool had > 10 pages
    for (let r = 0; r < 5; r++) {
      for (let p = 0; p < 20; p++) make();
      await collect();
    }
    expect(linearMemoryBytes()).toBe(bytes);
  });
});

describe('a full memory', () => {
  /** A numeric tree built until memory (capped at `extra` bytes past now) runs out. */
  function fill(extra: number, pool = new NodePool()): { mt: MapleTree<number>; n: number } {
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    capHere(extra);
    let n = 0;
    for (;; n++) {
      try {
        mt.storeRange(16 * n, 16 * n + 9, n);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        break;
      }
    }
    return { mt, n };
  }

  test('forEach, entries() and for...of work when memory cannot grow, nested beyond the spare kits', () => {
    const { mt, n } = fill(4 << 20);
    expect(n).toBeGreaterThan(50_000);
    // Nothing at all can be allocated now: take every spare object away too.
    const hog = new MapleTree<number>({ entries: 'number' });
    expect(() => { for (;;) new MapleTree(); }).toThrow(MapleError);
    let count = 0;
    let sum = 0;
    mt.forEach((v) => { count++; sum += v; });
    expect(count).toBe(n);
    expect(sum).toBe((n * (n - 1)) / 2);
    let k = 0;
    let wrong = 0;
    for (const e of mt) if (e.index !== 16 * k || e.entry !== k++) wrong++;
    expect(k).toBe(n);
    expect(wrong).toBe(0);
    // Eleven forEach walks open at once, each a level deeper: more than the spare kits, and no
    // memory for another, so the inner ones step with the tree's own state.
    const kits = _walkKits();
    const nest = (depth: number): number => {
      let seen = 0;
      mt.forEach((v) => {
        seen++;
        if (depth > 0 && v === 10) seen += nest(depth - 1);
      }, 0, 16 * 20);
      return seen;
    };
    expect(nest(10)).toBe(21 * 11);
    expect(_walkKits().made).toBe(kits.made);
    // A walk without a kit still sees writes made during it.
    const inner: number[] = [];
    for (const _ of mt.entries(0, 0)) {
      for (const _2 of mt.entries(0, 0)) {
        for (const _3 of mt.entries(0, 0)) {
          for (const _4 of mt.entries(0, 0)) {
            for (const e of mt.entries(0, 16 * 5)) {
              if (e.entry === 1) mt.erase(16 * 3);
              inner.push(e.entry);
            }
          }
        }
      }
    }
    expect(inner).toEqual([0, 1, 2, 4, 5]);
    hog.free();
  });
  test('a scrambled tree built to a full memory is erased down to empty, every erase succeeding', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    const rng = mulberry32(16);
    const order = shuffle(Array.from({ length: 100_000 }, (_, i) => i), rng);
    capHere(512 << 10);
    const stored: number[] = [];
    for (const i of order) {
      try {
        mt.storeRange(16 * i, 16 * i + 9, i);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        break;
      }
      stored.push(i);
    }
    expect(stored.length).toBeGreaterThan(5000);
    expect(stored.length).toBeLessThan(order.length); // memory did run out
    const reserve = pool.stats().nodesEmergency;
    // At least the worst erase of this tree: a spanning NULL store, 3h + 1 nodes.
    expect(reserve).toBeGreaterThanOrEqual(3 * mt.height + 1);
    mt.validate();
    // Nothing else fits now: adding stores fail, and leave the reserve alone.
    expect(() => { for (let i = 50_000; ; i++) mt.storeRange(16 * i, 16 * i + 9, i); }).toThrow(MapleError);
    expect(pool.stats().nodesEmergency).toBe(reserve);
    const n = stored.length;
    const all: number[] = [];
    mt.forEach((v) => all.push(v));
    const erase = shuffle(all, rng);
    let k = 0;
    const every = Math.max(7, Math.ceil(erase.length / 2000));
    for (const i of erase) {
      expect(mt.erase(16 * i)).toBe(i);
      if (k++ % every === 0 || k > erase.length - 50) mt.validate();
      const s = pool.stats();
      expect(s.pagesInUse * 16).toBe(s.nodesInUse + s.nodesFree + s.nodesEmergency);
    }
    expect(mt.isEmpty()).toBe(true);
    expect(pool.stats().emergencyTaken).toBeGreaterThan(0);
    mt.validate();
    // The memory is reused: the same tree again, then another pool's tree from the freed pages.
    for (let j = 0; j < n; j++) mt.storeRange(16 * order[j], 16 * order[j] + 9, order[j]);
    mt.validate();
    mt.destroy();
    // (90% of it: each pool keeps its own emergency reserve, and the first pool's reserve stays on
    // a page or two of its own.)
    const other = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    for (let j = 0; j < n * 0.9; j++) other.storeRange(16 * order[j], 16 * order[j] + 9, order[j]);
    other.validate();
  });

  test('nodes freed by erases serve other pools and objects once memory cannot grow', () => {
    const other = new NodePool();
    const mt2 = new MapleTree<number>({ pool: other, entries: 'number' });
    const a = fill(8 << 20);
    // Another pool cannot take a page now.
    expect(() => { for (let i = 0; i < 100_000; i++) mt2.storeRange(16 * i, 16 * i + 9, i); }).toThrow(MapleError);
    mt2.destroy();
    // Erase 90% of the first tree: whole pages of its pool fall free.
    for (let i = 0; i < a.n * 0.9; i++) a.mt.erase(16 * i);
    a.mt.validate();
    const inUse = a.mt.pool.stats().pagesInUse;
    // The second pool now builds a tree of 80% of the first's former size, from those pages.
    const m = Math.floor(a.n * 0.8);
    for (let i = 0; i < m; i++) mt2.storeRange(16 * i, 16 * i + 9, i);
    mt2.validate();
    expect(a.mt.pool.stats().pagesInUse).toBeLessThan(inUse);
    let c = 0;
    mt2.forEach(() => c++);
    expect(c).toBe(m);
    // Objects too: the freed pages make tree headers and states (a 128 B and a 1 KiB object each).
    for (let i = Math.floor(a.n * 0.9); i < a.n; i++) a.mt.erase(16 * i);
    expect(a.mt.isEmpty()).toBe(true);
    const trees = Array.from({ length: 200 }, () => new MapleTree<number>({ pool: a.mt.pool, entries: 'number' }));
    for (const [k, t] of trees.entries()) t.store(k, k);
    for (const [k, t] of trees.entries()) expect(t.load(k)).toBe(k);
    for (const t of trees) t.free();
  });

});

describe('the emergency reserve under injected failures', () => {
  test('erases and NULL stores draw on it when the allocator fails; adding writes never do', () => {
    const pool = new NodePool();
    const mt = new MapleTree<string>({ pool });
    for (let i = 0; i < 3000; i++) mt.storeRange(10 * i, 10 * i + 5, `v${i}`);
    const h = mt.height;
    // The worst erase of a tree one level taller (3(h + 1) + 1) and 16 nodes of slack.
    const reserve = 3 * (h + 1) + 1 + 16;
    expect(pool.stats().nodesEmergency).toBe(reserve);
    pool.faults.failAfter(0);
    // An adding write that needs nodes fails, and the reserve is untouched.
    expect(() => { for (let i = 0; i < 3000; i++) mt.storeRange(10 * i + 7, 10 * i + 8, 'x'); }).toThrow(/ENOMEM/);
    expect(pool.stats().nodesEmergency).toBe(reserve);
    expect(pool.stats().emergencyTaken).toBe(0);
    const failedBefore = pool.faults.stats().failed;
    // Every erase succeeds with the allocator failing throughout.
    for (let i = 0; i < 3000; i += 2) {
      expect(mt.erase(10 * i)).toBe(`v${i}`);
      mt.validate();
    }
    mt.storeRange(5000, 20_000, null); // a NULL store over many leaves
    mt.validate();
    expect(pool.faults.stats().failed).toBeGreaterThan(failedBefore); // the allocator did fail
    expect(pool.stats().emergencyTaken).toBeGreaterThan(0);
    for (let i = 1; i < 3000; i += 2) {
      expect(mt.erase(10 * i)).toBe(i * 10 + 5 >= 5000 && 10 * i <= 20_000 ? undefined : `v${i}`);
      mt.validate();
    }
    expect(mt.isEmpty()).toBe(true);
    pool.faults.off();
    const s = pool.stats();
    expect(s.nodesEmergency).toBe(reserve); // refilled by the nodes the erases freed
    expect(s.pagesInUse * 16).toBe(s.nodesInUse + s.nodesFree + s.nodesEmergency);
    // failReserve(true): the armed faults fail the reserve too, and erases fail atomically.
    for (let i = 0; i < 200; i++) mt.storeRange(10 * i, 10 * i + 5, `w${i}`);
    pool.faults.failReserve(true);
    pool.faults.failAfter(0);
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const before = [...mt];
      try {
        mt.erase(10 * i);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        expect([...mt]).toEqual(before);
        failed++;
      }
      mt.validate();
    }
    expect(failed).toBeGreaterThan(0);
  });
});


describe('dump streamed', () => {
  test('dumpTo gives whole lines in chunks of at most 4 KiB, the same text as dump(), and keeps no memory', () => {
    const mt = new MapleTree<number>({ entries: 'number', allocRange: true, pool: new NodePool() });
    for (let i = 0; i < 100_000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    mt.validate();
    let chunks = 0;
    let lines = 0;
    let bad = 0;
    mt.dumpTo((text) => {
      chunks++;
      if (text.length > 4096 || !text.endsWith('\n')) bad++;
      for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) lines++;
    });
    expect(bad).toBe(0);
    // A line for the tree, one per node, one per slot (a range or gap of a leaf), one per gap of
    // an arange_64 node: 200,001 leaf slots (100,000 ranges, the gaps between and after them).
    expect(lines).toBeGreaterThan(200_001 + mt.nodeCount);
    expect(chunks).toBeGreaterThan(lines / 120); // a leaf slot line is about 36 bytes
    const bytes = linearMemoryBytes();
    for (let k = 0; k < 3; k++) mt.dumpTo(() => {});
    const small = new MapleTree<string>();
    for (let i = 0; i < 300; i++) small.storeRange(10 * i, 10 * i + 3, `s${i}`);
    const parts: string[] = [];
    small.dumpTo((t) => parts.push(t));
    expect(parts.join('')).toBe(small.dump());
    expect(small.dump().split('\n').filter((l) => / {2}\d+-\d+: 0x/.test(l)).length).toBe(300);
    expect(linearMemoryBytes()).toBe(bytes); // before: a 10 MB dump kept twice its text for good
    // A write during the dump stops it.
    expect(() => small.dumpTo(() => small.store(5, 'x'))).toThrow(/changed during the dump/);
    expect(() => small.dumpTo(null as unknown as () => void)).toThrow(TypeError);
    small.validate();
    mt.free();
  });

  test('at a full memory dump works with a spare walk kit, and answers ENOMEM, not a trap, without', () => {
    const mt = new MapleTree<number>({ entries: 'number', pool: new NodePool() });
    for (let i = 0; i < 1000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    capHere(0);
    expect(() => { for (;;) new MapleTree(); }).toThrow(MapleError);
    const text = mt.dump();
    expect(text.startsWith('maple_tree ')).toBe(true);
    // Take every spare kit: walks nested five deep hold them all.
    let code: string | undefined;
    const nest = (d: number): void => {
      mt.forEach(() => {
        if (d > 0) nest(d - 1);
        else {
          try {
            mt.dump();
          } catch (e) {
            code = (e as MapleError).code;
          }
        }
      }, 0, 0);
    };
    nest(5);
    expect(code).toBe('ENOMEM');
    expect(mt.dump()).toBe(text); // the kits are back
  });
});
