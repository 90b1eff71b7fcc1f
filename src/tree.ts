// MapleTree: the kernel's normal API (mtree_*, mt_*) over the core. No tree logic lives here:
// arguments are checked, entries encoded, the core called, statuses turned into errors.

import { core, out, readText, readI32, readU64, f64View, BATCH_CAPACITY, isShared, sharedCore, joinMemory, holdMemory, releaseHold } from './wasm';
import { loadWords, Indices, _dropScratch } from './batch';
import { RangeCursor } from './cursor';
import { keepShape } from './shapes';
import { MapleError, UseAfterFreeError, check } from './errors';
import { Index, ULONG_MAX, checkIndex, checkOrder, compare, isSafeKey, wire, successor } from './keys';
import { HandleTable, EntryMode, MAX_HANDLES } from './handles';
import { NodePool, defaultPool, synchronizeRcu, adoptPool } from './pool';
import { Gfp, gfpCode } from './gfp';
import { explainStore, explainErase, ExplainOptions, WriteExplanation } from './explain';
import { treeSVG, SvgOptions } from './svg';

/**
 * A range and the entry it holds; index and last are inclusive. K is the tree's key type:
 * `number | bigint` by default (numbers up to 2^53 - 1, bigints above), `number` in a tree made
 * with `keys: 'number'`.
 */
export interface MapleEntry<T, K extends Index = Index> {
  index: K;
  last: K;
  entry: T;
}

/**
 * What keys a tree takes and gives back. 'u64' (default): 0..2^64 - 1, results a `number` up to
 * 2^53 - 1 and a `bigint` above, never rounded. 'number': 0..2^53 - 1 only, so every result is a
 * `number`; a key argument above 2^53 - 1 throws a RangeError.
 */
export type KeyMode = 'u64' | 'number';

/** Options for a new tree; K is the key type the tree's results have (see KeyMode). */
export interface MapleTreeOptions<K extends Index = Index> {
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
  /**
   * 'u64' (default) or 'number' (see KeyMode). A tree typed `MapleTree<T, number>` must be made
   * with `keys: 'number'`, so its results really are numbers.
   */
  keys?: [K] extends [number] ? 'number' : KeyMode;
  /**
   * MT_FLAGS_USE_RCU (default false): writes never change a node a reader may be inside except
   * by one atomic slot store; they write new nodes and retire the old ones, as the mm's tree
   * does. Also switchable later with setInRcu / clearInRcu.
   */
  rcu?: boolean;
}

/** The constructor's arguments: options with `keys: 'number'` are required when K is number. */
export type MapleTreeArgs<K extends Index> = [K] extends [number]
  ? [options: MapleTreeOptions<K> & { keys: 'number' }]
  : [options?: MapleTreeOptions<K>];

/** What allocCyclic allocated. */
export interface CyclicAllocation<K extends Index = Index> {
  /** The index allocated. */
  index: K;
  /** Where the next search starts (index + 1; 0 after ULONG_MAX). */
  next: K;
  /** Whether the search wrapped around to min (or the last allocation took ULONG_MAX). */
  wrapped: boolean;
}

/**
 * What `share()` gives: all another thread needs to attach to the tree, every field
 * structured-clonable, so it can be posted to a Worker as it is (maple-wasm/shared only).
 * K is the tree's key type, as in MapleTree<T, K>.
 */
export interface SharedTreeHandle<K extends Index = Index> {
  /** Marks the object as a handle: 'maple-wasm/shared-tree'. */
  readonly type: 'maple-wasm/shared-tree';
  /** The compiled shared core (a WebAssembly.Module), so the Worker need not compile it again. */
  readonly module: object;
  /** The shared WebAssembly.Memory every tree, pool and node of the core lives in. */
  readonly memory: object;
  /** Address of the tree's header in the memory. */
  readonly tree: number;
  /** Address of the header of the tree's node pool. */
  readonly pool: number;
  /** The tree's key mode (see KeyMode). */
  readonly keys: [K] extends [number] ? 'number' : KeyMode;
  /** The entry mode: only numeric-entry trees are shared (object entries are per-thread handles). */
  readonly entries: 'number';
  /** Whether the tree tracks gaps (allocRange). */
  readonly allocRange: boolean;
  /**
   * Element 0: how many trees are attached to this one now, in every thread, over a
   * SharedArrayBuffer (the owner's free() and clearInRcu() refuse while it is above 0).
   */
  readonly attached: Int32Array;
}

/** @internal Which core call a write makes (see MapleTree._write). */
export const WRITE_STORE = 0;
export const WRITE_INSERT = 1;
export const WRITE_MAS_STORE = 2;
export const WRITE_MAS_STORE_PREALLOC = 3;
/** The same over [a, b]: the core sets the state's range first, in the same crossing. */
export const WRITE_MAS_STORE_RANGE = 4;
export const WRITE_MAS_STORE_PREALLOC_RANGE = 5;
export const WRITE_ALLOC = 6;
export const WRITE_ALLOC_REV = 7;
export const WRITE_ALLOC_CYCLIC = 8;

// ma_state operations of the core's stateOp.
const OP_READ = 7;
const OP_FIND = 1;
const OP_NEXT = 3;
const OP_PREV = 4;

const MAX_NUMBER_ENTRY = Number.MAX_SAFE_INTEGER - 1;
/** Ranges the inspect hook shows. */
const INSPECT_RANGES = 8;

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

/** A range for MapleTree.from: `[first, last, entry]` or `{ index, last, entry }`, ends inclusive. */
export type RangeInput<T> = MapleEntry<T, Index> | readonly [Index, Index, T | null];

/** Range i of MapleTree.from's input, checked: [first, last, entry]. */
function rangeAt<T>(r: RangeInput<T>, i: number): [Index, Index, T | null] {
  let a: unknown, b: unknown, e: unknown;
  if (Array.isArray(r)) {
    a = r[0];
    b = r[1];
    e = r[2];
  } else if (typeof r === 'object' && r !== null) {
    a = (r as MapleEntry<T>).index;
    b = (r as MapleEntry<T>).last;
    e = (r as MapleEntry<T>).entry;
  } else {
    throw new TypeError(`MapleTree.from: ranges[${i}] must be [first, last, entry] or { index, last, entry }, got ${typeof r}`);
  }
  // Names are built only for an argument that fails (a string per range costs more than a store).
  const first = isSafeKey(a) ? a : checkIndex(a, `ranges[${i}] first`);
  const last = isSafeKey(b) ? b : checkIndex(b, `ranges[${i}] last`);
  if (first > last) checkOrder(first, last, `ranges[${i}] first`, `ranges[${i}] last`);
  return [first, last, e as T | null];
}

