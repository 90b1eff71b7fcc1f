// Allocation-range trees against a reference model: random mixes of store, storeRange, erase,
// insertRange, allocRange, allocRRange, allocCyclic, emptyArea and emptyAreaRev (and stores
// through the state an emptyArea pointed, with mas_store_gfp or mas_preallocate +
// mas_store_prealloc), on key spaces 0..40, 0..500, 0..20000, 0..2^40 and ones reaching 2^53
// and 2^64. The model answers the empty-area questions by brute force over its gaps. After every
// step mt.validate() checks every recorded gap, and an independent check reads the gaps off
// mt.dump() and recomputes them from the leaves. Under fault injection a failed write must
// change nothing. Every run is seeded; a failure names its seed, step and the last operations
// (replay one seed with ALLOC_SEED=<seed> [ALLOC_OPS=<n>]; ALLOC_SOAK=<n> adds n more seeds).
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, NodePool, MapleError, ULONG_MAX } from '../src/index';
import type { Index, Gfp } from '../src/index';
import { Model, arg, checkIndexType, expectSame } from './support/model';
import { mulberry32, type Rng } from './support/rng';

const ULONG = ULONG_MAX;

// ── the reference: brute force over the model's gaps ─────────────────────────

type Found = bigint | 'EINVAL' | 'EBUSY';

/** mas_empty_area(_rev) on the model: lowest (highest) start of size free indices in [min, max]. */
function modelEmptyArea(model: Model<unknown>, min: bigint, max: bigint, size: bigint, forward: boolean): Found {
  if (min > max || size === 0n || max - min < size - 1n) return 'EINVAL';
  const rs = model.ranges;
  let found: Found = 'EBUSY';
  for (let i = 0; i <= rs.length; i++) {
    const lo = i === 0 ? 0n : rs[i - 1].last + 1n;
    const hi = i === rs.length ? ULONG : rs[i].first - 1n;
    if (lo > hi) continue; // adjacent ranges, or the last range ends at ULONG_MAX
    const s = lo > min ? lo : min;
    const e = hi < max ? hi : max;
    if (e < s || e - s + 1n < size) continue;
    if (forward) return s;
    found = e - size + 1n;
  }
  return found;
}

/** The model's MT_FLAGS_ALLOC_WRAPPED and mtree_alloc_cyclic's search (mas_alloc_cyclic). */
class CyclicModel {
  wrappedFlag = false;

  /** The index to take and the return value (1 wrapped, 0 not), or the error. */
  search(model: Model<unknown>, min: bigint, max: bigint, next: bigint): { index: bigint; wrapped: boolean } | 'EBUSY' {
    const from = next > min ? next : min;
    let r: Found = from <= max ? modelEmptyArea(model, from, max, 1n, true) : 'EBUSY';
    let wrapped = false;
    if (typeof r === 'bigint' && this.wrappedFlag) {
      this.wrappedFlag = false; // cleared before the insert, as the kernel does
      wrapped = true;
    }
    if (typeof r !== 'bigint' && from > min) {
      r = modelEmptyArea(model, min, max, 1n, true);
      wrapped = true;
    }
    if (typeof r !== 'bigint') return 'EBUSY';
    return { index: r, wrapped };
  }

  taken(index: bigint): void {
    if (index === ULONG) this.wrappedFlag = true;
  }
}

// ── an independent gap check off mt.dump() ───────────────────────────────────

interface DNode {
  type: string;
  min: bigint;
  max: bigint;
  end: number;
  depth: number;
  /** The gap the parent records for this child. */
  recorded?: bigint;
  kids: DNode[];
  slots: { min: bigint; max: bigint; nil: boolean }[];
}

const NODE_LINE = /^(\s*)(\d+)-(\d+): (leaf_64|range_64|arange_64) 0x[0-9a-f]+ parent 0x[0-9a-f]+ end (\d+)$/;
const SLOT_LINE = /^\s*(\d+)-(\d+): (\(nil\)|0x[0-9a-f]+)$/;
const GAP_LINE = /^(\s*)gap (\d+)$/;
const HEAD_LINE = /^maple_tree 0x[0-9a-f]+ flags \d+ height (\d+) root/;

/**
 * Read the tree off mt.dump() and check the allocation-tree shape: internal nodes are arange_64
 * with at most 10 children and, below the root, at least 5 (end >= 4); leaves are leaf_64 with
 * end >= 6 below the root; every gap a parent records for a child equals the largest NULL range
 * of the child's leaves; no two NULL ranges are adjacent. Returns the height.
 */
