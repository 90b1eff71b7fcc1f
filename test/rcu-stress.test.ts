// RCU mode with real threads: one writer (this thread) runs every write type on an RCU-mode tree
// while reader Workers load, batch-load, iterate and search gaps in the same shared memory,
// through the core of the shared build (build/shared.wasm) directly. Entries describe their own
// range (first * 4096 + length), so every answer a reader gets can be checked: the range
// returned holds the index asked and lies inside its entry's range, and iteration gives
// ascending, non-overlapping ranges. Afterwards the readers detach, the writer synchronizes,
// the tree validates and no node is lost (in use + free + emergency = carved, none waiting).
//
// 10 s in all by default; MAPLE_STRESS_SECONDS=<s> sets each configuration's length.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const SECONDS = Number(process.env.MAPLE_STRESS_SECONDS ?? 0);
const wasm = readFileSync(new URL('../build/shared.wasm', import.meta.url));

interface ReaderCounts { loads: number; ranges: number; batches: number; gaps: number; violations: number; restarts: number; examples: unknown[] }

async function stress(opts: { readers: number; ranges: number; seconds: number; faults: boolean; seed: number }) {
  const module = new WebAssembly.Module(wasm);
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const c = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('core abort'); } } })
    .exports as Record<string, (...a: number[]) => number>;
  expect(c.instanceInit()).toBeGreaterThanOrEqual(0);
  c.preallocFitReset();
  const pool = c.poolNew() >>> 0;
  const tree = c.treeNew(pool, 1) >>> 0; // MT_FLAGS_ALLOC_RANGE: gap searches too
  c.treeSetRcu(tree, 1);
  const SPAN = 20;
  const keySpace = opts.ranges * SPAN;
  const enc = (a: number, b: number) => a * 4096 + (b - a) + 1;
  for (let i = 0; i < opts.ranges; i++) c.treeStore(tree, i * SPAN, i * SPAN + 9, enc(i * SPAN, i * SPAN + 9), 0);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const readers = Array.from({ length: opts.readers }, (_, r) => new Promise<ReaderCounts>((resolve, reject) => {
    const w = new Worker(new URL('./support/stress-reader.mjs', import.meta.url),
      { workerData: { module, memory, tree, keySpace, stop, seed: opts.seed * 31 + r } });
    w.once('message', resolve);
    w.once('error', reject);
  }));
  // Wait until every reader is attached, so that the writes below all retire into the limbo.
  while (c.rcuReaders() < opts.readers) await new Promise((r) => setTimeout(r, 5));
  if (opts.faults) c.poolFaults(pool, 3, 0, Math.floor(0.05 * 2 ** 32), opts.seed); // 5% of allocations fail
  let seed = opts.seed;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const writes: Record<string, number> = {};
  let enomem = 0;
  let maxWaiting = 0;
  const end = Date.now() + opts.seconds * 1000;
  for (let n = 0; (n & 255) !== 0 || Date.now() < end; n++) {
    const a = Math.floor(rnd() * keySpace);
    const op = rnd();
    let kind: string;
    let r: number;
    if (op < 0.15) { kind = 'erase'; r = c.treeErase(tree, a, 0); }
    else if (op < 0.3) { kind = 'null store'; r = c.treeStore(tree, a, a + Math.floor(rnd() * 30), 0, 0); }
    else if (op < 0.35) { kind = 'spanning store'; const b = a + Math.floor(rnd() * 3000); r = c.treeStore(tree, a, b, enc(a, b), 0); }
    else if (op < 0.37) { kind = 'spanning clear'; r = c.treeStore(tree, a, a + Math.floor(rnd() * 3000), 0, 0); }
    else { kind = 'small store'; const b = a + Math.floor(rnd() * 12); r = c.treeStore(tree, a, b, enc(a, b), 0); }
    if (r === -12) enomem++;
    else if (r < 0) throw new Error(`${kind} at ${a} returned ${r}`);
    writes[kind] = (writes[kind] ?? 0) + 1;
    if ((n & 1023) === 0) maxWaiting = Math.max(maxWaiting, c.rcuWaiting());
  }
  c.poolFaults(pool, 0, 0, 0, 0);
  Atomics.store(stop, 0, 1);
  const counts = await Promise.all(readers);
  expect(c.rcuReaders()).toBe(0);
  while (c.rcuSync() > 0) { /* no reader left: one step frees everything */ }
  const stat = (k: number) => c.poolStat(pool, k);
  // Writes per store type (maple-wasm's WR_ numbering: the kernel's enum store_type order).
  const TYPES = ['invalid', 'new root', 'store root', 'exact fit', 'spanning store', 'split', 'rebalance',
    'append', 'node store', 'slot store', 'no-op', 'empty'];
  const storeTypes = Object.fromEntries(TYPES.map((t, i) => [t, c.preallocFit(i, 0)]).filter(([, n]) => n));
  const report = {
    writes, storeTypes, enomem, maxWaiting,
    readsChecked: counts.reduce((s, x) => s + x.loads + x.ranges + x.gaps, 0),
    violations: counts.reduce((s, x) => s + x.violations, 0),
    restarts: counts.reduce((s, x) => s + x.restarts, 0),
    examples: counts.flatMap((x) => x.examples),
  };
  console.log(`rcu stress ${JSON.stringify(opts)}: ${JSON.stringify(report)}`);
  expect(report.examples).toEqual([]);
  expect(report.violations).toBe(0);
  expect(c.validate(tree)).toBe(0);
  expect(c.rcuWaiting()).toBe(0);
  expect(stat(0) * 16).toBe(stat(1) + stat(2) + stat(6)); // carved = in use + free + emergency
  expect(stat(1)).toBe(c.nodeCount(tree)); // every node in use is in the tree
  expect(maxWaiting).toBeGreaterThan(0); // the readers really held retired nodes back
  expect(report.restarts).toBeGreaterThan(0); // and really met nodes that died under them
  // Every write type an RCU-mode tree has ran (no append: RCU mode turns it into a node store).
  for (const t of ['exact fit', 'spanning store', 'split', 'rebalance', 'node store', 'slot store']) {
    expect(storeTypes[t], t).toBeGreaterThan(0);
  }
  expect(storeTypes.append ?? 0).toBe(0);
  if (opts.faults) expect(enomem).toBeGreaterThan(0);
  return report;
}