/** Whether MapleTree.from's (checked) ranges ascend without overlapping. */
function ascending<T>(items: readonly RangeInput<T>[]): boolean {
  let prev: Index = -1;
  for (let i = 0; i < items.length; i++) {
    const [first, last] = rangeAt(items[i], i);
    if (first <= prev) return false;
    prev = last;
  }
  return true;
}

function numberKeyError(name: string, key: bigint): RangeError {
  return new RangeError(`${name} must be at most 2^53 - 1 in a tree made with keys: 'number', got ${key}`);
}

interface Held {
  ptr: number;
  mas: number;
}

/** A walk's ma_state and 4 KiB batch page in linear memory, reused from walk to walk. */
interface Kit {
  mas: number;
  buf: number;
}

/** An open walk (see MapleTree.#openWalk); kit undefined: stepping with the tree's own state. */
interface Walk<T, K extends Index = Index> {
  kit: Kit | undefined;
  next(): number;
  item(i: number): MapleEntry<T, K>;
  restartAfter(end: Index): void;
  close(): void;
}

// Kits not in use. Nested walks take one each; past KITS_KEPT, kits given back are freed.
const kits: Kit[] = [];
const KITS_KEPT = 4;
let kitsMade = 0;

/** A kit bound to tree, from the spare ones or newly made; undefined when memory is full. */
function acquireKit(tree: number): Kit | undefined {
  const kit = kits.pop();
  if (kit !== undefined) {
    core.stateBind(kit.mas, tree);
    return kit;
  }
  const mas = core.stateNew(tree);
  if (mas === 0) return undefined;
  const buf = core.batchNew();
  if (buf === 0) {
    core.stateFree(mas);
    return undefined;
  }
  kitsMade++;
  return { mas, buf };
}

