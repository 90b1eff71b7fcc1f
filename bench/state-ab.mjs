// A/B of the ma_state-driven paths between two builds: run it once per build, alternating, and
// compare the minima. node bench/state-ab.mjs <dist dir>   (e.g. ./dist, or another checkout's)
// Prints ns/op (the minimum of 5 repetitions) for forEach and MaState.find over 1M ranges, mt.find
// and mt.next at random indices, and [x, x + 40] overwrites by storeRange, MaState.store and
// preallocate + storePrealloc on a 100k tree; the last number is a checksum digit.
const { MapleTree, MaState } = await import(new URL(`${process.argv[2] ?? './dist'}/index.js`, `file://${process.cwd()}/`).href);
const N = 1_000_000;
let seed = 1; const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
const mt = new MapleTree({ entries: 'number' });
for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
const xs = Array.from({ length: 100_000 }, () => rnd() % (16 * N));
const best = {};
function time(name, fn, ops) { const t = performance.now(); const c = fn(); const v = (performance.now() - t) * 1e6 / ops; best[name] = Math.min(best[name] ?? 1e9, v); return c; }
let sink = 0;
const B = 100_000, n = 10_000;
const ys = Array.from({ length: n }, (_, k) => ((k * 2654435761) >>> 0) % (16 * B));
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
console.log(JSON.stringify(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, +v.toFixed(1)]))), sink % 7);
