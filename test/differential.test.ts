// Differential testing against the reference model (test/support/model.ts): long random op
// sequences from fast-check over small and large key spaces, with validate() after every op,
// plus a seeded build of a tree of more than 100,000 ranges.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MapleTree, MapleError, NodePool } from '../src/index';
import { Model, ULONG, arg, asRange, expectSame, sameRange } from './support/model';
import { mulberry32 } from './support/rng';
import { checkStructure } from './support/structure';

/** A key: absolute, or relative to an existing range (so ops hit boundaries and interiors). */
type Key = { abs: bigint } | { pick: number; end: boolean; delta: number };
type Op =
  | { t: 'store'; k: Key; len: bigint; nul: boolean }
  | { t: 'span'; pick: number; n: number; da: number; db: number; nul: boolean }
  | { t: 'insert'; k: Key; len: bigint }
  | { t: 'erase'; k: Key }
  | { t: 'load' | 'find' | 'next' | 'prev'; k: Key; bound: bigint };

interface Space {
  max: bigint;
  /** Lengths of stored ranges. */
  len: fc.Arbitrary<bigint>;
  /** Absolute keys. */
  abs: fc.Arbitrary<bigint>;
  /** Most existing ranges one spanning store covers. */
  span: number;
  /** Weight of extra stores of short ranges at absolute keys (growth). */
  fresh: number;
}

function keyArb(space: Space): fc.Arbitrary<Key> {
  return fc.oneof(
    { weight: 2, arbitrary: space.abs.map((abs): Key => ({ abs })) },
    { weight: 3, arbitrary: fc.record({ pick: fc.nat(), end: fc.boolean(), delta: fc.integer({ min: -2, max: 2 }) }) },
  );
}

function opArb(space: Space): fc.Arbitrary<Op> {
  const k = keyArb(space);
  const fresh = fc.record({ t: fc.constant('store' as const), k: space.abs.map((abs): Key => ({ abs })),
    len: fc.bigInt({ min: 0n, max: 64n }), nul: fc.constant(false) });
  return fc.oneof(
    { weight: space.fresh, arbitrary: fresh },
    { weight: 12, arbitrary: fc.record({ t: fc.constant('store' as const), k, len: space.len, nul: fc.integer({ min: 0, max: 9 }).map((d) => d < 3) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('span' as const), pick: fc.nat(), n: fc.integer({ min: 1, max: space.span }),
      da: fc.integer({ min: -1, max: 1 }), db: fc.integer({ min: -1, max: 1 }), nul: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('insert' as const), k, len: space.len }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('erase' as const), k }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constantFrom('load' as const, 'find' as const, 'next' as const, 'prev' as const), k, bound: space.len }) },
  );
}

/** A deterministic flag per op, so both number and bigint arguments are exercised. */
const asBig = (i: number): boolean => i % 5 === 0;

class Runner {
  readonly pool = new NodePool();
  readonly mt: MapleTree<unknown>;
  readonly model = new Model<unknown>();
  serial = 0;
  maxHeight = 0;
  constructor(readonly space: Space, readonly mode: 'object' | 'number', readonly fullEvery: number) {
    this.mt = new MapleTree({ pool: this.pool, entries: mode });
  }

  entry(): unknown {
    const n = this.serial++;
    return this.mode === 'number' ? n : { n };
  }

  key(k: Key): bigint {
    let x: bigint;
    if ('abs' in k) x = k.abs;
    else {
      const rs = this.model.ranges;
      if (rs.length === 0) x = BigInt(k.pick) % (this.space.max + 1n);
      else {
        const r = rs[k.pick % rs.length];
        x = (k.end ? r.last : r.first) + BigInt(k.delta);
      }
    }
    return x < 0n ? 0n : x > this.space.max ? this.space.max : x;
  }