function releaseKit(kit: Kit): void {
  if (kits.length < KITS_KEPT) {
    kits.push(kit);
  } else {
    core.batchFree(kit.buf);
    core.stateFree(kit.mas);
  }
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * The iterator of MapleTree.entries(): batches of decoded ranges, fetched one at a time, so
 * that it holds no linear memory between two calls of next().
 */
class EntryIterator<T, K extends Index> implements IterableIterator<MapleEntry<T, K>> {
  #tree: MapleTree<T, K>;
  #from: Index | undefined; // where the next batch starts (undefined: no more)
  #last: Index;
  #batch: MapleEntry<T, K>[] = [];
  #i = 0;
  #version = 0;

  constructor(tree: MapleTree<T, K>, first: Index, last: Index) {
    this.#tree = tree;
    this.#from = first;
    this.#last = last;
  }

  next(): IteratorResult<MapleEntry<T, K>> {
    const tree = this.#tree;
    let batch = this.#batch;
    let i = this.#i;
    if (i > 0 && tree._version !== this.#version) {
      // The tree changed since the last range returned: go on from just after it.
      this.#from = successor(batch[i - 1].last);
      batch = this.#batch = [];
      i = 0;
    }
    if (i === batch.length) {
      const from = this.#from;
      if (from === undefined || !tree._alive) return DONE;
      batch = this.#batch = tree._fetch(from, this.#last);
      i = 0;
      if (batch.length === 0) {
        this.#from = undefined;
        return DONE;
      }
      this.#from = tree._fetchedAll ? undefined : successor(batch[batch.length - 1].last);
    }
    this.#version = tree._version;
    this.#i = i + 1;
    return { done: false, value: batch[i] };
  }

  /** Stop early (a for...of break): nothing to give back, the walk holds no memory. */
  return(): IteratorResult<MapleEntry<T, K>> {
    this.#from = undefined;
    this.#batch = [];
    this.#i = 0;
    return DONE;
  }

  [Symbol.iterator](): IterableIterator<MapleEntry<T, K>> {
    return this;
  }
}

keepShape(new EntryIterator(null as never, 0n, 0n));

/** @internal Free the spare walk kits (this thread leaves a shared memory). */
export function _dropKits(): void {
  for (const kit of kits.splice(0)) {
    core.batchFree(kit.buf);
    core.stateFree(kit.mas);
  }
  kitsMade = 0;
}

/** @internal Kits made so far and kits spare now, for leak tests. */
export function _walkKits(): { made: number; spare: number } {
  return { made: kitsMade, spare: kits.length };
}

const finalizer = new FinalizationRegistry<Held>((held) => {
  SHARED: {
    // A shared tree that trees in other threads are attached to is left to them (a leak, not a
    // header freed under their reads).
    const attached = sharedCounters.get(held.ptr);
    sharedCounters.delete(held.ptr);
    if (attached !== undefined && Atomics.compareExchange(attached, 0, 0, FREED) !== 0) {
      core.stateFree(held.mas);
      return;
    }
  }
  core.treeDelete(held.ptr);
  core.stateFree(held.mas);
});

// ── sharing (maple-wasm/shared; every statement labelled SHARED is dropped from other bundles) ──

const SHARED_TREE = 'maple-wasm/shared-tree';
/** A handle's attached count once its tree was freed: attach() then refuses. */
const FREED = -0x4000_0000;
/** Per tree object that was shared or attached: its handle, and whether it is attached. */
const sharings = new WeakMap<object, { handle: SharedTreeHandle; attached: boolean }>();
/** Attached counts of the shared trees this thread owns, by header address (for the finalizer). */
const sharedCounters = new Map<number, Int32Array>();
/** The handle the constructor attaches to (set by attachTree around `new`). */
let attaching: SharedTreeHandle | undefined;
/** An attached tree collected without detach(): its state is freed and it counts as detached. */
const attachedFinalizer = /* @__PURE__ */ new FinalizationRegistry<{ mas: number; attached: Int32Array }>((held) => {
  core.stateFree(held.mas);
  Atomics.sub(held.attached, 0, 1);
  leave();
});

/** One attached tree fewer in this thread; the last gives this thread's scratch back first. */
function leave(): void {
  releaseHold(() => {
    _dropKits();
    _dropScratch();
  });
}

/** Check what MapleTree.attach was given; a TypeError naming what is wrong. */
function checkHandle(h: unknown): SharedTreeHandle {
  const bad = (what: string): TypeError =>
    new TypeError(`MapleTree.attach: handle must be what share() returned (posted to this thread): ${what}`);
  if (typeof h !== 'object' || h === null) throw bad(`got ${h === null ? 'null' : typeof h}`);
  const x = h as Record<string, unknown>;
  if (x.type !== SHARED_TREE) throw bad('no type \'maple-wasm/shared-tree\'');
  for (const name of ['tree', 'pool']) {
    if (typeof x[name] !== 'number' || !Number.isInteger(x[name]) || (x[name] as number) <= 0) throw bad(`${name} is not an address`);
  }
  if (x.keys !== 'u64' && x.keys !== 'number') throw bad('keys is not \'u64\' or \'number\'');
  if (x.entries !== 'number') throw bad('entries is not \'number\'');
  if (typeof x.allocRange !== 'boolean') throw bad('allocRange is not a boolean');
  if (!(x.attached instanceof Int32Array) || Object.prototype.toString.call(x.attached.buffer) !== '[object SharedArrayBuffer]') {
    throw bad('attached is not an Int32Array over a SharedArrayBuffer');
  }
  if (!(x.module instanceof WebAssembly.Module) || !(x.memory instanceof WebAssembly.Memory)) {
    throw bad('module or memory is not a WebAssembly.Module / WebAssembly.Memory');
  }
  return h as SharedTreeHandle;
}

/** MapleTree.attach: a tree object over the handle's tree, in this thread (see attach). */
/** Trees attached in this thread, detached when its process (a Node Worker's) exits. */
const attachedHere = new Set<WeakRef<MapleTree<number, Index>>>();
let exitHooked = false;

/**
 * A Worker that ends without detach() would keep its reader slot and its count of attached trees
 * for good (the owner's free() then EBUSY for ever): in Node, where a Worker's exit (its loop
 * running dry, process.exit, an uncaught error) emits 'exit' on its process, detach what is
 * left then. Browsers have no such event: detach() in a finally there.
 */
function detachAtExit(tree: MapleTree<number, Index>): void {
  const ref = new WeakRef(tree);
  attachedHere.add(ref);
  if (exitHooked) return;
  const proc = (globalThis as { process?: { once?: (e: string, f: () => void) => void } }).process;
  if (typeof proc?.once !== 'function') return;
  exitHooked = true;
  proc.once('exit', () => {
    for (const r of attachedHere) {
      try { r.deref()?.detach(); } catch { /* already detached */ }
    }
    attachedHere.clear();
  });
}

function attachTree<K extends Index>(h: unknown): MapleTree<number, K> {
  const handle = checkHandle(h);
  joinMemory(handle.module as WebAssembly.Module, handle.memory as WebAssembly.Memory);
  holdMemory();
  const before = Atomics.add(handle.attached, 0, 1);
  try {
    if (before < 0) throw new Error('MapleTree.attach: the shared tree was freed by its owner');
    if (core.treeInRcu(handle.tree) !== 1) {
      throw new Error('MapleTree.attach: the tree left RCU mode (clearInRcu) after it was shared; share() it again');
    }
    attaching = handle;
    const tree = newTree<number, K>(undefined);
    detachAtExit(tree);
    return tree;
  } catch (e) {
    Atomics.sub(handle.attached, 0, 1);
    leave();
    throw e;
  } finally {
    attaching = undefined;
  }
}

/**
 * A maple tree: a range map over 0..ULONG_MAX with the kernel's semantics. Ranges are inclusive;
 * storing over part of a range splits it; storing null erases; adjacent empty ranges merge.
 *
 * Call `free()` when done to give back its nodes and header at once; an unreachable tree is
 * also freed when garbage-collected.
 */
export class MapleTree<T = unknown, K extends Index = Index> implements Iterable<MapleEntry<T, K>> {
  /** The pool this tree takes its nodes from. */
  readonly pool: NodePool;
  /** How entries are stored. */
  readonly entryMode: EntryMode;
  /** Whether the tree tracks gaps (made with allocRange: MT_FLAGS_ALLOC_RANGE, mt_is_alloc). */
  readonly isAlloc: boolean;
  /** What keys the tree takes and gives back (see KeyMode). */
  readonly keyMode: KeyMode;
  #ptr: number;
  #mas: number;
  #handles = new HandleTable<T>();
  #version = 0;
  #scratch: number[] = [];
  readonly #numeric: boolean;
  readonly #numberKeys: boolean;

  /**
   * DEFINE_MTREE / mt_init_flags: an empty tree. Throws a TypeError naming `options` when it is
   * not an object, and a TypeError or RangeError naming the option that is wrong.
   */
  constructor(...args: MapleTreeArgs<K>) {
    SHARED: if (attaching !== undefined) {
      // MapleTree.attach: over the handle's tree, which this object never frees.
      const handle = attaching;
      this.keyMode = handle.keys;
      this.#numberKeys = handle.keys === 'number';
      this.pool = adoptPool(handle.pool);
      this.entryMode = 'number';
      this.#numeric = true;
      this.isAlloc = handle.allocRange;
      this.#mas = core.stateNew(handle.tree);
      if (this.#mas === 0) throw new MapleError('ENOMEM', 'MapleTree.attach');
      this.#ptr = handle.tree;
      sharings.set(this, { handle, attached: true });
      attachedFinalizer.register(this, { mas: this.#mas, attached: handle.attached }, this);
      return;
    }
    const options: unknown = args[0] ?? {};
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`MapleTree: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
    }
    const { pool = defaultPool(), entries = 'object', allocRange = false, keys = 'u64', rcu = false } =
      options as MapleTreeOptions<Index>;
    if (typeof rcu !== 'boolean') throw new TypeError('options.rcu must be a boolean');
    if (!(pool instanceof NodePool)) throw new TypeError('options.pool must be a NodePool');
    if (entries !== 'object' && entries !== 'number') {
      throw new RangeError(`options.entries must be 'object' or 'number', got ${String(entries)}`);
    }
    if (typeof allocRange !== 'boolean') throw new TypeError('options.allocRange must be a boolean');
    if (keys !== 'u64' && keys !== 'number') {
      throw new RangeError(`options.keys must be 'u64' or 'number', got ${String(keys)}`);
    }
    this.keyMode = keys;
    this.#numberKeys = keys === 'number';
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
    if (rcu) core.treeSetRcu(this.#ptr, 1);
    finalizer.register(this, { ptr: this.#ptr, mas: this.#mas }, this);
    if (kitsMade === 0) {
      // The first tree makes the first walk kit, so that a walk finds one even at a full memory.
      const kit = acquireKit(this.#ptr);
      if (kit !== undefined) releaseKit(kit);
    }
  }

  /** The largest key the tree takes: ULONG_MAX, or 2^53 - 1 with keys: 'number'. */
  get #top(): Index {
    return this.#numberKeys ? Number.MAX_SAFE_INTEGER : ULONG_MAX;
  }

  /** Check a key argument: checkIndex, and no bigint beyond 2^53 - 1 with keys: 'number'. */
  #key(x: unknown, name: string): Index {
    const i = checkIndex(x, name);
    if (typeof i === 'bigint' && this.#numberKeys) throw numberKeyError(name, i);
    return i;
  }

  /** The tree's own ma_state, for walks; throws once the tree is freed. */
  get #state(): number {
    if (this.#ptr === 0) throw new UseAfterFreeError('MapleTree', 'walk');
    return this.#mas;
  }

  /** @internal Address of the tree header. */
  get ptr(): number {
    if (this.#ptr === 0) throw new UseAfterFreeError('MapleTree', 'use');
    return this.#ptr;
  }

  // ── writes ──

  /**
   * mtree_store: store entry at index, overwriting; null erases. Throws MapleError ENOMEM
   * (tree unchanged) when the nodes the write needs cannot be allocated with gfp.
   */
  store(index: Index, entry: T | null, gfp?: Gfp): void {
    const i = this.#key(index, 'index');
    this._write('store', i, i, entry, WRITE_STORE, gfpCode(gfp, 'store'));
  }

  /** mtree_store_range: store entry over [first, last], overwriting; null erases the range. */
  storeRange(first: Index, last: Index, entry: T | null, gfp?: Gfp): void {
    const a = this.#key(first, 'first');
    const b = this.#key(last, 'last');
    checkOrder(a, b, 'first', 'last');
    this._write('storeRange', a, b, entry, WRITE_STORE, gfpCode(gfp, 'storeRange'));
  }

  /** mtree_insert: store entry at index; throws MapleError EEXIST if index holds an entry. */
  insert(index: Index, entry: T | null, gfp?: Gfp): void {
    const i = this.#key(index, 'index');
    this._write('insert', i, i, entry, WRITE_INSERT, gfpCode(gfp, 'insert'));
  }

  /** mtree_insert_range: store over [first, last]; EEXIST if any index there holds an entry. */
  insertRange(first: Index, last: Index, entry: T | null, gfp?: Gfp): void {
    const a = this.#key(first, 'first');
    const b = this.#key(last, 'last');
    checkOrder(a, b, 'first', 'last');
    this._write('insertRange', a, b, entry, WRITE_INSERT, gfpCode(gfp, 'insertRange'));
  }

  /**
   * mtree_erase: remove the whole range holding index; returns its entry, if any. Erasing can
   * need nodes (a rebalance), allocated as every write's are: a 'nowait' attempt first, then
   * gfp ('kernel' by default). So it may throw MapleError ENOMEM, leaving the tree unchanged;
   * a TypeError for a gfp other than 'kernel' or 'nowait'.
   */
  erase(index: Index, gfp?: Gfp): T | undefined {
    const i = this.#key(index, 'index');
    const g = gfpCode(gfp, 'erase');
    return this._erased(check(core.treeErase(this.ptr, wire(i, 0), g), 'erase'));
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

  /**
   * Destroy the tree and release its header; the object cannot be used afterwards. A second
   * call does nothing. A shared tree (maple-wasm/shared): MapleError EBUSY, changing nothing,
   * while trees in other threads are attached to it (they must detach() first); an attached
   * tree: TypeError (its owner frees it; detach() it).
   */
  free(): void {
    if (this.#ptr === 0) return;
    SHARED: {
      const sharing = sharings.get(this);
      if (sharing?.attached) {
        throw new TypeError('MapleTree.free: an attached tree is freed by the thread that shared it; detach() it');
      }
      if (sharing !== undefined) {
        const n = Atomics.compareExchange(sharing.handle.attached, 0, 0, FREED);
        if (n > 0) {
          throw new MapleError('EBUSY', 'free', `${n} attached tree${n === 1 ? ' is' : 's are'} still reading it: detach() ${n === 1 ? 'it' : 'them'} first`);
        }
        sharedCounters.delete(this.#ptr);
      }
    }
    finalizer.unregister(this);
    core.treeDelete(this.#ptr);
    core.stateFree(this.#mas);
    this.#handles.clear();
    this.#ptr = 0;
    this.#version++;
  }

  /**
   * mt_dup: a structural copy in the same pool, sharing no nodes, with the same flags (RCU mode
   * and allocation range included, as mas_dup_build copies ma_flags). ENOMEM leaves no copy.
   */
  dup(): MapleTree<T, K> {
    const copy = newTree<T, K>({ pool: this.pool, entries: this.entryMode, allocRange: this.isAlloc,
      keys: this.keyMode });
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
  allocRange(size: Index, entry: T, min: Index = 0, max: Index = this.#top, gfp?: Gfp): K {
    return this.#alloc('allocRange', WRITE_ALLOC, size, entry, min, max, gfp);
  }

  /** mtree_alloc_rrange: as allocRange, at the highest fitting indices. */
  allocRRange(size: Index, entry: T, min: Index = 0, max: Index = this.#top, gfp?: Gfp): K {
    return this.#alloc('allocRRange', WRITE_ALLOC_REV, size, entry, min, max, gfp);
  }

  /**
   * mtree_alloc_cyclic: store entry at the lowest free index in [min, max] at or after next,
   * wrapping around to min when there is none; ID allocation that does not reuse IDs at once.
   */
  allocCyclic(entry: T, min: Index, max: Index, next: Index, gfp?: Gfp): CyclicAllocation<K> {
    const lo = this.#key(min, 'min');
    const hi = this.#key(max, 'max');
    checkOrder(lo, hi, 'min', 'max');
    const from = this.#key(next, 'next');
    if (entry === null) throw new TypeError('allocCyclic: entry must not be null');
    const g = gfpCode(gfp, 'allocCyclic');
    out.setNext(from);
    let wrapped = false;
    this.#explainEinval('allocCyclic', () => this._write('allocCyclic', lo, lo, entry, WRITE_ALLOC_CYCLIC, g, 0, (status) => {
      wrapped = status === 1;
    }, hi), `need min <= max (min ${lo}, max ${hi})`);
    return { index: out.index() as K, next: out.next() as K, wrapped };
  }

  #alloc(op: string, kind: number, size: Index, entry: T, min: Index, max: Index, gfp: Gfp | undefined): K {
    const n = checkIndex(size, 'size');
    const lo = this.#key(min, 'min');
    const hi = this.#key(max, 'max');
    checkOrder(lo, hi, 'min', 'max');
    if (entry === null) throw new TypeError(`${op}: entry must not be null`);
    const g = gfpCode(gfp, op);
    this.#explainEinval(op, () => this._write(op, lo, hi, entry, kind, g, 0, undefined, n),
      `need 1 <= size <= max - min + 1 (min ${lo}, max ${hi}, size ${n})`);
    return out.index() as K;
  }

  /** Run an allocating write, giving an EINVAL from the core its reason. */
  #explainEinval(op: string, write: () => void, window: string): void {
    try {
      write();
    } catch (e) {
      if (!(e instanceof MapleError) || e.code !== 'EINVAL') throw e;
      throw new MapleError('EINVAL', op, this.isAlloc ? window
        : 'the tree does not track gaps: make it with new MapleTree({ allocRange: true }) (MT_FLAGS_ALLOC_RANGE)');
    }
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
    const i = this.#key(index, 'index');
    return this.#decode(core.treeLoad(this.ptr, wire(i, 0)));
  }

  /**
   * mtree_load for a batch of indices, answered in order: out[i] is the entry at indices[i].
   * Indices are non-negative safe integers (a Float64Array or an array of numbers) or any u64 (a
   * BigUint64Array). A numeric-entry tree answers in a Float64Array (`out` if given, at least
   * as long as indices; NaN where an index holds nothing); an object-entry tree in an array
   * (undefined for nothing; `out` is refused). The walks run 32 at a time, level by level,
   * so their cache misses overlap: on a large tree several times the rate of load() in a loop.
   * RangeError/TypeError naming the position of a bad index; nothing is written from its chunk.
   */
  loadMany(indices: Indices, out: Float64Array): Float64Array;
  loadMany(indices: Indices): Float64Array | (T | undefined)[];
  loadMany(indices: Indices, out?: Float64Array): Float64Array | (T | undefined)[] {
    if (!(indices instanceof Float64Array || indices instanceof BigUint64Array || Array.isArray(indices))) {
      throw new TypeError('loadMany: indices must be a Float64Array, a BigUint64Array or an array of numbers');
    }
    if (this.#numberKeys && indices instanceof BigUint64Array) {
      // load() refuses such a key on a keys: 'number' tree; so does the batch
      for (let k = 0; k < indices.length; k++) {
        if (indices[k] > 9007199254740991n) {
          throw new RangeError(`loadMany: indices[${k}] must be at most 2^53 - 1 (keys: 'number'), got ${indices[k]}`);
        }
      }
    }
    const tree = this.ptr;
    if (this.#numeric) {
      if (out !== undefined && !(out instanceof Float64Array && out.length >= indices.length)) {
        throw new TypeError(`loadMany: out must be a Float64Array of at least ${indices.length} elements`);
      }
      const result = out ?? new Float64Array(indices.length);
      loadWords(tree, indices, result, true, 'loadMany');
      return result;
    }
    if (out !== undefined) throw new TypeError('loadMany: out is for numeric-entry trees (entries: \'number\')');
    const words = new Float64Array(indices.length);
    loadWords(tree, indices, words, false, 'loadMany');
    return Array.from(words, (w) => this.#decode(w));
  }

  /**
   * mt_find: the first entry whose range ends at or after index and starts at or before max,
   * with its whole range (which may start below index).
   */
  find(index: Index, max: Index = this.#top): MapleEntry<T, K> | undefined {
    const i = this.#key(index, 'index');
    const m = this.#key(max, 'max');
    checkOrder(i, m, 'index', 'max');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_FIND, wire(m, 2)));
  }

  /**
   * mt_next: the first entry after the range holding index, starting at or before max.
   * RangeError naming index when index > max (as find).
   */
  next(index: Index, max: Index = this.#top): MapleEntry<T, K> | undefined {
    const i = this.#key(index, 'index');
    const m = this.#key(max, 'max');
    checkOrder(i, m, 'index', 'max');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_NEXT, wire(m, 2)));
  }

  /**
   * mt_prev: the last entry before the range holding index, ending at or after min.
   * RangeError naming min when min > index.
   */
  prev(index: Index, min: Index = 0): MapleEntry<T, K> | undefined {
    const i = this.#key(index, 'index');
    const m = this.#key(min, 'min');
    checkOrder(m, i, 'min', 'index');
    core.stateSet(this.#state, wire(i, 0), wire(i, 1));
    return this.#result(core.stateOp(this.#state, OP_PREV, wire(m, 2)));
  }

  /**
   * mt_for_each as an iterator: every entry whose range meets [first, last], in index order, as
   * { index, last, entry } (index and last inclusive; a number, or a bigint beyond 2^53 - 1).
   * Writes during the iteration are allowed: the walk resumes after the last range it returned.
   * Throws TypeError / RangeError naming first or last for a bad bound, at once.
   *
   * Allocates no linear memory in the common case and holds none between two calls of next():
   * each batch of ranges is fetched through an ma_state and a batch page borrowed from a small
   * shared set (one made with the first tree), decoded, and the pair given back; the next batch
   * starts afresh after the last range. When none is free and memory cannot grow, it steps with
   * the tree's own state instead, one O(log n) walk per entry. So an iterator dropped before
   * its end costs nothing but its JS objects.
   */
  entries(first: Index = 0, last: Index = this.#top): IterableIterator<MapleEntry<T, K>> {
    const [a, b] = this.#walkRange(first, last);
    return new EntryIterator<T, K>(this, a, b);
  }

  /** @internal The tree's write count (entries() restarts when it moved). */
  get _version(): number {
    return this.#version;
  }

  /** @internal Whether the tree is not yet freed. */
  get _alive(): boolean {
    return this.#ptr !== 0;
  }

  /** @internal The next batch of a walk from `from` up to b (see #fetch); and whether it ended. */
  _fetch(from: Index, b: Index): MapleEntry<T, K>[] {
    return this.#fetch(from, b);
  }

  /** @internal Whether the last _fetch reached the end of its walk. */
  get _fetchedAll(): boolean {
    return this.#fetchedAll;
  }

  /** Whether the last #fetch reached the end of its walk. */
  #fetchedAll = false;

  /**
   * The next batch of ranges of a walk from `from` up to b, decoded: up to a batch page's worth
   * through a borrowed kit (given back before returning), else one range through the tree's own
   * state. Sets #fetchedAll.
   */
  #fetch(from: Index, b: Index): MapleEntry<T, K>[] {
    const walk = this.#openWalk(from, b);
    const n = walk.next();
    const items = new Array<MapleEntry<T, K>>(n);
    for (let k = 0; k < n; k++) items[k] = walk.item(k);
    this.#fetchedAll = n === 0 || (walk.kit !== undefined && n < BATCH_CAPACITY);
    walk.close();
    return items;
  }

  /**
   * A range cursor over a numeric-entry tree: the ranges meeting [first, last] a batch at a
   * time, as Float64Array columns (see RangeCursor). TypeError on an object-entry tree.
   *
   *     const c = mt.cursor();
   *     for (let n = c.next(); n > 0; n = c.next())
   *       for (let k = 0; k < n; k++) sum += c.entry[k];
   */
  cursor(first: Index = 0, last: Index = this.#top): RangeCursor {
    if (!this.#numeric) throw new TypeError('cursor: needs a numeric-entry tree (entries: \'number\'); use entries()');
    const [a, b] = this.#walkRange(first, last);
    return new RangeCursor(this.ptr, a, b, () => this.#ptr !== 0);
  }

  /**
   * mt_for_each with a callback, the fastest way through a tree: fn(entry, index, last) for
   * every entry whose range meets [first, last], in index order. fn may write to the tree;
   * the walk then resumes after the range it was given. Allocates nothing in the common case
   * (see entries()).
   */
  forEach(fn: (entry: T, index: K, last: K) => void, first: Index = 0,
          last: Index = this.#top): void {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    const [a, b] = this.#walkRange(first, last);
    const walk = this.#openWalk(a, b);
    try {
      let n: number;
      while ((n = walk.next()) > 0) {
        if (walk.kit === undefined) {
          const version = this.#version;
          const item = walk.item(0);
          fn(item.entry, item.index, item.last);
          if (this.#version !== version) walk.restartAfter(item.last);
          continue;
        }
        let words = f64View();
        for (let i = 0, r = walk.kit.buf >>> 3; i < n; i++, r += 3) {
          const version = this.#version;
          const word = words[r + 2];
          if (word > 0) {
            fn(this.#entry(word), words[r] as K, words[r + 1] as K);
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

  #walkRange(first: Index, last: Index): [Index, Index] {
    const a = this.#key(first, 'first');
    const b = this.#key(last, 'last');
    checkOrder(a, b, 'first', 'last');
    if (this.#ptr === 0) throw new UseAfterFreeError('MapleTree', 'walk');
    return [a, b];
  }

  /**
   * A walk over [a, b], fetching a batch of ranges per core call into a borrowed kit (its own
   * ma_state and batch page, so code run between two batches may walk too); without a kit, one
   * range per step through the tree's own state, re-walked from the range after the last one.
   */
  #openWalk(a: Index, b: Index): Walk<T, K> {
    const kit = acquireKit(this.ptr);
    let done = false;
    if (kit === undefined) {
      // No kit and no memory for one: step with the tree's state, which other reads may move,
      // so every step starts afresh from where the walk is.
      let from: Index | undefined = a;
      let item: MapleEntry<T, K> | undefined;
      return {
        kit,
        next: (): number => {
          if (from === undefined || this.#ptr === 0) return 0;
          core.stateSet(this.#mas, wire(from, 0), wire(from, 1));
          if (core.stateOp(this.#mas, OP_FIND, wire(b, 2)) !== 1) {
            from = undefined;
            return 0;
          }
          item = this.#item();
          from = successor(item.last);
          return 1;
        },
        item: (): MapleEntry<T, K> => item as MapleEntry<T, K>,
        restartAfter: (end: Index): void => {
          from = successor(end);
        },
        close: (): void => {},
      };
    }
    const { mas, buf } = kit;
    core.stateSet(mas, wire(a, 0), wire(a, 1));
    let closed = false;
    return {
      kit,
      /** Fetch the next batch; returns its length (0 at the end). */
      next: (): number => {
        if (done || this.#ptr === 0) return 0;
        const n = core.stateFindBatch(mas, wire(b, 2), buf);
        if (n < BATCH_CAPACITY) done = true;
        return n;
      },
      /** Range i of the current batch. */
      item: (i: number): MapleEntry<T, K> => {
        const rec = buf + i * 24;
        const words = f64View();
        const word = words[(rec >>> 3) + 2];
        if (word >= 0) {
          return { index: words[rec >>> 3] as K, last: words[(rec >>> 3) + 1] as K, entry: this.#decode(word) as T };
        }
        // A range reaching past 2^53 - 1: raw u64 bits, entry word stored as -(word + 1).
        return { index: readU64(rec) as K, last: readU64(rec + 8) as K, entry: this.#decode(-word - 1) as T };
      },
      restartAfter: (end: Index): void => {
        const from = successor(end);
        done = from === undefined || this.#ptr === 0;
        if (!done) core.stateSet(mas, wire(from as Index, 0), wire(from as Index, 1));
      },
      close: (): void => {
        if (closed) return;
        closed = true;
        releaseKit(kit);
      },
    };
  }

  [Symbol.iterator](): IterableIterator<MapleEntry<T, K>> {
    return this.entries();
  }

  /** True when no index holds an entry. */
  isEmpty(): boolean {
    // Not just mtree_empty (no root): a leaf left holding one NULL range (the kernel's exact-fit
    // NULL store over [0, ULONG_MAX]) holds no entry either.
    core.stateSet(this.#state, 0, 0);
    return core.stateOp(this.#state, OP_FIND, wire(ULONG_MAX, 2)) !== 1;
  }

  /**
   * Ranges holding an entry (non-null), O(1): the core keeps the count exact through every
   * write (a failed write changes nothing). No kernel counterpart; the kernel counts nothing.
   */
  get size(): number {
    return core.treeCount(this.ptr);
  }

  /** Whether index holds an entry (mtree_load(index) != NULL). Same argument checks as load. */
  has(index: Index): boolean {
    return this.load(index) !== undefined;
  }

  /**
   * The first index of every range meeting [first, last], in index order, so that
   * `load(key)` gives the range's entry (mt_for_each, keeping the starts).
   */
  *keys(first: Index = 0, last: Index = this.#top): IterableIterator<K> {
    for (const item of this.entries(first, last)) yield item.index;
  }

  /** The entry of every range meeting [first, last], in index order (mt_for_each). */
  *values(first: Index = 0, last: Index = this.#top): IterableIterator<T> {
    for (const item of this.entries(first, last)) yield item.entry;
  }

  /** Empty the tree, as destroy() (mtree_destroy): every node back to the pool, size 0. */
  clear(): void {
    this.destroy();
  }

  /**
   * A new tree holding the given ranges: `{ index, last, entry }` objects (as entries() yields)
   * or `[first, last, entry]` tuples, both ends inclusive. Ranges in ascending index order that
   * do not overlap are bulk-loaded as the kernel does (mas_expected_entries: the nodes for all
   * of them are reserved at once); otherwise each is stored in turn with
   * storeRange, a later range overwriting an earlier one. Argument errors (TypeError /
   * RangeError naming `ranges[i]`) and MapleError ENOMEM leave no tree behind.
   */
  static from<T, K extends Index = Index>(
    ranges: Iterable<RangeInput<T>>,
    ...args: MapleTreeArgs<K>
  ): MapleTree<T, K> {
    if (ranges == null || typeof (ranges as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`MapleTree.from: ranges must be iterable, got ${ranges === null ? 'null' : typeof ranges}`);
    }
    const items: readonly RangeInput<T>[] = Array.isArray(ranges) ? ranges : Array.from(ranges);
    // Ascending input is wholly checked before the tree is made; other input is checked as it is
    // stored (an error frees the tree).
    const bulk = ascending(items) && items.length > 1 && items.length <= 1e8;
    const tree = newTree<T, K>(args[0]);
    try {
      if (bulk) tree.#bulkLoad(items);
      else for (let i = 0; i < items.length; i++) tree.storeRange(...rangeAt(items[i], i));
    } catch (err) {
      tree.free();
      throw err;
    }
    return tree;
  }

  /** Store ascending, non-overlapping ranges through one ma_state in expected-entries mode. */
  #bulkLoad(items: readonly RangeInput<T>[]): void {
    const mas = core.stateNew(this.ptr);
    if (mas === 0) throw new MapleError('ENOMEM', 'MapleTree.from');
    try {
      check(core.stateExpectedEntries(mas, items.length, 0), 'MapleTree.from');
      for (let i = 0; i < items.length; i++) {
        const [a, b, e] = rangeAt(items[i], i);
        this._write('MapleTree.from', a, b, e, WRITE_MAS_STORE_RANGE, 0, mas);
      }
    } finally {
      core.stateDestroy(mas);
      core.stateFree(mas);
    }
  }

  /** 'MapleTree', so Object.prototype.toString gives '[object MapleTree]'. */
  get [Symbol.toStringTag](): string {
    return 'MapleTree';
  }

  /**
   * What console.log and util.inspect show: size, height and the first few ranges, e.g.
   * `MapleTree(2) { height: 1, [4096, 8191] => 'text', [12288, 16383] => 'data' }`.
   */
  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: { depth?: number | null },
                                              inspect: (v: unknown, o?: unknown) => string): string {
    if (this.#ptr === 0) return 'MapleTree <freed>';
    const size = this.size;
    if (depth < 0) return `[MapleTree(${size})]`;
    const show = typeof inspect === 'function'
      ? (v: unknown) => inspect(v, { ...options, depth: options?.depth == null ? null : options.depth - 1 })
      : (v: unknown) => String(v);
    const parts = [`height: ${this.height}`];
    let shown = 0;
    for (const { index, last, entry } of this.entries()) {
      if (shown === INSPECT_RANGES) break;
      parts.push(`[${show(index)}, ${show(last)}] => ${show(entry)}`);
      shown++;
    }
    if (size > shown) parts.push(`... ${size - shown} more`);
    return `MapleTree(${size}) { ${parts.join(', ')} }`;
  }

  /** Whether the tree is in RCU mode (mt_in_rcu). */
  get inRcu(): boolean {
    return core.treeInRcu(this.ptr) === 1;
  }

  /**
   * mt_set_in_rcu: from the next write on, no node a reader may be inside is rewritten (new
   * nodes replace it; appends and most slot stores become node stores).
   */
  setInRcu(): void {
    core.treeSetRcu(this.ptr, 1);
  }

  /**
   * mt_clear_in_rcu: writes go back to rewriting nodes in place. A shared tree
   * (maple-wasm/shared): MapleError EBUSY, the tree staying in RCU mode, while any tree is
   * attached to it (a write in place under a reader in another thread could show it a node
   * half rewritten).
   */
  clearInRcu(): void {
    core.treeSetRcu(this.ptr, 0);
    SHARED: {
      const sharing = sharings.get(this);
      const n = sharing === undefined ? 0 : Atomics.load(sharing.handle.attached, 0);
      if (n > 0) {
        core.treeSetRcu(this.#ptr, 1);
        throw new MapleError('EBUSY', 'clearInRcu', `${n} attached tree${n === 1 ? ' reads' : 's read'} it from other threads: a shared tree stays in RCU mode until they detach()`);
      }
    }
  }

  /**
   * A handle other threads attach to this tree with (maple-wasm/shared): structured-clonable,
   * post it to a Worker and call MapleTree.attach(handle) there. Puts the tree in RCU mode
   * (mt_set_in_rcu) if it is not, since only RCU-mode writes are safe under readers in other
   * threads; clearInRcu() then refuses while any tree is attached. The same handle each call.
   * No kernel counterpart: the kernel's readers share the tree's address space already.
   * TypeError for an object-entry tree (its entries are handles into this thread's heap: share
   * a tree made with entries: 'number'), and in the default build (import from
   * 'maple-wasm/shared'), whose memory is not shared. Error where SharedArrayBuffer is missing
   * (a browser page that is not cross-origin isolated: see the README).
   */
  share(): SharedTreeHandle<K> {
    SHARED: if (isShared()) {
      const ptr = this.ptr;
      if (!this.#numeric) {
        throw new TypeError('share: only a numeric-entry tree (entries: \'number\') can be shared: object entries are handles into this thread\'s heap');
      }
      if (typeof SharedArrayBuffer === 'undefined') {
        throw new Error('share: SharedArrayBuffer is not available, so the memory cannot be posted to a Worker: ' +
          'a page must be cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and ' +
          'Cross-Origin-Embedder-Policy: require-corp)');
      }
      if (core.treeInRcu(ptr) !== 1) core.treeSetRcu(ptr, 1);
      let sharing = sharings.get(this);
      if (sharing === undefined) {
        const { module, memory } = sharedCore();
        const handle: SharedTreeHandle = {
          type: SHARED_TREE, module, memory, tree: ptr, pool: this.pool.ptr, keys: this.keyMode,
          entries: 'number', allocRange: this.isAlloc, attached: new Int32Array(new SharedArrayBuffer(4)),
        };
        sharing = { handle, attached: false };
        sharings.set(this, sharing);
        sharedCounters.set(ptr, handle.attached);
      }
      return sharing.handle as SharedTreeHandle<K>;
    }
    throw notShared('share');
  }

  /**
   * A tree object over a tree another thread shared (maple-wasm/shared): `handle` is what its
   * share() returned, posted to this thread. Every read works (load, has, loadMany, find, next,
   * prev, entries, keys, values, forEach, cursor, MaState walks, emptyArea, size, height), inside
   * RCU read sections that never block: a read sees, at each index, the entry before or after a
   * write running in another thread. Writes work too: they take the core's write lock, so they
   * run one at a time with every other thread's. The tree's pool is `pool`, an object that
   * cannot be freed. Never frees the tree or pool, not even when collected; detach() when done.
   * In a Worker the first attach starts the core over the handle's memory (an Error when this
   * thread already made a tree or pool of its own first). Also works in the thread that shared
   * the tree (another object over the same tree). TypeError for something not a handle or in the
   * default build; Error when the tree was freed, left RCU mode, or all 64 reader slots are taken.
   */
  static attach<K extends Index = Index>(handle: SharedTreeHandle<K>): MapleTree<number, K> {
    SHARED: return attachTree<K>(handle);
    throw notShared('MapleTree.attach');
  }

  /**
   * Let go of a tree from MapleTree.attach (maple-wasm/shared): this object's state goes back
   * and every later use throws UseAfterFreeError; the tree itself stays, its owner's. When the
   * last attached tree of a Worker detaches, the Worker's core leaves the shared memory
   * (instanceDetach: its reader slot goes back); anything else made there over that memory
   * throws from then on, until the next attach. A second call does nothing. TypeError for a tree
   * that is not attached (free() it instead).
   */
  detach(): void {
    SHARED: {
      const sharing = sharings.get(this);
      if (sharing?.attached) {
        if (this.#ptr === 0) return;
        attachedFinalizer.unregister(this);
        core.stateFree(this.#mas);
        this.#ptr = 0;
        this.#mas = 0;
        this.#version++;
        Atomics.sub(sharing.handle.attached, 0, 1);
        for (const r of attachedHere) if (r.deref() === (this as unknown)) attachedHere.delete(r);
        leave();
        return;
      }
      throw new TypeError('detach: only a tree from MapleTree.attach() detaches; free() a tree made here');
    }
    throw notShared('detach');
  }

  /**
   * synchronize_rcu: wait until every reader that was inside a read section when this was called
   * has left it, then free the nodes writes retired before it (all pools). With no reader
   * attached nothing waits. Throws an Error after `timeoutMs` milliseconds (default 10,000) if a
   * reader is still inside, naming how many nodes still wait (a reader thread that was terminated
   * inside a read can hold them for ever).
   */
  synchronize(timeoutMs = 10_000): void {
    synchronizeRcu(timeoutMs);
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
    this.#validateSize();
    if (this.entryMode === 'object') this.#validateHandles();
  }

  /**
   * mt_dump, streamed: fn(text) is called with the dump a chunk at a time, each chunk whole
   * lines ending in '\n' (at most 4 KiB), in order: a line for the tree, then depth-first one
   * line per node (its range, type, address, parent word, end) followed by its slots (a
   * leaf's ranges and entry words; an arange_64 node's gaps before its children). Needs no
   * memory beyond a walk's state and batch page (borrowed, given back; MapleError ENOMEM when
   * none is free and memory cannot grow). fn must not write to the tree: a write, or free(),
   * during the dump stops it with an Error.
   */
  dumpTo(fn: (text: string) => void): void {
    if (typeof fn !== 'function') throw new TypeError('dumpTo: fn must be a function');
    const kit = acquireKit(this.ptr);
    if (kit === undefined) throw new MapleError('ENOMEM', 'dump');
    try {
      core.dumpStart(this.#ptr, kit.mas);
      const version = this.#version;
      let n: number;
      while ((n = core.dumpNext(kit.mas, kit.buf)) > 0) {
        fn(readText(kit.buf, n));
        if (this.#version !== version || this.#ptr === 0) {
          throw new Error('MapleTree.dumpTo: the tree changed during the dump');
        }
      }
    } finally {
      releaseKit(kit);
    }
  }

  /** mt_dump: the whole dump (see dumpTo) as one string; for trees of up to a few million ranges. */
  dump(): string {
    const parts: string[] = [];
    this.dumpTo((text) => parts.push(text));
    return parts.join('');
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
    if (this.#ptr === 0) throw new UseAfterFreeError('MapleTree', op);
    if (this.#numberKeys && typeof b === 'bigint') throw numberKeyError(`${op}: last`, b);
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
    if (h < 0) throw new MapleError('ENOMEM', op, `the tree's entry handle table is full (${MAX_HANDLES} object entries at most); the tree is unchanged`);
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

  /**
   * @internal _write over the range of the ma_state mas (MaState.store, storePrealloc). The range
   * crosses back from the core only where it matters: object entries count handles over it, and a
   * `keys: 'number'` tree refuses a last past 2^53 - 1.
   */
  _stateWrite(op: string, entry: T | null, kind: number, gfp: number, mas: number): void {
    if (this.entryMode === 'number' && !this.#numberKeys) {
      this._write(op, 0, 0, entry, kind, gfp, mas);
      return;
    }
    core.stateOp(mas, OP_READ, 0);
    this._write(op, out.index(), out.last(), entry, kind, gfp, mas);
  }

  #call(kind: number, a: Index, b: Index, word: number, gfp: number, mas: number, extra: Index): number {
    switch (kind) {
      case WRITE_STORE: return core.treeStore(this.#ptr, wire(a, 0), wire(b, 1), word, gfp);
      case WRITE_INSERT: return core.treeInsert(this.#ptr, wire(a, 0), wire(b, 1), word, gfp);
      case WRITE_MAS_STORE: return core.stateStore(mas, word, gfp, -1, -1);
      case WRITE_MAS_STORE_PREALLOC: return core.stateStorePrealloc(mas, word, -1, -1);
      case WRITE_MAS_STORE_RANGE: return core.stateStore(mas, word, gfp, wire(a, 0), wire(b, 1));
      case WRITE_MAS_STORE_PREALLOC_RANGE: return core.stateStorePrealloc(mas, word, wire(a, 0), wire(b, 1));
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

  #item(): MapleEntry<T, K> {
    return { index: out.index() as K, last: out.last() as K, entry: this.#decode(out.entry()) as T };
  }

  #result(found: number): MapleEntry<T, K> | undefined {
    return found === 1 ? this.#item() : undefined;
  }

  /** The core's range count equals the ranges a walk finds. */
  #validateSize(): void {
    let n = 0;
    const mas = this.#state;
    core.stateSet(mas, 0, 0);
    while (core.stateOp(mas, OP_FIND, wire(ULONG_MAX, 2)) === 1) n++;
    if (n !== this.size) throw new Error(`maple tree invalid: size is ${this.size} but the tree holds ${n} ranges`);
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

/** What share(), attach() and detach() throw in a build whose memory is not shared. */
function notShared(op: string): TypeError {
  return new TypeError(`${op}: needs maple-wasm/shared (this memory is not shared)`);
}

/**
 * A new tree, made outside the class body: a class that names itself inside its body is renamed
 * by the bundler (`_MapleTree`), so MapleTree's own methods make trees through this.
 */
function newTree<T, K extends Index>(options: MapleTreeOptions<Index> | undefined): MapleTree<T, K> {
  return new MapleTree<T, Index>(options) as unknown as MapleTree<T, K>;
}