function checkAllocShape(mt: MapleTree<unknown>): number {
  const lines = mt.dump().split('\n');
  const head = HEAD_LINE.exec(lines[0]);
  if (!head) throw new Error(`dump: unexpected header ${lines[0]}`);
  const height = Number(head[1]);
  const stack: DNode[] = [];
  const pending: (bigint | undefined)[] = [];
  let root: DNode | undefined;
  let leaf: DNode | undefined;
  for (const line of lines.slice(1)) {
    let m = NODE_LINE.exec(line);
    if (m) {
      const depth = m[1].length / 2;
      const n: DNode = { type: m[4], min: BigInt(m[2]), max: BigInt(m[3]), end: Number(m[5]), depth,
        recorded: pending[depth], kids: [], slots: [] };
      pending[depth] = undefined;
      if (depth === 0) root = n;
      else stack[depth - 1].kids.push(n);
      stack[depth] = n;
      leaf = n.type === 'leaf_64' ? n : undefined;
      continue;
    }
    m = GAP_LINE.exec(line);
    if (m) {
      pending[m[1].length / 2] = BigInt(m[2]);
      continue;
    }
    m = SLOT_LINE.exec(line);
    if (m && leaf) leaf.slots.push({ min: BigInt(m[1]), max: BigInt(m[2]), nil: m[3] === '(nil)' });
  }
  if (!root) {
    if (height !== 0) throw new Error(`shape: no node but height ${height}`);
    return 0;
  }
  let prevNil = false;
  const fail = (msg: string, n: DNode): never => {
    throw new Error(`shape: ${msg} (${n.type} ${n.min}-${n.max} depth ${n.depth} end ${n.end})`);
  };
  const largestGap = (n: DNode): bigint => {
    const isRoot = n === root;
    if (n.type === 'leaf_64') {
      if (n.depth !== height - 1) fail(`leaf at depth ${n.depth}, height ${height}`, n);
      if (n.end > 15 || (!isRoot && n.end < 6)) fail('leaf occupancy', n);
      if (n.slots.length !== n.end + 1) fail(`${n.slots.length} slots listed`, n);
      let gap = 0n;
      let at = n.min;
      for (const s of n.slots) {
        if (s.min !== at) fail(`slot ${s.min}-${s.max} does not continue at ${at}`, n);
        if (s.nil) {
          if (prevNil) fail(`adjacent NULL ranges at ${s.min}`, n);
          if (s.max - s.min + 1n > gap) gap = s.max - s.min + 1n;
        }
        prevNil = s.nil;
        at = s.max + 1n;
      }
      if (at !== n.max + 1n) fail('slots do not reach the node max', n);
      return gap;
    }
    if (n.type !== 'arange_64') fail('internal node of an allocation tree is not arange_64', n);
    if (n.end > 9 || (!isRoot && n.end < 4) || (isRoot && n.end < 1)) fail('arange_64 occupancy', n);
    if (n.kids.length !== n.end + 1) fail(`${n.kids.length} children`, n);
    let gap = 0n;
    let at = n.min;
    for (const k of n.kids) {
      if (k.min !== at) fail(`child ${k.min}-${k.max} does not continue at ${at}`, n);
      at = k.max + 1n;
      const g = largestGap(k);
      if (k.recorded !== g) {
        fail(`gap recorded for child ${k.min}-${k.max} is ${k.recorded}, its largest NULL range is ${g}`, n);
      }
      if (g > gap) gap = g;
    }
    if (at !== n.max + 1n) fail('children do not reach the node max', n);
    return gap;
  };
  largestGap(root);
  if (height !== mt.height) throw new Error(`shape: dump height ${height}, mt.height ${mt.height}`);
  return height;
}

// ── random runs ──────────────────────────────────────────────────────────────

interface Space {
  name: string;
  zones: [bigint, bigint][];
  /** Lengths are drawn log-uniformly up to 2^maxLenBits. */
  maxLenBits: number;
}

const TINY: Space = { name: 'keys 0..40', zones: [[0n, 40n], [0n, 3n]], maxLenBits: 2 };
const SMALL: Space = { name: 'keys 0..500', zones: [[0n, 500n]], maxLenBits: 4 };
const DENSE: Space = { name: 'keys 0..20000', zones: [[0n, 20_000n]], maxLenBits: 10 };
const LARGE: Space = { name: 'keys 0..2^40', zones: [[0n, 2n ** 40n]], maxLenBits: 34 };
const EDGES: Space = {
  name: 'keys near 0, 2^53 and 2^64',
  zones: [[0n, 600n], [2n ** 53n - 600n, 2n ** 53n + 600n], [ULONG - 600n, ULONG]],
  maxLenBits: 5,
};

type Weights = Partial<Record<OpName, number>>;
type OpName = 'store' | 'storeRange' | 'storeNull' | 'erase' | 'insertRange' | 'allocRange' |
  'allocRRange' | 'allocCyclic' | 'emptyArea' | 'emptyAreaRev' | 'masStore' | 'prealloc';

const MIXED: Weights = {
  store: 6, storeRange: 10, storeNull: 6, erase: 12, insertRange: 6, allocRange: 16, allocRRange: 12,
  allocCyclic: 10, emptyArea: 8, emptyAreaRev: 8, masStore: 3, prealloc: 3,
};
const GROWING: Weights = {
  storeRange: 4, storeNull: 2, erase: 6, insertRange: 2, allocRange: 30, allocRRange: 16,
  allocCyclic: 20, emptyArea: 4, emptyAreaRev: 4, masStore: 3, prealloc: 3,
};

