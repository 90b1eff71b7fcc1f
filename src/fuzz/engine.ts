// Allocation-failure fuzz engine for maple-wasm.
//
// A run drives one tree (and, after a dup, a second tree in the same pool) with random
// operations: the normal API's store/storeRange/insert/insertRange/erase, MaState store (with
// an optional mas_nomem retry) and erase, preallocate + storePrealloc pairs, expectedEntries bulk
// loads, dup and destroy, over small (0..300), large (0..2^40) and top-of-range (near 2^64)
// keys, while fault operations arm failNth, failAfter, failRate, nonKernelBudget or nothing.
//
// After every operation: the outcome agrees with the reference model (a failed operation
// changes nothing; one that succeeds does what the model does), an ENOMEM only happens where the
// armed faults allow it, every tree validates, and the pool's accounting is exact
// (nodesInUse === treeNodes() + nodesReserved, nothing left reserved).
//
// Operations are plain JSON (keys as decimal strings), so a failure is replayable: the thrown
// FuzzFailure carries the seed and the (shrunk) operation list.

import { MapleTree, MaState, NodePool, MapleError } from '../index';
import { core } from '../wasm';
import { FuzzModel, MAX } from './model';

export type Gfp = 'kernel' | 'nowait';
export type FaultMode = 'off' | 'nth' | 'after' | 'rate' | 'budget';
export const FAULT_MODES: FaultMode[] = ['nth', 'after', 'rate', 'budget', 'off'];
export type Entries = 'number' | 'object';

export type Op =
  | { t: 'fault'; m: FaultMode; n?: number; p?: number; s?: number }
  | { t: 'store'; tr: 0 | 1; api: 'store' | 'storeRange' | 'insert' | 'insertRange' | 'mas' | 'masNomem';
      a: string; b: string; e: number | null; g?: Gfp }
  | { t: 'erase'; tr: 0 | 1; api: 'mt' | 'mas'; i: string; g?: Gfp }
  | { t: 'pre'; tr: 0 | 1; a: string; b: string; e: number | null; g?: Gfp }
  | { t: 'bulk'; tr: 0 | 1; a: string; n: number; step: string; len: string; e: number; g?: Gfp }
  | { t: 'dup' }
  | { t: 'destroy'; tr: 0 | 1 };

export interface RunConfig {
  entries: Entries;
  /** Reported in failures only. */
  seed?: number;
}

export interface RunResult {
  ops: number;
  /** Allocations asked of the pool during the run. */
  asked: number;
  /** Allocations the fault controls failed. */
  failedAllocs: number;
  /** Operations that ended in ENOMEM. */
  enomem: number;
  /** Largest tree height and range count seen. */
  maxHeight: number;
  maxRanges: number;
  /** Write type of the last allocation the faults failed, if any. */
  lastFailureType?: string;
}

/** A check that failed, at operation `at` of `ops`. */
export class FuzzFailure extends Error {
  constructor(message: string, readonly ops: Op[], readonly at: number, readonly kind: string,
              readonly seed?: number, readonly entries?: Entries) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

class CheckError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}

function fail(kind: string, message: string): never {
  throw new CheckError(kind, `${kind}: ${message}`);
}

// ── random numbers ──────────────────────────────────────────────────────────

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ── helpers ─────────────────────────────────────────────────────────────────

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const idx = (x: bigint): number | bigint => (x <= SAFE ? Number(x) : x);
const big = (s: string): bigint => BigInt(s);

function isEnomem(e: unknown): boolean {
  return e instanceof MapleError && e.code === 'ENOMEM';
}

function stringify(ops: Op[]): string {
  return JSON.stringify(ops);
}

/** Fault counters of the core not exposed by FaultControls: 7 = countdown of nth/after. */
function faultCountdown(pool: NodePool): number {
  return core.poolFaultStat(pool.ptr, 7);
}

// ── one run ─────────────────────────────────────────────────────────────────

interface FaultState {
  mode: 'off' | 'nth' | 'after' | 'rate';
  p: number;
  s: number;
  budget: boolean;
}

/** Executes operations on a pool, a tree (and maybe a second one) and their models. */
export class Runner {
  readonly pool: NodePool;
  readonly trees: (MapleTree<unknown> | null)[] = [null, null];
  readonly models: (FuzzModel<unknown> | null)[] = [null, null];
  readonly faults: FaultState = { mode: 'off', p: 0, s: 0, budget: false };
  enomem = 0;
  maxHeight = 0;
  maxRanges = 0;
  readonly askedAtStart: number;
  readonly failedAtStart: number;

