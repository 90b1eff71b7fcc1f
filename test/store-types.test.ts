// Store types against the kernel: the preallocation transcripts of test/kernel/ (normal mode)
// record, store by store, the store type mas_preallocate picks (mas->store_type) and the nodes it
// reserves. Replayed through preallocate + storePrealloc, MaState.storeType names the kernel's
// type for all but a few stores, listed here with what the kernel picks; the node requests of
// maple-wasm are its own worst cases (never short: the core asserts that), counted against the
// kernel's so that a change in either direction shows.
import { describe, expect, test } from 'vitest';
import { readTranscript, replayPrealloc } from './support/transcript';

/**
 * Stores whose type differs from the kernel's, as `file seed step: kernel -> maple-wasm`. The
 * trees have the kernel's height at every recorded point (node-fill.test.ts), but the leaf
 * around each of these writes is bounded or filled differently at that point (split points of
 * earlier spanning stores and rebalances), so the write fits, spans or underflows differently.
 */
const KNOWN = [
  'prealloc-range.jsonl 4 35: split_store -> node_store',
  'prealloc-range.jsonl 98 6: split_store -> node_store',
  'prealloc-range.jsonl 98 13: node_store -> spanning_store',
  'prealloc-range.jsonl 98 29: rebalance -> spanning_store',
  'prealloc-range.jsonl 98 47: node_store -> rebalance',
  'prealloc-alloc.jsonl 33 28: split_store -> node_store',
  'prealloc-alloc.jsonl 33 54: rebalance -> spanning_store',
];

/** Node requests above the kernel's: `file seed step: kernel type and count -> ours`. */
const ABOVE = [
  'prealloc-range.jsonl 98 13: node_store 0 -> spanning_store 7',
  'prealloc-range.jsonl 98 29: rebalance 3 -> spanning_store 7',
  'prealloc-range.jsonl 98 47: node_store 0 -> rebalance 2',
  'prealloc-alloc.jsonl 33 54: rebalance 5 -> spanning_store 7',
];

describe.each(['prealloc-range.jsonl', 'prealloc-alloc.jsonl'])('kernel store types, %s', (file) => {
  test('the store type of every write is the kernel\'s (but the known few)', () => {
    let stores = 0;
    const above: string[] = [];
    const differ: string[] = [];
    for (const seq of readTranscript(file)) {
      replayPrealloc(seq, {
        store(mas, want, step) {
          const [type, nodes] = want.split(' ');
          stores++;
          if (mas.storeType !== type) differ.push(`${file} ${seq.seed} ${step}: ${type} -> ${mas.storeType}`);
          if (mas.lastRequest > Number(nodes)) above.push(`${file} ${seq.seed} ${step}: ${type} ${nodes} -> ${mas.storeType} ${mas.lastRequest}`);
        },
      });
    }
    expect(differ).toEqual(KNOWN.filter((k) => k.startsWith(file)));
    expect(stores).toBeGreaterThan(4000);
    // Requests above the kernel's come only from stores whose type already differs (KNOWN): the
    // leaf around them is bounded differently, so they are other writes. Every spanning store
    // asks what the kernel asks (its vacant and sufficient heights, prealloc.ts spanStop).
    expect(above).toEqual(ABOVE.filter((k) => k.startsWith(file)));
  });
});
