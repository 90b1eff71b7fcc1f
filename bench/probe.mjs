// Where the time of the missed targets goes (W3, W4, W8 at N = 1,000,000): each workload split
// into the parts a profile cannot separate, every figure a median of 9 passes in ns per op.
//
//   node bench/probe.mjs [N]          (needs a built dist/ and build/release.wasm)
//
// W3: the same loads in random and in ascending order (what memory latency costs), through the
//     facade and straight into the core.
// W4: the core's batch fill alone, then forEach with an empty and with a summing callback,
//     beside sorted-btree's forEachPair with the same two callbacks.
// W8: emptyArea beside a load on the same allocation-range tree, and the nodes a search visits.
import { readFileSync } from 'node:fs';
import BTreeModule from 'sorted-btree';
import { MapleTree, MaState } from '../dist/index.js';
import { inputs } from './lib/workloads.mjs';

const BTree = BTreeModule.default ?? BTreeModule;
const N = Number(process.argv[2] ?? 1_000_000);
const I = inputs(N, 'number');
const MAX = Number.MAX_SAFE_INTEGER;

function time(label, ops, f) {
  const ts = [];
  let r;
  for (let k = 0; k < 9; k++) {
    const t0 = performance.now();
    r = f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${(ts[4] * 1e6 / ops).toFixed(1).padStart(7)} ns  (checksum ${r})`);
}

// The core on its own instance, for the parts below the facade.
const core = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(new URL('../build/release.wasm', import.meta.url))),
  { env: { abort() { throw new Error('core abort'); } } }).exports;

console.log(`N = ${N.toLocaleString('en')}, ranges [16i, 16i+9]`);

{
  const mt = new MapleTree({ entries: 'number' });
  for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, I.E[i]);
  const t = core.treeNew(core.poolNew(), 0);
  for (let i = 0; i < N; i++) core.treeStore(t, 16 * i, 16 * i + 9, I.E[i] + 1, 0);
  const xs = I.xs3;
  const sorted = Float64Array.from(xs).sort();
  const load = (keys) => () => { let s = 0; for (let k = 0; k < keys.length; k++) { const e = mt.load(keys[k]); if (e !== undefined) s += e; } return s; };
  console.log(`\nW3 point load (height ${mt.height})`);
  time('mt.load, random x (the workload)', xs.length, load(xs));
  time('mt.load, the same x ascending', xs.length, load(sorted));
  time('core treeLoad, random x (no facade)', xs.length, () => { let s = 0; for (let k = 0; k < xs.length; k++) { const w = core.treeLoad(t, xs[k]); if (w !== 0) s += w - 1; } return s; });

  const bt = new BTree();
  for (let i = 0; i < N; i++) bt.set(16 * i, { last: 16 * i + 9, entry: I.E[i] });
  const mas = core.stateNew(t);
  const buf = core.batchNew();
  console.log('\nW4 iterate');
  time('core batch fill (mas_find into a buffer)', N, () => {
    let n, total = 0;
    core.stateSet(mas, 0, 0);
    while ((n = core.stateFindBatch(mas, MAX, buf)) > 0) total += n;
    return total;
  });
  time('mt.forEach, empty callback', N, () => { let k = 0; mt.forEach(() => { k++; }); return k; });
  time('mt.forEach, summing callback (the workload)', N, () => { let s = 0; mt.forEach((e) => { s += e; }); return s; });
  time('sorted-btree forEachPair, empty callback', N, () => { let k = 0; bt.forEachPair(() => { k++; }); return k; });
  time('sorted-btree forEachPair, summing callback', N, () => { let s = 0; bt.forEachPair((k, v) => { s += v.entry; }); return s; });
  mt.free();
}

{
  const mt = new MapleTree({ entries: 'number', allocRange: true });
  for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, I.E[i]);
  for (let i = 1; i < N; i += 2) mt.erase(16 * i);
  const t = core.treeNew(core.poolNew(), 1);
  for (let i = 0; i < N; i++) core.treeStore(t, 16 * i, 16 * i + 9, I.E[i] + 1, 0);
  for (let i = 1; i < N; i += 2) core.treeErase(t, 16 * i, 0);
  const xs = I.xs8;
  console.log(`\nW8 gap search (allocation-range tree, height ${mt.height})`);
  time('MaState.emptyArea(x, MAX, 20) (the workload)', xs.length, () => {
    let s = 0;
    const mas = new MaState(mt, 0);
    for (let k = 0; k < xs.length; k++) s += mas.emptyArea(xs[k], MAX, 20);
    mas.free();
    return s;
  });
  time('mt.load(x) on the same tree', xs.length, () => { let s = 0; for (let k = 0; k < xs.length; k++) { const e = mt.load(xs[k]); if (e !== undefined) s += e; } return s; });
  const out = core.OUT.value >>> 2; // the found start, a u64 (below 2^32 here)
  time('core treeEmptyArea (no facade)', xs.length, () => {
    let s = 0;
    const u32 = new Uint32Array(core.memory.buffer);
    for (let k = 0; k < xs.length; k++) if (core.treeEmptyArea(t, xs[k], MAX, 20, 1) === 0) s += u32[out];
    return s;
  });
  const mas = core.stateNew(t);
  time('core stateEmptyArea (the state positioned)', xs.length, () => {
    let s = 0;
    const u32 = new Uint32Array(core.memory.buffer);
    for (let k = 0; k < xs.length; k++) if (core.stateEmptyArea(mas, xs[k], MAX, 20, 1) === 0) s += u32[out];
    return s;
  });
  core.stateFree(mas);
  time('core treeLoad (no facade)', xs.length, () => { let s = 0; for (let k = 0; k < xs.length; k++) { const w = core.treeLoad(t, xs[k]); if (w !== 0) s += w - 1; } return s; });
  // a search that ends in the first leaf it reaches visits one node per level (that leaf is the
  // one holding x, or the next when the walk saw that x's leaf has too little room after x)
  let visits = 0, most = 0, further = 0;
  for (let k = 0; k < xs.length; k++) {
    core.treeEmptyArea(t, xs[k], MAX, 20, 1);
    const v = core.lastGapVisits();
    visits += v;
    most = Math.max(most, v);
    if (v > mt.height) further++;
  }
  console.log(`nodes visited per search: ${(visits / xs.length).toFixed(2)} on average, ${most} at most; ` +
    `${(100 * further / xs.length).toFixed(1)}% of searches went on to a second leaf`);
  mt.free();
}
