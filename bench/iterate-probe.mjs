// W4 (iterate every range of the W1 tree, summing entries) with each implementation in its own
// process, so none shares inline caches or garbage collection with another:
//   node bench/iterate-probe.mjs [N]     (default N = 1,000,000; needs a built dist/)
// Rows: sorted-btree forEachPair, maple-wasm forEach (a callback per range), maple-wasm cursor()
// (typed-array batches, W4c); ns per range, the minimum of 7 rounds, and the checksum.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 1_000_000);
const self = fileURLToPath(import.meta.url);
const mode = process.argv[3];

if (mode === undefined) {
  const rows = {};
  for (const m of ['btree', 'forEach', 'cursor']) {
    const r = spawnSync(process.execPath, ['--expose-gc', self, String(N), m], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${m}: ${r.stderr}`);
    rows[m] = JSON.parse(r.stdout);
    console.log(`${m.padEnd(8)} ${rows[m].ns.toFixed(2).padStart(7)} ns/range  checksum ${rows[m].sum}`);
  }
  console.log(`cursor vs sorted-btree: ${(rows.btree.ns / rows.cursor.ns).toFixed(2)}x; forEach vs sorted-btree: ${(rows.btree.ns / rows.forEach.ns).toFixed(2)}x (N = ${N}, each in its own process)`);
} else {
  let run;
  if (mode === 'btree') {
    const { default: BTree } = await import('sorted-btree');
    const t = new BTree.default ? new BTree.default() : new BTree();
    for (let i = 0; i < N; i++) t.set(16 * i, { last: 16 * i + 9, entry: i + 1 });
    run = () => { let s = 0; t.forEachPair((k, v) => { s += v.entry; }); return s; };
  } else {
    const { MapleTree } = await import('../dist/index.js');
    const mt = new MapleTree({ entries: 'number' });
    for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
    run = mode === 'forEach'
      ? () => { let s = 0; mt.forEach((e) => { s += e; }); return s; }
      : () => {
        let s = 0;
        const c = mt.cursor();
        for (let n = c.next(); n > 0; n = c.next()) { const e = c.entry; for (let k = 0; k < n; k++) s += e[k]; }
        return s;
      };
  }
  let best = Infinity;
  let sum = 0;
  for (let round = 0; round < 7; round++) {
    globalThis.gc();
    const t0 = performance.now();
    sum = run();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / N);
  }
  process.stdout.write(JSON.stringify({ ns: best, sum }));
}
