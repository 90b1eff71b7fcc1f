// The read paths tuned for speed, checked against a model: the area search handing its
// walk to the state (MaState.emptyArea / emptyAreaRev), the branch-free arange_64 pivot search
// (every load, walk, write and gap search of an allocRange tree), the batches' and loadMany's
// touches ahead (the cursor reusing its views: test/cursor.test.ts). Each test drives the public API with a
// seeded random sequence and checks it against test/support/model.ts (a sorted array of ranges),
// and against a state walked to the same place where the state's position is what is checked.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, MapleError, NodePool } from '../src/index';
import type { Index } from '../src/index';
import { treeNodes } from '../src/nodes';
import { mulberry32, type Rng } from './support/rng';
import { Model, ULONG, arg, big, expectSame } from './support/model';

type Tree = MapleTree<number>;

/** Lowest (forward) or highest start of size free indices in [lo, hi] by the model, or undefined. */
function modelArea(model: Model<number>, lo: bigint, hi: bigint, size: bigint, forward: boolean): bigint | undefined {
  let best: bigint | undefined;
  let from = 0n;
  const consider = (a: bigint, b: bigint): void => {
    const s = a > lo ? a : lo;
    const e = b < hi ? b : hi;
    if (e < s || e - s < size - 1n) return;
    const c = forward ? s : e - size + 1n;
    if (best === undefined || (forward ? c < best : c > best)) best = c;
  };
  for (const r of model.ranges) {
    if (r.first > from) consider(from, r.first - 1n);
    if (r.last === ULONG) return best;
    from = r.last + 1n;
  }
  consider(from, ULONG);
  return best;
}

/** The MapleError code of fn, or its result. */
function attempt<R>(fn: () => R): { ok: true; value: R } | { ok: false; code: string } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof MapleError) return { ok: false, code: e.code };
    throw e;
  }
}

const span = (mas: MaState<unknown>): [bigint, bigint, string] => [big(mas.index), big(mas.last), mas.status];

/** Key regimes: small, across 2^53, across 2^63 (the pivot search's sign flip), up to 2^64 - 1. */
const BASES: bigint[] = [0n, (1n << 53n) - 3000n, (1n << 63n) - 3000n, ULONG - 6000n];

/** A tree (and its model) of about n ranges from base on, packed or sparse. */
function randomTree(rnd: Rng, base: bigint, n: number, options: { allocRange: boolean; rcu: boolean }):
  { mt: Tree; model: Model<number> } {
  const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number', ...options });
  const model = new Model<number>();
  const packed = rnd.chance(0.5);
  let at = base;
  for (let i = 0; i < n; i++) {
    const a = packed ? at + BigInt(rnd.int(4)) : base + rnd.big(BigInt(n) * 12n);
    let b = a + BigInt(rnd.int(packed ? 6 : 20));
    if (b > ULONG) b = ULONG;
    if (a > ULONG) break;
    mt.storeRange(arg(a, rnd.chance(0.3)), arg(b, rnd.chance(0.3)), i + 1);
    model.store(a, b, i + 1);
    if (b === ULONG) break;
    at = b + 1n;
  }
  mt.validate();
  return { mt, model };
}

/** Where a state walked to index stands after one step (the state an area search leaves must agree). */
function refStep(mt: Tree, index: bigint, step: 'next' | 'prev'): [number | undefined, bigint, bigint, string] {
  const ref = new MaState(mt, arg(index));
  ref.walk();
  const e = step === 'next' ? ref.next() : ref.prev();
  const r: [number | undefined, bigint, bigint, string] = [e, ...span(ref)];
  ref.free();
  return r;
}

