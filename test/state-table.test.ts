// The ma_state status machine, transition by transition: every transition the kernel's own
// state-handling test (check_state_handling in lib/test_maple_tree.c) checks, in its order, on
// its trees, with the kernel's answer as `entry index last status` (entries: 1, 2, 3 for its
// ptr, ptr2, ptr3; 0 for NULL). Where that test pokes a field (mas.status = ma_none, or index and
// last without a reset) the row reaches the same status through the public API and says how.
// Then the cases the kernel fixed with overflow/underflow (a limit inside a gap), stores while
// iterating, and the root-entry tree, each with the kernel's answer.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, ULONG_MAX } from '../src/index';
import { masOp } from './support/transcript';

const MAX = String(ULONG_MAX);

/** A row: a label, the ops leading to the transition (the last one is it), the kernel's line. */
type Row = [label: string, ops: string[], want: string];

function run(mt: MapleTree<number>, mas: MaState<number>, rows: Row[]): void {
  for (const [label, ops, want] of rows) {
    let got = '';
    for (const op of ops) got = masOp(mt, mas, op);
    expect(`${label}: ${got}`).toBe(`${label}: ${want}`);
  }
}

describe('check_state_handling: every transition the kernel checks', () => {
  test('a tree holding only a root entry (index 0): 24 transitions', () => {
    const mt = new MapleTree<number>({ entries: 'number', allocRange: true });
    const mas = new MaState(mt, 0, 0);
    mt.store(0, 1);
    run(mt, mas, [
      ['prev: start -> underflow', ['p 0'], '0 0 0 underflow'],
      ['prev: start -> root', ['s 10', 'p 0'], '1 0 0 root'],
      ['prev: pause -> root', ['s 10', 'z', 'p 0'], '1 0 0 root'],
      ['next: start -> none (from 0)', ['s 0', `n ${MAX}`], `0 1 ${MAX} none`],
      ['next: start -> none (from 10)', ['s 10', `n ${MAX}`], `0 1 ${MAX} none`],
      ['find: start -> root', ['s 0', `f ${MAX}`], '1 0 0 root'],
      ['find: root -> none', [`f ${MAX}`], `0 1 ${MAX} none`],
      ['find: none -> none', [`f ${MAX}`], `0 1 ${MAX} none`],
      ['find: start -> none', ['s 10', `f ${MAX}`], `0 1 ${MAX} none`],
      ['find_rev: none -> root', ['F 0'], '1 0 0 root'],
      ['find_rev: start -> root (from 0)', ['s 0', 'F 0'], '1 0 0 root'],
      ['find_rev: root -> none', ['F 0'], '0 0 0 none'],
      ['find_rev: none -> none', ['F 0'], '0 0 0 none'],
      ['find_rev: start -> root (from 10)', ['s 10', 'F 0'], '1 0 0 root'],
      ['walk: start -> none', ['s 10', 'w'], `0 1 ${MAX} none`],
      ['walk: pause -> none', ['s 10', 'z', 'w'], `0 1 ${MAX} none`],
      // the kernel sets index = last = 10 on its none state; ours stays on [1, ULONG_MAX]
      ['walk: none -> none', ['w'], `0 1 ${MAX} none`],
      ['walk: none -> none, again', ['w'], `0 1 ${MAX} none`],
      ['walk: start -> root', ['s 0', 'w'], '1 0 0 root'],
      ['walk: pause -> root', ['s 0', 'z', 'w'], '1 0 0 root'],
      // the kernel pokes status none at index 0; find_rev twice reaches it
      ['walk: none -> root', ['s 0', 'F 0', 'F 0', 'w'], '1 0 0 root'],
      ['walk: root -> root', ['w'], '1 0 0 root'],
      ['walk: root -> none', ['s 10', 'w'], `0 1 ${MAX} none`],
      ['walk: none -> root (index 0 again)', ['s 0', 'F 0', 'F 0', 'w'], '1 0 0 root'],
    ]);
  });

  test('a tree with nodes: 40 transitions', () => {
    const mt = new MapleTree<number>({ entries: 'number', allocRange: true });
    const mas = new MaState(mt, 0, 0);
    mt.store(0, 1);
    mt.store(0, null);
    mt.storeRange(0x1000, 0x1500, 1);
    mt.storeRange(0x2000, 0x2500, 2);
    mt.storeRange(0x3000, 0x3500, 3);
    const P = '1 4096 5376';
    const P2 = '2 8192 9472';
    const P3 = '3 12288 13568';
    run(mt, mas, [
      ['next: start -> active', ['s 0', `n ${MAX}`], `${P} active`],
      ['next: pause -> active', ['s 0', 'z', `n ${MAX}`], `${P} active`],
      ['next: active -> active (the limit inside the next entry)', ['n 8448'], `${P2} active`],
      ['next: active -> overflow (limit in the gap after)', ['n 10649'], '0 9473 12287 overflow'],
      ['next: overflow -> active (limit raised)', [`n ${MAX}`], `${P3} active`],
      ['next: active -> overflow (past the data)', [`n ${MAX}`], `0 13569 ${MAX} overflow`],
      ['next: overflow -> overflow', [`n ${MAX}`], `0 13569 ${MAX} overflow`],
      ['prev: overflow -> active', ['p 0'], `${P3} active`],
      // the kernel pokes status none after a next; pause takes the same branch of mas_next
      ['next: pause -> active, skipping the entry at the location', ['s 0', `n ${MAX}`, 'z', `n ${MAX}`], `${P2} active`],
      ['prev: active -> active', ['p 0'], `${P} active`],
      ['prev: active -> active (the limit inside the entry)', [`n ${MAX}`, 'p 4608'], `${P} active`],
      ['prev: active -> underflow (the limit inside it)', ['p 4608'], `0 ${P.slice(2)} underflow`],
      ['prev: underflow -> underflow (lower limit in the range before)', ['p 256'], '0 0 4095 underflow'],
      ['prev: underflow -> underflow', ['p 0'], '0 0 4095 underflow'],
      ['prev: underflow -> underflow, again', ['p 0'], '0 0 4095 underflow'],
      ['next: underflow -> active', [`n ${MAX}`], `${P} active`],
      ['prev: first value -> underflow', ['p 4096'], `0 ${P.slice(2)} underflow`],
      ['find: underflow -> first value', [`f ${MAX}`], `${P} active`],
      ['prev: pause -> active', ['s 13824', 'p 0', 'z', 'p 0'], `${P2} active`],
      ['prev: active -> underflow (the limit in the gap before)', ['p 5632'], '0 5377 8191 underflow'],
      ['prev: underflow -> active, continuing', ['p 0'], `${P} active`],
      ['find: start -> active', ['s 0', `f ${MAX}`], `${P} active`],
      ['find: pause -> active', ['s 0', 'z', `f ${MAX}`], `${P} active`],
      ['find: start -> active, from below the value', ['s 1200', `f ${MAX}`], `${P} active`],
      ['find: active -> active', [`f ${MAX}`], `${P2} active`],
      ['find: active -> active on NULL (limit in the gap)', ['f 9984'], '0 9473 12287 active'],
      ['find: active (after a limit) -> active', ['f 20480'], `${P3} active`],
      ['find: active -> active on the NULL at the end', [`f ${MAX}`], `0 13569 ${MAX} active`],
      ['find_rev: active (end) -> active', ['F 0'], `${P3} active`],
      ['find_rev: active -> active', ['F 0'], `${P2} active`],
      ['find_rev: pause -> active', ['z', 'F 0'], `${P} active`],
      ['find_rev: active -> underflow', ['F 0'], '0 0 4095 underflow'],
      ['find_rev: start -> active', ['s 4608', 'F 0'], `${P} active`],
      ['walk: start -> active', ['s 4608', 'w'], `${P} active`],
      ['walk: start -> active on NULL', ['s 5632', 'w'], '0 5377 8191 active'],
      ['walk: pause -> active', ['s 4608', 'z', 'w'], `${P} active`],
      ['walk: pause -> active on NULL', ['s 5632', 'z', 'w'], '0 5377 8191 active'],
      // the kernel moves index/last of an active state by hand; walking again is the same
      ['walk: active -> active', ['s 4608', 'w', 'w'], `${P} active`],
      ['walk: active -> active on NULL', ['s 5632', 'w', 'w'], '0 5377 8191 active'],
      ['walk: active -> active, a new index in the same leaf', ['s 5632', 'w', 's 4608', 'w'], `${P} active`],
    ]);
  });

  test('none on a tree that then grows nodes: the stale none walks again (2 transitions)', () => {
    // The kernel test reaches none -> active by poking mas.status = ma_none on a tree with nodes;
    // a public state is none only while its tree has no node, and a write makes it walk again.
    const mt = new MapleTree<number>({ entries: 'number', allocRange: true });
    const mas = new MaState(mt, 0, 0);
    run(mt, mas, [['walk: start -> none on the empty tree', ['w'], `0 0 ${MAX} none`]]);
    mt.storeRange(0x1000, 0x1500, 1);
    mt.storeRange(0x2000, 0x2500, 2);
    run(mt, mas, [['next: none -> active', [`n ${MAX}`], '1 4096 5376 active']]);
    mt.erase(0x1000);
    mt.erase(0x2000);
    run(mt, mas, [['walk: start -> none, the tree empty again', ['s 4608', 'w'], `0 0 ${MAX} none`]]);
  });
});

