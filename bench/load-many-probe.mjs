// loadMany against load() in a loop, on the W1 tree ([16i, 16i + 9] = i + 1) and W3's random
// indices: node bench/load-many-probe.mjs [N]   (default N = 1,000,000; needs a built dist/)
// Prints ns per index (the minimum of 5 rounds) for a load() loop, one loadMany of all indices,
// and loadMany in batches of 1,024, with a checksum of each.
import { MapleTree } from '../dist/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
let a = 1;
const rand32 = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return (t ^ (t >>> 14)) >>> 0; };
const mt = new MapleTree({ entries: 'number' });
for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
const xs = Float64Array.from({ length: 1_000_000 }, () => rand32() % (16 * N));
const out = new Float64Array(xs.length);
const best = {};
const sums = {};
const time = (name, fn) => {
  const t = performance.now();
  const s = fn();
  const ns = ((performance.now() - t) * 1e6) / xs.length;
  best[name] = Math.min(best[name] ?? Infinity, ns);
  sums[name] = s;
};
const sum = (arr) => { let s = 0; for (let i = 0; i < arr.length; i++) if (arr[i] === arr[i]) s += arr[i]; return s; };
for (let round = 0; round < 5; round++) {
  time('load() loop', () => { let s = 0; for (let i = 0; i < xs.length; i++) { const e = mt.load(xs[i]); if (e !== undefined) s += e; } return s; });
  time('loadMany(all)', () => sum(mt.loadMany(xs, out)));
  time('loadMany(1,024 at a time)', () => {
    const o = new Float64Array(1024);
    let s = 0;
    for (let b = 0; b < xs.length; b += 1024) { mt.loadMany(xs.subarray(b, b + 1024), o); s += sum(o.subarray(0, Math.min(1024, xs.length - b))); }
    return s;
  });
}
for (const k of Object.keys(best)) console.log(`${k.padEnd(28)} ${best[k].toFixed(1).padStart(7)} ns/index  checksum ${sums[k]}`);
console.log(`ratio load() / loadMany(all): ${(best['load() loop'] / best['loadMany(all)']).toFixed(2)}x  (N = ${N}, height ${mt.height})`);