describe('reads changed in 93956d3..cc5327b', () => {
  test('MaState area search, then steps, stores and erases through the same state, against the model (16 seeds)', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const rnd = mulberry32(0xa5ea + seed);
      const base = BASES[seed % BASES.length];
      const allocRange = seed % 4 !== 3;
      const rcu = seed % 3 === 0;
      const n = [0, 1, 9, 40, 300, 1200, 2500][seed % 7];
      const { mt, model } = randomTree(rnd, base, n, { allocRange, rcu });
      let value = 1_000_000;
      const span0 = BigInt(n) * 14n + 200n;
      const key = (): bigint => {
        const k = base + rnd.big(span0);
        return k > ULONG ? ULONG : k;
      };
      for (let k = 0; k < 300; k++) {
        const at = `seed ${seed} search ${k}`;
        const forward = rnd.chance(0.5);
        const size = BigInt(1 + Math.floor(rnd() ** 3 * 30));
        const lo = rnd.chance(0.05) ? 0n : key();
        let hi = rnd.chance(0.05) ? ULONG : lo + size - 1n + rnd.big(rnd.chance(0.5) ? 40n : 2000n);
        if (hi > ULONG) hi = ULONG;
        const mas = new MaState(mt, arg(key()));
        if (rnd.chance(0.3)) mas.walk();
        const got = attempt(() => (forward ? mas.emptyArea : mas.emptyAreaRev).call(mas, arg(lo, rnd.chance(0.3)), arg(hi), arg(size)));
        const want = modelArea(model, lo, hi, size, forward);
        if (!got.ok) {
          expect(got.code, at).toBe('EBUSY');
          expect(want, at).toBeUndefined();
          mas.free();
          continue;
        }
        const start = big(got.value);
        expect(start, at).toBe(want);
        const last = start + size - 1n;
        // without nodes the state stays none / root, as mas_start left it
        const status = mt.height > 0 ? 'active' : mt.isEmpty() ? 'none' : 'root';
        expect(span(mas), at).toEqual([start, last, status]);
        const what = rnd.int(7);
        if (what <= 1) {
          // a step: as from a state walked to start (index, entry); prev may end the range it
          // lands on at start - 1 (mas_prev_slot within a leaf, the kernel's answer)
          const step = what === 0 ? 'next' : 'prev';
          const [e, i, l, s] = refStep(mt, start, step);
          const g = step === 'next' ? mas.next() : mas.prev();
          // (off the end, the range left in the state is the walk's own: compared only when found)
          expect([g, mas.status], `${at} ${step}`).toEqual([e, s]);
          if (e !== undefined) expect(big(mas.index), `${at} ${step}`).toBe(i);
          if (e !== undefined && step === 'next') expect(big(mas.last), `${at} ${step}`).toBe(l);
          else if (e !== undefined) expect([start - 1n, l], `${at} prev`).toContain(big(mas.last));
          // and a second step back the other way lands where it started, on the area's slot
          if (e !== undefined) {
            const here = big(mas.index);
            const w = step === 'next' ? model.prev(here, 0n) : model.next(here, ULONG);
            const back = step === 'next' ? mas.prev() : mas.next();
            expect(back, `${at} ${step} back`).toBe(w?.entry);
          }
        } else if (what <= 4) {
          const v = what === 4 && rnd.chance(0.5) ? null : value++;
          if (rnd.chance(0.3)) {
            mas.preallocate(v);
            mas.storePrealloc(v);
          } else {
            mas.store(v);
          }
          model.store(start, last, v);
          mt.validate();
          expectSame(mt, model, `${at} store`);
          // the state stands on what it stored
          if (v !== null) expect([mas.walk(), big(mas.index), big(mas.last)], `${at} after store`).toEqual([v, start, last]);
          else expect(mas.walk(), `${at} after store`).toBeUndefined();
        } else if (what === 5) {
          // erase through the state: the area is NULL, so nothing goes; then the next range
          expect(mas.erase(), at).toBeUndefined();
          expectSame(mt, model, `${at} erase`);
          const e = mas.next();
          expect(e, `${at} erase next`).toBe(model.next(start, ULONG)?.entry);
        } else {
          // another search through the same state, then a store
          const f2 = rnd.chance(0.5);
          const s2 = BigInt(1 + rnd.int(5));
          const l2 = key();
          const w = l2 + s2 - 1n + rnd.big(300n);
          const h2 = w > ULONG ? ULONG : w;
          const g2 = attempt(() => (f2 ? mas.emptyArea(arg(l2), arg(h2), arg(s2)) : mas.emptyAreaRev(arg(l2), arg(h2), arg(s2))));
          const w2 = modelArea(model, l2, h2, s2, f2);
          expect(g2.ok ? big(g2.value) : undefined, `${at} again`).toBe(w2);
          if (g2.ok) {
            const v = value++;
            mas.store(v);
            model.store(w2!, w2! + s2 - 1n, v);
            mt.validate();
            expectSame(mt, model, `${at} again store`);
          }
        }
        mas.free();
      }
      if (rcu) mt.synchronize();
      mt.validate();
      expectSame(mt, model, `seed ${seed} end`);
      mt.free();
    }
  });

  test('area searches with windows at every leaf edge, forward and reverse, then a store from the state', () => {
    const rnd = mulberry32(0xed6e);
    for (const base of BASES) {
      for (const allocRange of [true, false]) {
        const { mt, model } = randomTree(rnd, base, 700, { allocRange, rcu: false });
        // NULL runs across some leaf edges
        for (const leaf of treeNodes(mt).filter((x) => x.type === 'leaf_64')) {
          const m = big(leaf.max);
          if (m === ULONG || !rnd.chance(0.4)) continue;
          const a = m - BigInt(rnd.int(5));
          const b = m + 1n + BigInt(rnd.int(5));
          mt.storeRange(arg(a), arg(b > ULONG ? ULONG : b), null);
          model.store(a, b > ULONG ? ULONG : b, null);
        }
        mt.validate();
        expectSame(mt, model);
        let value = 5_000_000;
        for (const leaf of treeNodes(mt).filter((x) => x.type === 'leaf_64')) {
          const lmin = big(leaf.min);
          const lmax = big(leaf.max);
          const points = [lmin, lmin + 1n, lmax - 2n, lmax, lmax + 1n, lmax + 6n].filter((x) => x >= 0n && x <= ULONG);
          for (const lo of points) {
            for (const hi of points) {
              for (const size of [1n, 2n, 4n]) {
                if (hi < lo || hi - lo < size - 1n || !rnd.chance(0.5)) continue;
                const forward = rnd.chance(0.5);
                const at = `base ${base} alloc ${allocRange} leaf [${lmin}, ${lmax}] ${forward ? 'fwd' : 'rev'} [${lo}, ${hi}] size ${size}`;
                const mas = new MaState(mt, 0);
                const got = attempt(() => (forward ? mas.emptyArea(arg(lo), arg(hi), arg(size)) : mas.emptyAreaRev(arg(lo), arg(hi), arg(size))));
                const want = modelArea(model, lo, hi, size, forward);
                expect(got.ok ? big(got.value) : undefined, at).toBe(want);
                if (got.ok) {
                  const start = big(got.value);
                  const [e, i, l, s] = refStep(mt, start, 'next');
                  // a copy of the state's step, from a second search, against the reference
                  const other = new MaState(mt, 0);
                  if (forward) other.emptyArea(arg(lo), arg(hi), arg(size)); else other.emptyAreaRev(arg(lo), arg(hi), arg(size));
                  const g = other.next();
                  expect([g, other.status], `${at} next`).toEqual([e, s]);
                  if (e !== undefined) expect(span(other), `${at} next`).toEqual([i, l, s]);
                  other.free();
                  if (rnd.chance(0.15)) {
                    const v = value++;
                    mas.store(v);
                    model.store(start, start + size - 1n, v);
                    mt.validate();
                    expectSame(mt, model, `${at} store`);
                  }
                }
                mas.free();
              }
            }
          }
        }
        mt.free();
      }
    }
  });

  test('allocRange trees across 2^63 and up to 2^64 - 1: allocs, loads, loadMany, walks and batches against the model', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const rnd = mulberry32(0x5167 + seed);
      const base = BASES[seed % BASES.length];
      const made = randomTree(rnd, base, 1500 + rnd.int(1500), { allocRange: true, rcu: seed % 2 === 0 });
      const model = made.model;
      let mt = made.mt;
      if (seed % 3 === 0) {
        // bulk-loaded instead: packed nodes, every arange_64 pivot in use
        mt.free();
        mt = MapleTree.from<number>(model.ranges.map((r) => [arg(r.first), arg(r.last), r.entry] as [Index, Index, number]),
          { pool: new NodePool(), entries: 'number', allocRange: true, rcu: seed % 2 === 0 });
        mt.validate();
        expectSame(mt, model, `seed ${seed} from`);
      }
      const top = model.ranges.length ? model.ranges[model.ranges.length - 1].last : base;
      const key = (): bigint => {
        const k = base + rnd.big(top - base + 50n);
        return k > ULONG ? ULONG : k;
      };
      let value = 9_000_000;
      for (let k = 0; k < 200; k++) {
        const at = `seed ${seed} op ${k}`;
        const op = rnd.int(4);
        if (op === 0) {
          const forward = rnd.chance(0.5);
          const size = BigInt(1 + rnd.int(8));
          const lo = key();
          const w = lo + size - 1n + rnd.big(500n);
          const hi = w > ULONG ? ULONG : w;
          const v = value++;
          const got = attempt(() => (forward ? mt.allocRange(arg(size), v, arg(lo), arg(hi)) : mt.allocRRange(arg(size), v, arg(lo), arg(hi))));
          const want = modelArea(model, lo, hi, size, forward);
          expect(got.ok ? big(got.value) : undefined, at).toBe(want);
          if (got.ok) model.store(want!, want! + size - 1n, v);
        } else if (op === 1) {
          const lo = key();
          const w = lo + rnd.big(60n);
          const hi = w > ULONG ? ULONG : w;
          const nx = lo + rnd.big(80n);
          const v = value++;
          const got = attempt(() => mt.allocCyclic(v, arg(lo), arg(hi), arg(nx > ULONG ? ULONG : nx)));
          if (got.ok) {
            const i = big(got.value.index);
            expect(model.occupied(i, i), at).toBe(false);
            model.store(i, i, v);
          } else {
            expect(got.code, at).toBe('EBUSY');
            expect(modelArea(model, lo, hi, 1n, true), at).toBeUndefined();
          }
        } else if (op === 2) {
          const a = key();
          const w = a + BigInt(rnd.int(30));
          const b = w > ULONG ? ULONG : w;
          const v = rnd.chance(0.4) ? null : value++;
          mt.storeRange(arg(a), arg(b), v);
          model.store(a, b, v);
        } else {
          const i = key();
          expect(mt.erase(arg(i)), at).toBe(model.erase(i));
        }
        if (k % 20 === 0) {
          mt.validate();
          // loads, one at a time and in a batch, half of them on range edges
          const keys = Array.from({ length: 200 }, () => {
            if (rnd.chance(0.5) && model.ranges.length) {
              const r = model.ranges[rnd.int(model.ranges.length)];
              return rnd.chance(0.5) ? r.first : r.last;
            }
            return key();
          });
          const many = mt.loadMany(BigUint64Array.from(keys));
          keys.forEach((x, j) => {
            const w = model.load(x);
            expect(mt.load(arg(x)), `${at} load ${x}`).toBe(w);
            expect(many[j], `${at} loadMany ${x}`).toBe(w === undefined ? NaN : w);
          });
          // a window walked every way
          const lo = key();
          const w = rnd.big(3000n);
          const hi = lo + w > ULONG ? ULONG : lo + w;
          const want = model.entries(lo, hi).map((r) => [r.first, r.last, r.entry]);
          const each: [bigint, bigint, number][] = [];
          mt.forEach((e, i, l) => each.push([big(i), big(l), e]), arg(lo), arg(hi));
          expect(each, `${at} forEach`).toEqual(want);
          expect([...mt.entries(arg(lo), arg(hi))].map((r) => [big(r.index), big(r.last), r.entry]), `${at} entries`).toEqual(want);
          const rev: [bigint, bigint, number][] = [];
          const mas = new MaState(mt, arg(hi));
          for (const r of mas.iterateRev(arg(lo))) rev.push([big(r.index), big(r.last), r.entry]);
          mas.free();
          expect(rev.reverse(), `${at} iterateRev`).toEqual(want);
          if (want.every((r) => (r[1] as bigint) <= BigInt(Number.MAX_SAFE_INTEGER))) {
            const c = mt.cursor(arg(lo), arg(hi));
            const got: [bigint, bigint, number][] = [];
            for (let m = c.next(); m > 0; m = c.next()) {
              for (let j = 0; j < m; j++) got.push([BigInt(c.index[j]), BigInt(c.last[j]), c.entry[j]]);
            }
            expect(got, `${at} cursor`).toEqual(want);
          }
        }
      }
      if (seed % 2 === 0) mt.synchronize();
      mt.validate();
      expectSame(mt, model, `seed ${seed} end`);
      mt.free();
    }
  });
});

