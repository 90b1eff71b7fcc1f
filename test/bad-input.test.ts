// The argument contract of every public MapleTree method: bad indices throw a RangeError (bad
// value) or TypeError (wrong type) whose message names the argument, inverted ranges a
// RangeError, bad entries a RangeError / TypeError, and after any throw the tree is unchanged.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, VmaIterator, NodePool, ULONG_MAX, MapleError, UseAfterFreeError, FaultControls } from '../src/index';

const RANGE_BAD: [string, unknown][] = [
  ['negative', -1],
  ['fractional', 1.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['above MAX_SAFE_INTEGER', 2 ** 53],
  ['-0.5', -0.5],
  ['negative bigint', -1n],
  ['bigint above ULONG_MAX', ULONG_MAX + 1n],
];
const TYPE_BAD: [string, unknown][] = [
  ['string', '5'],
  ['object', { valueOf: () => 5 }],
  ['null', null],
  ['boolean', true],
  ['symbol', Symbol('k')],
];
const UNDEF: [string, unknown][] = [['undefined', undefined]];

type Call = (mt: MapleTree<unknown>, v: unknown) => unknown;
interface Arg {
  method: string;
  name: string;
  optional: boolean;
  call: Call;
}

// Every index argument of every method, the others valid.
const ARGS: Arg[] = [
  { method: 'store', name: 'index', optional: false, call: (mt, v) => mt.store(v as number, 'x') },
  { method: 'storeRange', name: 'first', optional: false, call: (mt, v) => mt.storeRange(v as number, 500, 'x') },
  { method: 'storeRange', name: 'last', optional: false, call: (mt, v) => mt.storeRange(0, v as number, 'x') },
  { method: 'insert', name: 'index', optional: false, call: (mt, v) => mt.insert(v as number, 'x') },
  { method: 'insertRange', name: 'first', optional: false, call: (mt, v) => mt.insertRange(v as number, 500, 'x') },
  { method: 'insertRange', name: 'last', optional: false, call: (mt, v) => mt.insertRange(0, v as number, 'x') },
  { method: 'load', name: 'index', optional: false, call: (mt, v) => mt.load(v as number) },
  { method: 'erase', name: 'index', optional: false, call: (mt, v) => mt.erase(v as number) },
  { method: 'find', name: 'index', optional: false, call: (mt, v) => mt.find(v as number) },
  { method: 'find', name: 'max', optional: true, call: (mt, v) => mt.find(0, v as number) },
  { method: 'next', name: 'index', optional: false, call: (mt, v) => mt.next(v as number) },
  { method: 'next', name: 'max', optional: true, call: (mt, v) => mt.next(0, v as number) },
  { method: 'prev', name: 'index', optional: false, call: (mt, v) => mt.prev(v as number) },
  { method: 'prev', name: 'min', optional: true, call: (mt, v) => mt.prev(1000, v as number) },
  { method: 'entries', name: 'first', optional: true, call: (mt, v) => [...mt.entries(v as number)] },
  { method: 'entries', name: 'last', optional: true, call: (mt, v) => [...mt.entries(0, v as number)] },
];

function populated(entries: 'object' | 'number' = 'object'): MapleTree<unknown> {
  const mt = new MapleTree<unknown>({ pool: new NodePool(), entries });
  for (let i = 0; i < 200; i++) mt.storeRange(10 * i, 10 * i + 4, entries === 'number' ? i : { i });
  mt.store(ULONG_MAX, entries === 'number' ? 7 : 'top');
  return mt;
}

interface Snapshot { dump: string; items: unknown[]; handles: unknown }
const snap = (mt: MapleTree<unknown>): Snapshot => ({ dump: mt.dump(), items: [...mt], handles: mt.handleStats });

function expectThrowUnchanged(mt: MapleTree<unknown>, f: () => unknown, type: ErrorConstructor, name: string): void {
  const before = snap(mt);
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${type.name}`).toBeInstanceOf(type);
  expect((err as Error).message).toContain(name);
  expect(snap(mt)).toEqual(before);
  mt.validate();
}

describe('index arguments', () => {
  for (const a of ARGS) {
    describe(`${a.method}(${a.name})`, () => {
      test.each(RANGE_BAD)(`%s -> RangeError naming ${a.name}`, (_, v) => {
        const mt = populated();
        expectThrowUnchanged(mt, () => a.call(mt, v), RangeError, a.name);
      });
      test.each(a.optional ? TYPE_BAD : [...TYPE_BAD, ...UNDEF])(`%s -> TypeError naming ${a.name}`, (_, v) => {
        const mt = populated();
        expectThrowUnchanged(mt, () => a.call(mt, v), TypeError, a.name);
      });
    });
  }
});

describe('valid edge values are accepted by every index argument', () => {
  test.each([0, Number.MAX_SAFE_INTEGER, 0n, 2n ** 53n, ULONG_MAX])('%s', (v) => {
    for (const a of ARGS) {
      const mt = populated();
      if (a.method === 'storeRange' || a.method === 'insertRange') continue; // order depends on v
      expect(() => a.call(mt, v)).not.toThrow(TypeError);
      mt.validate();
    }
  });
});

describe('inverted ranges: first > last', () => {
  const cases: [string, (mt: MapleTree<unknown>) => unknown, string][] = [
    ['storeRange', (mt) => mt.storeRange(10, 9, 'x'), 'first'],
    ['storeRange bigint', (mt) => mt.storeRange(ULONG_MAX, ULONG_MAX - 1n, 'x'), 'first'],
    ['storeRange null', (mt) => mt.storeRange(100, 0, null), 'first'],
    ['insertRange', (mt) => mt.insertRange(5000, 4000, 'x'), 'first'],
    ['entries', (mt) => [...mt.entries(50, 49)], 'first'],
    ['find (index > max)', (mt) => mt.find(30, 20), 'index'],
    ['next (index > max), as find', (mt) => mt.next(30, 20), 'index'],
    ['prev (min > index)', (mt) => mt.prev(20, 30), 'min'],
  ];
  test.each(cases)('%s -> RangeError', (_, f, name) => {
    const mt = populated();
    expectThrowUnchanged(mt, () => f(mt), RangeError, name);
  });
});

describe('entries', () => {
  test('object mode: undefined is refused with a TypeError naming entry; the tree is unchanged', () => {
    const mt = populated();
    for (const f of [
      () => mt.store(5, undefined), () => mt.storeRange(5, 6, undefined), () => mt.storeRange(0, ULONG_MAX, undefined),
      () => mt.insert(7, undefined), () => mt.insertRange(6, 8, undefined),
    ]) expectThrowUnchanged(mt, f, TypeError, 'entry');
  });
  test('number mode: anything but null or an integer 0..2^53-2 is a RangeError naming entry', () => {
    const bad: unknown[] = [-1, 1.5, NaN, Infinity, 2 ** 53 - 1, 2 ** 53, '3', {}, undefined, 1n, true];
    for (const v of bad) {
      const mt = populated('number');
      for (const f of [
        () => mt.store(5, v), () => mt.storeRange(3, 12, v), () => mt.insert(7, v), () => mt.insertRange(6, 8, v),
        () => mt.store(ULONG_MAX, v),
      ]) expectThrowUnchanged(mt, f, RangeError, 'entry');
    }
    const mt = populated('number');
    mt.store(5, 2 ** 53 - 2);
    expect(mt.load(5)).toBe(2 ** 53 - 2);
  });
});

describe('constructor options', () => {
  test('a pool that is not a NodePool is a TypeError; an unknown entry mode a RangeError', () => {
    expect(() => new MapleTree({ pool: {} as NodePool })).toThrow(TypeError);
    expect(() => new MapleTree({ entries: 'string' as 'object' })).toThrow(RangeError);
  });

  test('options that are not an object are a TypeError naming options', () => {
    const pool = new NodePool();
    const before = pool.stats();
    for (const [bad, what] of [[5, 'number'], ['x', 'string'], [true, 'boolean'], [[1], 'an array'], [() => 1, 'function']] as const) {
      expect(() => new MapleTree(bad as never)).toThrow(TypeError);
      expect(() => new MapleTree(bad as never)).toThrow(`MapleTree: options must be an object, got ${what}`);
    }
    expect(new MapleTree(undefined).size).toBe(0);
    expect(new MapleTree(null as never).size).toBe(0); // as with no options
    expect(pool.stats()).toEqual(before);
  });

  test('FaultControls come from a NodePool only', () => {
    expect(() => new FaultControls(12345)).toThrow(TypeError);
    expect(() => new FaultControls(12345)).toThrow(/pool\.faults/);
    expect(new NodePool().faults).toBeInstanceOf(FaultControls);
  });
});

describe('erase takes a gfp', () => {
  test("a bad gfp is a TypeError; 'nowait' is honoured where 'kernel' may fall back", () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 400; i++) mt.storeRange(i * 10, i * 10 + 5, i);
    expect(() => mt.erase(10, 'sometimes' as never)).toThrow(TypeError);
    expect(() => mt.erase(10, 'sometimes' as never)).toThrow(/erase: gfp must be 'kernel' or 'nowait'/);
    // An erase that needs nodes (the leaf underflows): found with every allocation failing, the
    // emergency reserve too (it would let any erase through); a tried erase is put back after.
    pool.faults.failReserve(true);
    let needy = -1;
    for (let i = 0; i < 400 && needy < 0; i++) {
      pool.faults.failAfter(0);
      try {
        mt.erase(i * 10);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        needy = i * 10;
      } finally {
        pool.faults.off();
      }
      if (needy < 0) mt.storeRange(i * 10, i * 10 + 5, i);
    }
    expect(needy).toBeGreaterThanOrEqual(0);
    // No 'nowait' allocation may succeed: 'nowait' fails, 'kernel' falls back and succeeds.
    pool.faults.nonKernelBudget(0);
    expect(() => mt.erase(needy, 'nowait')).toThrow(MapleError);
    expect(mt.load(needy)).toBe(needy / 10);
    expect(mt.erase(needy, 'kernel')).toBe(needy / 10);
    pool.faults.off();
    mt.validate();
  });
});

describe('allocation-range errors give their reason', () => {
  test('allocRange, allocRRange and allocCyclic on a tree without allocRange say so', () => {
    const mt = new MapleTree<string>();
    for (const call of [() => mt.allocRange(4, 'a'), () => mt.allocRRange(4, 'a'), () => mt.allocCyclic('a', 0, 100, 0)]) {
      expect(call).toThrow(MapleError);
      expect(call).toThrow(/EINVAL \(the tree does not track gaps: make it with new MapleTree\(\{ allocRange: true \}\)/);
    }
    expect(mt.size).toBe(0);
  });

  test('size 0 or a window smaller than size: EINVAL naming min, max and size', () => {
    const mt = new MapleTree<string>({ allocRange: true });
    expect(() => mt.allocRange(0, 'a')).toThrow(/allocRange: EINVAL \(need 1 <= size <= max - min \+ 1 \(min 0, max 18446744073709551615, size 0\)\)/);
    expect(() => mt.allocRRange(10, 'a', 5, 10)).toThrow(/allocRRange: EINVAL \(need 1 <= size <= max - min \+ 1 \(min 5, max 10, size 10\)\)/);
    expect(mt.allocRange(6, 'a', 5, 10)).toBe(5);
  });
});

describe('use after free', () => {
  test('throws UseAfterFreeError naming MapleTree and the method', () => {
    const mt = new MapleTree<string>();
    mt.store(1, 'a');
    mt.free();
    for (const [call, op] of [[() => mt.store(2, 'b'), 'store'], [() => mt.load(1), 'use'],
      [() => mt.find(0), 'walk'], [() => mt.size, 'use']] as const) {
      expect(call).toThrow(UseAfterFreeError);
      expect(call).toThrow(`MapleTree.${op}: used after free()`);
    }
    try {
      mt.erase(1);
    } catch (e) {
      expect(e).toBeInstanceOf(UseAfterFreeError);
      expect((e as UseAfterFreeError).object).toBe('MapleTree');
      expect((e as UseAfterFreeError).name).toBe('UseAfterFreeError');
    }
    expect.assertions(11);
  });
});

describe('after a throw the tree keeps working', () => {
  test('a burst of bad calls on a tall tree leaves it valid and usable', () => {
    const mt = new MapleTree<number>({ pool: new NodePool(), entries: 'number' });
    for (let i = 0; i < 3000; i++) mt.storeRange(5 * i, 5 * i + 2, i);
    const before = snap(mt as MapleTree<unknown>);
    for (const a of ARGS) {
      for (const [, v] of [...RANGE_BAD, ...TYPE_BAD]) {
        try {
          a.call(mt as MapleTree<unknown>, v);
        } catch {
          // expected
        }
      }
    }
    expect(snap(mt as MapleTree<unknown>)).toEqual(before);
    mt.validate();
    mt.store(2, 99);
    expect(mt.load(2)).toBe(99);
    mt.validate();
  });
});

describe('MaState and VmaIterator arguments', () => {
  test('a state needs a MapleTree: TypeError naming tree', () => {
    expect(() => new MaState({} as never)).toThrow(/tree must be a MapleTree, got Object/);
    expect(() => new MaState(new NodePool() as never)).toThrow(/tree must be a MapleTree, got NodePool/);
    expect(() => new MaState(null as never)).toThrow(TypeError);
    expect(() => new MaState({ ptr: 123456789 } as never)).toThrow(TypeError);
  });

  test('iterate checks its bound at the call, not at the first step', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    const mas = new MaState(mt);
    expect(() => mas.iterate(-1)).toThrow(RangeError);
    expect(() => mas.iterateRev('x' as never)).toThrow(TypeError);
    mas.free();
    expect(() => mas.iterate()).toThrow(UseAfterFreeError);
  });

  test('use after free names the class the caller used', () => {
    const mt = new MapleTree<{ vmStart: number; vmEnd: number }>();
    const vmi = new VmaIterator(mt, 0);
    vmi.destroy();
    expect(() => vmi.next()).toThrow(UseAfterFreeError);
    expect(() => vmi.next()).toThrow(/^VmaIterator\./);
    const mas = new MaState(mt);
    mas.free();
    expect(() => mas.walk()).toThrow(/^MaState\./);
  });

  test('a page size must be a power of two', () => {
    const mt = new MapleTree<{ vmStart: number; vmEnd: number }>();
    for (const bad of [3, 0, 4095, 1.5, -4096]) {
      expect(() => new VmaIterator(mt, 0, { pageSize: bad })).toThrow(RangeError);
    }
    expect(new VmaIterator(mt, 0, { pageSize: 4096 }).pageSize).toBe(4096);
    expect(new VmaIterator(mt, 0, { pageSize: 1 }).pageSize).toBe(1);
  });
});
