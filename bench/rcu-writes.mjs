// What RCU mode costs a write, per write type: ns per write and nodes allocated per write
// (pool.stats().allocations delta: the nodes each write reserves for its worst case, the unused
// ones going back), in normal mode and in RCU mode, each mode in a process of its own.
//
//   node bench/rcu-writes.mjs [--n=100000] [--ops=20000] [--reps=5] [--rounds=3]   (needs a built dist/)
//
// Each mode runs in --rounds processes, alternating (normal, rcu, normal, ...); a figure is the
// minimum over the rounds of the minimum over --reps timed passes (a shared machine's noise only
// ever adds time). Allocations per write are exact and the same in every round.
// Every workload starts from the same tree: N ranges [16i, 16i + 9] = i + 1, built in normal mode
// (in the RCU run then switched with setInRcu(), as dup_mmap does after building a tree), so both
// modes write into trees of the same shape. Its writes are picked once, in normal mode, from
// random candidates, keeping those of the wanted store type (MaState.preallocate's storeType), so
// both modes replay exactly the same writes; what type each write then takes in each mode is
// printed as a mix. No reader is attached (the public API has none), so a node RCU mode replaces
// is freed at the end of its write: the figures are the cost of writing new nodes, not of waiting.
//
//   append position  ascending ranges past the last one (normal: append, with a split when the
//                    last leaf is full; RCU: a node store into a new leaf instead of the append)
//   slot store       [16i, 16i + 11]: a range and the start of the gap after it (one pivot moves)
//   exact fit        [16i, 16i + 9] again, a new entry
//   node store       [16i, 16i + 25]: two ranges and the gap between become one (16 -> 14 items)
//   split            [16i + 2, 16i + 4]: a range cut in three in a full leaf
//   rebalance        NULL over [16i, 16i + 89]: six ranges of a leaf, which underflows
//   spanning store   [16i + 5, 16i + 645]: a range over about five leaves
//   erase            erase(16i): the whole range, at random i (unfiltered)
//
// The checksum (ranges and a hash of the final contents of every workload) must be the same in
// both modes: RCU mode changes how a tree is written, never what it holds.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : Number(a.slice(name.length + 3));
};
const N = arg('n', 100_000);
const OPS = arg('ops', 20_000);
const REPS = arg('reps', 5);
const ROUNDS = arg('rounds', 3);
const child = process.argv.indexOf('--child');

const WORKLOADS = ['append position', 'slot store', 'exact fit', 'node store', 'split', 'rebalance', 'spanning store', 'erase'];

