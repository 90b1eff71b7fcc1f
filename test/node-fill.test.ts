// Node fill against the kernel: the preallocation transcripts of test/kernel/ (normal mode) record
// the tree's height (mt_height) at points of random store/erase sequences, and their Q lines
// write through preallocate + storePrealloc. Replaying them, every height must be the kernel's:
// leaves split at the kernel's point (the left half keeps (n + 1) / 2 items), and a full node
// that shares its items with a sibling (mas_push_data) leaves the fuller side one slot short
// (15 of 16), pushing only while the two hold at most 30 items (29 for the rightmost leaf).
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState } from '../src/index';
import { readTranscript, key } from './support/transcript';

describe.each(['prealloc-range.jsonl', 'prealloc-alloc.jsonl'])('kernel heights, %s', (file) => {
  test('every recorded height is the kernel\'s', () => {
    let heights = 0;
    const differ: string[] = [];
    for (const seq of readTranscript(file)) {
      const mt = new MapleTree<number>({ entries: 'number', allocRange: seq.alloc });
      seq.ops.forEach((op, i) => {
        const [name, ...a] = op.split(' ');
        const v = (x: string): number | null => (Number(x) === 0 ? null : Number(x));
        if (name === 'B') {
          const [n, first, step, len, val] = a.map(BigInt);
          for (let j = 0n; j < n; j++) {
            const s = first + j * step;
            mt.storeRange(key(String(s)), key(String(s + len - 1n)), Number(val + j));
          }
        } else if (name === 'S') {
          mt.storeRange(key(a[0]), key(a[1]), v(a[2]));
        } else if (name === 'E') {
          expect(String(mt.erase(key(a[0])) ?? 0)).toBe(seq.want[i]);
        } else if (name === 'Q') {
          const mas = new MaState(mt, key(a[0]), key(a[1]));
          mas.preallocate(v(a[2]));
          mas.storePrealloc(v(a[2]));
          mas.free();
        } else if (name === 'H') {
          heights++;
          if (String(mt.height) !== seq.want[i]) differ.push(`seed ${seq.seed} step ${i}: ${mt.height}, kernel ${seq.want[i]}`);
        }
      });
      mt.validate();
      mt.free();
    }
    expect(differ).toEqual([]);
    expect(heights).toBeGreaterThan(300);
  });
});

test('ascending single-index stores grow the tree as the kernel\'s fill does', () => {
  // store(i) for i = 0, 1, ...: a leaf splits 9 / 8 at 17 items; the rightmost leaf then pushes
  // into its left sibling until that holds 15. Height 2 at the 16th store, 3 at the 241st (the
  // fill this replaced pushed siblings to 16 of 16 and reached height 3 at the 256th).
  const mt = new MapleTree<number>({ entries: 'number' });
  const firstAt: number[] = [];
  for (let i = 0; i < 4000; i++) {
    mt.store(i, i + 1);
    if (firstAt[mt.height] === undefined) firstAt[mt.height] = i + 1;
  }
  expect(firstAt).toEqual([1, 2, 16, 241, 3616]);
  mt.validate();
});
