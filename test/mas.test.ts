// MaState (struct ma_state, the mas_* functions) against the kernel's semantics: walks, finds,
// next/prev and their range variants on known trees, overflow/underflow at the ends, mas_pause
// resuming after the paused range, mas_for_each / mas_for_each_rev, and writes through the
// state checked against the model.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, NodePool, ULONG_MAX } from '../src/index';
import { FuzzModel } from '../src/fuzz/model';
import { mulberry32 } from '../src/fuzz/engine';

function small(): MapleTree<string> {
  const mt = new MapleTree<string>({ pool: new NodePool() });
  mt.storeRange(10, 19, 'a');
  mt.storeRange(30, 39, 'b');
  mt.store(50, 'c');
  mt.storeRange(100, 199, 'd');
  return mt;
}

/** 400 ranges [10i, 10i + 5] = i: height 3, so walks cross leaves and parents. */
function tall(): MapleTree<number> {
  const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
  for (let i = 0; i < 400; i++) mt.storeRange(10 * i, 10 * i + 5, i);
  expect(mt.height).toBe(3);
  return mt;
}

const pos = (mas: MaState<unknown>): [string, string, string] => [String(mas.index), String(mas.last), mas.status];

describe('mas_walk', () => {
  test('returns the entry at index and sets index/last to its range, NULL ranges included', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.status).toBe('start');
    expect(mas.walk()).toBe('a');
    expect(pos(mas)).toEqual(['10', '19', 'active']);
    mas.set(25);
    expect(mas.walk()).toBeUndefined();
    expect(pos(mas)).toEqual(['20', '29', 'active']);
    mas.set(0);
    expect(mas.walk()).toBeUndefined();
    expect(pos(mas)).toEqual(['0', '9', 'active']);
    mas.set(1000);
    expect(mas.walk()).toBeUndefined();
    expect([String(mas.index), String(mas.last)]).toEqual(['200', String(ULONG_MAX)]);
  });

  test('an empty tree walks to none; a lone entry at 0 walks as root ([0,0] and [1, ULONG_MAX])', () => {
    const mt = new MapleTree<string>({ pool: new NodePool() });
    const mas = new MaState(mt, 5);
    expect(mas.walk()).toBeUndefined();
    expect(mas.status).toBe('none');
    // none over [0, ULONG_MAX]: nothing past it, and the state stays none (mas_find_setup)
    expect(mas.find()).toBeUndefined();
    expect(mas.status).toBe('none');
    mt.store(0, 'z');
    mas.set(0);
    expect(mas.walk()).toBe('z');
    expect(pos(mas)).toEqual(['0', '0', 'root']);
    mas.set(5);
    expect(mas.walk()).toBeUndefined();
    // past the lone root entry the kernel's mas_walk reports none over [1, ULONG_MAX]
    expect([String(mas.index), String(mas.last), mas.status]).toEqual(['1', String(ULONG_MAX), 'none']);
    mas.set(0);
    expect(mas.find()).toBe('z');
    expect(mas.find()).toBeUndefined();
    expect([String(mas.index), String(mas.last), mas.status]).toEqual(['1', String(ULONG_MAX), 'none']);
  });
});

describe('mas_find / mas_find_rev', () => {
  test('find returns the entry holding index, then each following entry, then stays active on the tail', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.find()).toBe('a');
    expect(pos(mas)).toEqual(['10', '19', 'active']);
    expect(mas.find()).toBe('b');
    expect(mas.find()).toBe('c');
    expect(pos(mas)).toEqual(['50', '50', 'active']);
    expect(mas.find()).toBe('d');
    // mas_find ignores the overflow of its last step: the state stays active on the NULL tail
    expect(mas.find()).toBeUndefined();
    expect(pos(mas)).toEqual(['200', String(ULONG_MAX), 'active']);
    expect(mas.find()).toBeUndefined();
    expect(pos(mas)).toEqual(['200', String(ULONG_MAX), 'active']);
  });

  test('find stops at max: an entry starting after max is not returned', () => {
    const mt = small();
    const mas = new MaState(mt, 0);
    expect(mas.find(40)).toBe('a');
    expect(mas.find(40)).toBe('b');
    // the step to [40, 49] meets the limit there: the state stays on that gap, active
    expect(mas.find(40)).toBeUndefined();
    expect(pos(mas)).toEqual(['40', '49', 'active']);
    expect(mas.find()).toBe('c');
    // an entry starting at or before max is returned even if it ends after it
    const m2 = new MaState(mt, 60);
    expect(m2.find(150)).toBe('d');
  });

  test('find_rev walks down to min, then underflow', () => {
    const mt = small();
    const mas = new MaState(mt, 60);
    expect(mas.findRev()).toBe('c');
    expect(mas.findRev()).toBe('b');
    expect(mas.findRev()).toBe('a');
    expect(pos(mas)).toEqual(['10', '19', 'active']);
    expect(mas.findRev()).toBeUndefined();
    expect(mas.status).toBe('underflow');
    const m2 = new MaState(mt, 60);
    expect(m2.findRev(35)).toBe('c');
    expect(m2.findRev(35)).toBe('b');
    // b starts below min: mas_find_rev_setup answers nothing before stepping, still active on b
    expect(m2.findRev(35)).toBeUndefined();
    expect(pos(m2)).toEqual(['30', '39', 'active']);
    expect(m2.findRev()).toBe('a');
  });

  test('find and find_rev across the nodes of a height-3 tree', () => {
    const mt = tall();
    const mas = new MaState(mt, 0);
    for (let i = 0; i < 400; i++) {
      expect(mas.find()).toBe(i);
      expect(Number(mas.index)).toBe(10 * i);
    }
    expect(mas.find()).toBeUndefined();
    expect(pos(mas)).toEqual(['3996', String(ULONG_MAX), 'active']);
    const rev = new MaState(mt, ULONG_MAX);
    for (let i = 399; i >= 0; i--) expect(rev.findRev()).toBe(i);
    expect(rev.findRev()).toBeUndefined();
    expect(rev.status).toBe('underflow');
  });
});

