// The implementations under test, each with its own op loops (so every hot loop is monomorphic and
// reads like what a user of that library would write). Every implementation is a range map with
// the maple tree's semantics: storing [a, b] overwrites whatever overlaps it, and the overlapped
// ranges keep their entries on the pieces left outside [a, b]; null clears; erase(x) removes the
// whole range holding x; there is no merging of equal neighbours.
import { MapleTree, MaState } from '../../dist/index.js';
import BTreeModule from 'sorted-btree';
import IntervalTree from '@flatten-js/interval-tree';

const BTree = BTreeModule.default ?? BTreeModule;

/** Numeric value of an entry: numbers as they are, objects by their id. */
export const val = (e) => (typeof e === 'number' ? e : e.id);

/** Order-dependent hash of a range map's contents (every range as index, last, entry). */
export class Digest {
  constructor() { this.h = 0x811c9dc5; this.count = 0; this.sum = 0; }
  add(index, last, entry) {
    const v = val(entry);
    let h = this.h;
    h = Math.imul(h ^ (index | 0), 16777619);
    h = Math.imul(h ^ (last | 0), 16777619);
    h = Math.imul(h ^ (v | 0), 16777619);
    this.h = h >>> 0;
    this.count++;
    this.sum += v;
  }
  toString() { return `${this.count}/${this.sum}/${this.h.toString(16)}`; }
}

const MAX = Number.MAX_SAFE_INTEGER;

// ───────────────────────────── maple-wasm ─────────────────────────────

