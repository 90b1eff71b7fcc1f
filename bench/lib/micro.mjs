// Store/clear cost microbenchmarks for maple-wasm (own harness: every sample builds a fresh tree
// untimed, then times one batch of K operations; warm-up samples are discarded; median and
// min–max of ns/op over the kept samples).
//
// Write types are provoked by construction and then CHECKED from outside with the pool's fault
// controls (as test/write-paths does): with every allocation failing, a write that needs nodes
// throws ENOMEM, leaves the tree unchanged, and the fault record names its store type; a write
// that succeeds needed no node ('in place': exact fit, append, slot store, node store, or a split
// pushed into a sibling). Each case reports the share of its timed ops that took the expected path.
import { readFileSync } from 'node:fs';
import { MapleTree, MaState, NodePool, VmaIterator } from '../../dist/index.js';

/** A bare instance of a built core (build/<file>), to compare builds of the same code. */
function rawCore(file) {
  const bytes = readFileSync(new URL(`../../build/${file}`, import.meta.url));
  const abort = () => { throw new Error(`${file}: core assertion`); };
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort } }).exports;
}

const gc = globalThis.gc ?? (() => {});

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples: s.length };
}

/** Time run(ctx) (returns ops done) over fresh setup() contexts. */
function measure(setup, run, teardown, { samples = 7, warmup = 2 } = {}) {
  const ns = [];
  let check = 0;
  for (let k = 0; k < warmup + samples; k++) {
    const ctx = setup();
    gc();
    const t0 = performance.now();
    const r = run(ctx);
    const t1 = performance.now();
    check += r.check ?? 0;
    if (k >= warmup) ns.push(((t1 - t0) * 1e6) / r.ops);
    teardown?.(ctx);
  }
  return { ...stats(ns), check };
}

/**
 * Store type of one write, found with every allocation failing (the emergency reserve too, which
 * a clear would otherwise take its nodes from); the write is then done for real.
 */
function classify(mt, write) {
  const type = probe(mt, write);
  if (type !== 'in place') write();
  return type;
}

/** Same, but an allocating write is NOT done (the tree stays as it was). */
function probe(mt, write) {
  const f = mt.pool.faults;
  f.failReserve(true);
  f.failAfter(0);
  let err;
  try { write(); } catch (e) { err = e; } finally { f.off(); f.failReserve(false); }
  if (err === undefined) return 'in place';
  if (err.code !== 'ENOMEM') throw err;
  return f.stats().lastFailure.writeType;
}