describe('mas_next / mas_prev', () => {
  test('next returns the entry after the range holding index; prev the one before', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.next()).toBe('b');
    expect(pos(mas)).toEqual(['30', '39', 'active']);
    expect(mas.next()).toBe('c');
    expect(mas.prev()).toBe('b');
    expect(mas.prev()).toBe('a');
    const m2 = new MaState(mt, 35);
    expect(m2.prev()).toBe('a');
  });

  test('next at the end reports overflow; prev at the start reports underflow', () => {
    const mt = small();
    const end = new MaState(mt, 150);
    expect(end.next()).toBeUndefined();
    expect(end.status).toBe('overflow');
    const start = new MaState(mt, 5);
    expect(start.prev()).toBeUndefined();
    expect(start.status).toBe('underflow');
    const last = new MaState(mt, 100);
    expect(last.walk()).toBe('d');
    expect(last.next()).toBeUndefined();
    expect(last.status).toBe('overflow');
    const first = new MaState(mt, 10);
    expect(first.walk()).toBe('a');
    expect(first.prev()).toBeUndefined();
    expect(first.status).toBe('underflow');
  });

  test('next honours max and prev honours min', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.next(29)).toBeUndefined(); // b starts at 30
    expect(mas.status).toBe('overflow');
    const m2 = new MaState(mt, 50);
    expect(m2.prev(20)).toBe('b'); // ends at 39 >= 20
    expect(m2.prev(20)).toBeUndefined(); // a ends at 19 < 20
    expect(m2.status).toBe('underflow');
  });

  test('next and prev across the nodes of a height-3 tree', () => {
    const mt = tall();
    const mas = new MaState(mt, 0);
    expect(mas.walk()).toBe(0);
    for (let i = 1; i < 400; i++) expect(mas.next()).toBe(i);
    expect(mas.next()).toBeUndefined();
    expect(mas.status).toBe('overflow');
    const back = new MaState(mt, 3990);
    expect(back.walk()).toBe(399);
    for (let i = 398; i >= 0; i--) expect(back.prev()).toBe(i);
    expect(back.prev()).toBeUndefined();
    expect(back.status).toBe('underflow');
  });
});

