// Smoke suite against the release build (-O3, --noAssert): random ops against the model with
// periodic validate(), bigint edge keys, and the shipped bundle (dist/index.js).
import { describe, expect, test } from 'vitest';
import { MapleTree, MapleError, NodePool, ULONG_MAX } from '../../src/index';
import { Model, arg, asRange, expectSame, sameRange } from '../support/model';
import { mulberry32 } from '../support/rng';

describe('release core', () => {
  test('5,000 random ops against the model, validate every 250', () => {
    const r = mulberry32(4242);
    const pool = new NodePool();
    const mt = new MapleTree<{ n: number }>({ pool });
    const model = new Model<{ n: number }>();
    for (let i = 0; i < 5000; i++) {
      const a = BigInt(r.int(100_000));
      const b = a + BigInt(r.chance(0.8) ? r.int(20) : r.int(3000));
      const op = r.int(10);
      if (op < 6) {
        const e = r.chance(0.15) ? null : { n: i };
        mt.storeRange(arg(a), arg(b), e);
        model.store(a, b, e);
      } else if (op < 7) {
        const e = { n: i };
        const free = !model.occupied(a, b);
        if (free) {
          mt.insertRange(arg(a), arg(b), e);
          model.insert(a, b, e);
        } else expect(() => mt.insertRange(arg(a), arg(b), e)).toThrow(MapleError);
      } else if (op < 9) {
        expect(mt.erase(arg(a))).toBe(model.erase(a));
      } else {
        sameRange(asRange(mt.find(arg(a), arg(b)), 'find'), model.find(a, b), 'find');
        sameRange(asRange(mt.next(arg(a)), 'next'), model.next(a, ULONG_MAX), 'next');
        sameRange(asRange(mt.prev(arg(a)), 'prev'), model.prev(a, 0n), 'prev');
      }
      if (i % 250 === 0) {
        mt.validate();
        expectSame(mt, model);
      }
    }
    mt.validate();
    expectSame(mt, model);
    expect(mt.height).toBeGreaterThanOrEqual(2);
    mt.destroy();
    expect(pool.stats().nodesInUse).toBe(0);
  });

  test('bigint edge keys: 2^53 border and ULONG_MAX', () => {
    const mt = new MapleTree<string>({ pool: new NodePool() });
    mt.storeRange(2n ** 53n - 1n, 2n ** 53n, 'border');
    mt.storeRange(ULONG_MAX - 9n, ULONG_MAX, 'top');
    mt.store(0, 'zero');
    expect(mt.find(1)).toEqual({ index: Number.MAX_SAFE_INTEGER, last: 2n ** 53n, entry: 'border' });
    expect(mt.find(2n ** 53n + 1n)).toEqual({ index: ULONG_MAX - 9n, last: 18446744073709551615n, entry: 'top' });
    expect(mt.load(ULONG_MAX)).toBe('top');
    expect(mt.prev(ULONG_MAX - 9n)).toEqual({ index: Number.MAX_SAFE_INTEGER, last: 2n ** 53n, entry: 'border' });
    expect(mt.erase(ULONG_MAX)).toBe('top');
    expect(mt.next(2n ** 53n)).toBeUndefined();
    mt.validate();
    expect([...mt].map((e) => e.entry)).toEqual(['zero', 'border']);
  });
});

describe('the bundle', () => {
  test('dist/index.js imports and its MapleTree stores and loads', async () => {
    // @ts-ignore -- the bundle's types live in dist/types; check them through the source's
    const mod = (await import('../../dist/index.js')) as typeof import('../../src/index');
    const mt = new mod.MapleTree<string>();
    mt.storeRange(0x1000, 0x1fff, 'text');
    mt.store(2n ** 60n, 'far');
    expect(mt.load(0x1800)).toBe('text');
    expect(mt.load(2n ** 60n)).toBe('far');
    expect(mt.find(0x2000)).toEqual({ index: 2 ** 60 > Number.MAX_SAFE_INTEGER ? 2n ** 60n : 2 ** 60, last: 2n ** 60n, entry: 'far' });
    mt.validate();
    expect(() => mt.insert(0x1000, 'x')).toThrow(mod.MapleError);
    expect(mod.ULONG_MAX).toBe(ULONG_MAX);
    mt.free();
  });
});