  constructor(readonly cfg: RunConfig, pool?: NodePool) {
    this.pool = pool ?? new NodePool();
    this.pool.faults.off();
    const st = this.pool.faults.stats();
    this.askedAtStart = st.asked;
    this.failedAtStart = st.failed;
    if (this.pool.stats().nodesInUse !== 0) throw new Error('Runner: pool must be empty');
    this.trees[0] = new MapleTree({ pool: this.pool, entries: cfg.entries });
    this.models[0] = new FuzzModel();
  }

  value(e: number | null): unknown {
    if (e === null) return null;
    return this.cfg.entries === 'number' ? e : `v${e}`;
  }

  /** Whether the armed faults may make an allocation with gfp fail (fallback: 'nowait' first, then gfp). */
  mayFail(g: Gfp | undefined, fallback: boolean): boolean {
    const f = this.faults;
    const gfp = g ?? 'kernel';
    if (f.mode === 'after' || f.mode === 'rate') return true;
    if (f.mode === 'nth' && (gfp === 'nowait' || !fallback)) return true;
    // Both armed: the budget fails the 'nowait' try, the fallback can then meet the n-th failure.
    if (f.mode === 'nth' && f.budget) return true;
    if (f.budget && gfp === 'nowait') return true;
    return false;
  }

  #failed(e: unknown, g: Gfp | undefined, fallback: boolean, what: string, inUseBefore: number): void {
    if (!isEnomem(e)) throw e;
    this.enomem++;
    if (!this.mayFail(g, fallback)) {
      fail('unexpected ENOMEM', `${what} failed with ENOMEM although the armed faults (${JSON.stringify(this.faults)}) cannot fail it`);
    }
    if (this.pool.faults.stats().lastFailure === null) fail('ENOMEM without a fault', `${what}`);
    const inUse = this.pool.stats().nodesInUse;
    if (inUse !== inUseBefore) {
      fail('leak on ENOMEM', `${what} failed but nodesInUse went ${inUseBefore} -> ${inUse}`);
    }
  }

  setFaults(op: Extract<Op, { t: 'fault' }>): void {
    const fc = this.pool.faults;
    const f = this.faults;
    switch (op.m) {
      case 'off': fc.off(); f.mode = 'off'; f.budget = false; break;
      case 'nth': fc.failNth(op.n ?? 1); f.mode = 'nth'; break;
      case 'after': fc.failAfter(op.n ?? 0); f.mode = 'after'; break;
      case 'rate': fc.failRate(op.p ?? 0.1, op.s ?? 1); f.mode = 'rate'; f.p = op.p ?? 0.1; f.s = op.s ?? 1; break;
      case 'budget': fc.nonKernelBudget(op.n ?? 0); f.budget = true; break;
    }
  }

  exec(op: Op): void {
    switch (op.t) {
      case 'fault': this.setFaults(op); return;
      case 'store': return this.#store(op);
      case 'erase': return this.#erase(op);
      case 'pre': return this.#pre(op);
      case 'bulk': return this.#bulk(op);
      case 'dup': return this.#dup();
      case 'destroy': {
        const mt = this.trees[op.tr];
        if (!mt) return;
        mt.destroy();
        this.models[op.tr] = new FuzzModel();
        return;
      }
    }
  }

  #store(op: Extract<Op, { t: 'store' }>): void {
    const mt = this.trees[op.tr];
    const model = this.models[op.tr];
    if (!mt || !model) return;
    const a = big(op.a);
    const b = big(op.b);
    const v = this.value(op.e);
    const before = this.pool.stats().nodesInUse;
    const what = `${op.api}[${op.a}, ${op.b}]`;
    if (op.api === 'mas' || op.api === 'masNomem') {
      const mas = new MaState(mt, idx(a), idx(b));
      try {
        try {
          mas.store(v, op.g);
        } catch (e) {
          this.#failed(e, op.g, true, what, before);
          if (mas.status !== 'error') fail('state after ENOMEM', `${what}: status ${mas.status}, expected 'error'`);
          if (mas.allocated !== 0) fail('reserve after ENOMEM', `${what}: ${mas.allocated} nodes still reserved`);
          if (op.api === 'masNomem') this.#nomemRetry(mas, op, what, before);
          return;
        }
        if (mas.allocated !== 0) fail('reserve after store', `${what}: ${mas.allocated} nodes still reserved`);
        model.store(a, b, v);
      } finally {
        mas.free();
      }
      return;
    }
    const insert = op.api === 'insert' || op.api === 'insertRange';
    try {
      switch (op.api) {
        case 'store': mt.store(idx(a), v, op.g); break;
        case 'storeRange': mt.storeRange(idx(a), idx(b), v, op.g); break;
        case 'insert': mt.insert(idx(a), v, op.g); break;
        case 'insertRange': mt.insertRange(idx(a), idx(b), v, op.g); break;
      }
    } catch (e) {
      if (insert && e instanceof MapleError && e.code === 'EEXIST') {
        if (!model.overlaps(a, b)) fail('wrong EEXIST', `${what}: EEXIST but the range is empty in the model`);
        if (this.pool.stats().nodesInUse !== before) fail('leak on EEXIST', what);
        return;
      }
      this.#failed(e, op.g, true, what, before);
      return;
    }
    if (insert && model.overlaps(a, b)) fail('missing EEXIST', `${what} succeeded over an occupied range`);
    model.store(a, b, v);
  }

  /** mas_nomem after a failed store: reserve the shortfall; if it worked the retry cannot fail. */
  #nomemRetry(mas: MaState<unknown>, op: Extract<Op, { t: 'store' }>, what: string, before: number): void {
    const model = this.models[op.tr]!;
    const v = this.value(op.e);
    let ok: boolean;
    const inUse = this.pool.stats().nodesInUse;
    ok = mas.nomem(op.g);
    if (!ok) {
      if (mas.allocated !== 0) fail('reserve after failed nomem', `${what}: ${mas.allocated} reserved`);
      if (this.pool.stats().nodesInUse !== inUse) fail('leak on failed nomem', what);
      return;
    }
    if (mas.allocated === 0) fail('nomem reserved nothing', `${what}: nomem returned true with an empty reserve`);
    const askedBefore = this.pool.faults.stats().asked;
    try {
      mas.store(v, op.g);
    } catch (e) {
      fail('retry after nomem failed', `${what}: ${(e as Error).message}`);
    }
    if (this.pool.faults.stats().asked !== askedBefore) fail('retry after nomem allocated', what);
    if (mas.allocated !== 0) fail('reserve after retry', `${what}: ${mas.allocated} nodes still reserved`);
    void before;
    model.store(big(op.a), big(op.b), v);
  }

  #erase(op: Extract<Op, { t: 'erase' }>): void {
    const mt = this.trees[op.tr];
    const model = this.models[op.tr];
    if (!mt || !model) return;
    const i = big(op.i);
    const before = this.pool.stats().nodesInUse;
    const what = `erase(${op.api}, ${op.i})`;
    let got: unknown;
    if (op.api === 'mas') {
      const mas = new MaState(mt, idx(i));
      try {
        got = mas.erase(op.g);
      } catch (e) {
        this.#failed(e, op.g, true, what, before);
        if (mas.status !== 'error') fail('state after ENOMEM', `${what}: status ${mas.status}`);
        if (mas.allocated !== 0) fail('reserve after ENOMEM', `${what}: ${mas.allocated} reserved`);
        return;
      } finally {
        mas.free();
      }
    } else {
      try {
        got = mt.erase(idx(i));
      } catch (e) {
        this.#failed(e, undefined, true, what, before);
        return;
      }
    }
    const want = model.erase(i);
    if (got !== want) fail('erase result', `${what} returned ${String(got)}, model ${String(want)}`);
  }

  #pre(op: Extract<Op, { t: 'pre' }>): void {
    const mt = this.trees[op.tr];
    const model = this.models[op.tr];
    if (!mt || !model) return;
    const a = big(op.a);
    const b = big(op.b);
    const v = this.value(op.e);
    const what = `preallocate[${op.a}, ${op.b}]`;
    const before = this.pool.stats().nodesInUse;
    const mas = new MaState(mt, idx(a), idx(b));
    try {
      try {
        mas.preallocate(v, op.g);
      } catch (e) {
        this.#failed(e, op.g, true, what, before);
        if (mas.allocated !== 0) fail('reserve after ENOMEM', `${what}: ${mas.allocated} reserved`);
        return;
      }
      const req = mas.lastRequest;
      if (mas.allocated !== req) fail('reserve size', `${what}: reserved ${mas.allocated}, requested ${req}`);
      if (this.pool.stats().nodesReserved !== req) fail('pool reserve count', `${what}: pool says ${this.pool.stats().nodesReserved} reserved, request ${req}`);
      // Any allocation from here on fails: the store must come from the reserve alone.
      const countdown = faultCountdown(this.pool);
      const askedBefore = this.pool.faults.stats().asked;
      this.pool.faults.failAfter(0);
      try {
        mas.storePrealloc(v);
      } catch (e) {
        fail('storePrealloc failed', `${what}: request ${req}: ${(e as Error).message}`);
      } finally {
        this.#restoreFaults(countdown, a);
      }
      if (this.pool.faults.stats().asked !== askedBefore) fail('storePrealloc allocated', what);
      if (mas.allocated !== 0) fail('reserve after storePrealloc', `${what}: ${mas.allocated} still reserved`);
      model.store(a, b, v);
    } finally {
      mas.free();
    }
  }

  #restoreFaults(countdown: number, salt: bigint): void {
    const f = this.faults;
    switch (f.mode) {
      case 'off':
        core.poolFaults(this.pool.ptr, 0, 0, 0, 0); // the mode only: a budget stays armed
        break;
      case 'nth':
        if (countdown > 0) this.pool.faults.failNth(countdown);
        else core.poolFaults(this.pool.ptr, 0, 0, 0, 0); // it fired already
        break;
      case 'after':
        this.pool.faults.failAfter(countdown);
        break;
      case 'rate':
        f.s = (Math.imul(f.s, 31) + Number(salt & 0xffffn)) >>> 0;
        this.pool.faults.failRate(f.p, f.s);
        break;
    }
  }

  #bulk(op: Extract<Op, { t: 'bulk' }>): void {
    const mt = this.trees[op.tr];
    const model = this.models[op.tr];
    if (!mt || !model) return;
    const a = big(op.a);
    const step = big(op.step);
    const len = big(op.len);
    const what = `expectedEntries(${op.n}) at ${op.a}`;
    const before = this.pool.stats().nodesInUse;
    const mas = new MaState(mt, idx(a));
    try {
      try {
        mas.expectedEntries(op.n, op.g);
      } catch (e) {
        this.#failed(e, op.g, true, what, before);
        if (mas.allocated !== 0) fail('reserve after ENOMEM', `${what}: ${mas.allocated} reserved`);
        return;
      }
      for (let k = 0; k < op.n; k++) {
        const first = a + BigInt(k) * step;
        const last = first + len - 1n;
        if (last > MAX) break;
        mas.setRange(idx(first), idx(last));
        const v = this.value(op.e + k);
        const inUse = this.pool.stats().nodesInUse;
        const reserved = mas.allocated;
        try {
          mas.store(v, op.g);
        } catch (e) {
          // A failed store empties the reserve, so nodesInUse drops by what was reserved.
          this.#failed(e, op.g, true, `${what}: store ${k}`, inUse - reserved);
          break;
        }
        model.store(first, last, v);
      }
      mas.destroy();
      if (mas.allocated !== 0) fail('reserve after destroy', `${what}: ${mas.allocated} reserved`);
    } finally {
      mas.free();
    }
  }

  #dup(): void {
    const src = this.trees[0]!;
    if (this.trees[1]) {
      this.trees[1].free();
      this.trees[1] = null;
      this.models[1] = null;
    }
    const before = this.pool.stats().nodesInUse;
    try {
      this.trees[1] = src.dup();
    } catch (e) {
      this.#failed(e, 'kernel', false, 'dup', before);
      return;
    }
    this.models[1] = this.models[0]!.clone();
  }

  /** Every invariant, for every tree. */
  check(): void {
    for (let k = 0; k < 2; k++) {
      const mt = this.trees[k];
      const model = this.models[k];
      if (!mt || !model) continue;
      try {
        mt.validate();
      } catch (e) {
        fail('validate', `tree ${k}: ${(e as Error).message}`);
      }
      let n = 0;
      const rs = model.ranges;
      for (const { index, last, entry } of mt.entries()) {
        const r = rs[n];
        if (r === undefined || BigInt(index) !== r.first || BigInt(last) !== r.last || entry !== r.entry) {
          fail('content', `tree ${k}: range #${n} is [${index}, ${last}] = ${String(entry)}, model ` +
            (r ? `[${r.first}, ${r.last}] = ${String(r.entry)}` : 'has no more ranges'));
        }
        n++;
      }
      if (n !== rs.length) fail('content', `tree ${k}: ${n} ranges, model ${rs.length}`);
      if (mt.height > this.maxHeight) this.maxHeight = mt.height;
      if (n > this.maxRanges) this.maxRanges = n;
    }
    const st = this.pool.stats();
    if (st.nodesReserved !== 0) fail('accounting', `${st.nodesReserved} nodes left reserved after the operation`);
    const inTrees = this.pool.treeNodes();
    if (st.nodesInUse !== inTrees + st.nodesReserved) {
      fail('accounting', `nodesInUse ${st.nodesInUse} != treeNodes ${inTrees} + reserved ${st.nodesReserved}`);
    }
  }

  /** Free the trees; every node must be back in the pool. */
  finish(): RunResult & { clean: boolean } {
    this.pool.faults.off();
    const fs = this.pool.faults.stats();
    for (let k = 0; k < 2; k++) {
      this.trees[k]?.free();
      this.trees[k] = null;
    }
    const st = this.pool.stats();
    if (st.nodesInUse !== 0) fail('leak', `${st.nodesInUse} nodes in use after freeing every tree`);
    return { ops: 0, asked: fs.asked - this.askedAtStart, failedAllocs: fs.failed - this.failedAtStart,
      lastFailureType: fs.lastFailure?.writeType, enomem: this.enomem, maxHeight: this.maxHeight, maxRanges: this.maxRanges, clean: true };
  }
}