if (child < 0) {
  // The parent: one process per mode, then the table.
  const self = fileURLToPath(import.meta.url);
  const runs = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['normal', 'rcu']) {
      const r = spawnSync(process.execPath, [self, '--child', mode, `--n=${N}`, `--ops=${OPS}`, `--reps=${REPS}`],
        { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) {
        process.stderr.write(r.stderr);
        process.exit(1);
      }
      const got = JSON.parse(r.stdout.trim().split('\n').pop());
      const prev = runs[mode];
      if (prev === undefined) {
        runs[mode] = got;
      } else {
        if (prev.checksum !== got.checksum) throw new Error(`${mode}: checksum changed between rounds`);
        for (const w of WORKLOADS) prev.results[w].ns = Math.min(prev.results[w].ns, got.results[w].ns);
      }
    }
  }
  const { normal, rcu } = runs;
  console.log(`RCU-mode writes: N = ${N.toLocaleString('en')} ranges, ${OPS.toLocaleString('en')} writes per workload, ` +
    `ns = minimum of ${REPS} passes x ${ROUNDS} processes per mode, alternating (node ${process.version})`);
  console.log('');
  const head = `${'workload'.padEnd(16)} ${'normal ns'.padStart(9)} ${'rcu ns'.padStart(8)} ${'ratio'.padStart(6)}` +
    `  ${'normal allocs'.padStart(13)} ${'rcu allocs'.padStart(10)}  types (normal | rcu)`;
  console.log(head);
  console.log('-'.repeat(head.length + 30));
  for (const w of WORKLOADS) {
    const a = normal.results[w];
    const b = rcu.results[w];
    console.log(`${w.padEnd(16)} ${a.ns.toFixed(0).padStart(9)} ${b.ns.toFixed(0).padStart(8)} ${(b.ns / a.ns).toFixed(2).padStart(5)}x` +
      `  ${a.allocs.toFixed(2).padStart(13)} ${b.allocs.toFixed(2).padStart(10)}  ${a.mix} | ${b.mix}`);
  }
  console.log('');
  console.log(`checksum normal ${normal.checksum}, rcu ${rcu.checksum}: ${normal.checksum === rcu.checksum ? 'same' : 'DIFFERENT'}`);
  if (normal.checksum !== rcu.checksum) process.exit(1);
} else {
  const mode = process.argv[child + 1];
  const { MapleTree, MaState, NodePool } = await import('../dist/index.js');
  const rcu = mode === 'rcu';

  let seed = 1;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };

  /** The starting tree, in normal mode; switched to RCU mode by the caller. */
  const base = (pool) => {
    const mt = new MapleTree({ entries: 'number', pool });
    for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
    return mt;
  };

  // A write: [first, last, entry] (entry null clears), or [x] for erase(x).
  const candidates = {
    'append position': (k) => [16 * (N + k), 16 * (N + k) + 9, N + k + 1],
    'slot store': (k, i) => [16 * i, 16 * i + 11, k + 1],
    'exact fit': (k, i) => [16 * i, 16 * i + 9, N + k + 1],
    'node store': (k, i) => [16 * i, 16 * i + 25, k + 1],
    'split': (k, i) => [16 * i + 2, 16 * i + 4, k + 1],
    'rebalance': (k, i) => [16 * i, 16 * i + 89, null],
    'spanning store': (k, i) => [16 * i + 5, 16 * i + 645, k + 1],
    'erase': (k, i) => [16 * i],
  };
  const wanted = {
    'slot store': 'slot_store', 'exact fit': 'exact_fit', 'node store': 'node_store', 'split': 'split_store',
    'rebalance': 'rebalance', 'spanning store': 'spanning_store',
  };

  /** Apply one write through a state; returns the store type it took. */
  const apply = (mas, w) => {
    if (w.length === 1) {
      mas.set(w[0]);
      mas.erase();
    } else {
      mas.setRange(w[0], w[1]);
      mas.store(w[2]);
    }
    return mas.storeType;
  };

  /** The writes of a workload: random candidates of the wanted type, picked in normal mode. */
  const pick = (name) => {
    seed = 1 + WORKLOADS.indexOf(name);
    const pool = new NodePool();
    const mt = base(pool);
    const mas = new MaState(mt, 0);
    const ops = [];
    for (let k = 0, tries = 0; ops.length < OPS && tries < 50 * OPS; tries++) {
      const w = candidates[name](ops.length, rnd() % (N - 50));
      if (w.length === 1 && mt.load(w[0]) === undefined) continue;
      const want = wanted[name];
      if (want !== undefined) {
        mas.setRange(w[0], w[1]);
        mas.preallocate(w[2]);
        const t = mas.storeType;
        mas.destroy();
        if (t !== want) continue;
      }
      apply(mas, w);
      ops.push(w);
      k++;
    }
    mas.free();
    mt.free();
    pool.free();
    if (ops.length < OPS) throw new Error(`${name}: only ${ops.length} writes of type ${wanted[name]} found`);
    return ops;
  };

  const results = {};
  let checksum = 0n;
  for (const name of WORKLOADS) {
    const ops = pick(name);
    let best = Infinity;
    let allocs = 0;
    const mix = {};
    for (let rep = 0; rep <= REPS; rep++) {
      const pool = new NodePool();
      const mt = base(pool);
      if (rcu) mt.setInRcu();
      const mas = new MaState(mt, 0);
      const a0 = pool.stats().allocations;
      if (rep === REPS) {
        // An untimed pass for the store types.
        for (const w of ops) {
          const t = apply(mas, w);
          mix[t] = (mix[t] ?? 0) + 1;
        }
        let h = 0n;
        let n = 0;
        mt.forEach((e, index, last) => {
          h = (h * 1000003n + BigInt(index) * 31n + BigInt(last) * 7n + BigInt(e)) & 0xffff_ffff_ffffn;
          n++;
        });
        checksum = (checksum * 1_000_000_007n + h + BigInt(n)) & 0xffff_ffff_ffff_ffffn;
      } else {
        const t0 = performance.now();
        for (const w of ops) {
          if (w.length === 1) {
            mas.set(w[0]);
            mas.erase();
          } else {
            mas.setRange(w[0], w[1]);
            mas.store(w[2]);
          }
        }
        const dt = performance.now() - t0;
        best = Math.min(best, dt * 1e6 / ops.length);
        allocs = (pool.stats().allocations - a0) / ops.length;
      }
      mas.free();
      mt.free();
      pool.free();
    }
    const types = Object.entries(mix).sort((x, y) => y[1] - x[1])
      .map(([t, c]) => `${t} ${c * 100 < ops.length ? '<1' : (100 * c / ops.length).toFixed(0)}%`).join(', ');
    results[name] = { ns: best, allocs, mix: types };
  }
  console.log(JSON.stringify({ mode, results, checksum: checksum.toString(16) }));
}
