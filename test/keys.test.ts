// Key modes: 'u64' (default, lossless: number up to 2^53 - 1, bigint above) and 'number'.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, ULONG_MAX } from '../src/index';

const SAFE = Number.MAX_SAFE_INTEGER;

describe("keys: 'number'", () => {
  test('results are numbers, the top of the tree is 2^53 - 1', () => {
    const mt = new MapleTree<string, number>({ keys: 'number', allocRange: true });
    expect(mt.keyMode).toBe('number');
    mt.storeRange(0, SAFE - 10, 'low');
    mt.storeRange(2n ** 40n, 2n ** 40n + 5n, 'big'); // bigint arguments up to 2^53 - 1 are fine
    const top = mt.allocRRange(5, 'top'); // default max: 2^53 - 1, not ULONG_MAX
    expect(top).toBe(SAFE - 4);
    expect(mt.find(SAFE)).toEqual({ index: SAFE - 4, last: SAFE, entry: 'top' });
    expect(mt.find(2 ** 40)).toEqual({ index: 2 ** 40, last: 2 ** 40 + 5, entry: 'big' });
    for (const { index, last } of mt) {
      expect(typeof index).toBe('number');
      expect(typeof last).toBe('number');
    }
    expect([...mt.keys()].every((k) => typeof k === 'number')).toBe(true);
    expect(mt.dup().keyMode).toBe('number');
    mt.validate();
  });

  test('a key beyond 2^53 - 1 is a RangeError naming the argument, and changes nothing', () => {
    const mt = new MapleTree<string, number>({ keys: 'number' });
    mt.store(1, 'one');
    const big = 2n ** 53n;
    expect(() => mt.store(big, 'x')).toThrow(/index must be at most 2\^53 - 1 in a tree made with keys: 'number', got 9007199254740992/);
    expect(() => mt.storeRange(0, big, 'x')).toThrow(RangeError);
    expect(() => mt.storeRange(0, big, 'x')).toThrow(/^last /);
    expect(() => mt.insert(big, 'x')).toThrow(RangeError);
    expect(() => mt.load(ULONG_MAX)).toThrow(/index must be at most/);
    expect(() => mt.erase(big)).toThrow(RangeError);
    expect(() => mt.find(0, big)).toThrow(/max must be at most/);
    expect(() => [...mt.entries(0, big)]).toThrow(/last must be at most/);
    expect(() => mt.has(big)).toThrow(RangeError);
    // Writes through an ma_state reach the same check.
    const mas = new MaState(mt, 5n, big);
    expect(() => mas.store('x')).toThrow(/MaState.store: last must be at most 2\^53 - 1/);
    mas.free();
    expect([...mt]).toEqual([{ index: 1, last: 1, entry: 'one' }]);
    expect(mt.size).toBe(1);
    mt.validate();
  });

  test('MapleTree.from takes the option; a bad keys option is a RangeError', () => {
    const mt = MapleTree.from<string, number>([[0, 9, 'a'], [10, 19, 'b']], { keys: 'number' });
    expect(mt.keyMode).toBe('number');
    expect(() => MapleTree.from<string, number>([[0, 2n ** 60n, 'a']], { keys: 'number' })).toThrow(RangeError);
    expect(() => new MapleTree({ keys: 'bigint' as never })).toThrow(/options.keys must be 'u64' or 'number', got bigint/);
  });
});

describe("keys: 'u64' (default)", () => {
  test('lossless: numbers up to 2^53 - 1, bigints above', () => {
    const mt = new MapleTree<string>();
    expect(mt.keyMode).toBe('u64');
    mt.storeRange(SAFE - 1, 2n ** 53n, 'edge');
    expect(mt.find(0)).toEqual({ index: SAFE - 1, last: 2n ** 53n, entry: 'edge' });
    mt.store(ULONG_MAX, 'top');
    expect(mt.find(2n ** 60n)).toEqual({ index: ULONG_MAX, last: ULONG_MAX, entry: 'top' });
  });
});