type Faults = 'none' | 'rate' | 'after' | 'budget';

interface RunOptions {
  seed: number;
  ops: number;
  space: Space;
  weights?: Weights;
  faults?: Faults;
  entries?: 'object' | 'number';
  /** Compare whole contents and read the dump every `every` steps (validate() runs every step). */
  every?: number;
}

interface RunStats {
  ok: number;
  ENOMEM: number;
  EBUSY: number;
  EINVAL: number;
  EEXIST: number;
  allocs: number;
  wrapped: number;
  maxHeight: number;
  maxRanges: number;
}

const show = (x: bigint): string => (x > 2n ** 53n - 2000n ? `${x}n` : String(x));

class Run {
  readonly rng: Rng;
  readonly pool = new NodePool();
  readonly mt: MapleTree<unknown>;
  readonly model = new Model<unknown>();
  readonly cyclic = new CyclicModel();
  readonly log: string[] = [];
  readonly stats: RunStats = { ok: 0, ENOMEM: 0, EBUSY: 0, EINVAL: 0, EEXIST: 0, allocs: 0, wrapped: 0, maxHeight: 0, maxRanges: 0 };
  readonly #names: OpName[];
  readonly #cum: number[];
  #serial = 0;
  #next = 0n;
  /** Whether ENOMEM may happen now, and whether only 'nowait' writes may fail. */
  #armed: Faults = 'none';

  constructor(readonly opts: RunOptions) {
    this.rng = mulberry32(opts.seed);
    this.mt = new MapleTree<unknown>({ pool: this.pool, allocRange: true, entries: opts.entries ?? 'object' });
    // These runs check that every failed write, erases included, changes nothing: the armed
    // faults fail the emergency reserve too, which would let erases succeed (the reserve itself
    // is tested in test/limits.test.ts and by the fuzzer's differential runs).
    if (opts.faults !== undefined) this.pool.faults.failReserve(true);
    const w = opts.weights ?? MIXED;
    this.#names = Object.keys(w) as OpName[];
    let sum = 0;
    this.#cum = this.#names.map((k) => (sum += w[k]!));
  }

  // ── random arguments ──

  key(): bigint {
    const [lo, hi] = this.opts.space.zones[this.rng.int(this.opts.space.zones.length)];
    return lo + this.rng.big(hi - lo + 1n);
  }

  len(): bigint {
    const bits = this.rng.int(this.opts.space.maxLenBits + 1);
    return 1n + this.rng.big(1n << BigInt(bits));
  }

  /** An index argument: a bigint now and then even when a number would do. */
  a(x: bigint): Index {
    return arg(x, this.rng.chance(0.15));
  }

  entry(): unknown {
    const n = ++this.#serial;
    return this.mt.entryMode === 'number' ? n : `e${n}`;
  }

  /** A search window and size: mostly valid, now and then one the argument checks refuse. */
  window(): [bigint, bigint, bigint] {
    const r = this.rng();
    let min: bigint;
    let max: bigint;
    if (r < 0.15) {
      [min, max] = [0n, ULONG];
    } else if (r < 0.3) {
      [min, max] = this.opts.space.zones[this.rng.int(this.opts.space.zones.length)];
    } else {
      min = this.key();
      max = min + this.len() * (this.rng.chance(0.5) ? 4n : 1n);
      if (max > ULONG) max = ULONG;
    }
    let size = this.len();
    const bad = this.rng();
    if (bad < 0.03) size = 0n;
    else if (bad < 0.06 && max - min < ULONG - 1n) size = max - min + 2n; // window one too small
    else if (bad < 0.09 && max - min < ULONG) size = max - min + 1n; // window exactly size
    return [min, max, size];
  }

  gfp(): Gfp | undefined {
    if (this.#armed === 'budget') return this.rng.chance(0.4) ? 'nowait' : undefined;
    return this.rng.chance(0.1) ? 'nowait' : undefined;
  }

  // ── the run ──

  run(): RunStats {
    const { ops, seed } = this.opts;
    let step = 0;
    try {
      for (; step < ops; step++) {
        this.#faults(step);
        this.#step();
        this.#check(step);
      }
      this.pool.faults.off();
      this.#check(-1);
    } catch (e) {
      const err = e as Error;
      err.message = `[seed ${seed}, ${this.opts.space.name}, faults ${this.opts.faults ?? 'none'}, step ${step}; ` +
        `replay: ALLOC_SEED=${seed} npx vitest run test/alloc-range.test.ts]\nlast ops:\n  ` +
        `${this.log.slice(-12).join('\n  ')}\n${err.message}`;
      throw err;
    } finally {
      this.pool.faults.off();
    }
    return this.stats;
  }

  #faults(step: number): void {
    const f = this.opts.faults ?? 'none';
    if (f === 'none') return;
    const faults = this.pool.faults;
    if (f === 'rate') {
      if (step % 50 === 0) {
        faults.failRate(0.05 + 0.25 * this.rng(), this.rng.int(1 << 30));
        this.#armed = 'rate';
      }
    } else if (f === 'after') {
      if (this.rng.chance(0.15)) {
        faults.failAfter(this.rng.int(4));
        this.#armed = 'after';
      } else if (this.rng.chance(0.2)) {
        faults.off();
        this.#armed = 'none';
      }
    } else if (this.rng.chance(0.1)) {
      faults.nonKernelBudget(this.rng.int(4));
      this.#armed = 'budget';
    }
  }

