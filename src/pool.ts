import { core } from './wasm';
import { MapleError } from './errors';
import { Gfp, GFP_NAMES, OP_NAMES, WRITE_TYPES, WriteType } from './gfp';

/** Counters of a node pool (all whole numbers). */
export interface PoolStats {
  /** 4 KiB pages the pool has taken from linear memory (16 nodes each). */
  pagesInUse: number;
  /** Nodes handed out and not yet returned. */
  nodesInUse: number;
  /** Nodes on the pool's free list. */
  nodesFree: number;
  /** Node allocations ever made. */
  allocations: number;
  /** Node frees ever made. */
  frees: number;
  /** Nodes in use that sit in ma_state reserves (preallocated, not yet in a tree). */
  nodesReserved: number;
  /**
   * Nodes in the emergency reserve: neither in use nor free, kept for erases and NULL stores
   * when the normal allocation fails (3h + 1 for the pool's tallest tree, h its height).
   */
  nodesEmergency: number;
  /** Nodes ever taken from the emergency reserve. */
  emergencyTaken: number;
  /**
   * Nodes an RCU-mode write retired while readers were attached: dead, not yet free, waiting for
   * the grace period (the end of every read section that might still hold them). Not counted in
   * nodesInUse or nodesFree.
   */
  nodesWaiting: number;
}

/** The last allocation the fault controls failed. */
export interface FaultRecord {
  /** The operation allocating, e.g. 'store', 'preallocate', 'dup'. */
  op: string;
  /** The write it was for, e.g. 'split', 'spanning store'. */
  writeType: WriteType;
  gfp: Gfp;
  /** Which allocation failed, counted from the pool's creation (1-based). */
  allocation: number;
}

/** Counters of the fault controls. */
export interface FaultStats {
  /** Allocations asked of the pool (successful or not). */
  asked: number;
  /** Allocations the controls failed. */
  failed: number;
  lastFailure: FaultRecord | null;
}

/** Pool headers made by NodePool: the only ones FaultControls may be made for. */
const livePools = new Set<number>();

const FAULT_OFF = 0;
const FAULT_NTH = 1;
const FAULT_AFTER = 2;
const FAULT_RATE = 3;

function count(n: unknown, name: string, min: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 0xffff_ffff) {
    throw new RangeError(`${name} must be an integer in ${min}..2^32 - 1, got ${String(n)}`);
  }
  return n;
}

/**
 * Make allocations fail on purpose. One failure mode (failNth, failAfter, failRate) is armed at
 * a time, and a non-kernel budget may be armed beside it. With nothing armed an allocation pays
 * one predictable branch.
 */
export class FaultControls {
  readonly #pool: number;

  /** @internal Made by NodePool only (`pool.faults`); TypeError otherwise. */
  constructor(pool: number) {
    if (!livePools.has(pool)) {
      throw new TypeError('FaultControls: get them from a NodePool (pool.faults), not with new FaultControls()');
    }
    this.#pool = pool;
  }