describe('mas_next_range / mas_prev_range / mas_find_range', () => {
  test('next_range and prev_range step over every range, NULL ones too', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.walk()).toBe('a');
    expect(mas.nextRange()).toBeUndefined();
    expect(pos(mas)).toEqual(['20', '29', 'active']);
    expect(mas.nextRange()).toBe('b');
    expect(mas.prevRange()).toBeUndefined();
    expect(pos(mas)).toEqual(['20', '29', 'active']);
    expect(mas.prevRange()).toBe('a');
    expect(mas.prevRange()).toBeUndefined();
    expect(pos(mas)).toEqual(['0', '9', 'active']);
    expect(mas.prevRange()).toBeUndefined();
    expect(mas.status).toBe('underflow');
    const end = new MaState(mt, 500);
    end.walk();
    expect(end.nextRange()).toBeUndefined();
    expect(end.status).toBe('overflow');
  });

  test('find_range returns the entry at index first, else the next range (gaps included) and each after', () => {
    const mt = small();
    const at = new MaState(mt, 15);
    expect(at.findRange()).toBe('a');
    expect(pos(at)).toEqual(['10', '19', 'active']);
    expect(at.findRange()).toBeUndefined();
    expect(pos(at)).toEqual(['20', '29', 'active']);
    // from a gap, mas_find_range walks there, finds NULL and steps on to the next range
    const mas = new MaState(mt, 22);
    expect(mas.findRange()).toBe('b');
    expect(pos(mas)).toEqual(['30', '39', 'active']);
    expect(mas.findRange()).toBeUndefined();
    expect(pos(mas)).toEqual(['40', '49', 'active']);
    expect(mas.findRange()).toBe('c');
    const rev = new MaState(mt, 45);
    expect(rev.findRangeRev()).toBe('b');
    expect(rev.findRangeRev()).toBeUndefined();
    expect(pos(rev)).toEqual(['20', '29', 'active']);
    expect(rev.findRangeRev()).toBe('a');
  });

  test('every range of a height-3 tree, forwards and back', () => {
    const mt = tall();
    const mas = new MaState(mt, 0);
    mas.walk();
    let n = 1;
    while (mas.nextRange() !== undefined || (mas.status as string) === 'active') n++;
    expect(mas.status).toBe('overflow');
    expect(n).toBe(800); // 400 entries, 399 gaps, the NULL tail
    let m = 1;
    while (mas.prevRange() !== undefined || (mas.status as string) === 'active') m++;
    expect(mas.status).toBe('underflow');
    expect(m).toBe(800);
  });
});

describe('mas_pause', () => {
  test('a paused state re-walks from the root and find resumes after the paused range', () => {
    const mt = small();
    const mas = new MaState(mt, 0);
    expect(mas.find()).toBe('a');
    expect(mas.find()).toBe('b');
    mas.pause();
    expect(mas.status).toBe('pause');
    mt.storeRange(40, 45, 'x'); // the tree changes while paused
    mt.erase(50);
    expect(mas.find()).toBe('x');
    expect(pos(mas)).toEqual(['40', '45', 'active']);
    expect(mas.find()).toBe('d');
    mas.pause();
    expect(mas.find()).toBeUndefined();
    expect(pos(mas)).toEqual(['200', String(ULONG_MAX), 'active']);
  });

  test('pause after every entry while the tree is rewritten around the walk', () => {
    const mt = tall();
    const mas = new MaState(mt, 0);
    const seen: number[] = [];
    let v: number | undefined;
    while ((v = mas.find()) !== undefined) {
      seen.push(v);
      mas.pause();
      // rewrite behind the walk (and split/merge nodes around it)
      mt.storeRange(Number(mas.index), Number(mas.last), v + 1000);
      if (v % 7 === 0) mt.storeRange(10 * v + 1, 10 * v + 2, 5000 + v);
    }
    // every original entry once, in order, and the inserted ones (they lie after the paused range)
    expect(seen.filter((x) => x < 1000)).toEqual([...Array(400).keys()]);
    mt.validate();
  });

  test('find_rev after pause resumes before the paused range', () => {
    const mt = small();
    const mas = new MaState(mt, 60);
    expect(mas.findRev()).toBe('c');
    mas.pause();
    mt.storeRange(20, 25, 'y');
    expect(mas.findRev()).toBe('b');
    expect(mas.findRev()).toBe('y');
    expect(mas.findRev()).toBe('a');
  });
});

describe('mas_for_each / mas_for_each_rev', () => {
  test('iterate and iterateRev yield the entries with their ranges, bounded by max / min', () => {
    const mt = small();
    const all = [...new MaState(mt, 0).iterate()].map((e) => [e.index, e.last, e.entry]);
    expect(all).toEqual([[10, 19, 'a'], [30, 39, 'b'], [50, 50, 'c'], [100, 199, 'd']]);
    expect([...new MaState(mt, 0).iterate(60)].map((e) => e.entry)).toEqual(['a', 'b', 'c']);
    expect([...new MaState(mt, 35).iterate()].map((e) => e.entry)).toEqual(['b', 'c', 'd']);
    expect([...new MaState(mt, ULONG_MAX).iterateRev()].map((e) => e.entry)).toEqual(['d', 'c', 'b', 'a']);
    expect([...new MaState(mt, 60).iterateRev(20)].map((e) => e.entry)).toEqual(['c', 'b']);
  });

  test('iterate over a height-3 tree matches the normal API', () => {
    const mt = tall();
    const viaState = [...new MaState(mt, 0).iterate()];
    expect(viaState).toEqual([...mt.entries()]);
    expect([...new MaState(mt, ULONG_MAX).iterateRev()].reverse()).toEqual(viaState);
  });
});