  #check(step: number): void {
    const mt = this.mt;
    mt.validate(); // every arange_64 gap and metadata offset, occupancy, pool accounting
    const every = this.opts.every ?? 1;
    if (step < 0 || step % every === 0) {
      expectSame(mt, this.model);
      const h = checkAllocShape(mt);
      if (h > this.stats.maxHeight) this.stats.maxHeight = h;
    }
    if (this.model.size > this.stats.maxRanges) this.stats.maxRanges = this.model.size;
  }

  /**
   * Run a write. ENOMEM is checked here (allowed by the armed faults, and the tree, its nodes
   * and the pool exactly as before) and comes back as { code: 'ENOMEM' }; another MapleError as
   * its code; success as { value }.
   */
  #write<R>(gfp: Gfp | undefined, fn: () => R): { value: R } | { code: string } {
    const before = this.pool.stats().nodesInUse;
    const nodes = this.mt.nodeCount;
    try {
      const value = fn();
      this.stats.ok++;
      return { value };
    } catch (e) {
      if (!(e instanceof MapleError)) throw e;
      this.stats[e.code]++;
      if (e.code !== 'ENOMEM') return { code: e.code };
      if (this.#armed === 'none') throw new Error(`ENOMEM with no fault armed: ${e.message}`);
      if (this.#armed === 'budget' && gfp !== 'nowait') {
        throw new Error(`ENOMEM for a 'kernel' write under a non-kernel budget: ${e.message}`);
      }
      // a failed write changes nothing
      expect(this.pool.stats().nodesInUse, 'nodes in use after ENOMEM').toBe(before);
      expect(this.mt.nodeCount, 'tree nodes after ENOMEM').toBe(nodes);
      this.mt.validate();
      expectSame(this.mt, this.model, 'contents after ENOMEM');
      return { code: 'ENOMEM' };
    }
  }

  #expectFound(got: unknown, want: Found, what: string): void {
    if (typeof want === 'bigint') {
      if (typeof got === 'string') throw new Error(`${what}: got ${got}, expected ${show(want)}`);
      expect(checkIndexType(got, what), what).toBe(want);
    } else {
      expect(got, what).toBe(want);
    }
  }

  #step(): void {
    const x = this.rng() * this.#cum[this.#cum.length - 1];
    let k = 0;
    while (this.#cum[k] <= x) k++;
    const op = this.#names[k];
    const { mt, model } = this;
    const gfp = this.gfp();
    const g = gfp === undefined ? '' : `, '${gfp}'`;
    switch (op) {
      case 'store':
      case 'storeRange':
      case 'storeNull': {
        const first = this.key();
        let last = op === 'store' ? first : first + this.len() - 1n;
        if (last > ULONG) last = ULONG;
        const e = op === 'storeNull' ? null : this.entry();
        this.log.push(`storeRange(${show(first)}, ${show(last)}, ${JSON.stringify(e)}${g})`);
        const r = this.#write(gfp, () => (op === 'store'
          ? mt.store(this.a(first), e, gfp) : mt.storeRange(this.a(first), this.a(last), e, gfp)));
        if ('value' in r) model.store(first, last, e);
        else if (r.code !== 'ENOMEM') throw new Error(`store: unexpected ${r.code}`);
        break;
      }
      case 'erase': {
        let at = this.key();
        if (model.size > 0 && this.rng.chance(0.7)) {
          const rg = model.ranges[this.rng.int(model.size)];
          at = rg.first + this.rng.big(rg.last - rg.first + 1n);
        }
        this.log.push(`erase(${show(at)})`);
        const r = this.#write(undefined, () => mt.erase(this.a(at)));
        if ('value' in r) expect(r.value, 'erase result').toBe(model.erase(at));
        else if (r.code !== 'ENOMEM') throw new Error(`erase: unexpected ${r.code}`);
        break;
      }
      case 'insertRange': {
        const first = this.key();
        let last = first + this.len() - 1n;
        if (last > ULONG) last = ULONG;
        const e = this.entry();
        this.log.push(`insertRange(${show(first)}, ${show(last)}, ${JSON.stringify(e)}${g})`);
        const occupied = model.occupied(first, last);
        const r = this.#write(gfp, () => mt.insertRange(this.a(first), this.a(last), e, gfp));
        if ('value' in r) {
          expect(occupied, 'insertRange succeeded over an occupied index').toBe(false);
          model.store(first, last, e);
        } else if (r.code !== 'ENOMEM') {
          expect(r.code, 'insertRange').toBe(occupied ? 'EEXIST' : 'success');
        }
        break;
      }
      case 'allocRange':
      case 'allocRRange': {
        const [min, max, size] = this.window();
        const forward = op === 'allocRange';
        const e = this.entry();
        this.log.push(`${op}(${show(size)}, ${JSON.stringify(e)}, ${show(min)}, ${show(max)}${g})`);
        const want = modelEmptyArea(model, min, max, size, forward);
        const r = this.#write(gfp, () => (forward
          ? mt.allocRange(this.a(size), e, this.a(min), this.a(max), gfp)
          : mt.allocRRange(this.a(size), e, this.a(min), this.a(max), gfp)));
        if ('code' in r && r.code === 'ENOMEM') {
          if (typeof want !== 'bigint') throw new Error(`${op}: ENOMEM where the search says ${want}`);
          break;
        }
        this.#expectFound('value' in r ? r.value : r.code, want, op);
        if (typeof want === 'bigint') {
          model.store(want, want + size - 1n, e);
          this.stats.allocs++;
        }
        break;
      }
      case 'allocCyclic': {
        let min: bigint;
        let max: bigint;
        if (this.rng.chance(0.3)) [min, max] = this.opts.space.zones[this.rng.int(this.opts.space.zones.length)];
        else if (this.rng.chance(0.1)) [min, max] = [0n, ULONG];
        else {
          min = this.key();
          max = min + this.len() * 2n;
          if (max > ULONG) max = ULONG;
        }
        // next: where the last allocation left off, or anywhere (below min, above max, ULONG_MAX)
        const c = this.rng();
        const next = c < 0.5 ? this.#next : c < 0.6 ? ULONG : c < 0.7 ? max : this.key();
        const e = this.entry();
        this.log.push(`allocCyclic(${JSON.stringify(e)}, ${show(min)}, ${show(max)}, ${show(next)}${g}) [wrapped flag ${this.cyclic.wrappedFlag}]`);
        const want = this.cyclic.search(model, min, max, next);
        const r = this.#write(gfp, () => mt.allocCyclic(e, this.a(min), this.a(max), this.a(next), gfp));
        if ('code' in r) {
          // ENOMEM: the search ran (and cleared the wrapped flag, as the kernel does)
          if (r.code !== 'ENOMEM' || want === 'EBUSY') expect(r.code, 'allocCyclic').toBe(want === 'EBUSY' ? 'EBUSY' : 'ENOMEM');
          break;
        }
        const got = r.value;
        if (want === 'EBUSY') throw new Error(`allocCyclic: allocated ${String(got.index)}, expected EBUSY`);
        expect(checkIndexType(got.index, 'allocCyclic index'), 'allocCyclic index').toBe(want.index);
        const wantNext = want.index === ULONG ? 0n : want.index + 1n;
        expect(checkIndexType(got.next, 'allocCyclic next'), 'allocCyclic next').toBe(wantNext);
        expect(got.wrapped, 'allocCyclic wrapped').toBe(want.wrapped);
        model.store(want.index, want.index, e);
        this.cyclic.taken(want.index);
        this.#next = wantNext;
        this.stats.allocs++;
        if (got.wrapped) this.stats.wrapped++;
        break;
      }
      case 'emptyArea':
      case 'emptyAreaRev': {
        let [min, max, size] = this.window();
        if (this.rng.chance(0.03) && max < ULONG) [min, max] = [max + 1n, max]; // min > max
        const forward = op === 'emptyArea';
        this.log.push(`mas.${op}(${show(min)}, ${show(max)}, ${show(size)})`);
        const want = modelEmptyArea(model, min, max, size, forward);
        const mas = new MaState(mt, 0);
        try {
          this.#expectFound(this.#search(mas, forward, min, max, size), want, op);
          if (typeof want === 'bigint') {
            expect(checkIndexType(mas.index, 'mas.index'), 'mas.index').toBe(want);
            expect(checkIndexType(mas.last, 'mas.last'), 'mas.last').toBe(want + size - 1n);
          }
        } finally {
          mas.free();
        }
        break;
      }
      case 'masStore':
      case 'prealloc': {
        // mas_empty_area, then store over the range it found: mas_store_gfp, or
        // mas_preallocate + mas_store_prealloc (which must not allocate)
        const [min, max, size] = this.window();
        const forward = this.rng.chance(0.5);
        const want = modelEmptyArea(model, min, max, size, forward);
        const mas = new MaState(mt, 0);
        const e = this.entry();
        this.log.push(`mas.emptyArea${forward ? '' : 'Rev'}(${show(min)}, ${show(max)}, ${show(size)}) then ` +
          `${op === 'masStore' ? 'store' : 'preallocate + storePrealloc'}(${JSON.stringify(e)}${g})`);
        try {
          this.#expectFound(this.#search(mas, forward, min, max, size), want, `${op} search`);
          if (typeof want !== 'bigint') break;
          const r = this.#write(gfp, () => {
            if (op === 'masStore') {
              mas.store(e, gfp);
              return;
            }
            mas.preallocate(e, gfp);
            expect(mas.allocated, 'reserve').toBe(this.pool.stats().nodesReserved);
            const allocations = this.pool.stats().allocations;
            mas.storePrealloc(e);
            expect(this.pool.stats().allocations, 'allocations by storePrealloc').toBe(allocations);
            expect(mas.allocated, 'reserve after storePrealloc').toBe(0);
            expect(this.pool.stats().nodesReserved, 'pool reserve after storePrealloc').toBe(0);
          });
          if ('value' in r) model.store(want, want + size - 1n, e);
          else if (r.code !== 'ENOMEM') throw new Error(`${op}: unexpected ${r.code}`);
        } finally {
          mas.free();
        }
        break;
      }
    }
  }

  #search(mas: MaState<unknown>, forward: boolean, min: bigint, max: bigint, size: bigint): unknown {
    try {
      return forward ? mas.emptyArea(this.a(min), this.a(max), this.a(size))
        : mas.emptyAreaRev(this.a(min), this.a(max), this.a(size));
    } catch (e) {
      if (!(e instanceof MapleError)) throw e;
      return e.code;
    }
  }
}

