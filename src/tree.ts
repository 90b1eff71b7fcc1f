// MapleTree: the kernel's normal API (mtree_*, mt_*) over the core. No tree logic lives here:
// arguments are checked, entries encoded, the core called, statuses turned into errors.

import { core, out, readText, readI32, readU64, f64View, BATCH_CAPACITY } from './wasm';
import { MapleError, check } from './errors';
import { Index, ULONG_MAX, checkIndex, checkOrder, compare, wire, successor } from './keys';
import { HandleTable, EntryMode } from './handles';
import { NodePool, defaultPool } from './pool';
import { Gfp, gfpCode } from './gfp';
import { explainStore, explainErase, ExplainOptions, WriteExplanation } from './explain';
import { treeSVG, SvgOptions } from './svg';

/** A range and the entry it holds; index and last are inclusive. */
export interface MapleEntry<T> {
  index: Index;
  last: Index;
  entry: T;
}

/** Options for a new tree. */
export interface MapleTreeOptions {
  /** Pool to take nodes from (default: the shared default pool). */
  pool?: NodePool;
  /**
   * 'object' (default): any JS value except null/undefined, kept by handle.
   * 'number': non-negative integers up to 2^53 - 2 stored in the slot itself (like xa_mk_value).
   */
  entries?: EntryMode;
  /**
   * MT_FLAGS_ALLOC_RANGE: internal nodes are arange_64 and record the largest free range below
   * each child, so allocRange / emptyArea find free space in O(log n).
   */
  allocRange?: boolean;
}

/** What allocCyclic allocated. */
export interface CyclicAllocation {
  /** The index allocated. */
  index: Index;
  /** Where the next search starts (index + 1; 0 after ULONG_MAX). */
  next: Index;
  /** Whether the search wrapped around to min (or the last allocation took ULONG_MAX). */
  wrapped: boolean;
}

/** @internal Which core call a write makes (see MapleTree._write). */
export const WRITE_STORE = 0;
export const WRITE_INSERT = 1;
export const WRITE_MAS_STORE = 2;
export const WRITE_MAS_STORE_PREALLOC = 3;
export const WRITE_ALLOC = 4;
export const WRITE_ALLOC_REV = 5;
export const WRITE_ALLOC_CYCLIC = 6;

// ma_state operations of the core's stateOp.
const OP_FIND = 1;
const OP_NEXT = 3;
const OP_PREV = 4;

const MAX_NUMBER_ENTRY = Number.MAX_SAFE_INTEGER - 1;

const VIOLATIONS: Record<number, string> = {
  1: 'root node does not point back at its tree',
  2: 'pivots are not strictly ascending',
  3: 'pivot outside the node range',
  4: 'pivot of the last slot is not the node maximum',
  5: 'pivot or slot set beyond the node end',
  6: 'two adjacent NULL ranges',
  7: 'leaf other than the last ends with NULL',
  8: 'NULL child in an internal node',
  9: 'child has a wrong parent pointer or parent slot',
  10: 'leaf not at depth height - 1',
  11: 'non-root node below minimum occupancy',
  12: 'internal root with fewer than two children',
  13: 'metadata does not agree with the node',
  14: 'node count differs from the nodes reachable from the root',
  15: 'dead (freed) node reachable',
  16: 'node of the wrong type for its tree and depth',
  17: 'recorded gap differs from the largest gap below it',
};

interface Held {
  ptr: number;
  mas: number;
}

const finalizer = new FinalizationRegistry<Held>((held) => {
  core.treeDelete(held.ptr);
  core.stateFree(held.mas);
});

/**
 * A maple tree: a range map over 0..ULONG_MAX with the kernel's semantics. Ranges are inclusive;
 * storing over part of a range splits it; storing null erases; adjacent empty ranges merge.
 *
 * Call `free()` when done to give back its nodes and header at once; an unreachable tree is
 * also freed when garbage-collected.
 */
export class MapleTree<T = unknown> implements Iterable<MapleEntry<T>> {
  /** The pool this tree takes its nodes from. */
  readonly pool: NodePool;
  /** How entries are stored. */
  readonly entryMode: EntryMode;
  /** Whether the tree tracks gaps (made with allocRange: MT_FLAGS_ALLOC_RANGE, mt_is_alloc). */
  readonly isAlloc: boolean;
  #ptr: number;
  #mas: number;
  #handles = new HandleTable<T>();
  #version = 0;
  #scratch: number[] = [];
  readonly #numeric: boolean;