describe('RCU mode with reader threads (shared build)', () => {
  it('3 readers on a small, hot tree (every read meets the writer)', async () => {
    await stress({ readers: 3, ranges: 300, seconds: SECONDS || 4, faults: false, seed: 1 });
  });
  it('2 readers on 20,000 ranges', async () => {
    await stress({ readers: 2, ranges: 20_000, seconds: SECONDS || 3, faults: false, seed: 2 });
  });
  it('1 reader while 5% of the writer allocations fail', async () => {
    await stress({ readers: 1, ranges: 2_000, seconds: SECONDS || 3, faults: true, seed: 3 });
  });
});

describe('instances over a shared memory', () => {
  it('a Worker-side instance that attaches and detaches 3,000 times takes no memory for good', () => {
    const module = new WebAssembly.Module(wasm);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
    const make = () => new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('core abort'); } } })
      .exports as Record<string, (...a: number[]) => number>;
    const first = make();
    expect(first.instanceInit()).toBe(0);
    const other = make();
    expect(other.instanceInit()).toBe(1);
    expect(other.instanceInit()).toBe(-22); // started already
    expect(first.rcuReaders()).toBe(1);
    other.instanceDetach();
    expect(first.rcuReaders()).toBe(0);
    const bytes = first.linearMemoryBytes();
    for (let i = 0; i < 3000; i++) {
      expect(other.instanceInit()).toBe(1); // the same slot, the same scratch page again
      other.instanceDetach();
    }
    expect(first.linearMemoryBytes()).toBe(bytes);
    expect(first.rcuReaders()).toBe(0);
  });
});