// A pool reused across runs while they end cleanly (pools are never given back, so a fresh
// pool per run would grow linear memory without bound in long fuzz sessions).
let spare: NodePool | undefined;

function takePool(): NodePool {
  const p = spare ?? new NodePool();
  spare = undefined;
  return p;
}

/** Run a fixed operation list; throws CheckError/Error (not wrapped) with `at` attached. */
function runRaw(ops: Op[], cfg: RunConfig): RunResult {
  const runner = new Runner(cfg, takePool());
  let i = 0;
  try {
    for (; i < ops.length; i++) {
      runner.exec(ops[i]);
      runner.check();
    }
    const r = runner.finish();
    spare = runner.pool;
    return { ...r, ops: ops.length };
  } catch (e) {
    (e as { at?: number }).at = i;
    throw e;
  }
}

function kindOf(e: unknown): string {
  if (e instanceof CheckError) return e.kind;
  const m = (e as Error)?.message ?? String(e);
  if (m.includes('core assertion')) return 'core assertion: ' + m.replace(/\(.*$/, '');
  return 'exception: ' + m.slice(0, 60);
}

/** Delta-debug ops down while a failure of the same kind reproduces. */
export function shrink(ops: Op[], cfg: RunConfig, kind: string, budgetMs: number): Op[] {
  const deadline = Date.now() + budgetMs;
  const fails = (cand: Op[]): number => {
    try {
      runRaw(cand, cfg);
      return -1;
    } catch (e) {
      return kindOf(e) === kind ? ((e as { at?: number }).at ?? cand.length - 1) : -1;
    }
  };
  let cur = ops;
  let chunk = Math.max(1, Math.floor(cur.length / 2));
  while (chunk >= 1 && Date.now() < deadline) {
    let removed = false;
    for (let i = 0; i < cur.length && Date.now() < deadline;) {
      const cand = cur.slice(0, i).concat(cur.slice(i + chunk));
      const at = fails(cand);
      if (at >= 0) {
        cur = cand.slice(0, at + 1);
        removed = true;
      } else {
        i += chunk;
      }
    }
    if (!removed) {
      if (chunk === 1) break;
      chunk = Math.floor(chunk / 2);
    }
  }
  return cur;
}

function failure(e: unknown, ops: Op[], cfg: RunConfig, shrinkMs: number, header: string): FuzzFailure {
  const at = (e as { at?: number }).at ?? ops.length - 1;
  const kind = kindOf(e);
  const upto = ops.slice(0, at + 1);
  spare = undefined; // the pool may be in any state
  let small = upto;
  if (shrinkMs > 0) {
    try {
      small = shrink(upto, cfg, kind, shrinkMs);
    } catch {
      small = upto;
    }
    spare = undefined;
  }
  const msg = `${header} (seed ${cfg.seed ?? '-'}, entries '${cfg.entries}'): failed at op ${at} of ${ops.length}: ` +
    `${(e as Error)?.message ?? String(e)}\n` +
    `shrunk to ${small.length} ops; replay with: npm run fuzz -- --entries ${cfg.entries} --replay '${stringify(small)}'\n` +
    `ops: ${stringify(small)}`;
  return new FuzzFailure(msg, small, at, kind, cfg.seed, cfg.entries);
}

/** Run a fixed op list, checking after every op; throws FuzzFailure (shrunk) on failure. */
export function replay(ops: Op[], cfg: RunConfig, shrinkMs = 0): RunResult {
  try {
    return runRaw(ops, cfg);
  } catch (e) {
    throw failure(e, ops, cfg, shrinkMs, 'maple fuzz replay');
  }
}

// ── generation ──────────────────────────────────────────────────────────────

export interface FuzzOptions {
  seed: number;
  ops: number;
  /** The fault mode this seed mostly arms (default: cycles with the seed). */
  mode?: FaultMode;
  entries?: Entries;
  /** Emit fault operations at all (false: a fault-free sequence, e.g. for exhaustive mode). */
  faults?: boolean;
  /** Time allowed for shrinking a failure (ms). */
  shrinkMs?: number;
  /** Let the trees grow to thousands of ranges (height 4 and more); slower per op. */
  tall?: boolean;
  /**
   * Deep: first grow tree 0 with fault-free bulk loads until it is DEEP_HEIGHT (5) levels tall,
   * and only then start the random operations and failures, which then meet spanning stores
   * and rebalances across many levels. The growth ops count towards `ops`.
   */
  deep?: boolean;
  /**
   * Stop generating once Date.now() reaches this (checked every 64 operations): the run ends
   * early, checked as far as it went, with `stopped` set.
   */
  deadline?: number;
}

/** Height a deep run grows its tree to before the failures start. */
export const DEEP_HEIGHT = 5;

export function defaultMode(seed: number): FaultMode {
  return FAULT_MODES[((seed % 5) + 5) % 5];
}

class Generator {
  readonly rnd: () => number;
  constructor(readonly opts: Required<Omit<FuzzOptions, 'shrinkMs' | 'deadline'>>) {
    this.rnd = mulberry32(opts.seed * 2654435761 + 17);
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  bigBelow(n: bigint): bigint {
    // uniform enough for fuzzing: 53 random bits scaled
    const hi = BigInt(Math.floor(this.rnd() * 2 ** 26));
    const lo = BigInt(Math.floor(this.rnd() * 2 ** 26));
    return ((hi << 26n) | lo) % n;
  }

  /** A [first, last] range in one of the key spaces. */
  range(): [bigint, bigint] {
    const r = this.rnd();
    if (r < 0.04) {
      // the edge of the key space, where a lone entry at 0 lives in the root pointer
      const a = BigInt(this.int(3));
      return [a, a + BigInt(this.chance(0.6) ? 0 : this.int(4))];
    }
    if (r < 0.55) {
      const a = BigInt(this.int(301));
      const len = this.chance(0.3) ? 0 : this.chance(0.8) ? this.int(12) : this.int(120);
      const b = a + BigInt(len);
      return [a, b > 300n ? 300n : b];
    }
    if (r < 0.85) {
      const a = this.bigBelow(1n << 40n);
      const len = this.chance(0.2) ? 0n : this.chance(0.8) ? this.bigBelow(1n << 20n) : this.bigBelow(1n << 36n);
      const b = a + len;
      return [a, b >= 1n << 40n ? (1n << 40n) - 1n : b];
    }
    const a = MAX - BigInt(this.int(2000));
    const b = a + BigInt(this.chance(0.3) ? 0 : this.int(500));
    return [a, b > MAX ? MAX : b];
  }

  gfp(): Gfp | undefined {
    const r = this.rnd();
    return r < 0.15 ? 'nowait' : r < 0.25 ? 'kernel' : undefined;
  }

  fault(): Op {
    const m = this.chance(0.6) ? this.opts.mode : FAULT_MODES[this.int(5)];
    switch (m) {
      case 'nth': return { t: 'fault', m, n: 1 + this.int(12) };
      case 'after': return { t: 'fault', m, n: this.int(25) };
      case 'rate': return { t: 'fault', m, p: [0.02, 0.1, 0.3, 0.6][this.int(4)], s: this.int(1 << 30) };
      case 'budget': return { t: 'fault', m, n: this.int(8) };
      default: return { t: 'fault', m: 'off' };
    }
  }

  /** A key inside an existing range of the model (or anywhere). */
  existingKey(model: FuzzModel<unknown>): bigint {
    if (model.size === 0 || this.chance(0.2)) return this.range()[0];
    const r = model.ranges[this.int(model.size)];
    return r.first + this.bigBelow(r.last - r.first + 1n);
  }

  next(run: Runner, count: number): Op {
    const o = this.opts;
    if (o.faults && (count === 0 || this.chance(1 / 25))) return this.fault();
    const tr: 0 | 1 = run.trees[1] && this.chance(0.25) ? 1 : 0;
    const model = run.models[tr]!;
    const e = this.int(1000);
    const g = this.gfp();
    const cap = o.deep ? 1e9 : o.tall ? 3000 : 350;
    const big = model.size > cap;
    if (model.size > 2 * cap && this.chance(0.3)) return { t: 'destroy', tr };
    if (o.tall && !big && this.chance(0.05)) {
      // grow: a long ascending bulk load in the large key space
      const step = 1n + this.bigBelow(1n << 16n);
      return { t: 'bulk', tr, a: String(this.bigBelow(1n << 40n)), n: 200 + this.int(1500), step: String(step), len: String(1n + this.bigBelow(step)), e };
    }
    const r = this.rnd();
    if (r < (big ? 0.35 : 0.15)) {
      return { t: 'erase', tr, api: this.chance(0.6) ? 'mt' : 'mas', i: String(this.existingKey(model)), ...(this.chance(0.3) && g ? { g } : {}) };
    }
    if (r < (big ? 0.5 : 0.25)) {
      // a NULL store: punch a hole or clear a stretch
      const k = this.existingKey(model);
      const len = this.chance(0.5) ? 0n : this.bigBelow(k < 1000n ? 60n : 1n << 24n);
      const b = k + len > MAX ? MAX : k + len;
      return { t: 'store', tr, api: this.chance(0.8) ? 'storeRange' : 'mas', a: String(k), b: String(b), e: null, ...(g ? { g } : {}) };
    }
    if (r < 0.37) {
      const [a, b] = this.range();
      return { t: 'pre', tr, a: String(a), b: String(b), e: this.chance(0.1) ? null : e, ...(g ? { g } : {}) };
    }
    if (r < 0.39) {
      const small = this.chance(0.6);
      const a = small ? BigInt(this.int(300)) : this.bigBelow(1n << 40n);
      const stepN = small ? 1 + this.int(12) : 1 + this.int(1 << 16);
      const step = BigInt(stepN);
      const len = 1n + this.bigBelow(step);
      const n = 1 + this.int(small ? 30 : o.tall && this.chance(0.5) ? 1500 : 60);
      return { t: 'bulk', tr, a: String(a), n, step: String(step), len: String(len), e, ...(g ? { g } : {}) };
    }
    if (r < 0.41 && run.models[0]!.size < (o.tall ? 4000 : 400)) return { t: 'dup' };
    if (r < 0.415 && !o.deep) return { t: 'destroy', tr };
    const [a, b] = this.range();
    const apis = ['store', 'storeRange', 'storeRange', 'storeRange', 'insert', 'insertRange', 'insertRange', 'mas', 'mas', 'masNomem'] as const;
    const api = apis[this.int(apis.length)];
    const one = api === 'store' || api === 'insert';
    return { t: 'store', tr, api, a: String(a), b: String(one ? a : b), e, ...(g ? { g } : {}) };
  }
}

function fullOptions(o: FuzzOptions): Required<Omit<FuzzOptions, 'shrinkMs' | 'deadline'>> {
  return {
    seed: o.seed,
    ops: o.ops,
    mode: o.mode ?? defaultMode(o.seed),
    entries: o.entries ?? (o.seed % 3 === 2 ? 'object' : 'number'),
    faults: o.faults ?? true,
    tall: o.tall ?? false,
    deep: o.deep ?? false,
  };
}

/**
 * Fuzz one seed: generate and run `ops` operations, checking after each. Returns the counters
 * and the operations; throws FuzzFailure (with the shrunk, replayable op list) on failure.
 */
export function fuzzSeed(options: FuzzOptions): RunResult & {
  list: Op[]; entries: Entries; mode: FaultMode; stopped: boolean;
  /** Deep runs: the height and ranges tree 0 had when the failures started, after how many ops. */
  grown?: { height: number; ranges: number; ops: number };
} {
  const o = fullOptions(options);
  const deadline = options.deadline ?? Infinity;
  let stopped = false;
  const cfg: RunConfig = { entries: o.entries, seed: o.seed };
  const gen = new Generator(o);
  const list: Op[] = [];
  const runner = new Runner(cfg, takePool());
  let grown: { height: number; ranges: number; ops: number } | undefined;
  try {
    if (o.deep) {
      // Growth, fault-free: interleaved ascending bulk loads into one window of the key space,
      // each into the gaps of the ones before, so nodes split all over and stay part full.
      const base = gen.bigBelow(1n << 36n);
      for (let k = 0; list.length < o.ops && (runner.trees[0]?.height ?? 0) < DEEP_HEIGHT; k++) {
        const step = 1n << 12n;
        const off = BigInt((k * 1237) % 4096);
        const op: Op = { t: 'bulk', tr: 0, a: String(base + off), n: 2500, step: String(step), len: '1', e: gen.int(1000) };
        list.push(op);
        runner.exec(op);
        runner.check();
      }
      grown = { height: runner.trees[0]?.height ?? 0, ranges: runner.models[0]?.size ?? 0, ops: list.length };
    }
    for (let i = list.length; i < o.ops; i++) {
      if ((i & 63) === 63 && Date.now() >= deadline) {
        stopped = true;
        break;
      }
      const op = gen.next(runner, i === grown?.ops ? 0 : i);
      list.push(op);
      runner.exec(op);
      runner.check();
    }
    const r = runner.finish();
    spare = runner.pool;
    return { ...r, ops: list.length, list, entries: o.entries, mode: o.mode, stopped, grown };
  } catch (e) {
    (e as { at?: number }).at ??= list.length - 1;
    throw failure(e, list, cfg, options.shrinkMs ?? 20_000, `maple fuzz (mode '${o.mode}')`);
  }
}

/** A fault-free op sequence of the given seed (for exhaustive mode). */
export function generateOps(seed: number, ops: number, entries: Entries = 'number'): Op[] {
  return fuzzSeed({ seed, ops, entries, faults: false, mode: 'off' }).list;
}

// ── exhaustive mode ─────────────────────────────────────────────────────────

export interface ExhaustiveResult {
  /** Allocations the sequence asks for with no faults. */
  asked: number;
  /** Runs made (2 per allocation, plus the counting run). */
  runs: number;
  /** Runs in which some operation failed with ENOMEM. */
  runsWithEnomem: number;
  /** Whether the deadline came before every allocation had been failed. */
  stopped: boolean;
  /** Write types of the failed allocations over all runs ('invalid' for dup and bulk reservations). */
  failedTypes: Set<string>;
}

/**
 * For an op sequence: count the allocations it asks for, then for every k in 1..that count
 * re-run it from scratch with failNth(k), and with failAfter(k - 1), checking after every op.
 * Fault ops in the sequence are dropped.
 */
export function exhaustive(ops: Op[], entries: Entries = 'number', shrinkMs = 10_000,
                           deadline = Infinity): ExhaustiveResult {
  const plain = ops.filter((op) => op.t !== 'fault');
  const cfg: RunConfig = { entries };
  const base = replay(plain, cfg, shrinkMs);
  let runs = 1;
  let runsWithEnomem = 0;
  const failedTypes = new Set<string>();
  let k = 1;
  for (; k <= base.asked && Date.now() < deadline; k++) {
    for (const arm of [{ t: 'fault', m: 'nth', n: k }, { t: 'fault', m: 'after', n: k - 1 }] as Op[]) {
      const seq = [arm, ...plain];
      const r = replay(seq, { entries, seed: undefined }, shrinkMs);
      runs++;
      if (r.enomem > 0) runsWithEnomem++;
      if (r.lastFailureType) failedTypes.add(r.lastFailureType);
      if (r.failedAllocs < 1) {
        throw new FuzzFailure(`exhaustive: ${JSON.stringify(arm)} failed no allocation although the ` +
          `sequence asks ${base.asked}; ops: ${stringify(seq)}`, seq, 0, 'no failure');
      }
    }
  }
  return { asked: base.asked, runs, runsWithEnomem, failedTypes, stopped: k <= base.asked };
}