  constructor(options: MapleTreeOptions = {}) {
    const { pool = defaultPool(), entries = 'object', allocRange = false } = options;
    if (!(pool instanceof NodePool)) throw new TypeError('options.pool must be a NodePool');
    if (entries !== 'object' && entries !== 'number') {
      throw new RangeError(`options.entries must be 'object' or 'number', got ${String(entries)}`);
    }
    if (typeof allocRange !== 'boolean') throw new TypeError('options.allocRange must be a boolean');
    this.pool = pool;
    this.entryMode = entries;
    this.#numeric = entries === 'number';
    this.isAlloc = allocRange;
    this.#ptr = core.treeNew(pool.ptr, allocRange ? 1 : 0);
    if (this.#ptr === 0) throw new MapleError('ENOMEM', 'new MapleTree');
    this.#mas = core.stateNew(this.#ptr);
    if (this.#mas === 0) {
      core.treeDelete(this.#ptr);
      throw new MapleError('ENOMEM', 'new MapleTree');
    }
    finalizer.register(this, { ptr: this.#ptr, mas: this.#mas }, this);
  }

  /** The tree's own ma_state, for walks; throws once the tree is freed. */
  get #state(): number {
    if (this.#ptr === 0) throw new Error('MapleTree: used after free()');
    return this.#mas;
  }

  /** @internal Address of the tree header. */
  get ptr(): number {
    if (this.#ptr === 0) throw new Error('MapleTree: used after free()');
    return this.#ptr;
  }

  // ── writes ──

  /**
   * mtree_store: store entry at index, overwriting; null erases. Throws MapleError ENOMEM
   * (tree unchanged) when the nodes the write needs cannot be allocated with gfp.
   */
  store(index: Index, entry: T | null, gfp?: Gfp): void {
    const i = checkIndex(index, 'index');
    this._write('store', i, i, entry, WRITE_STORE, gfpCode(gfp, 'store'));
  }

  /** mtree_store_range: store entry over [first, last], overwriting; null erases the range. */
  storeRange(first: Index, last: Index, entry: T | null, gfp?: Gfp): void {
    const a = checkIndex(first, 'first');
    const b = checkIndex(last, 'last');
    checkOrder(a, b, 'first', 'last');
    this._write('storeRange', a, b, entry, WRITE_STORE, gfpCode(gfp, 'storeRange'));
  }

  /** mtree_insert: store entry at index; throws MapleError EEXIST if index holds an entry. */
  insert(index: Index, entry: T | null, gfp?: Gfp): void {
    const i = checkIndex(index, 'index');
    this._write('insert', i, i, entry, WRITE_INSERT, gfpCode(gfp, 'insert'));
  }

  /** mtree_insert_range: store over [first, last]; EEXIST if any index there holds an entry. */
  insertRange(first: Index, last: Index, entry: T | null, gfp?: Gfp): void {
    const a = checkIndex(first, 'first');
    const b = checkIndex(last, 'last');
    checkOrder(a, b, 'first', 'last');
    this._write('insertRange', a, b, entry, WRITE_INSERT, gfpCode(gfp, 'insertRange'));
  }

  /**
   * mtree_erase: remove the whole range holding index; returns its entry, if any. Erasing can
   * need nodes (a rebalance), so it may throw ENOMEM, leaving the tree unchanged.
   */
  erase(index: Index): T | undefined {
    const i = checkIndex(index, 'index');
    return this._erased(check(core.treeErase(this.ptr, wire(i, 0), 0), 'erase'));
  }

  /**
   * What storing entry over [first, last] would do (mtree_store_range, or mtree_insert_range with
   * options.insert; entry null clears), without changing this tree: the write is run on a copy
   * (mt_dup, in this tree's pool) and the pool's counters, the core's request records and every
   * node are compared around it. Returns a plain WriteExplanation (store type under the kernel's
   * names, node request, nodes allocated / freed / rewritten, levels, heights, whether 'nowait'
   * can fail, and toString()). The store type and request are the core's mas_wr_store_type and
   * mas_prealloc_calc decisions for this write. Costs a dup of the tree and two node lists (about
   * 0.7 s at a million ranges). Armed fault controls of the pool apply to the copy too. Throws what the write would throw (RangeError/TypeError naming the argument,
   * MapleError EEXIST for an insert over an entry, ENOMEM).
   */
  explain(first: Index, last: Index, entry: T | null, options?: ExplainOptions): WriteExplanation {
    return explainStore(this, first, last, entry, options);
  }

  /** As explain(), for mtree_erase(index): the write is a NULL store over the range holding index. */
  explainErase(index: Index, options?: ExplainOptions): WriteExplanation {
    return explainErase(this, index, options);
  }

  /**
   * The tree as SVG text: nodes by level, each a box with its type, fill (end + 1 of 16, or of 10
   * for arange_64), range and slots (leaf ranges with entries coloured, children's ranges and
   * arange_64 gaps). Above options.maxNodes nodes (default 300) one summary row per level.
   */
  toSVG(options?: SvgOptions): string {
    return treeSVG(this as MapleTree<unknown>, options);
  }

  /** mtree_destroy: empty the tree, all nodes back to the pool. The tree stays usable. */
  destroy(): void {
    core.treeDestroy(this.ptr);
    this.#handles.clear();
    this.#version++;
  }

  /** Destroy the tree and release its header; the object cannot be used afterwards. */
  free(): void {
    if (this.#ptr === 0) return;
    finalizer.unregister(this);
    core.treeDelete(this.#ptr);
    core.stateFree(this.#mas);
    this.#handles.clear();
    this.#ptr = 0;
    this.#version++;
  }

  /** mt_dup: a structural copy in the same pool, sharing no nodes. ENOMEM leaves no copy. */
  dup(): MapleTree<T> {
    const copy = new MapleTree<T>({ pool: this.pool, entries: this.entryMode, allocRange: this.isAlloc });
    const status = core.treeDup(this.ptr, copy.ptr, 0);
    if (status < 0) {
      copy.free();
      check(status, 'dup');
    }
    copy.#handles = this.#handles.clone();
    return copy;
  }

  // ── allocation ranges ──

  /**
   * mtree_alloc_range: store entry over the lowest `size` free indices in [min, max] and
   * return where they start. MapleError EINVAL unless the tree was made with allocRange (or for
   * size 0 or a window smaller than size), EBUSY when nothing fits, ENOMEM.
   */
  allocRange(size: Index, entry: T, min: Index = 0, max: Index = ULONG_MAX, gfp?: Gfp): Index {
    return this.#alloc('allocRange', WRITE_ALLOC, size, entry, min, max, gfp);
  }

  /** mtree_alloc_rrange: as allocRange, at the highest fitting indices. */
  allocRRange(size: Index, entry: T, min: Index = 0, max: Index = ULONG_MAX, gfp?: Gfp): Index {
    return this.#alloc('allocRRange', WRITE_ALLOC_REV, size, entry, min, max, gfp);
  }

  /**
   * mtree_alloc_cyclic: store entry at the lowest free index in [min, max] at or after next,
   * wrapping around to min when there is none; ID allocation that does not reuse IDs at once.
   */
  allocCyclic(entry: T, min: Index, max: Index, next: Index, gfp?: Gfp): CyclicAllocation {
    const lo = checkIndex(min, 'min');
    const hi = checkIndex(max, 'max');
    checkOrder(lo, hi, 'min', 'max');
    const from = checkIndex(next, 'next');
    if (entry === null) throw new TypeError('allocCyclic: entry must not be null');
    const g = gfpCode(gfp, 'allocCyclic');
    out.setNext(from);
    let wrapped = false;
    this._write('allocCyclic', lo, lo, entry, WRITE_ALLOC_CYCLIC, g, 0, (status) => {
      wrapped = status === 1;
    }, hi);
    return { index: out.index(), next: out.next(), wrapped };
  }

  #alloc(op: string, kind: number, size: Index, entry: T, min: Index, max: Index, gfp: Gfp | undefined): Index {
    const n = checkIndex(size, 'size');
    const lo = checkIndex(min, 'min');
    const hi = checkIndex(max, 'max');
    checkOrder(lo, hi, 'min', 'max');
    if (entry === null) throw new TypeError(`${op}: entry must not be null`);
    this._write(op, lo, hi, entry, kind, gfpCode(gfp, op), 0, undefined, n);
    return out.index();
  }

  // ── reads ──

  /** mtree_load: the entry at index, or undefined. */
  load(index: Index): T | undefined {
    const tree = this.#ptr;
    // The common case first: a safe-integer index on a live tree, straight across.
    if (typeof index === 'number' && index >= 0 && index <= Number.MAX_SAFE_INTEGER &&
        Number.isInteger(index) && tree !== 0) {
      return this.#decode(core.treeLoad(tree, index));
    }
    const i = checkIndex(index, 'index');
    return this.#decode(core.treeLoad(this.ptr, wire(i, 0)));
  }

  /**
   * mt_find: the first entry whose range ends at or after index and starts at or before max,
   * with its whole range (which may start below index).
   */
  find(index: Index, max: Index = ULONG_MAX): MapleEntry<T> | undefined {
    const i = checkIndex(index, 'index');
    const m = checkIndex(max, 'max');
    checkOrder(i, m, 'index', 'max');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_FIND, wire(m, 2)));
  }

  /** mt_next: the first entry after the range holding index, starting at or before max. */
  next(index: Index, max: Index = ULONG_MAX): MapleEntry<T> | undefined {
    const i = checkIndex(index, 'index');
    const m = checkIndex(max, 'max');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_NEXT, wire(m, 2)));
  }

  /** mt_prev: the last entry before the range holding index, ending at or after min. */
  prev(index: Index, min: Index = 0): MapleEntry<T> | undefined {
    const i = checkIndex(index, 'index');
    const m = checkIndex(min, 'min');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_PREV, wire(m, 2)));
  }

  /**
   * mt_for_each: every entry whose range meets [first, last], in index order. Writes during the
   * iteration are allowed: the walk resumes after the last range it returned.
   */
  *entries(first: Index = 0, last: Index = ULONG_MAX): IterableIterator<MapleEntry<T>> {
    const walk = this.#openWalk(first, last, 'entries');
    try {
      let n: number;
      while ((n = walk.next()) > 0) {
        for (let i = 0; i < n; i++) {
          const version = this.#version;
          const item = walk.item(i);
          yield item;
          if (this.#version !== version) {
            walk.restartAfter(item.last);
            break;
          }
        }
      }
    } finally {
      walk.close();
    }
  }

  /**
   * mt_for_each with a callback, the fastest way through a tree: fn(entry, index, last) for
   * every entry whose range meets [first, last], in index order. fn may write to the tree;
   * the walk then resumes after the range it was given.
   */
  forEach(fn: (entry: T, index: Index, last: Index) => void, first: Index = 0,
          last: Index = ULONG_MAX): void {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    const walk = this.#openWalk(first, last, 'forEach');
    try {
      let n: number;
      while ((n = walk.next()) > 0) {
        let words = f64View();
        for (let i = 0, r = walk.buf >>> 3; i < n; i++, r += 3) {
          const version = this.#version;
          const word = words[r + 2];
          if (word > 0) {
            fn(this.#entry(word), words[r], words[r + 1]);
          } else {
            const item = walk.item(i);
            fn(item.entry, item.index, item.last);
          }
          if (this.#version !== version) {
            walk.restartAfter(walk.item(i).last);
            break;
          }
          if (words.length === 0) words = f64View(); // fn grew memory: the old view is detached
        }
      }
    } finally {
      walk.close();
    }
  }

  /**
   * A walk over [first, last] with its own ma_state and its own batch buffer in linear memory
   * (so code run between two batches may walk too), fetching a batch of ranges per core call.
   */
  #openWalk(first: Index, last: Index, op: string) {
    const a = checkIndex(first, 'first');
    const b = checkIndex(last, 'last');
    checkOrder(a, b, 'first', 'last');
    const mas = core.stateNew(this.ptr);
    const buf = mas === 0 ? 0 : core.batchNew();
    if (buf === 0) {
      if (mas !== 0) core.stateFree(mas);
      throw new MapleError('ENOMEM', op);
    }
    core.stateSet(mas, wire(a, 0), wire(a, 1));
    let done = false;
    return {
      buf,
      /** Fetch the next batch; returns its length (0 at the end). */
      next: (): number => {
        if (done || this.#ptr === 0) return 0;
        const n = core.stateFindBatch(mas, wire(b, 2), buf);
        if (n < BATCH_CAPACITY) done = true;
        return n;
      },
      /** Range i of the current batch. */
      item: (i: number): MapleEntry<T> => {
        const rec = buf + i * 24;
        const words = f64View();
        const word = words[(rec >>> 3) + 2];
        if (word >= 0) {
          return { index: words[rec >>> 3], last: words[(rec >>> 3) + 1], entry: this.#decode(word) as T };
        }
        // A range reaching past 2^53 - 1: raw u64 bits, entry word stored as -(word + 1).
        return { index: readU64(rec), last: readU64(rec + 8), entry: this.#decode(-word - 1) as T };
      },
      restartAfter: (end: Index): void => {
        const from = successor(end);
        done = from === undefined || this.#ptr === 0;
        if (!done) core.stateSet(mas, wire(from as Index, 0), wire(from as Index, 1));
      },
      close: (): void => {
        core.batchFree(buf);
        core.stateFree(mas);
      },
    };
  }

  [Symbol.iterator](): IterableIterator<MapleEntry<T>> {
    return this.entries();
  }

  /** True when no index holds an entry. */
  isEmpty(): boolean {
    // Not just mtree_empty (no root): a leaf left holding one NULL range (the kernel's exact-fit
    // NULL store over [0, ULONG_MAX]) holds no entry either.
    core.stateSet(this.#state, 0, 0);
    return core.stateOp(this.#state, OP_FIND, wire(ULONG_MAX, 2)) !== 1;
  }

  /** Levels of nodes (0 for an empty tree or a lone entry at index 0). */
  get height(): number {
    return core.height(this.ptr);
  }

  /** Nodes the tree holds. */
  get nodeCount(): number {
    return core.nodeCount(this.ptr);
  }

  // ── checking ──

  /**
   * mt_validate: check every structural invariant and the pool's accounting; throws an Error
   * naming the first violation (with node address, offset and depth), returns if all hold.
   */
  validate(): void {
    const code = core.validate(this.ptr);
    if (code !== 0) {
      const [node, offset, depth] = readI32(core.validateInfo(), 3);
      throw new Error(`maple tree invalid: ${VIOLATIONS[code] ?? `code ${code}`} ` +
        `(node 0x${(node >>> 0).toString(16)}, offset ${offset}, depth ${depth})`);
    }
    const stats = this.pool.stats();
    const inTrees = this.pool.treeNodes();
    if (inTrees + stats.nodesReserved !== stats.nodesInUse) {
      throw new Error(`maple tree invalid: pool has ${stats.nodesInUse} nodes in use but its ` +
        `trees hold ${inTrees} and ma_state reserves ${stats.nodesReserved}`);
    }
    if (this.entryMode === 'object') this.#validateHandles();
  }

  /** mt_dump: the tree's nodes and ranges as text. */
  dump(): string {
    const length = core.dump(this.ptr);
    return readText(core.dumpPtr(), length);
  }

  /** @internal Live handles and table size, for leak tests. */
  get handleStats(): { live: number; capacity: number } {
    return { live: this.#handles.live, capacity: this.#handles.capacity };
  }

  // ── internals ──

  /**
   * @internal Run a write of entry over [a, b] (kind says which core call: a tree store or
   * insert, or a store through the ma_state mas), keeping entry handles exact: on failure
   * nothing changes (the new handle is released and the error thrown), on success the ranges
   * the write split gain a count and the ranges it covered lose one.
   */
  _write(op: string, a: Index, b: Index, entry: T | null, kind: number, gfp: number, mas = 0,
         done?: (status: number) => void, extra: Index = 0): void {
    if (this.#ptr === 0) throw new Error(`MapleTree.${op}: used after free()`);
    if (this.entryMode === 'number') {
      const status = this.#call(kind, a, b, this.#encodeNumber(entry, op), gfp, mas, extra);
      check(status, op);
      this.#version++;
      done?.(status);
      return;
    }
    if (entry === undefined) throw new TypeError(`${op}: entry must not be undefined (null erases)`);
    // Allocations and inserts only fill empty space: no range loses or gains a holder.
    const deltas = kind === WRITE_INSERT || kind >= WRITE_ALLOC ? undefined : this.#overlaps(a, b);
    const h = entry === null ? 0 : this.#handles.acquire(entry);
    const status = this.#call(kind, a, b, h, gfp, mas, extra);
    if (status < 0) {
      if (h !== 0) this.#handles.release(h);
      check(status, op);
    }
    this.#version++;
    if (deltas) {
      for (let k = 0; k < deltas.length; k += 2) {
        if (deltas[k + 1] > 0) this.#handles.addRef(deltas[k]);
        else this.#handles.release(deltas[k]);
      }
    }
    done?.(status);
  }

  #call(kind: number, a: Index, b: Index, word: number, gfp: number, mas: number, extra: Index): number {
    switch (kind) {
      case WRITE_STORE: return core.treeStore(this.#ptr, wire(a, 0), wire(b, 1), word, gfp);
      case WRITE_INSERT: return core.treeInsert(this.#ptr, wire(a, 0), wire(b, 1), word, gfp);
      case WRITE_MAS_STORE: return core.stateStore(mas, word, gfp);
      case WRITE_MAS_STORE_PREALLOC: return core.stateStorePrealloc(mas, word);
      case WRITE_ALLOC_CYCLIC: return core.treeAllocCyclic(this.#ptr, word, wire(a, 0), wire(extra, 1), gfp);
      default:
        return core.treeAllocRange(this.#ptr, wire(extra, 2), word, wire(a, 0), wire(b, 1),
          kind === WRITE_ALLOC ? 1 : 0, gfp);
    }
  }

  /** @internal After a core erase returned status (1: erased, entry word in OUT). */
  _erased(status: number): T | undefined {
    if (status === 0) return undefined;
    this.#version++;
    const word = out.entry();
    const value = this.#decode(word);
    if (this.entryMode === 'object') this.#handles.release(word);
    return value;
  }

  /** @internal Entry of a core word. */
  _decode(word: number): T | undefined {
    return this.#decode(word);
  }

  /** @internal Encode an entry for a call that stores no handle (storePrealloc is checked first). */
  _checkEntry(entry: unknown, op: string): void {
    if (this.entryMode === 'number') this.#encodeNumber(entry, op);
    else if (entry === undefined) throw new TypeError(`${op}: entry must not be undefined (null erases)`);
  }

  /**
   * How a store over [a, b] changes handle counts, as (handle, +1 | -1) pairs: a range split in
   * two gains one, a range wholly covered loses one, a trimmed range keeps its count.
   */
  #overlaps(a: Index, b: Index): number[] {
    const deltas = this.#scratch;
    deltas.length = 0;
    const mas = this.#state;
    core.stateSet(mas, wire(a, 0), wire(a, 1));
    while (core.stateOp(mas, OP_FIND, wire(b, 2)) === 1) {
      const start = out.index();
      const end = out.last();
      if (compare(start, a) < 0 && compare(end, b) > 0) deltas.push(out.entry(), 1);
      else if (compare(start, a) >= 0 && compare(end, b) <= 0) deltas.push(out.entry(), -1);
    }
    return deltas;
  }

  #encodeNumber(entry: unknown, op: string): number {
    if (entry === null) return 0;
    if (typeof entry !== 'number' || !Number.isInteger(entry) || entry < 0 || entry > MAX_NUMBER_ENTRY) {
      throw new RangeError(`${op}: entry must be null or an integer in 0..2^53 - 2 in a numeric-entry tree, got ${String(entry)}`);
    }
    return entry + 1;
  }

  #decode(word: number): T | undefined {
    return word === 0 ? undefined : this.#entry(word);
  }

  /** The entry a non-zero word stands for (batch records never hold NULL). */
  #entry(word: number): T {
    return this.#numeric ? (word - 1) as T : this.#handles.get(word);
  }

  #item(): MapleEntry<T> {
    return { index: out.index(), last: out.last(), entry: this.#decode(out.entry()) as T };
  }

  #result(found: number): MapleEntry<T> | undefined {
    return found === 1 ? this.#item() : undefined;
  }

  /** Every handle's count equals the ranges holding it, and no other handle is live. */
  #validateHandles(): void {
    const counts = new Map<number, number>();
    const mas = this.#state;
    core.stateSet(mas, 0, 0);
    while (core.stateOp(mas, OP_FIND, wire(ULONG_MAX, 2)) === 1) {
      const h = out.entry();
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
    for (const [h, n] of counts) {
      if (this.#handles.refCount(h) !== n) {
        throw new Error(`maple tree invalid: entry handle ${h} held by ${n} ranges but counted ${this.#handles.refCount(h)}`);
      }
    }
    if (counts.size !== this.#handles.live) {
      throw new Error(`maple tree invalid: ${this.#handles.live} live entry handles but ${counts.size} in the tree`);
    }
  }
}
