// Node fill against the kernel: the preallocation transcripts of test/kernel/ (normal mode) record
// the tree's height (mt_height) at points of random store/erase sequences, and their Q lines
// write through preallocate + storePrealloc. Replaying them, every height must be the kernel's:
// leaves split at the kernel's point (the left half keeps (n + 1) / 2 items), and a full node
// that shares its items with a sibling (mas_push_data) leaves the fuller side one slot short
// (15 of 16), pushing only while the two hold at most 30 items (29 for the rightmost leaf).
import { describe, expect, test } from 'vitest';
import { MapleTree } from '../src/index';
import { readTranscript, replayPrealloc } from './support/transcript';

describe.each(['prealloc-range.jsonl', 'prealloc-alloc.jsonl'])('kernel heights, %s', (file) => {
  test('every recorded height is the kernel\'s', () => {
    let heights = 0;
    const differ: string[] = [];
    for (const seq of readTranscript(file)) {
      replayPrealloc(seq, {
        height(mt, want, step) {
          heights++;
          if (String(mt.height) !== want) differ.push(`seed ${seq.seed} step ${step}: ${mt.height}, kernel ${want}`);
        },
      });
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