  run(op: Op, i: number): void {
    const { mt, model } = this;
    const big = asBig(i);
    const clamp = (x: bigint): bigint => (x > this.space.max ? this.space.max : x < 0n ? 0n : x);
    switch (op.t) {
      case 'store': {
        const a = this.key(op.k);
        const b = clamp(a + op.len);
        const e = op.nul ? null : this.entry();
        if (a === b && i % 2 === 0) mt.store(arg(a, big), e);
        else mt.storeRange(arg(a, big), arg(b, big), e);
        model.store(a, b, e);
        this.spot(a, b);
        break;
      }
      case 'span': {
        const rs = model.ranges;
        if (rs.length === 0) return;
        const p = op.pick % rs.length;
        const q = Math.min(rs.length - 1, p + op.n);
        let a = clamp(rs[p].first + BigInt(op.da));
        let b = clamp(rs[q].last + BigInt(op.db));
        if (a > b) [a, b] = [b, a];
        const e = op.nul ? null : this.entry();
        mt.storeRange(arg(a, big), arg(b, big), e);
        model.store(a, b, e);
        this.spot(a, b);
        break;
      }
      case 'insert': {
        const a = this.key(op.k);
        const b = clamp(a + op.len);
        const e = this.entry();
        const free = !model.occupied(a, b);
        let err: unknown;
        try {
          if (a === b && i % 2 === 0) mt.insert(arg(a, big), e);
          else mt.insertRange(arg(a, big), arg(b, big), e);
        } catch (x) {
          err = x;
        }
        if (free) {
          if (err !== undefined) throw err;
          model.insert(a, b, e);
        } else if (!(err instanceof MapleError) || err.code !== 'EEXIST' || err.errno !== 17) {
          throw new Error(`insertRange(${a}, ${b}) over an occupied range: expected EEXIST, got ${String(err)}`);
        }
        this.spot(a, b);
        break;
      }
      case 'erase': {
        const a = this.key(op.k);
        const got = mt.erase(arg(a, big));
        const want = model.erase(a);
        if (!Object.is(got, want)) throw new Error(`erase(${a}): got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        this.spot(a, a);
        break;
      }
      case 'load': {
        const a = this.key(op.k);
        const got = mt.load(arg(a, big));
        if (!Object.is(got, model.load(a))) throw new Error(`load(${a}) differs`);
        break;
      }
      case 'find': {
        const a = this.key(op.k);
        const m = clamp(a + op.bound);
        sameRange(asRange(mt.find(arg(a, big), arg(m, big)), 'find'), model.find(a, m), `find(${a}, ${m})`);
        break;
      }
      case 'next': {
        const a = this.key(op.k);
        const m = clamp(a + op.bound);
        sameRange(asRange(mt.next(arg(a, big), arg(m, big)), 'next'), model.next(a, m), `next(${a}, ${m})`);
        break;
      }
      case 'prev': {
        const a = this.key(op.k);
        const m = clamp(a - op.bound);
        sameRange(asRange(mt.prev(arg(a, big), arg(m, big)), 'prev'), model.prev(a, m), `prev(${a}, ${m})`);
        break;
      }
    }
    mt.validate();
    this.maxHeight = Math.max(this.maxHeight, mt.height);
    if (this.fullEvery === 1 || i % this.fullEvery === 0) expectSame(mt, model, `after op ${i}`);
  }

  /** Spot checks around a write: loads at and beside its ends, and the ranges found there. */
  spot(a: bigint, b: bigint): void {
    for (const k of [a - 1n, a, b, b + 1n]) {
      if (k < 0n || k > ULONG) continue;
      if (!Object.is(this.mt.load(arg(k)), this.model.load(k))) throw new Error(`load(${k}) after a write differs`);
      sameRange(asRange(this.mt.find(arg(k)), 'find'), this.model.find(k, ULONG), `find(${k}) after a write`);
    }
  }

  finish(): void {
    this.mt.validate();
    expectSame(this.mt, this.model, 'final');
    checkStructure(this.mt);
    const start = 0;
    this.mt.free();
    expect(this.pool.stats().nodesInUse).toBe(start);
  }
}

function runAll(space: Space, mode: 'object' | 'number', fullEvery: number, ops: Op[], stats?: { maxHeight: number }): void {
  const r = new Runner(space, mode, fullEvery);
  ops.forEach((op, i) => r.run(op, i));
  if (stats) stats.maxHeight = Math.max(stats.maxHeight, r.maxHeight);
  r.finish();
}

const SMALL: Space = {
  max: 200n,
  span: 40,
  fresh: 1,
  abs: fc.bigInt({ min: 0n, max: 200n }),
  len: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 30n }), fc.bigInt({ min: 0n, max: 200n })),
};

const LARGE: Space = {
  max: 2n ** 40n,
  span: 8,
  fresh: 14,
  abs: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  len: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0n) },
    { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 16n }) },
    { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 4096n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 24n }) }),
};

/** Keys near the top of the space, near 2^53 and near 0: the number/bigint border and ULONG_MAX. */
const EDGES: Space = {
  max: ULONG,
  span: 30,
  fresh: 2,
  abs: fc.oneof(
    fc.bigInt({ min: ULONG - 5000n, max: ULONG }),
    fc.bigInt({ min: 2n ** 53n - 3000n, max: 2n ** 53n + 3000n }),
    fc.bigInt({ min: 0n, max: 3000n }),
    fc.bigInt({ min: 0n, max: ULONG })),
  len: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 4000n }), fc.bigInt({ min: 0n, max: ULONG })),
};

describe('differential: random op sequences against the model', () => {
  test('small key space 0..200, object entries: full compare after every op', () => {
    const stats = { maxHeight: 0 };
    fc.assert(fc.property(fc.array(opArb(SMALL), { minLength: 20, maxLength: 400, size: 'max' }), (ops) => {
      runAll(SMALL, 'object', 1, ops, stats);
    }), { seed: 0x5eed01, numRuns: 300 });
    expect(stats.maxHeight).toBeGreaterThanOrEqual(2);
  });

  test('small key space 0..200, number entries (0 is an entry)', () => {
    fc.assert(fc.property(fc.array(opArb(SMALL), { minLength: 20, maxLength: 300, size: 'max' }), (ops) => {
      runAll(SMALL, 'number', 1, ops);
    }), { seed: 0x5eed02, numRuns: 100 });
  });

  test('large key space 0..2^40: splits, rebalances, spanning stores, height 4 reached', () => {
    const stats = { maxHeight: 0 };
    fc.assert(fc.property(fc.array(opArb(LARGE), { minLength: 8000, maxLength: 12000, size: 'max' }), (ops) => {
      runAll(LARGE, 'number', 250, ops, stats);
    }), { seed: 0x5eed03, numRuns: 8, interruptAfterTimeLimit: 100_000 });
    expect(stats.maxHeight).toBeGreaterThanOrEqual(4);
  });

  test('large key space 0..2^40, object entries, medium sequences', () => {
    const stats = { maxHeight: 0 };
    fc.assert(fc.property(fc.array(opArb(LARGE), { minLength: 300, maxLength: 1500, size: 'max' }), (ops) => {
      runAll(LARGE, 'object', 50, ops, stats);
    }), { seed: 0x5eed04, numRuns: 30, interruptAfterTimeLimit: 100_000 });
    expect(stats.maxHeight).toBeGreaterThanOrEqual(3);
  });

  test('keys near ULONG_MAX, near 2^53 and near 0, number and bigint arguments', () => {
    fc.assert(fc.property(fc.array(opArb(EDGES), { minLength: 50, maxLength: 600, size: 'max' }), (ops) => {
      runAll(EDGES, 'object', 1, ops);
    }), { seed: 0x5eed05, numRuns: 100 });
  });
});

describe('a tree of more than 100,000 ranges', () => {
  test('random stores then erasing most, validate every 5,000 ops, full compare at the end', () => {
    const r = mulberry32(20240601);
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    const model = new Model<number>();
    const SPACE = 2 ** 40;
    let ops = 0;
    const checkpoint = (): void => {
      if (++ops % 5000 === 0) mt.validate();
    };
    // Build: mostly small ranges scattered over 2^40 (few overlaps), some overwrites of
    // existing ranges (splits inside ranges).
    while (model.size < 105_000) {
      let a: bigint;
      let b: bigint;
      if (model.size > 100 && r.chance(0.1)) {
        const x = model.ranges[r.int(model.size)];
        a = x.first + (x.last > x.first ? r.big(x.last - x.first) : 0n);
        b = a + BigInt(r.int(3));
      } else {
        a = BigInt(r.int(SPACE));
        b = a + BigInt(r.int(1000));
      }
      const e = ops;
      mt.storeRange(Number(a), Number(b), e);
      model.store(a, b, e);
      checkpoint();
    }
    mt.validate();
    expect(mt.height).toBeGreaterThanOrEqual(5);
    expectSame(mt, model, 'built');
    // Erase 90%: by index inside existing ranges, and now and then a NULL span.
    while (model.size > 10_000) {
      if (r.chance(0.02)) {
        const i = r.int(model.size - 50);
        const a = model.ranges[i].first;
        const b = model.ranges[i + r.int(50)].last;
        mt.storeRange(Number(a), Number(b), null);
        model.store(a, b, null);
      } else {
        const x = model.ranges[r.int(model.size)];
        const k = x.first + r.big(x.last - x.first + 1n);
        expect(mt.erase(Number(k))).toBe(model.erase(k));
      }
      checkpoint();
    }
    mt.validate();
    expectSame(mt, model, 'after erasing');
    checkStructure(mt as MapleTree<unknown>);
    mt.destroy();
    expect(pool.stats().nodesInUse).toBe(0);
  });
});