export class MapleImpl {
  /** mode: 'number' | 'object'. */
  constructor(mode, pool) {
    this.mode = mode;
    this.pool = pool;
    this.name = mode === 'number' ? 'maple-wasm' : 'maple-wasm (object)';
    this.can = { W1: true, W2: true, W3: true, W4: true, W5: true, W6: true, W7: true,
      W8: typeof MaState.prototype.emptyArea === 'function' };
    this.notes = {};
  }
  create(allocRange = false) {
    return new MapleTree({ entries: this.mode, pool: this.pool, allocRange });
  }
  each(mt, cb) { for (const e of mt.entries()) cb(e.index, e.last, e.entry); }
  dispose(mt) { mt.free(); }
  // W1 build, untimed, for the workloads that start from it
  base(N, E, allocRange = false) {
    const mt = this.create(allocRange);
    for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, E[i]);
    return mt;
  }
  w1(mt, N, E) {
    for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, E[i]);
  }
  w2(mt, order, E) {
    for (let k = 0; k < order.length; k++) { const i = order[k]; mt.storeRange(16 * i, 16 * i + 9, E[i]); }
  }
  w3(mt, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) { const e = mt.load(xs[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  /** W4 through mt.forEach(fn): the fastest public way, as forEachPair is for sorted-btree. */
  w4(mt) {
    let s = 0;
    mt.forEach((e) => { s += val(e); });
    return s;
  }
  /** W4 through the entries() iterator (an object per range). */
  w4iter(mt) {
    let s = 0;
    for (const e of mt.entries()) s += val(e.entry);
    return s;
  }
  /** W3's indices through loadMany, 1,024 at a time (the walks of a batch interleaved). */
  w3many(mt, xs) {
    const B = 1024;
    let s = 0;
    if (this.mode === 'number') {
      const out = new Float64Array(B);
      for (let k = 0; k < xs.length; k += B) {
        const n = Math.min(B, xs.length - k);
        mt.loadMany(xs.subarray(k, k + n), out);
        for (let j = 0; j < n; j++) { const e = out[j]; if (e === e) s += e; }
      }
    } else {
      for (let k = 0; k < xs.length; k += B) {
        for (const e of mt.loadMany(xs.subarray(k, k + B))) if (e !== undefined) s += val(e);
      }
    }
    return s;
  }
  /** W4 through cursor(): typed-array batches, no callback or object per range (numeric trees). */
  w4cursor(mt) {
    let s = 0;
    const c = mt.cursor();
    for (let n = c.next(); n > 0; n = c.next()) { const e = c.entry; for (let k = 0; k < n; k++) s += e[k]; }
    return s;
  }
  /** W4 through a MaState walk (mas_find), the lower-level iteration idiom. */
  w4mas(mt) {
    let s = 0;
    const mas = new MaState(mt, 0);
    for (let e = mas.find(MAX); e !== undefined; e = mas.find(MAX)) s += val(e);
    mas.free();
    return s;
  }
  w5(mt, xs, F) {
    for (let k = 0; k < xs.length; k++) mt.storeRange(xs[k], xs[k] + 40, F[k]);
  }
  w6(mt, order) {
    let s = 0;
    for (let k = 0; k < order.length; k++) { const e = mt.erase(16 * order[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w7(mt, is, E) {
    for (let k = 0; k < is.length; k++) {
      const i = is[k];
      mt.storeRange(16 * i, 16 * i + 47, null);
      mt.storeRange(16 * i, 16 * i + 9, E[i]);
      mt.storeRange(16 * i + 16, 16 * i + 25, E[i + 1]);
      mt.storeRange(16 * i + 32, 16 * i + 41, E[i + 2]);
    }
  }
  w8base(N, E) {
    const mt = this.base(N, E, true);
    for (let i = 1; i < N; i += 2) mt.erase(16 * i);
    return mt;
  }
  w8(mt, xs) {
    let s = 0;
    const mas = new MaState(mt, 0);
    for (let k = 0; k < xs.length; k++) s += mas.emptyArea(xs[k], MAX, 20);
    mas.free();
    return s;
  }
}

// ───────────────────────── sorted-btree range map ─────────────────────────

/** sorted-btree keyed by range start, value {last, entry}. */
export class BTreeRangeMap {
  constructor() { this.t = new BTree(); this.pair = [0, null]; }
  storeRange(a, b, e) {
    const t = this.t;
    const pair = this.pair;
    // A range starting before a that reaches into [a, b]: trim it (and keep its tail past b).
    const p = t.nextLowerPair(a, pair);
    if (p !== undefined) {
      const v = p[1];
      if (v.last >= a) {
        if (v.last > b) t.set(b + 1, { last: v.last, entry: v.entry });
        v.last = a - 1;
      }
    }
    // The last range starting inside [a, b] may reach past b: keep its tail.
    const q = t.getPairOrNextLower(b, pair);
    if (q !== undefined && q[0] >= a && q[1].last > b) t.set(b + 1, { last: q[1].last, entry: q[1].entry });
    // Everything starting inside [a, b] goes.
    if (q !== undefined && q[0] >= a) {
      if (q[0] === a) t.delete(a);
      else t.deleteRange(a, b, true);
    }
    if (e !== null) t.set(a, { last: b, entry: e });
  }
  load(x) {
    const p = this.t.getPairOrNextLower(x, this.pair);
    return p !== undefined && p[1].last >= x ? p[1].entry : undefined;
  }
  erase(x) {
    const p = this.t.getPairOrNextLower(x, this.pair);
    if (p === undefined || p[1].last < x) return undefined;
    const e = p[1].entry;
    this.t.delete(p[0]);
    return e;
  }
  /** Lowest start >= min of `size` free indices (no upper bound needed here). */
  emptyArea(min, size) {
    const t = this.t;
    const pair = this.pair;
    let cand = min;
    const p = t.getPairOrNextLower(min, pair);
    if (p !== undefined && p[1].last >= min) cand = p[1].last + 1;
    for (;;) {
      const q = t.getPairOrNextHigher(cand, pair);
      if (q === undefined || q[0] - cand >= size) return cand;
      cand = q[1].last + 1;
    }
  }
}

export class BTreeImpl {
  constructor(mode = 'number') {
    this.mode = mode;
    this.name = mode === 'number' ? 'sorted-btree' : 'sorted-btree (object)';
    this.can = { W1: true, W2: true, W3: true, W4: true, W5: true, W6: true, W7: true, W8: true };
    this.notes = { W8: 'walk from the predecessor (getPairOrNextHigher per range): no gap index' };
  }
  create() { return new BTreeRangeMap(); }
  each(m, cb) { m.t.forEachPair((k, v) => { cb(k, v.last, v.entry); }); }
  dispose() {}
  base(N, E) { const m = this.create(); this.w1(m, N, E); return m; }
  w1(m, N, E) { for (let i = 0; i < N; i++) m.storeRange(16 * i, 16 * i + 9, E[i]); }
  w2(m, order, E) {
    for (let k = 0; k < order.length; k++) { const i = order[k]; m.storeRange(16 * i, 16 * i + 9, E[i]); }
  }
  w3(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) { const e = m.load(xs[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w4(m) {
    let s = 0;
    m.t.forEachPair((k, v) => { s += val(v.entry); });
    return s;
  }
  w5(m, xs, F) { for (let k = 0; k < xs.length; k++) m.storeRange(xs[k], xs[k] + 40, F[k]); }
  w6(m, order) {
    let s = 0;
    for (let k = 0; k < order.length; k++) { const e = m.erase(16 * order[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w7(m, is, E) {
    for (let k = 0; k < is.length; k++) {
      const i = is[k];
      m.storeRange(16 * i, 16 * i + 47, null);
      m.storeRange(16 * i, 16 * i + 9, E[i]);
      m.storeRange(16 * i + 16, 16 * i + 25, E[i + 1]);
      m.storeRange(16 * i + 32, 16 * i + 41, E[i + 2]);
    }
  }
  w8base(N, E) { const m = this.base(N, E); for (let i = 1; i < N; i += 2) m.erase(16 * i); return m; }
  w8(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += m.emptyArea(xs[k], 20);
    return s;
  }
}

// ───────────────────────── sorted array range map ─────────────────────────

/** Three parallel arrays (start, last, entry) sorted by start; binary search + splice. */
export class SortedArrayRangeMap {
  constructor() { this.starts = []; this.lasts = []; this.vals = []; }
  /** Index of the last range starting at or before x, or -1. */
  floor(x) {
    const s = this.starts;
    let lo = 0, hi = s.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (s[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo - 1;
  }
  /** Index of the first range ending at or after x. */
  ceilLast(x) {
    const l = this.lasts;
    let lo = 0, hi = l.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (l[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  storeRange(a, b, e) {
    const { starts, lasts, vals } = this;
    const n = starts.length;
    if (n === 0 || starts[n - 1] <= a && lasts[n - 1] < a) { // append
      if (e !== null) { starts.push(a); lasts.push(b); vals.push(e); }
      return;
    }
    const lo = this.ceilLast(a);      // first range reaching a
    const hi = this.floor(b) + 1;     // ranges lo..hi-1 overlap [a, b]
    const ns = [], nl = [], nv = [];
    if (lo < hi) {
      if (starts[lo] < a) { ns.push(starts[lo]); nl.push(a - 1); nv.push(vals[lo]); }
    }
    if (e !== null) { ns.push(a); nl.push(b); nv.push(e); }
    if (lo < hi && lasts[hi - 1] > b) { ns.push(b + 1); nl.push(lasts[hi - 1]); nv.push(vals[hi - 1]); }
    const del = hi > lo ? hi - lo : 0;
    if (del === ns.length) { // same count: overwrite in place
      for (let k = 0; k < del; k++) { starts[lo + k] = ns[k]; lasts[lo + k] = nl[k]; vals[lo + k] = nv[k]; }
      return;
    }
    starts.splice(lo, del, ...ns);
    lasts.splice(lo, del, ...nl);
    vals.splice(lo, del, ...nv);
  }
  load(x) {
    const i = this.floor(x);
    return i >= 0 && this.lasts[i] >= x ? this.vals[i] : undefined;
  }
  erase(x) {
    const i = this.floor(x);
    if (i < 0 || this.lasts[i] < x) return undefined;
    const e = this.vals[i];
    this.starts.splice(i, 1); this.lasts.splice(i, 1); this.vals.splice(i, 1);
    return e;
  }
  emptyArea(min, size) {
    const { starts, lasts } = this;
    let i = this.floor(min);
    let cand = i >= 0 && lasts[i] >= min ? lasts[i] + 1 : min;
    for (let j = i + 1; j < starts.length; j++) {
      if (starts[j] - cand >= size) return cand;
      cand = lasts[j] + 1;
    }
    return cand;
  }
}

export class SortedArrayImpl {
  constructor() {
    this.mode = 'number';
    this.name = 'sorted array';
    const big = (N) => N > 200_000;
    // Every write that is not an append moves O(N) elements: at N = 1e6 these take minutes.
    this.can = { W1: true, W2: (N) => !big(N), W3: true, W4: true, W5: (N) => !big(N), W6: (N) => !big(N),
      W7: (N) => !big(N), W8: true };
    this.notes = { W2: 'O(N) splice per insert', W5: 'O(N) splice per write', W6: 'O(N) splice per erase',
      W7: 'O(N) splice per write' };
  }
  create() { return new SortedArrayRangeMap(); }
  each(m, cb) { for (let i = 0; i < m.starts.length; i++) cb(m.starts[i], m.lasts[i], m.vals[i]); }
  dispose() {}
  base(N, E) { const m = this.create(); this.w1(m, N, E); return m; }
  w1(m, N, E) { for (let i = 0; i < N; i++) m.storeRange(16 * i, 16 * i + 9, E[i]); }
  w2(m, order, E) {
    for (let k = 0; k < order.length; k++) { const i = order[k]; m.storeRange(16 * i, 16 * i + 9, E[i]); }
  }
  w3(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) { const e = m.load(xs[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w4(m) {
    let s = 0;
    const v = m.vals;
    for (let i = 0; i < v.length; i++) s += val(v[i]);
    return s;
  }
  w5(m, xs, F) { for (let k = 0; k < xs.length; k++) m.storeRange(xs[k], xs[k] + 40, F[k]); }
  w6(m, order) {
    let s = 0;
    for (let k = 0; k < order.length; k++) { const e = m.erase(16 * order[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w7(m, is, E) {
    for (let k = 0; k < is.length; k++) {
      const i = is[k];
      m.storeRange(16 * i, 16 * i + 47, null);
      m.storeRange(16 * i, 16 * i + 9, E[i]);
      m.storeRange(16 * i + 16, 16 * i + 25, E[i + 1]);
      m.storeRange(16 * i + 32, 16 * i + 41, E[i + 2]);
    }
  }
  w8base(N, E) {
    const m = this.create();
    for (let i = 0; i < N; i += 2) m.storeRange(16 * i, 16 * i + 9, E[i]); // same contents, built directly
    return m;
  }
  w8(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += m.emptyArea(xs[k], 20);
    return s;
  }
}

// ───────────────────── @flatten-js/interval-tree range map ─────────────────────

const keyOf = (v, k) => k;
const pairOf = (v, k) => [k.low, k.high, v];

/**
 * @flatten-js/interval-tree (a red-black interval tree) as a range map: a store searches the
 * overlapping intervals, removes them and re-inserts the trimmed pieces. load is a stabbing query
 * (search returns an array).
 */
export class IntervalTreeRangeMap {
  constructor() { this.t = new IntervalTree(); }
  storeRange(a, b, e) {
    const t = this.t;
    const hits = t.search([a, b], pairOf);
    for (let k = 0; k < hits.length; k++) {
      const [lo, hi, v] = hits[k];
      t.remove([lo, hi]);
      if (lo < a) t.insert([lo, a - 1], v);
      if (hi > b) t.insert([b + 1, hi], v);
    }
    if (e !== null) t.insert([a, b], e);
  }
  load(x) {
    const r = this.t.search([x, x]);
    return r.length > 0 ? r[0] : undefined;
  }
  erase(x) {
    const r = this.t.search([x, x], pairOf);
    if (r.length === 0) return undefined;
    this.t.remove([r[0][0], r[0][1]]);
    return r[0][2];
  }
  emptyArea(min, size) {
    let cand = min;
    for (const k of this.t.iterate([min, min], keyOf)) { // first interval holding min or after it
      if (k.low - cand >= size) return cand;
      if (k.high + 1 > cand) cand = k.high + 1;
    }
    return cand;
  }
}

export class IntervalTreeImpl {
  constructor() {
    this.mode = 'number';
    this.name = 'interval-tree';
    this.can = { W1: true, W2: true, W3: true, W4: true, W5: true, W6: true, W7: true, W8: true };
    this.notes = {
      W3: 'stabbing query search([x,x]) allocates a result array',
      W5: 'no range-map store: search + remove + re-insert pieces',
      W6: 'no erase-by-index: search([x,x]) then remove(key)',
      W7: 'no range clear: search + remove each + insert',
      W8: 'no gap search: iterate from x over intervals',
    };
  }
  create() { return new IntervalTreeRangeMap(); }
  each(m, cb) { m.t.forEach((k, v) => { cb(k.low, k.high, v); }); }
  dispose() {}
  base(N, E) {
    const m = this.create();
    for (let i = 0; i < N; i++) m.t.insert([16 * i, 16 * i + 9], E[i]);
    return m;
  }
  /** Appends into empty space: a plain insert is the whole store (search finds nothing anyway). */
  w1(m, N, E) { for (let i = 0; i < N; i++) m.storeRange(16 * i, 16 * i + 9, E[i]); }
  w2(m, order, E) {
    for (let k = 0; k < order.length; k++) { const i = order[k]; m.storeRange(16 * i, 16 * i + 9, E[i]); }
  }
  w3(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) { const e = m.load(xs[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w4(m) {
    let s = 0;
    m.t.forEach((k, v) => { s += val(v); });
    return s;
  }
  w5(m, xs, F) { for (let k = 0; k < xs.length; k++) m.storeRange(xs[k], xs[k] + 40, F[k]); }
  w6(m, order) {
    let s = 0;
    for (let k = 0; k < order.length; k++) { const e = m.erase(16 * order[k]); if (e !== undefined) s += val(e); }
    return s;
  }
  w7(m, is, E) {
    for (let k = 0; k < is.length; k++) {
      const i = is[k];
      m.storeRange(16 * i, 16 * i + 47, null);
      m.storeRange(16 * i, 16 * i + 9, E[i]);
      m.storeRange(16 * i + 16, 16 * i + 25, E[i + 1]);
      m.storeRange(16 * i + 32, 16 * i + 41, E[i + 2]);
    }
  }
  w8base(N, E) {
    const m = this.create();
    for (let i = 0; i < N; i += 2) m.t.insert([16 * i, 16 * i + 9], E[i]);
    return m;
  }
  w8(m, xs) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += m.emptyArea(xs[k], 20);
    return s;
  }
}