function mix(types) {
  const c = new Map();
  for (const t of types) c.set(t, (c.get(t) ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${((100 * n) / types.length).toFixed(0)}%`).join(', ');
}

function w1Tree(pool, B, mode = 'number') {
  const mt = new MapleTree({ entries: mode, pool });
  for (let i = 0; i < B; i++) mt.storeRange(16 * i, 16 * i + 9, mode === 'number' ? i + 1 : { id: i + 1 });
  return mt;
}

function w2Tree(pool, B) {
  const mt = new MapleTree({ entries: 'number', pool });
  // a fixed scatter (multiplicative permutation) so leaves are left part-full
  for (let k = 0; k < B; k++) { const i = (k * 7919) % B; mt.storeRange(16 * i, 16 * i + 9, i + 1); }
  return mt;
}

/**
 * A write-type case: base(pool) builds the tree; prep: writes applied untimed; ops: the timed
 * writes, each [first, last, entry] (entry null clears). Checks the ops' types on a replica.
 */
function writeCase(pool, label, expected, base, prep, ops, opts) {
  const apply = (mt, [a, b, e]) => mt.storeRange(a, b, e);
  // purity on a replica: prep, then every timed op classified in order
  const rep = base(pool);
  for (const op of prep) apply(rep, op);
  const types = ops.map((op) => classify(rep, () => apply(rep, op)));
  rep.validate();
  rep.free();
  const r = measure(
    () => { const mt = base(pool); for (const op of prep) apply(mt, op); return mt; },
    (mt) => { for (let k = 0; k < ops.length; k++) { const o = ops[k]; mt.storeRange(o[0], o[1], o[2]); } return { ops: ops.length }; },
    (mt) => mt.free(), opts);
  const hit = types.filter((t) => expected.includes(t)).length / types.length;
  return { group: 'write type', label, ops: ops.length, ...r, paths: mix(types), expected: expected.join(' / '), purity: hit };
}

/** Candidate ops kept when probe() on a replica (with prep) says they take `want`. */
function select(pool, base, prep, cands, want, apply = (mt, [a, b, e]) => mt.storeRange(a, b, e)) {
  const rep = base(pool);
  for (const op of prep) apply(rep, op);
  const keep = cands.filter((op) => probe(rep, () => apply(rep, op)) === want);
  rep.free();
  return keep;
}

/**
 * The micro groups, in report order. run.mjs measures each in a process of its own (--child=
 * micro,<group>), as it does every workload cell: a group sharing a process with the groups
 * before it runs on the call sites, garbage and heap they left (dup() 3x slower there).
 */
export const MICRO_GROUPS = ['write type', 'clear', 'store vs prealloc', 'fork', 'entries', 'fault injection', 'call overhead'];

/** A row as the run's log shows it. */
export const microLine = (r) => `  micro ${r.group}: ${r.label.padEnd(44)} ${r.median.toFixed(0).padStart(7)} ns/op` +
  (r.paths ? `  [${r.paths}]` : '');

/** The rows of one micro group (each logged as it is measured). */
export function runMicroGroup(group, { quick = false, log = console.log } = {}) {
  if (!Object.hasOwn(GROUPS, group)) throw new Error(`no micro group '${group}' (groups: ${MICRO_GROUPS.join(', ')})`);
  const out = [];
  const B = quick ? 20_000 : 100_000;
  GROUPS[group]({
    pool: new NodePool(), quick, B,
    opts: { samples: quick ? 3 : 7, warmup: quick ? 1 : 2 },
    push: (r) => { out.push(r); log(microLine(r)); },
  });
  return out;
}

const K = 2000; // timed ops of a write-type or clear case

const GROUPS = {
  // ── store by write type (numeric entries, tree of B ranges laid out as W1) ──
  'write type'({ pool, B, opts, push }) {
    const base1 = (p) => w1Tree(p, B);
    const base2 = (p) => w2Tree(p, B);
    push(writeCase(pool, 'append (ascending stores past the end)', ['in place'], base1, [],
      Array.from({ length: K }, (_, k) => [16 * (B + k), 16 * (B + k) + 9, B + k + 1]), opts));
    push(writeCase(pool, 'exact fit (overwrite a whole range)', ['in place'], base1, [],
      Array.from({ length: K }, (_, k) => { const i = (k * 37) % B; return [16 * i, 16 * i + 9, 7]; }), opts));
    {
      // slot store: the new range takes the tail of range i and the gap after it (2 slots stay 2);
      // where that gap sits in the next leaf the write spans leaves instead: those are left out.
      const cands = Array.from({ length: K + K / 4 }, (_, k) => { const i = (k * 37) % B; return [16 * i + 5, 16 * i + 15, 7]; });
      const ops = select(pool, base1, [], cands, 'in place').slice(0, K);
      push(writeCase(pool, 'slot store ([16i+5, 16i+15]: range tail + gap)', ['in place'], base1, [], ops, opts));
    }
    {
      // node store: a range split in three inside a leaf with room (the scattered tree leaves room)
      const cands = Array.from({ length: Math.floor(B / 8) }, (_, k) => { const i = 8 * k + 3; return [16 * i + 2, 16 * i + 4, 7]; });
      const ops = select(pool, base2, [], cands, 'in place').slice(0, K);
      push(writeCase(pool, 'node store ([16i+2, 16i+4] in a leaf with room)', ['in place'], base2, [], ops, opts));
    }
    {
      const cands = Array.from({ length: Math.floor(B / 16) }, (_, k) => { const i = 16 * k + 5; return [16 * i + 2, 16 * i + 4, 7]; });
      const ops = select(pool, base1, [], cands, 'split').slice(0, K);
      push(writeCase(pool, 'split ([16i+2, 16i+4] in a full leaf)', ['split'], base1, [], ops, opts));
    }
    {
      // rebalance: per block of 64 ranges, clear ranges one by one (untimed) until the next clear
      // would rebalance; that clear is the timed op.
      const rep = base1(pool);
      const prep = [];
      const ops = [];
      for (let b = 0; b + 64 <= B && ops.length < K; b += 64) {
        for (let i = b + 1; i < b + 40; i++) {
          const op = [16 * i, 16 * i + 9, null];
          const t = probe(rep, () => rep.storeRange(op[0], op[1], null));
          if (t === 'rebalance') { ops.push(op); break; }
          if (t !== 'in place') rep.storeRange(op[0], op[1], null); // some other allocating path
          prep.push(op);
        }
      }
      rep.free();
      push(writeCase(pool, 'rebalance (clear a range in a minimal leaf)', ['rebalance'], base1, prep, ops, opts));
    }
    {
      const span = 64;
      const ops = [];
      for (let i = 1; i + span < B && ops.length < K; i += span + 40) ops.push([16 * i + 3, 16 * (i + span) + 5, 7]);
      push(writeCase(pool, `spanning store (over ${span} ranges)`, ['spanning store'], base1, [], ops, opts));
    }
  },

  // ── clear (storeRange null) by size ──
  clear({ pool, B, opts, push }) {
    for (const s of [1, 10, 100, 1000]) {
      const ops = [];
      for (let i = 1; i + s < B && ops.length < K; i += s + 10) ops.push([16 * i, 16 * (i + s - 1) + 9, null]);
      const r = writeCase(pool, `clear ${s} range${s > 1 ? 's' : ''}`, ['in place', 'rebalance', 'spanning store', 'split'],
        (p) => w1Tree(p, B), [], ops, opts);
      r.group = 'clear';
      r.perRange = r.median / s;
      push(r);
    }
  },

  // ── store vs preallocate + storePrealloc (W5-like overwrites [x, x+40]) ──
  // The state is made untimed with its tree, as a program keeps its MaState or VMA iterator.
  // (Before the library kept an idle MaState, src/shapes.ts, a state made inside the timed batch
  // had none alive at the gc() before it: V8 dropped the class's maps and every batch ran on
  // code deoptimized and compiled again, 3-5x the time of storeRange where 1.1-1.4x alone.)
  'store vs prealloc'({ pool, B, opts, push }) {
    const n = 10_000;
    const xs = Array.from({ length: n }, (_, k) => ((k * 2654435761) >>> 0) % (16 * B));
    const tree = () => ({ mt: w1Tree(pool, B) });
    const withState = () => { const mt = w1Tree(pool, B); return { mt, mas: new MaState(mt, 0) }; };
    const td = ({ mt, mas }) => { mas?.free(); mt.free(); };
    const variants = [
      ['mt.storeRange(a, b, e)', tree, ({ mt }) => {
        for (let k = 0; k < n; k++) mt.storeRange(xs[k], xs[k] + 40, k + 1);
        return { ops: n };
      }],
      ['mas.setRange(a, b); mas.store(e)', withState, ({ mas }) => {
        for (let k = 0; k < n; k++) { mas.setRange(xs[k], xs[k] + 40); mas.store(k + 1); }
        return { ops: n };
      }],
      ['mas.setRange; preallocate(e); storePrealloc(e)', withState, ({ mas }) => {
        for (let k = 0; k < n; k++) { mas.setRange(xs[k], xs[k] + 40); mas.preallocate(k + 1); mas.storePrealloc(k + 1); }
        return { ops: n };
      }],
    ];
    for (const [label, setup, run] of variants) push({ group: 'store vs prealloc', label, ops: n, ...measure(setup, run, td, opts) });

    // The VMA iterator's writes (vma_iter_prealloc + vma_iter_store, vma_iter_store_gfp, and the
    // clears) against storeRange of the same writes, on a tree of VMA objects laid out as W1.
    const vmas = xs.map((x, k) => ({ vmStart: x, vmEnd: x + 41, id: k }));
    const base = Array.from({ length: B }, (_, i) => ({ vmStart: 16 * i, vmEnd: 16 * i + 10, id: i }));
    const vmaTree = () => {
      const mt = new MapleTree({ pool });
      for (let i = 0; i < B; i++) mt.storeRange(16 * i, 16 * i + 9, base[i]);
      return { mt, vmi: new VmaIterator(mt) };
    };
    const vtd = ({ mt, vmi }) => { vmi.destroy(); mt.free(); };
    const vmaVariants = [
      ['VMAs: mt.storeRange(vmStart, vmEnd - 1, vma)', ({ mt }) => {
        for (let k = 0; k < n; k++) { const v = vmas[k]; mt.storeRange(v.vmStart, v.vmEnd - 1, v); }
      }],
      ['VMAs: vmi.prealloc(vma); vmi.store(vma)', ({ vmi }) => {
        for (let k = 0; k < n; k++) { const v = vmas[k]; vmi.prealloc(v); vmi.store(v); }
      }],
      ['VMAs: vmi.storeGfp(vma)', ({ vmi }) => { for (let k = 0; k < n; k++) vmi.storeGfp(vmas[k]); }],
      ['VMAs: mt.storeRange(x, x + 40, null)', ({ mt }) => { for (let k = 0; k < n; k++) mt.storeRange(xs[k], xs[k] + 40, null); }],
      ['VMAs: vmi.clearGfp(x, x + 41)', ({ vmi }) => { for (let k = 0; k < n; k++) vmi.clearGfp(xs[k], xs[k] + 41); }],
      ['VMAs: vmi.config(x, x + 41); prealloc(null); clear()', ({ vmi }) => {
        for (let k = 0; k < n; k++) { vmi.config(xs[k], xs[k] + 41); vmi.prealloc(null); vmi.clear(); }
      }],
    ];
    for (const [label, run] of vmaVariants) {
      push({ group: 'store vs prealloc', label, ops: n, ...measure(vmaTree, (c) => { run(c); return { ops: n }; }, vtd, opts) });
    }
  },

  // ── fork: mt_dup, and dup then every entry stored back through one state while iterating
  //    (the kernel's dup_mmap walks the copy with a vma iterator and writes each VMA back) ──
  fork({ pool, B, opts, push }) {
    const src = w1Tree(pool, B);
    // A state alive through the gc() before each batch keeps MaState's shape (see above).
    const keep = new MaState(src, 0);
    const variants = [
      ['dup()', (mt) => { const c = mt.dup(); const n = c.nodeCount; c.free(); return { ops: B, check: n }; }],
      ['dup(), then mas.find + mas.store of every entry', (mt) => {
        const c = mt.dup();
        const mas = new MaState(c, 0);
        let e;
        let n = 0;
        while ((e = mas.find()) !== undefined) { mas.store(e); n++; }
        mas.free();
        c.free();
        return { ops: B, check: n };
      }],
    ];
    for (const [label, run] of variants) push({ group: 'fork', label: `${label} (tree of ${B})`, ops: B, ...measure(() => src, run, null, opts) });
    keep.free();
    src.free();
  },

  // ── numeric vs object entries ──
  entries({ pool, B, opts, push }) {
    const n = 10_000;
    const objs = Array.from({ length: B + n }, (_, i) => ({ id: i + 1 }));
    for (const mode of ['number', 'object']) {
      const E = mode === 'number' ? Array.from({ length: B + n }, (_, i) => i + 1) : objs;
      push({ group: 'entries', label: `${mode}: append store (from empty, ${n})`, ops: n, ...measure(
        () => new MapleTree({ entries: mode, pool }),
        (mt) => { for (let i = 0; i < n; i++) mt.storeRange(16 * i, 16 * i + 9, E[i]); return { ops: n }; },
        (mt) => mt.free(), opts) });
      const xs = Array.from({ length: 200_000 }, (_, k) => ((k * 2654435761) >>> 0) % (16 * B));
      const loaded = w1Tree(pool, B, mode);
      push({ group: 'entries', label: `${mode}: load (tree of ${B})`, ops: xs.length, ...measure(
        () => loaded,
        (mt) => { let s = 0; for (let k = 0; k < xs.length; k++) { const e = mt.load(xs[k]); if (e !== undefined) s++; } return { ops: xs.length, check: s }; },
        null, opts) });
      loaded.free();
      push({ group: 'entries', label: `${mode}: overwrite [x, x+40]`, ops: n, ...measure(
        () => w1Tree(pool, B, mode),
        (mt) => { for (let k = 0; k < n; k++) mt.storeRange(xs[k], xs[k] + 40, E[k]); return { ops: n }; },
        (mt) => mt.free(), opts) });
    }
  },

  // ── fault injection: disarmed check vs not compiled in (raw core, same store+clear path) ──
  'fault injection'({ quick, opts, push }) {
    const cores = [['faults compiled in, off', 'release.wasm'], ['faults not compiled (MAPLE_FAULTS=0)', 'release-nofaults.wasm']]
      .map(([label, file]) => [label, rawCore(file)]);
    const n = quick ? 20_000 : 100_000;
    const order = Array.from({ length: n }, (_, k) => ((k * 2654435761) >>> 0) % n);
    for (let round = 0; round < 2; round++) {
      for (const [label, w] of cores) {
        const r = measure(() => { const p = w.poolNew(); return { w, t: w.treeNew(p, 0) }; },
          ({ w, t }) => {
            for (let k = 0; k < n; k++) { const i = order[k]; w.treeStore(t, 16 * i, 16 * i + 9, i + 1, 0); }
            for (let k = 0; k < n; k++) { const i = order[k]; w.treeStore(t, 16 * i, 16 * i + 9, 0, 0); }
            return { ops: 2 * n };
          }, ({ w, t }) => w.treeDelete(t), opts);
        if (round === 1) push({ group: 'fault injection', label: `${label}: random store + clear`, ops: 2 * n, ...r });
      }
    }
  },

  // ── JS <-> wasm call overhead ──
  'call overhead'({ pool, opts, push }) {
    const n = 1_000_000;
    const empty = new MapleTree({ entries: 'number', pool });
    const one = w1Tree(pool, 1000);
    let sink = 0;
    const jsFn = (x) => x + 1;
    push({ group: 'call overhead', label: 'baseline: JS function call', ops: n, ...measure(() => null,
      () => { let s = 0; for (let k = 0; k < n; k++) s = jsFn(s); sink += s; return { ops: n }; }, null, opts) });
    push({ group: 'call overhead', label: 'mt.height getter', ops: n, ...measure(() => one,
      (mt) => { let s = 0; for (let k = 0; k < n; k++) s += mt.height; sink += s; return { ops: n }; }, null, opts) });
    push({ group: 'call overhead', label: 'mt.load(x) on an empty tree', ops: n, ...measure(() => empty,
      (mt) => { let s = 0; for (let k = 0; k < n; k++) if (mt.load(k) !== undefined) s++; sink += s; return { ops: n }; }, null, opts) });
    push({ group: 'call overhead', label: 'mt.load(x) hit, tree of 1000 ranges', ops: n, ...measure(() => one,
      (mt) => { let s = 0; for (let k = 0; k < n; k++) s += mt.load(16 * (k & 511)); sink += s; return { ops: n }; }, null, opts) });
    empty.free();
    one.free();
    if (sink === 42) console.error('');
  },
};
