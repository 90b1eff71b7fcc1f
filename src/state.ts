// MaState: the kernel's advanced API (struct ma_state and the mas_* functions) over the core's
// ma_state. A state remembers where it is in the tree, so next/prev step without re-walking;
// it also holds the node reserve of preallocated writes.

import { core, out } from './wasm';
import { MapleError, UseAfterFreeError, check } from './errors';
import { Index, ULONG_MAX, checkIndex, checkOrder, wire } from './keys';
import { Gfp, gfpCode } from './gfp';
import {
  MapleTree, WRITE_MAS_STORE, WRITE_MAS_STORE_PREALLOC, WRITE_MAS_STORE_RANGE, WRITE_MAS_STORE_PREALLOC_RANGE,
} from './tree';
import type { MapleEntry } from './tree';
import { IDLE, keepShape } from './shapes';

/**
 * The kernel's store types (enum store_type without the wr_ prefix): which write path a store
 * takes, decided from the tree before it changes (mas_wr_store_type).
 */
export type StoreType = 'new_root' | 'store_root' | 'exact_fit' | 'spanning_store' | 'split_store' |
  'rebalance' | 'append' | 'node_store' | 'slot_store';
const STORE_TYPES: (StoreType | undefined)[] = [undefined, 'new_root', 'store_root', 'exact_fit',
  'spanning_store', 'split_store', 'rebalance', 'append', 'node_store', 'slot_store'];

/** ma_state status, as the kernel's enum maple_status. */
export type MaStatus = 'start' | 'active' | 'none' | 'root' | 'pause' | 'overflow' | 'underflow' | 'error';
const STATUS: MaStatus[] = ['start', 'active', 'none', 'root', 'pause', 'overflow', 'underflow', 'error'];

const OP_WALK = 0;
const OP_FIND = 1;
const OP_FIND_REV = 2;
const OP_NEXT = 3;
const OP_PREV = 4;
const OP_NEXT_RANGE = 5;
const OP_PREV_RANGE = 6;
const OP_READ = 7;
const OP_FIND_RANGE = 8;
const OP_FIND_RANGE_REV = 9;

const finalizer = new FinalizationRegistry<number>((mas) => core.stateFree(mas));

/**
 * A maple tree state (MA_STATE): a range [index, last] of one tree and a position in it.
 * Walks move it; writes act on its range. Call `free()` when done (or let it be collected).
 */
export class MaState<T = unknown> {
  readonly tree: MapleTree<T>;
  #mas: number;

  /** @internal The class the caller knows this state as, for errors (a VmaIterator's state). */
  _owner = 'MaState';