// ── the suites ───────────────────────────────────────────────────────────────

const REPLAY = process.env.ALLOC_SEED === undefined ? undefined : Number(process.env.ALLOC_SEED);
const REPLAY_OPS = process.env.ALLOC_OPS === undefined ? undefined : Number(process.env.ALLOC_OPS);

function runSeeds(seeds: number[], opts: Omit<RunOptions, 'seed'>): RunStats[] {
  const list = REPLAY === undefined ? seeds : [REPLAY];
  return list.map((seed) => new Run({ ...opts, seed, ops: REPLAY_OPS ?? opts.ops }).run());
}

const total = (all: RunStats[], k: keyof RunStats): number => all.reduce((s, r) => s + r[k], 0);

describe('differential: alloc trees against the model', () => {
  test('keys 0..500: every result of allocRange/allocRRange/allocCyclic/emptyArea(Rev) as the brute-force search says', () => {
    const all = runSeeds([1, 2, 3, 4, 5, 6], { ops: 700, space: SMALL });
    expect(total(all, 'allocs')).toBeGreaterThan(500);
    expect(total(all, 'EBUSY')).toBeGreaterThan(20); // the small space fills up
    expect(total(all, 'EINVAL')).toBeGreaterThan(20);
    expect(total(all, 'wrapped')).toBeGreaterThan(0);
    expect(Math.max(...all.map((r) => r.maxHeight))).toBeGreaterThanOrEqual(2);
  });

  test('keys 0..40: empty tree, a lone root entry at 0, one leaf, and back', () => {
    const all = runSeeds([7, 8, 9, 10], { ops: 400, space: TINY });
    expect(total(all, 'EBUSY')).toBeGreaterThan(20);
  });

  test('keys 0..500 with numeric entries', () => {
    const all = runSeeds([11, 12], { ops: 600, space: SMALL, entries: 'number' });
    expect(total(all, 'allocs')).toBeGreaterThan(100);
  });

  test('keys 0..2^40: large sizes and windows', () => {
    const all = runSeeds([21, 22, 23], { ops: 800, space: LARGE, every: 4 });
    expect(total(all, 'allocs')).toBeGreaterThan(300);
  });

  test('keys near 0, 2^53 and 2^64: bigint results, gaps reaching ULONG_MAX, cyclic wrap past ULONG_MAX', () => {
    const all = runSeeds([31, 32, 33, 34], { ops: 700, space: EDGES, every: 2 });
    expect(total(all, 'allocs')).toBeGreaterThan(300);
    expect(total(all, 'wrapped')).toBeGreaterThan(0);
  });

  test('keys 0..20000: dense tall trees, stores and erases spanning many leaves', () => {
    const all = runSeeds([35, 36], { ops: 1500, space: DENSE, weights: GROWING, every: 10 });
    expect(Math.max(...all.map((r) => r.maxHeight))).toBeGreaterThanOrEqual(3);
    expect(total(all, 'EBUSY')).toBeGreaterThan(0);
  });

  test('height 4 and more: thousands of allocated ranges, gaps checked after every step', () => {
    const all = runSeeds([41], { ops: 4000, space: LARGE, weights: GROWING, every: 40 });
    const [r] = all;
    console.log(`height run: ${r.maxRanges} ranges at most, height ${r.maxHeight}, ${r.allocs} allocations`);
    expect(r.maxHeight).toBeGreaterThanOrEqual(4);
  });
});