  /** The n-th allocation from now (1 = the next) fails, once. */
  failNth(n: number): void {
    core.poolFaults(this.#pool, FAULT_NTH, count(n, 'n', 1), 0, 0);
  }

  /** The next n allocations succeed, every one after them fails. */
  failAfter(n: number): void {
    core.poolFaults(this.#pool, FAULT_AFTER, count(n, 'n', 0), 0, 0);
  }

  /** Each allocation fails with probability p, drawn from a PRNG seeded with seed (replayable). */
  failRate(p: number, seed = 1): void {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${String(p)}`);
    const rate = Math.min(0xffff_ffff, Math.round(p * 2 ** 32));
    core.poolFaults(this.#pool, FAULT_RATE, 0, rate, count(seed, 'seed', 0));
  }

  /**
   * Like the kernel test harness's mt_set_non_kernel(n): only n more 'nowait' allocations
   * succeed; 'kernel' ones are unaffected. Writes then fall back to 'kernel', as mas_nomem does.
   */
  nonKernelBudget(n: number): void {
    core.poolBudget(this.#pool, count(n, 'n', 0));
  }

  /**
   * Whether armed failures also fail the emergency reserve. Off by default: an injected failure
   * models the normal allocator failing, so an erase or NULL store that meets one takes its nodes
   * from the emergency reserve and succeeds, as at a full memory. On, erases fail with ENOMEM too
   * (to test that such a failure leaves the tree unchanged). Kept across off().
   */
  failReserve(on: boolean): void {
    if (typeof on !== 'boolean') throw new TypeError('on must be a boolean');
    core.poolReserveFails(this.#pool, on ? 1 : 0);
  }

  /** Disarm everything (the counters are kept). */
  off(): void {
    core.poolFaults(this.#pool, FAULT_OFF, 0, 0, 0);
    core.poolBudget(this.#pool, -1);
  }

  stats(): FaultStats {
    const s = (i: number): number => core.poolFaultStat(this.#pool, i);
    const failed = s(1);
    return {
      asked: s(0),
      failed,
      lastFailure: failed === 0 ? null : {
        op: OP_NAMES[s(2)] ?? 'unknown',
        writeType: WRITE_TYPES[s(3)] ?? 'invalid',
        gfp: GFP_NAMES[s(4)] ?? 'kernel',
        allocation: s(5),
      },
    };
  }
}

// A collected pool is freed at once if idle, else by the core when its last tree or node goes.
const poolFinalizer = new FinalizationRegistry<number>((ptr) => core.poolDropped(ptr));

/**
 * A pool of 256-byte maple nodes carved from 4 KiB pages of the core's linear memory, with a
 * free list and counters. Many trees may share one pool; every tree uses the default pool
 * unless given another.
 *
 * Like a slab cache it keeps the pages it has grown to, with two ways back: when linear memory
 * cannot grow, every pool gives back the pages all of whose nodes are free (so nodes freed by
 * erases in one pool can serve another pool, a tree header or a walk), and `free()`, or the
 * garbage collector once the pool and all its trees are unreachable, gives back all of them.
 */
export class NodePool {
  #ptr: number;

  /** Fault injection for every allocation from this pool. */
  readonly faults: FaultControls;

  constructor() {
    SHARED: if (adopting !== 0) {
      // The pool of a tree another thread shared (adoptPool): an object over it that frees nothing.
      this.#ptr = adopting;
      livePools.add(adopting);
      this.faults = new FaultControls(adopting);
      return;
    }
    this.#ptr = core.poolNew();
    if (this.#ptr === 0) throw new MapleError('ENOMEM', 'new NodePool');
    livePools.add(this.#ptr);
    this.faults = new FaultControls(this.#ptr);
    poolFinalizer.register(this, this.#ptr, this);
  }

  /** @internal Address of the pool header in linear memory; throws once the pool is freed. */
  get ptr(): number {
    if (this.#ptr === 0) throw new Error('NodePool: used after free()');
    return this.#ptr;
  }

  /**
   * Give every page back to linear memory (kmem_cache_destroy) and release the pool's header;
   * the object cannot be used afterwards. Throws MapleError EBUSY, changing nothing, while a
   * tree still uses the pool (free() those trees first) or a MaState still holds nodes
   * preallocated from it. A second call does nothing. TypeError for the pool of an attached tree
   * (maple-wasm/shared: `MapleTree.attach(handle).pool`), which its owner's thread frees.
   */
  free(): void {
    if (this.#ptr === 0) return;
    SHARED: if (adopted.get(this.#ptr) === this) {
      throw new TypeError('NodePool.free: the pool of an attached tree belongs to the thread that shared the tree');
    }
    if (core.poolFree(this.#ptr) === 0) {
      throw new MapleError('EBUSY', 'NodePool.free', 'trees or ma_state reserves still use the pool');
    }
    poolFinalizer.unregister(this);
    livePools.delete(this.#ptr);
    this.#ptr = 0;
  }

  /**
   * Give back now the pages all 16 of whose nodes are free (kmem_cache_shrink); returns how
   * many 4 KiB pages went back. The pool also does this by itself when memory cannot grow.
   */
  shrink(): number {
    return core.poolGiveBack(this.ptr);
  }

  /** The pool's counters now. */
  stats(): PoolStats {
    const p = this.ptr;
    return {
      pagesInUse: core.poolStat(p, 0),
      nodesInUse: core.poolStat(p, 1),
      nodesFree: core.poolStat(p, 2),
      allocations: core.poolStat(p, 3),
      frees: core.poolStat(p, 4),
      nodesReserved: core.poolStat(p, 5),
      nodesEmergency: core.poolStat(p, 6),
      emergencyTaken: core.poolStat(p, 7),
      nodesWaiting: core.poolStat(p, 8),
    };
  }

  /** Nodes reachable from the roots of all of this pool's trees. */
  treeNodes(): number {
    return core.poolTreeNodes(this.ptr);
  }
}

/**
 * synchronize_rcu for every tree of this instance's memory: repeat one grace-period step until no
 * retired node waits. Throws an Error after timeoutMs if a reader stays inside a read section.
 */
export function synchronizeRcu(timeoutMs = 10_000): void {
  if (typeof timeoutMs !== 'number') throw new TypeError(`timeoutMs must be a number, got ${typeof timeoutMs}`);
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
  const deadline = Date.now() + timeoutMs;
  let spins = 0;
  for (let waiting = core.rcuSync(); waiting > 0; waiting = core.rcuSync()) {
    if ((++spins & 1023) === 0 && Date.now() > deadline) {
      throw new Error(`synchronize: ${waiting} nodes still wait after ${timeoutMs} ms: a reader has stayed inside a read section`);
    }
  }
}

/** The pool header adoptPool is making an object for (0: none). */
let adopting = 0;
/** Objects over pools of trees other threads shared, by header address. */
const adopted = new Map<number, NodePool>();

/**
 * @internal The NodePool object of this thread over a pool another thread made (the pool of a
 * shared tree): one per pool, never freeing it, not even when collected.
 */
export function adoptPool(ptr: number): NodePool {
  let pool = adopted.get(ptr);
  if (pool === undefined) {
    adopting = ptr;
    try {
      pool = new NodePool();
    } finally {
      adopting = 0;
    }
    adopted.set(ptr, pool);
  }
  return pool;
}

let shared: NodePool | undefined;

/** The pool trees use when none is given. */
export function defaultPool(): NodePool {
  shared ??= new NodePool();
  return shared;
}

/** Nodes the last emptyArea / allocRange search visited (to show it stays O(log n)). */
export function lastSearchVisits(): number {
  return core.lastGapVisits();
}

/** @internal Cap linear memory at `bytes` (rounded down to 64 KiB; 0 lifts the cap): tests only. */
export function _setMemoryCap(bytes: number): void {
  core.memoryCap(Math.floor(bytes / 65536));
}

/** @internal 4 KiB pages given back by pools and not yet reused. */
export function _freePages(): number {
  return core.pagesFree();
}

/** Bytes of linear memory the core has (nodes, headers and the core's own data). */
export function linearMemoryBytes(): number {
  return core.linearMemoryBytes();
}