describe('writes through the state', () => {
  test('mas_store and mas_erase on one reused state match the model', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    const model = new FuzzModel<number>();
    const mas = new MaState(mt, 0);
    const rnd = mulberry32(42);
    const int = (n: number): number => Math.floor(rnd() * n);
    for (let k = 0; k < 1500; k++) {
      const a = int(3000);
      const b = a + (rnd() < 0.3 ? 0 : int(rnd() < 0.9 ? 20 : 400));
      const r = rnd();
      if (r < 0.6) {
        mas.setRange(a, b);
        mas.store(k);
        model.store(BigInt(a), BigInt(b), k);
      } else if (r < 0.75) {
        mas.setRange(a, b);
        mas.store(null);
        model.store(BigInt(a), BigInt(b), null);
      } else {
        mas.set(a);
        expect(mas.erase()).toBe(model.erase(BigInt(a)));
      }
      if (k % 50 === 0 || k > 1450) {
        mt.validate();
        expect([...mt.entries()].map((e) => [BigInt(e.index), BigInt(e.last), e.entry]))
          .toEqual(model.ranges.map((x) => [x.first, x.last, x.entry]));
      }
      expect(mas.allocated).toBe(0);
    }
    expect(mt.height).toBeGreaterThanOrEqual(2);
    // the state reads what it wrote
    mas.set(model.ranges[0].first);
    expect(mas.walk()).toBe(model.ranges[0].entry);
    mt.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  // A write that rebuilt nodes (spanning store, split, rebalance) leaves the state on the range
  // it wrote, as mas_store does; the position is walked to when a step first needs it.
  /** The first [a, b] of cands whose store is of the kernel's store type `type` (asked of preallocate). */
  const writeOfType = (mt: MapleTree<number>, type: string, cands: [number, number][]): [number, number] => {
    for (const [a, b] of cands) {
      const probe = new MaState(mt, a, b);
      probe.preallocate(9999);
      const t = probe.storeType;
      probe.free();
      if (t === type) return [a, b];
    }
    throw new Error(`no ${type} among the candidates`);
  };
  const inner = Array.from({ length: 300 }, (_, i): [number, number] => [10 * i + 11, 10 * i + 68]);

  test('after a store that rebuilt nodes the state stands on the written range and steps on from it', () => {
    for (const type of ['spanning_store', 'split_store', 'rebalance']) {
      const [a, b] = type === 'spanning_store' ? [1003, 1502]
        : type === 'split_store' ? writeOfType(tall(), type, Array.from({ length: 300 }, (_, i) => [10 * i + 1, 10 * i + 2]))
        : writeOfType(tall(), type, inner);
      for (const how of ['store', 'storePrealloc'] as const) {
        for (const step of ['next', 'prev', 'find', 'walk', 'nextRange', 'prevRange'] as const) {
          const mt = tall();
          const mas = new MaState(mt, a, b);
          if (how === 'store') mas.store(9999);
          else { mas.preallocate(9999); mas.storePrealloc(9999); }
          expect(mas.storeType).toBe(type);
          expect(pos(mas)).toEqual([String(a), String(b), 'active']);
          const fresh = new MaState(mt, a, b);
          expect(fresh.walk()).toBe(9999);
          expect(mas[step]()).toBe(fresh[step]());
          expect(pos(mas)).toEqual(pos(fresh));
          mt.validate();
          mt.free();
        }
      }
    }
  });

  test('a rebalance through the state, then a write through the tree: the state steps from its range in the new tree', () => {
    const mt = tall();
    const [a, b] = writeOfType(mt, 'rebalance', inner);
    const mas = new MaState(mt, a, b);
    mas.store(9999);
    expect(mas.storeType).toBe('rebalance');
    expect(pos(mas)).toEqual([String(a), String(b), 'active']);
    mt.storeRange(b + 1, b + 100, 9998);
    expect(mas.next()).toBe(9998);
    expect(pos(mas)).toEqual([String(b + 1), String(b + 100), 'active']);
    expect(mas.prev()).toBe(9999);
    expect(mas.prev()).toBe((a - 1) / 10); // what is left of the entry a cut into
    mt.validate();
    mt.free();
  });

  test('mas_erase erases the whole range holding index and returns its entry', () => {
    const mt = small();
    const mas = new MaState(mt, 150);
    expect(mas.erase()).toBe('d');
    expect(mt.load(100)).toBeUndefined();
    expect(mt.load(199)).toBeUndefined();
    mas.set(150);
    expect(mas.erase()).toBeUndefined();
    mt.validate();
  });

  test('mas_reset keeps the range and walks again from the root', () => {
    const mt = small();
    const mas = new MaState(mt, 15);
    expect(mas.find()).toBe('a');
    expect(mas.find()).toBe('b');
    mas.reset();
    expect(mas.status).toBe('start');
    expect(mas.walk()).toBe('b');
  });
});