describe('differential under fault injection: a failed write changes nothing', () => {
  test('failRate: random allocation failures', () => {
    const all = [
      ...runSeeds([51, 52], { ops: 600, space: SMALL, faults: 'rate' }),
      ...runSeeds([53], { ops: 600, space: LARGE, faults: 'rate', every: 3 }),
      ...runSeeds([54], { ops: 500, space: EDGES, faults: 'rate', every: 2 }),
    ];
    expect(total(all, 'ENOMEM')).toBeGreaterThan(30);
    expect(total(all, 'allocs')).toBeGreaterThan(300);
  });

  test('failAfter: every allocation from the n-th on fails until disarmed', () => {
    const all = [
      ...runSeeds([61, 62], { ops: 600, space: SMALL, faults: 'after' }),
      ...runSeeds([63], { ops: 600, space: LARGE, faults: 'after', every: 3 }),
    ];
    expect(total(all, 'ENOMEM')).toBeGreaterThan(20);
  });

  test('nonKernelBudget: only nowait writes may fail, kernel ones fall back and succeed', () => {
    const all = [
      ...runSeeds([71, 72], { ops: 600, space: SMALL, faults: 'budget' }),
      ...runSeeds([73], { ops: 600, space: LARGE, faults: 'budget', every: 3 }),
    ];
    expect(total(all, 'ENOMEM')).toBeGreaterThan(10);
  });

  test('a tall tree under failRate', () => {
    const [r] = runSeeds([81], { ops: 2500, space: LARGE, weights: GROWING, faults: 'rate', every: 25 });
    expect(r.maxHeight).toBeGreaterThanOrEqual(3);
    expect(r.ENOMEM).toBeGreaterThan(30);
  });
});