describe('a limit inside a gap never consumes the range after it', () => {
  function twoRanges(): MapleTree<string> {
    const mt = new MapleTree<string>();
    mt.storeRange(10, 15, 'A');
    mt.storeRange(30, 35, 'B');
    return mt;
  }
  const pos = (m: MaState<string>) => [m.index, m.last, m.status];

  test('next(20) from [10, 15] overflows on the gap; next(MAX) then returns B', () => {
    const mt = twoRanges();
    const mas = new MaState(mt, 10);
    expect(mas.walk()).toBe('A');
    expect(mas.next(20)).toBeUndefined();
    expect(pos(mas)).toEqual([16, 29, 'overflow']);
    expect(mas.next(ULONG_MAX)).toBe('B');
    expect(pos(mas)).toEqual([30, 35, 'active']);
  });

  test('prev(20) from [30, 35] underflows on the gap; prev(0) then returns A', () => {
    const mt = twoRanges();
    const mas = new MaState(mt, 30);
    expect(mas.walk()).toBe('B');
    expect(mas.prev(20)).toBeUndefined();
    expect(pos(mas)).toEqual([16, 29, 'underflow']);
    expect(mas.prev(0)).toBe('A');
    expect(pos(mas)).toEqual([10, 15, 'active']);
  });

  test('find(20) from [10, 15] stays active on the gap, and find goes on to B', () => {
    const mt = twoRanges();
    const mas = new MaState(mt, 10);
    expect(mas.find(20)).toBe('A');
    expect(mas.find(20)).toBeUndefined();
    expect(pos(mas)).toEqual([16, 29, 'active']);
    expect(mas.find(40)).toBe('B');
  });

  test('iterating with a limit per step visits every range exactly once', () => {
    // The VMA walk of mprotect: vma_find(end) with end inside a gap, then the next region.
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 300; i++) mt.storeRange(100 * i, 100 * i + 40, i);
    const mas = new MaState(mt, 0);
    const seen: number[] = [];
    for (let limit = 70; limit < 30_100; limit += 100) {
      let e: number | undefined;
      while ((e = mas.find(limit)) !== undefined) seen.push(e);
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe('stores while iterating keep the position', () => {
  test('a store through the state stays active on the range it wrote; find goes on after it', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    mt.storeRange(10, 19, 1);
    mt.storeRange(20, 29, 2);
    const mas = new MaState(mt, 12);
    mas.walk();
    mas.store(9);
    expect([mas.index, mas.last, mas.status]).toEqual([10, 19, 'active']);
    expect(mas.find(ULONG_MAX)).toBe(2);
    expect([mas.index, mas.last]).toEqual([20, 29]);
  });

  test('a NULL store through the state stands on the NULL range it merged into', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    mt.storeRange(10, 19, 1);
    mt.storeRange(20, 29, 2);
    mt.storeRange(30, 39, 3);
    const mas = new MaState(mt, 20);
    expect(mas.walk()).toBe(2);
    mas.store(null);
    expect([mas.index, mas.last, mas.status]).toEqual([20, 29, 'active']);
    expect(mas.erase()).toBeUndefined(); // mas_erase walks to index 20 again: [20, 29] is NULL
    expect([mas.index, mas.last, mas.status]).toEqual([20, 29, 'active']);
    mas.set(15);
    expect(mas.erase()).toBe(1);
    expect([mas.index, mas.last, mas.status]).toEqual([0, 29, 'active']);
    expect(mas.next()).toBe(3);
    mt.validate();
  });

  test('the fork pattern: dup, then store every entry back through one state', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    for (let i = 0; i < 2000; i++) mt.storeRange(7 * i, 7 * i + 4, i);
    const copy = mt.dup();
    const mas = new MaState(copy, 0);
    let n = 0;
    for (const { entry } of mas.iterate(ULONG_MAX)) {
      mas.store(entry + 1);
      n++;
      expect(n).toBeLessThanOrEqual(2000);
    }
    expect(n).toBe(2000);
    copy.validate();
    expect([...copy].map((r) => [r.index, r.last, r.entry - 1])).toEqual([...mt].map((r) => [r.index, r.last, r.entry]));
  });
});

describe('a lone entry at index 0 (the root-pointer tree)', () => {
  test('findRev(0) three times: the entry, then nothing, then nothing (none)', () => {
    const mt = new MapleTree<string>();
    mt.store(0, 'A');
    const mas = new MaState(mt);
    mas.set(0);
    expect(mas.findRev(0)).toBe('A');
    expect(mas.findRev(0)).toBeUndefined();
    expect(mas.findRev(0)).toBeUndefined();
    expect(mas.status).toBe('none');
  });

  test('next and find past it end none; walk of an empty index is none', () => {
    const mt = new MapleTree<string>();
    mt.store(0, 'A');
    const mas = new MaState(mt, 0);
    expect(mas.next()).toBeUndefined();
    expect(mas.status).toBe('none');
    mas.set(0);
    expect(mas.find()).toBe('A');
    expect(mas.find()).toBeUndefined();
    expect(mas.status).toBe('none');
    mas.set(7);
    expect(mas.walk()).toBeUndefined();
    expect([mas.index, mas.last, mas.status]).toEqual([1, ULONG_MAX, 'none']);
  });

  test('find(MAX) ending in the last empty range of a tree with nodes is active', () => {
    const mt = new MapleTree<string>();
    mt.storeRange(5, 9, 'A');
    const mas = new MaState(mt, 0);
    expect(mas.find()).toBe('A');
    expect(mas.find()).toBeUndefined();
    expect([mas.index, mas.last, mas.status]).toEqual([10, ULONG_MAX, 'active']);
  });
});