  /**
   * MA_STATE(mas, tree, first, last): a state over [first, last] of tree, in status start.
   * TypeError unless tree is a MapleTree; RangeError/TypeError naming first or last.
   */
  constructor(tree: MapleTree<T>, first: Index = 0, last?: Index) {
    if ((tree as unknown) === IDLE) {
      // the idle state (shapes.ts): freed from the start, no core state
      this.tree = null as never;
      this.#mas = 0;
      return;
    }
    if (!(tree instanceof MapleTree)) {
      throw new TypeError(`new MaState: tree must be a MapleTree, got ${tree === null ? 'null' : typeof tree === 'object' ? (tree as object).constructor?.name ?? 'object' : typeof tree}`);
    }
    this.tree = tree;
    const a = checkIndex(first, 'first');
    const b = last === undefined ? a : checkIndex(last, 'last');
    checkOrder(a, b, 'first', 'last');
    this.#mas = core.stateNew(tree.ptr);
    if (this.#mas === 0) throw new MapleError('ENOMEM', 'new MaState');
    core.stateSet(this.#mas, wire(a, 0), wire(b, 1));
    finalizer.register(this, this.#mas, this);
  }

  get #ptr(): number {
    if (this.#mas === 0) throw new UseAfterFreeError(this._owner, 'use');
    void this.tree.ptr; // the tree must still exist
    return this.#mas;
  }

  /** Start of the state's range. */
  get index(): Index {
    core.stateOp(this.#ptr, OP_READ, 0);
    return out.index();
  }

  /** End of the state's range (inclusive). */
  get last(): Index {
    core.stateOp(this.#ptr, OP_READ, 0);
    return out.last();
  }

  /** Where the state is: 'start' (walk from the root next), 'active', 'overflow' ... */
  get status(): MaStatus {
    core.stateOp(this.#ptr, OP_READ, 0);
    return STATUS[out.status()];
  }

  /** Nodes currently reserved by this state (preallocate, expectedEntries, nomem). */
  get allocated(): number {
    return core.stateAllocated(this.#ptr);
  }

  // ── position ──

  /** mas_set: point at index alone; the next operation walks from the root. */
  set(index: Index): this {
    const i = checkIndex(index, 'index');
    core.stateSet(this.#ptr, wire(i, 0), wire(i, 1));
    return this;
  }

  /** mas_set_range: point at [first, last]; the next operation walks from the root. */
  setRange(first: Index, last: Index): this {
    const a = checkIndex(first, 'first');
    const b = checkIndex(last, 'last');
    checkOrder(a, b, 'first', 'last');
    core.stateSet(this.#ptr, wire(a, 0), wire(b, 1));
    return this;
  }

  /** mas_reset: keep the range, walk from the root next time. */
  reset(): this {
    core.stateReset(this.#ptr);
    return this;
  }

  /** mas_pause: drop the position (the tree may change); find/next resume after the range. */
  pause(): this {
    core.statePause(this.#ptr);
    return this;
  }

  // ── walks ──

  /** mas_walk: the entry at index; index/last become the range holding it (NULL or not). */
  walk(): T | undefined {
    return this.#step(OP_WALK, 0);
  }

  /** mas_find: the next entry at or after index (first call) or after the current range, up to max. */
  find(max: Index = ULONG_MAX): T | undefined {
    return this.#step(OP_FIND, checkIndex(max, 'max'));
  }

  /** mas_find_rev: the previous entry at or before index, down to min. */
  findRev(min: Index = 0): T | undefined {
    return this.#step(OP_FIND_REV, checkIndex(min, 'min'));
  }

  /**
   * mas_find_range: like find, but stops on NULL ranges too: the range at index first, then the
   * next range. Returns the entry (undefined for a gap); check status for the end.
   */
  findRange(max: Index = ULONG_MAX): T | undefined {
    return this.#step(OP_FIND_RANGE, checkIndex(max, 'max'));
  }

  /** mas_find_range_rev: the range at index first, then each previous range. */
  findRangeRev(min: Index = 0): T | undefined {
    return this.#step(OP_FIND_RANGE_REV, checkIndex(min, 'min'));
  }

  /** mas_next: the next entry after the current range, starting at or before max. */
  next(max: Index = ULONG_MAX): T | undefined {
    return this.#step(OP_NEXT, checkIndex(max, 'max'));
  }

  /** mas_prev: the previous entry before the current range, ending at or after min. */
  prev(min: Index = 0): T | undefined {
    return this.#step(OP_PREV, checkIndex(min, 'min'));
  }

  /** mas_next_range: the next range, NULL or not. */
  nextRange(max: Index = ULONG_MAX): T | undefined {
    return this.#step(OP_NEXT_RANGE, checkIndex(max, 'max'));
  }

  /** mas_prev_range: the previous range, NULL or not. */
  prevRange(min: Index = 0): T | undefined {
    return this.#step(OP_PREV_RANGE, checkIndex(min, 'min'));
  }

  /**
   * mas_for_each: every entry from index up to max, as { index, last, entry }. max is checked
   * (and the state's liveness) at the call, not at the first step.
   */
  iterate(max: Index = ULONG_MAX): IterableIterator<MapleEntry<T>> {
    const m = checkIndex(max, 'max');
    void this.#ptr;
    return this.#each(OP_FIND, m);
  }

  /** mas_for_each_rev: every entry from index down to min (checked at the call). */
  iterateRev(min: Index = 0): IterableIterator<MapleEntry<T>> {
    const m = checkIndex(min, 'min');
    void this.#ptr;
    return this.#each(OP_FIND_REV, m);
  }

  *#each(op: number, limit: Index): IterableIterator<MapleEntry<T>> {
    while (core.stateOp(this.#ptr, op, wire(limit, 2)) === 1) yield this.#item();
  }

  // ── free space ──

  /**
   * mas_empty_area: the lowest start of `size` free indices inside [min, max]; the state's
   * range becomes [start, start + size - 1]. MapleError EINVAL for min > max, size 0 or a window
   * smaller than size; EBUSY when nothing fits. O(log n) on an allocRange tree.
   */
  emptyArea(min: Index, max: Index, size: Index): Index {
    return this.#emptyArea('MaState.emptyArea', min, max, size, 1);
  }

  /** mas_empty_area_rev: as emptyArea, the highest fitting start. */
  emptyAreaRev(min: Index, max: Index, size: Index): Index {
    return this.#emptyArea('MaState.emptyAreaRev', min, max, size, 0);
  }

  #emptyArea(op: string, min: Index, max: Index, size: Index, forward: number): Index {
    const lo = checkIndex(min, 'min');
    const hi = checkIndex(max, 'max');
    const n = checkIndex(size, 'size');
    const start = core.stateEmptyArea(this.#ptr, wire(lo, 0), wire(hi, 1), wire(n, 2), forward);
    if (start >= 0) return start;
    if (start === -1) return out.index(); // above 2^53 - 1: a bigint, from linear memory
    if (start === -22) {
      throw new MapleError('EINVAL', op, `need min <= max and 1 <= size <= max - min + 1 (min ${lo}, max ${hi}, size ${n})`);
    }
    check(start, op);
    throw new Error(`${op}: unexpected core status ${start}`);
  }

  // ── writes ──

  /**
   * mas_store_gfp: store entry over [index, last], allocating what the write needs with gfp
   * (after a first 'nowait' attempt). ENOMEM leaves the tree unchanged, the state in 'error'
   * with the shortfall recorded for nomem(), and no node reserved.
   */
  store(entry: T | null, gfp?: Gfp): void {
    const g = gfpCode(gfp, 'MaState.store');
    this.tree._stateWrite('MaState.store', entry, WRITE_MAS_STORE, g, this.#ptr);
  }

  /**
   * mas_preallocate: reserve the worst case of storing entry over [index, last] now, so that
   * storePrealloc cannot fail. Throws ENOMEM with nothing reserved when allocation fails.
   */
  preallocate(entry: T | null, gfp?: Gfp): void {
    this.#preallocate(entry, gfp, -1, -1);
  }

  /**
   * @internal setRange(a, b), then preallocate(entry, gfp), in one crossing, for a caller that
   * has checked a <= b (VmaIterator).
   */
  _preallocateRange(a: Index, b: Index, entry: T | null, gfp: Gfp | undefined): void {
    this.#preallocate(entry, gfp, wire(a, 0), wire(b, 1));
  }

  /** preallocate over [first, last] as they cross (-1: the state's own range). */
  #preallocate(entry: T | null, gfp: Gfp | undefined, first: number, last: number): void {
    const g = gfpCode(gfp, 'MaState.preallocate');
    this.tree._checkEntry(entry, 'MaState.preallocate');
    check(core.statePreallocate(this.#ptr, entry === null ? 0 : 1, g, first, last), 'MaState.preallocate');
  }

  /**
   * mas->store_type: the kernel's name for the write last prepared through this state
   * (preallocate, store, storePrealloc, erase), or undefined before the first. A write maple-wasm
   * performs differently still reports the type the kernel would pick: storing NULL over NULL
   * is 'exact_fit', a split that shares its items with a sibling 'split_store'.
   */
  get storeType(): StoreType | undefined {
    return STORE_TYPES[core.stateStoreType(this.#ptr)];
  }

  /** Nodes the last preallocate() asked for (its worst case). */
  get lastRequest(): number {
    return out.request();
  }

  /**
   * mas_store_prealloc: store from the reserve; never allocates. The reserve must come from a
   * preallocate() for this write (else EINVAL, nothing changed). Unused nodes go back after.
   */
  storePrealloc(entry: T | null): void {
    this.#storePrealloc(entry);
  }

  /**
   * @internal setRange(a, b), then store(entry, gfp), in one crossing, for a caller that has
   * checked a <= b (VmaIterator); the range need not come back from the core.
   */
  _storeRange(a: Index, b: Index, entry: T | null, gfp: Gfp | undefined): void {
    const g = gfpCode(gfp, 'MaState.store');
    this.tree._write('MaState.store', a, b, entry, WRITE_MAS_STORE_RANGE, g, this.#ptr);
  }

  /** @internal setRange(a, b), then storePrealloc(entry), likewise. */
  _storePreallocRange(a: Index, b: Index, entry: T | null): void {
    this.#storePrealloc(entry, a, b);
  }

  /** storePrealloc over [a, b] when given, else the state's own range; EINVAL told in its terms. */
  #storePrealloc(entry: T | null, a?: Index, b?: Index): void {
    const mas = this.#ptr;
    try {
      if (a === undefined || b === undefined) {
        this.tree._stateWrite('MaState.storePrealloc', entry, WRITE_MAS_STORE_PREALLOC, 0, mas);
      } else {
        this.tree._write('MaState.storePrealloc', a, b, entry, WRITE_MAS_STORE_PREALLOC_RANGE, 0, mas);
      }
    } catch (e) {
      if (!(e instanceof MapleError && e.code === 'EINVAL')) throw e;
      throw new MapleError('EINVAL', 'MaState.storePrealloc',
        `the reserve holds ${core.stateAllocated(mas)} nodes but this write needs ${out.request()}; call preallocate() for this write first`);
    }
  }

  /** mas_erase: erase the range holding index; returns its entry. May throw ENOMEM. */
  erase(gfp?: Gfp): T | undefined {
    const g = gfpCode(gfp, 'MaState.erase');
    return this.tree._erased(check(core.stateErase(this.#ptr, g), 'MaState.erase'));
  }

  /** mas_destroy: give back every reserved node (and end expected-entries mode). */
  destroy(): void {
    core.stateDestroy(this.#ptr);
  }

  /**
   * mas_expected_entries: reserve, once, the nodes for bulk-loading n entries in index order
   * with store(); nodes the load frees return to the reserve. Finish with destroy().
   */
  expectedEntries(n: number, gfp?: Gfp): void {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1e8) {
      throw new RangeError(`n must be an integer in 0..1e8, got ${String(n)}`);
    }
    check(core.stateExpectedEntries(this.#ptr, n, gfpCode(gfp, 'MaState.expectedEntries')), 'MaState.expectedEntries');
  }

  /**
   * mas_nomem: after a store failed with ENOMEM, reserve what it needed with gfp. Returns true
   * when the retry can go ahead (the reserve now covers it), false otherwise.
   */
  nomem(gfp?: Gfp): boolean {
    return core.stateNomem(this.#ptr, gfpCode(gfp, 'MaState.nomem')) === 1;
  }

  /** Release the state itself (its reserve goes back to the pool first). */
  free(): void {
    if (this.#mas === 0) return;
    finalizer.unregister(this);
    core.stateFree(this.#mas);
    this.#mas = 0;
  }

  // ── internals ──

  #step(op: number, limit: Index): T | undefined {
    const found = core.stateOp(this.#ptr, op, wire(limit, 2));
    if (found !== 1) return undefined;
    return this.tree._decode(out.entry());
  }

  #item(): MapleEntry<T> {
    return { index: out.index(), last: out.last(), entry: this.tree._decode(out.entry()) as T };
  }
}

keepShape(new MaState(IDLE as never));
