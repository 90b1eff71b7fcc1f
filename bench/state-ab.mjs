// A/B of the ma_state-driven paths between two builds: run it once per build, alternating, and
// compare the minima. node bench/state-ab.mjs <dist dir>   (e.g. ./dist, or another checkout's)
// Prints ns/op (the minimum of 5 repetitions) for forEach and MaState.find over 1M ranges, mt.find
// and mt.next at random indices, and [x, x + 40] overwrites by storeRange, MaState.store and
// preallocate + storePrealloc on a 100k tree; the last number is a checksum digit.
// node bench/state-ab.mjs <dist dir> vma   (a process of its own): the same overwrites as
// [x, x + 41) VMAs on a 100k tree of VMA objects by storeRange and the VmaIterator (prealloc +
// store, storeGfp), and clears by storeRange null, clearGfp and config + prealloc(null) + clear.
// Compare each write row with the storeRange row of the same run.
const { MapleTree, MaState, VmaIterator } = await import(new URL(`${process.argv[2] ?? './dist'}/index.js`, `file://${process.cwd()}/`).href);
const VMA = process.argv[3] === 'vma';
const best = {};
function time(name, fn, ops) { const t = performance.now(); const c = fn(); const v = (performance.now() - t) * 1e6 / ops; best[name] = Math.min(best[name] ?? 1e9, v); return c; }
let sink = 0;
const B = 100_000, n = 10_000;
const ys = Array.from({ length: n }, (_, k) => ((k * 2654435761) >>> 0) % (16 * B));
if (!VMA) {
  const N = 1_000_000;
  let seed = 1; const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
  const mt = new MapleTree({ entries: 'number' });
  for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
  const xs = Array.from({ length: 100_000 }, () => rnd() % (16 * N));
  const mk = () => { const t = new MapleTree({ entries: 'number' }); for (let i = 0; i < B; i++) t.storeRange(16 * i, 16 * i + 9, i + 1); return t; };
  for (let rep = 0; rep < 5; rep++) {
    sink += time('forEach 1M', () => { let s = 0; mt.forEach((e) => { s += e; }); return s; }, N);
    sink += time('MaState.find iterate 1M', () => { const m = new MaState(mt, 0); let s = 0, e; while ((e = m.find()) !== undefined) s += e; m.free(); return s; }, N);
    sink += time('mt.find random', () => { let s = 0; for (const x of xs) s += mt.find(x).entry; return s; }, xs.length);
    sink += time('mt.next random', () => { let s = 0; for (const x of xs) s += mt.next(x).entry; return s; }, xs.length);
    let t = mk(); time('storeRange x+40', () => { for (let k = 0; k < n; k++) t.storeRange(ys[k], ys[k] + 40, k + 1); }, n); t.free();
    t = mk(); time('mas.store x+40', () => { const m = new MaState(t, 0); for (let k = 0; k < n; k++) { m.setRange(ys[k], ys[k] + 40); m.store(k + 1); } m.free(); }, n); t.free();
    t = mk(); time('prealloc+storePrealloc', () => { const m = new MaState(t, 0); for (let k = 0; k < n; k++) { m.setRange(ys[k], ys[k] + 40); m.preallocate(k + 1); m.storePrealloc(k + 1); } m.free(); }, n); t.free();
  }
} else {
  const vmas = ys.map((x, k) => ({ vmStart: x, vmEnd: x + 41, id: k }));
  const mk = () => {
    const t = new MapleTree();
    for (let i = 0; i < B; i++) t.storeRange(16 * i, 16 * i + 9, { vmStart: 16 * i, vmEnd: 16 * i + 10, id: i });
    return { t, i: new VmaIterator(t) };
  };
  const run = (name, fn) => { const v = mk(); time(name, () => fn(v.t, v.i), n); v.i.destroy(); v.t.free(); };
  for (let rep = 0; rep < 5; rep++) {
    run('VMAs storeRange', (t) => { for (let k = 0; k < n; k++) { const a = vmas[k]; t.storeRange(a.vmStart, a.vmEnd - 1, a); } });
    run('vmi prealloc+store', (t, i) => { for (let k = 0; k < n; k++) { i.prealloc(vmas[k]); i.store(vmas[k]); } });
    run('vmi storeGfp', (t, i) => { for (let k = 0; k < n; k++) i.storeGfp(vmas[k]); });
    run('VMAs storeRange null', (t) => { for (let k = 0; k < n; k++) t.storeRange(ys[k], ys[k] + 40, null); });
    run('vmi clearGfp', (t, i) => { for (let k = 0; k < n; k++) i.clearGfp(ys[k], ys[k] + 41); });
    run('vmi config+prealloc+clear', (t, i) => { for (let k = 0; k < n; k++) { i.config(ys[k], ys[k] + 41); i.prealloc(null); i.clear(); } });
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, +v.toFixed(1)]))), sink % 7);