/** emptyArea / emptyAreaRev as the model answers: the start as a bigint, or the error code. */
function searchTree(mas: MaState<unknown>, forward: boolean, min: bigint, max: bigint, size: bigint): Found {
  try {
    const r = forward ? mas.emptyArea(arg(min), arg(max), arg(size)) : mas.emptyAreaRev(arg(min), arg(max), arg(size));
    return checkIndexType(r, 'start');
  } catch (e) {
    if (e instanceof MapleError && (e.code === 'EBUSY' || e.code === 'EINVAL')) return e.code;
    throw e;
  }
}

/** A random alloc tree of n allocations with erased holes, and its model. */
function randomAllocTree(seed: number, n: number): { mt: MapleTree<string>; model: Model<string>; rng: Rng } {
  const rng = mulberry32(seed);
  const mt = new MapleTree<string>({ pool: new NodePool(), allocRange: true });
  const model = new Model<string>();
  for (let i = 0; i < n; i++) {
    const size = BigInt(1 + rng.int(20));
    const e = `a${i}`;
    const at = BigInt(mt.allocRange(arg(size), e, rng.int(50_000)));
    model.store(at, at + size - 1n, e);
    if (rng.chance(0.3)) {
      const r = model.ranges[rng.int(model.size)];
      expect(mt.erase(arg(r.first))).toBe(r.entry);
      model.erase(r.first);
    }
  }
  mt.validate();
  expectSame(mt, model);
  return { mt, model, rng };
}

describe('the dump-based gap check', () => {
  test('accepts a real alloc tree and rejects one wrong recorded gap, a range_64 internal node, an underfull node', () => {
    const { mt } = randomAllocTree(94, 600);
    expect(checkAllocShape(mt as MapleTree<unknown>)).toBeGreaterThanOrEqual(2);
    const dump = mt.dump();
    const fake = (text: string): MapleTree<unknown> => ({ dump: () => text, height: mt.height }) as unknown as MapleTree<unknown>;
    const lines = dump.split('\n');
    const g = lines.findIndex((l) => /^\s*gap \d+$/.test(l));
    const wrongGap = [...lines];
    wrongGap[g] = wrongGap[g].replace(/gap (\d+)/, (_, n: string) => `gap ${BigInt(n) + 1n}`);
    expect(() => checkAllocShape(fake(wrongGap.join('\n')))).toThrow(/gap recorded/);
    expect(() => checkAllocShape(fake(dump.replace('arange_64', 'range_64')))).toThrow(/not arange_64/);
    const inner = lines.findIndex((l, i) => i > 1 && / arange_64 .* end \d+$/.test(l));
    const underfull = [...lines];
    underfull[inner] = underfull[inner].replace(/end \d+$/, 'end 3');
    expect(() => checkAllocShape(fake(underfull.join('\n')))).toThrow(/occupancy/);
  });
});

