// A state positioned before a write made other than through it (through the tree, another
// state, destroy()) walks again from its index before it answers, as mas_reset and a walk would:
// it never returns an erased entry, skips a live one, or reads a freed node. The kernel leaves
// this to its locking rules; here it is checked, and so is the VmaIterator built on a state.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, VmaIterator, ULONG_MAX } from '../src/index';
import { Model, big } from './support/model';
import { mulberry32 } from './support/rng';

/** 400 ranges [10i, 10i + 4] = i. */
function fourHundred(): MapleTree<number> {
  const mt = new MapleTree<number>({ entries: 'number' });
  for (let i = 0; i < 400; i++) mt.storeRange(10 * i, 10 * i + 4, i);
  return mt;
}

describe('a state notices writes made other than through it', () => {
  test('a NULL store over its range through the tree: next returns nothing', () => {
    const mt = fourHundred();
    const mas = new MaState(mt, 2000);
    expect(mas.walk()).toBe(200);
    mt.storeRange(0, 10_000, null);
    expect(mas.next(ULONG_MAX)).toBeUndefined();
    expect(mas.status).toBe('overflow');
    mt.validate();
  });

  test('an entry erased through another state is not returned; the one after it is', () => {
    const mt = fourHundred();
    const a = new MaState(mt, 1000);
    const b = new MaState(mt, 1010);
    expect(a.walk()).toBe(100);
    expect(b.erase()).toBe(101);
    expect(a.next()).toBe(102);
    expect(a.prev()).toBe(100);
    b.set(995);
    b.store(7);
    expect(a.prev()).toBe(7); // a stands on 100 again; [995, 995] = 7 is the range before it
    expect(a.prev()).toBe(99);
    expect([a.index, a.last]).toEqual([990, 994]);
  });

  test('writes that grow and shrink the tree under a state keep its walk exact', () => {
    const mt = fourHundred();
    const mas = new MaState(mt, 0);
    const seen: number[] = [];
    let e: number | undefined;
    while ((e = mas.find()) !== undefined) {
      seen.push(e);
      // every step, rewrite the tree ahead of and behind the state through the normal API
      if (e < 399) mt.storeRange(10 * e + 10, 10 * e + 14, e + 1);
      if (e > 0) mt.erase(10 * (e - 1));
    }
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => i));
    mt.validate();
  });

  test('after destroy() a state answers from the empty tree, never from freed nodes', () => {
    const mt = fourHundred();
    const mas = new MaState(mt, 1234);
    mas.walk();
    mt.destroy();
    expect(mas.next()).toBeUndefined();
    expect(mas.prev()).toBeUndefined();
    mas.set(2000);
    expect(mas.find()).toBeUndefined();
    expect([mas.index, mas.last, mas.status]).toEqual([0, ULONG_MAX, 'none']);
    mt.storeRange(5, 9, 1);
    expect(mas.find()).toBe(1); // the none state walks the new leaf from its index, 0
  });

  test('a lone root entry replaced under a state: the state walks the new tree', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    mt.store(0, 1);
    const mas = new MaState(mt, 0);
    expect(mas.walk()).toBe(1);
    expect(mas.status).toBe('root');
    mt.storeRange(0, 0, null);
    mt.storeRange(100, 200, 2);
    expect(mas.next()).toBe(2);
    expect([mas.index, mas.last, mas.status]).toEqual([100, 200, 'active']);
  });

  test('an overflowed state keeps its limit semantics across a write', () => {
    const mt = new MapleTree<string>();
    mt.storeRange(10, 15, 'A');
    mt.storeRange(30, 35, 'B');
    const mas = new MaState(mt, 10);
    mas.walk();
    expect(mas.next(20)).toBeUndefined();
    expect(mas.status).toBe('overflow');
    mt.storeRange(25, 26, 'C'); // lands in the gap the state overflowed on
    // walked again at 16, still overflowed, now on [16, 24]: the next step goes on from there
    expect(mas.next(ULONG_MAX)).toBe('C');
    expect(mas.next(ULONG_MAX)).toBe('B');
  });

  test('random writes between steps: next and prev answer as from a fresh walk (seed 31)', () => {
    const r = mulberry32(31);
    const mt = new MapleTree<number>({ entries: 'number' });
    const model = new Model<number>();
    const mas = new MaState(mt, 0);
    let checks = 0;
    for (let i = 0; i < 6000; i++) {
      const a = r.int(20_000);
      const k = r.int(10);
      if (k < 4) {
        const e = r.chance(0.25) ? null : i;
        const b = a + r.int(k === 0 ? 2000 : 40);
        mt.storeRange(a, b, e);
        model.store(big(a), big(b), e);
      } else if (k < 5) {
        mas.set(a);
        mas.walk();
      } else if (mas.status === 'active') {
        const at = big(mas.index);
        const fwd = k < 8;
        const want = fwd ? model.next(at, ULONG_MAX) : model.prev(at, 0n);
        const got = fwd ? mas.next() : mas.prev();
        expect(got).toBe(want?.entry);
        if (want !== undefined) expect([big(mas.index), big(mas.last)]).toEqual([want.first, want.last]);
        checks++;
      } else {
        mas.set(a);
        mas.walk();
      }
      if (i % 500 === 0) mt.validate();
    }
    expect(checks).toBeGreaterThan(1500);
  });
});

describe('VmaIterator over a changed tree', () => {
  test('a munmap through the tree between two steps is seen by the iterator', () => {
    const mt = new MapleTree<{ vmStart: number; vmEnd: number }>();
    for (let i = 0; i < 100; i++) mt.storeRange(0x1000 * i, 0x1000 * i + 0xfff, { vmStart: 0x1000 * i, vmEnd: 0x1000 * (i + 1) });
    const vmi = new VmaIterator(mt, 0x10000);
    expect(vmi.next()?.vmStart).toBe(0x10000);
    mt.storeRange(0x11000, 0x20fff, null); // the next 16 VMAs go
    expect(vmi.next()?.vmStart).toBe(0x21000);
    expect(vmi.prev()?.vmStart).toBe(0x10000);
    vmi.destroy();
  });
});