describe('other paths keep the gaps exact', () => {
  test('mt_dup of an alloc tree: the copy is an alloc tree with the same gaps, and independent', () => {
    const { mt, model, rng } = randomAllocTree(91, 3000);
    const copy = mt.dup();
    expect(copy.isAlloc).toBe(true);
    copy.validate();
    expect(checkAllocShape(copy as MapleTree<unknown>)).toBe(checkAllocShape(mt as MapleTree<unknown>));
    expect(copy.height).toBeGreaterThanOrEqual(3);
    expect(copy.dump().replace(/0x[0-9a-f]+/g, '')).toBe(mt.dump().replace(/0x[0-9a-f]+/g, ''));
    expectSame(copy, model);
    // both answer every search the same, as the model does
    const a = new MaState(mt, 0);
    const b = new MaState(copy, 0);
    for (let i = 0; i < 300; i++) {
      const min = BigInt(rng.int(60_000));
      const size = BigInt(1 + rng.int(40));
      const fwd = rng.chance(0.5);
      const want = modelEmptyArea(model, min, ULONG, size, fwd);
      expect(searchTree(a as MaState<unknown>, fwd, min, ULONG, size)).toBe(want);
      expect(searchTree(b as MaState<unknown>, fwd, min, ULONG, size)).toBe(want);
    }
    // allocations in the copy do not touch the original
    const copyModel = model.clone();
    for (let i = 0; i < 500; i++) {
      const size = BigInt(1 + rng.int(8));
      const at = BigInt(copy.allocRange(arg(size), `c${i}`));
      copyModel.store(at, at + size - 1n, `c${i}`);
    }
    copy.validate();
    checkAllocShape(copy as MapleTree<unknown>);
    expectSame(copy, copyModel);
    mt.validate();
    expectSame(mt, model);
  });

  test('mt_dup of an alloc tree under failAfter(k): ENOMEM leaves no copy and the source intact', () => {
    const { mt, model } = randomAllocTree(92, 800);
    const nodes = mt.pool.stats().nodesInUse;
    let failures = 0;
    for (let k = 0; k < mt.nodeCount + 2; k += 7) {
      mt.pool.faults.failAfter(k);
      try {
        const copy = mt.dup();
        mt.pool.faults.off();
        copy.validate();
        checkAllocShape(copy as MapleTree<unknown>);
        copy.free();
      } catch (e) {
        mt.pool.faults.off();
        expect((e as MapleError).code).toBe('ENOMEM');
        failures++;
      }
      expect(mt.pool.stats().nodesInUse).toBe(nodes);
      mt.validate();
    }
    expect(failures).toBeGreaterThan(5);
    expectSame(mt, model);
  });

  test('mas_expected_entries bulk load of an alloc tree ends with exact gaps (16, 17, 1000, 5000 ranges)', () => {
    for (const n of [1, 16, 17, 1000, 5000]) {
      const mt = new MapleTree<number>({ pool: new NodePool(), allocRange: true, entries: 'number' });
      const mas = new MaState(mt, 0);
      mas.expectedEntries(n);
      const model = new Model<number>();
      for (let i = 0; i < n; i++) {
        const [a, b] = [BigInt(10 * i), BigInt(10 * i + 4 + (i % 3))];
        mas.setRange(arg(a), arg(b));
        mas.store(i);
        model.store(a, b, i);
      }
      mas.destroy();
      mt.validate();
      checkAllocShape(mt as MapleTree<unknown>);
      expectSame(mt, model);
      for (const size of [3n, 4n, 5n, 6n]) {
        for (const fwd of [true, false]) {
          const hi = BigInt(10 * n);
          expect(searchTree(mas as MaState<unknown>, fwd, 0n, hi, size)).toBe(modelEmptyArea(model, 0n, hi, size, fwd));
        }
      }
    }
  });

  test('mas_preallocate + mas_store_prealloc on an alloc tree keep every gap exact', () => {
    const { mt, model, rng } = randomAllocTree(93, 1500);
    const pool = mt.pool;
    const mas = new MaState(mt, 0);
    for (let i = 0; i < 1500; i++) {
      // any range: entries, NULL (opening gaps), ranges spanning nodes
      const first = BigInt(rng.int(60_000));
      const last = first + BigInt(rng.chance(0.1) ? rng.int(3000) : rng.int(30));
      const e = rng.chance(0.35) ? null : `p${i}`;
      mas.setRange(arg(first), arg(last));
      mas.preallocate(e);
      const allocations = pool.stats().allocations;
      mas.storePrealloc(e);
      expect(pool.stats().allocations).toBe(allocations);
      expect(mas.allocated).toBe(0);
      model.store(first, last, e);
      mt.validate();
      if (i % 25 === 0) {
        checkAllocShape(mt as MapleTree<unknown>);
        expectSame(mt, model);
      }
      // and the search agrees right after
      const size = BigInt(1 + rng.int(30));
      const lo = first > 100n ? first - 100n : 0n;
      const fwd = rng.chance(0.5);
      const hi = fwd ? ULONG : last + 100n;
      expect(searchTree(mas, fwd, lo, hi, size)).toBe(modelEmptyArea(model, lo, hi, size, fwd));
    }
    checkAllocShape(mt as MapleTree<unknown>);
    expectSame(mt, model);
  });
});

// ALLOC_SOAK=<n> npx vitest run test/alloc-range.test.ts: n more seeds over every space and
// fault mode (not part of the normal run).
const SOAK = Number(process.env.ALLOC_SOAK ?? 0);
if (SOAK > 0) {
  describe('soak', () => {
    const spaces = [TINY, SMALL, LARGE, EDGES, DENSE];
    const modes: Faults[] = ['none', 'rate', 'after', 'budget'];
    test(`${SOAK} seeds`, () => {
      for (let seed = 1000; seed < 1000 + SOAK; seed++) {
        const space = spaces[seed % spaces.length];
        const faults = modes[Math.floor(seed / spaces.length) % modes.length];
        new Run({ seed, ops: 1500, space, faults, weights: seed % 3 === 0 ? GROWING : MIXED,
          entries: seed % 5 === 0 ? 'number' : 'object', every: space === LARGE || space === DENSE ? 5 : 1 }).run();
      }
    }, 3_600_000);
  });
}
