// The wasm boundary: thin exports only. Keys and entries cross as f64 (exact up to 2^53); a key
// passed as NaN is read from KEYS instead, which is how bigint keys up to 2^64 - 1 arrive.
// Results wider than a return value are written to OUT for src/wasm.ts to read.

import { EINVAL, EBUSY, MAPLE_MAX } from './config';
import {
  poolCreate, poolPages, poolReserved, poolNodesInUse, poolNodesFree, poolAllocations, poolFrees, poolTrees,
  memoryBytes, objAlloc, objFree, OBJ_LARGE, OBJ_PAGE, faultSet, faultBudget, faultStat, setAllocContext,
  poolRelease, poolDrop, poolSettle, poolShrink, setMemoryCap, freePagesCount,
  poolEmergency, poolEmergencyUsed, setReserveFails,
} from './pool';
import { treeCreate, treeRelease, treeHeight, treeNodes, treeNext, treePool, treeCount as treeCountOf, setTreeCount } from './tree';
import {
  mtStoreRange, mtInsertRange, mtErase, masErase, masSettle, wrStoreGfp, wrPrepare, wrRequest,
  wrCommit, wrKernelType, wrPrepared, OP_STORE, OP_PREALLOCATE, OP_STORE_PREALLOC, OP_EXPECTED_ENTRIES, OP_NOMEM,
} from './write';
import { freeTree } from './rebuild';
import {
  mtLoad, mtLoadMany, masFindColumns, batchStoppedBig, masSetRange, masReset, masWalk, masFind, masFindRev, masNext, masPrev, masPause,
  masFindBatch, masRevalidate, masStartArea, masSetArea, masAreaBusy, masIndex, masLast, masEntry,
  masStatus, masTree, masPath, masRequest, setMasBulk, masStoreType, setMasStoreType, MA_ERROR, MA_ACTIVE,
} from './walk';
import { reserved, reserveFill, reserveDrain, fitStat, fitReset } from './prealloc';
import { validateTree, VAL_INFO, dumpBegin, dumpChunk } from './validate';
import { mtDup } from './dup';
import { mtEmptyArea, mtAllocRange, mtAllocCyclic, gapVisits, fitDepth } from './gap';
import { RANGE64_SLOTS } from './node';
import { SHARED } from './config';
import { setLoadScratch, LOAD_SCRATCH } from './walk';
import { setGapScratch, GAP_SCRATCH } from './gap';
import { wrForget } from './write';
import {
  writeLock, writeUnlock, instanceCount, instanceStart, instanceStop, readBegin, readValid, readEnd,
  inReader,
} from './rcu';
import { treeSeq as treeSeqOf, seqWriteBegin, seqWriteEnd } from './tree';
import {
  readerAttach, readerDetach, readersAttached, readLock, readUnlock, readerInside, nodesWaiting,
  rcuSynchronize, poolWaiting, readRestarts, readersBesidesFirst,
} from './rcu';
import { MT_FLAGS_USE_RCU, treeFlags, setTreeFlags } from './tree';

/** Key inputs (u64 x 3) for bigint keys (this instance's: see instanceInit). */
export let KEYS: usize = memory.data(24, 8);
/** Outputs: index u64 @0, last u64 @8, entry u64 @16, status i32 @24, request i32 @28. */
export let OUT: usize = memory.data(32, 8);

// ── instances over a shared memory ──
// Every instance has its own globals but shares linear memory, so the scratch a read writes (keys,
// results, load lanes, the gap search's path, a state's copy, the visited nodes) must be its own.
// @ts-ignore: decorator
@inline const SC_KEYS: usize = 0;
// @ts-ignore: decorator
@inline const SC_OUT: usize = 32;
// @ts-ignore: decorator
@inline const SC_LOAD: usize = 64;
// @ts-ignore: decorator
@inline const SC_GAP: usize = SC_LOAD + LOAD_SCRATCH;
// @ts-ignore: decorator
@inline const SC_STATE: usize = SC_GAP + GAP_SCRATCH;
/** The part of a state a read may change: its fields and its path (walk.ts). */
// @ts-ignore: decorator
@inline const STATE_BYTES: usize = 128 + 16 * 32;
// @ts-ignore: decorator
@inline const SC_VISIT: usize = SC_STATE + STATE_BYTES;
// @ts-ignore: decorator
@inline const SCRATCH_BYTES: usize = SC_VISIT + 256 * 8;
let stateCopy: usize = 0;
let scratchPage: usize = 0;

/**
 * Start this instance over a shared memory (shared build; call once, before anything else, and
 * again after instanceDetach to come back): take scratch of its own and a reader slot. Returns
 * the reader slot, -1 when all are taken, -12 when memory is exhausted; 0 in the build without
 * shared memory.
 */
export function instanceInit(): i32 {
  if (!SHARED) return 0;
  if (scratchPage != 0) return -22; // started already
  lockWrites();
  const first = instanceCount() == 0;
  const scratch = objAlloc(OBJ_PAGE);
  let slot = -12;
  if (scratch != 0) {
    slot = instanceStart(scratch + SC_VISIT, first);
    if (slot < 0) {
      objFree(scratch, OBJ_PAGE);
    } else {
      scratchPage = scratch;
      KEYS = scratch + SC_KEYS;
      OUT = scratch + SC_OUT;
      setLoadScratch(scratch + SC_LOAD);
      setGapScratch(scratch + SC_GAP);
      stateCopy = scratch + SC_STATE;
    }
  }
  writeUnlock();
  return slot;
}

/** This instance is done (its Worker detaches): its reader slot and its scratch go back. */
export function instanceDetach(): void {
  if (!SHARED || scratchPage == 0) return;
  lockWrites();
  instanceStop();
  objFree(scratchPage, OBJ_PAGE);
  scratchPage = 0;
  writeUnlock();
}

/**
 * A read in this instance trapped (shared build: a Worker's engine may not yet know that another
 * thread grew the memory): leave its read section, and put the state (if any) back as it was
 * before the read, for the facade to try again.
 */
export function readAbort(mas: usize): void {
  if (!inReader()) return;
  if (mas != 0) restoreState(mas);
  readValid(); // forget the nodes it visited
  readEnd();
}

/** Take the write lock; forget what this instance remembers of writes if another wrote since. */
function lockWrites(): void {
  if (writeLock()) wrForget();
}

/** A read section around a state's walk: a walk that met a dead node is done again (see rcu.ts). */
// @ts-ignore: decorator
@inline function saveState(mas: usize): void {
  if (inReader()) memory.copy(stateCopy, mas, STATE_BYTES);
}
/** Put the state back as it was before the read and make it walk again from its index. */
function restoreState(mas: usize): void {
  memory.copy(mas, stateCopy, STATE_BYTES);
  store<u32>(mas, treeSeqOf(masTree(mas)) - 1, 64);
}

// @ts-ignore: decorator
@inline function key(x: f64, slot: usize): u64 {
  return x == x ? <u64>x : load<u64>(KEYS + (slot << 3));
}
// @ts-ignore: decorator
@inline function word(x: f64): u64 { return <u64>x; }

// ── pools ──
function poolNewUnlocked(): usize { return poolCreate(); }
/** One pool counter: 0 pages, 1 nodes in use, 2 nodes free, 3 allocations, 4 frees. */
function poolStatUnlocked(pool: usize, which: i32): f64 {
  switch (which) {
    case 0: return <f64>poolPages(pool);
    case 1: return <f64>poolNodesInUse(pool);
    case 2: return <f64>poolNodesFree(pool);
    case 3: return <f64>poolAllocations(pool);
    case 4: return <f64>poolFrees(pool);
    case 5: return <f64>poolReserved(pool);
    case 6: return <f64>poolEmergency(pool);
    case 7: return <f64>poolEmergencyUsed(pool);
    case 8: return <f64>poolWaiting(pool);
  }
  return -1;
}
/** Nodes reachable from every tree of a pool (for the pool-wide accounting check). */
function poolTreeNodesUnlocked(pool: usize): f64 {
  let sum: f64 = 0;
  for (let t = poolTrees(pool); t != 0; t = treeNext(t)) sum += <f64>treeNodes(t);
  return sum;
}
export function linearMemoryBytes(): f64 { return memoryBytes(); }
/** Free an idle pool (no tree, no node in use): 1, or 0 (nothing changed) when it is not idle. */
function poolFreeUnlocked(pool: usize): i32 { return poolRelease(pool) ? 1 : 0; }
/** The pool's JS object was collected: free it now or once it is idle. */
function poolDroppedUnlocked(pool: usize): void { poolDrop(pool); }
/** Give back the pool's wholly free pages; returns how many. */
function poolGiveBackUnlocked(pool: usize): u32 { return poolShrink(pool); }
/** Pages given back by pools and not yet reused. */
export function pagesFree(): u32 { return freePagesCount(); }
/** Cap linear memory at `pages` 64 KiB pages (0: no cap). For tests of a full memory. */
export function memoryCap(pages: i32): void { setMemoryCap(pages); }
export function poolFaults(pool: usize, mode: u32, count: u32, rate: u32, seed: u32): void {
  faultSet(pool, mode, count, rate, seed);
}
export function poolBudget(pool: usize, budget: i32): void { faultBudget(pool, budget); }
export function poolReserveFails(pool: usize, on: i32): void { setReserveFails(pool, on != 0); }
export function poolFaultStat(pool: usize, which: i32): f64 { return faultStat(pool, which); }
export function preallocFit(type: i32, which: i32): f64 { return fitStat(type, which); }
export function preallocFitReset(): void { fitReset(); }

// ── trees ──
function treeNewUnlocked(pool: usize, flags: u32): usize { return treeCreate(pool, flags); }
function treeDestroyUnlocked(tree: usize): void {
  seqWriteBegin(tree);
  freeTree(tree);
  setTreeCount(tree, 0);
  seqWriteEnd(tree);
}
/** Non-NULL ranges the tree holds (O(1): a count every write keeps). */
export function treeCount(tree: usize): f64 { return <f64>treeCountOf(tree); }
function treeDeleteUnlocked(tree: usize): void {
  const pool = treePool(tree);
  seqWriteBegin(tree);
  freeTree(tree);
  seqWriteEnd(tree);
  treeRelease(tree);
  poolSettle(pool);
}
export function height(tree: usize): i32 { return treeHeight(tree); }

// ── RCU ──
/** mt_set_in_rcu (on != 0) / mt_clear_in_rcu. */
function treeSetRcuUnlocked(tree: usize, on: i32): void {
  const f = treeFlags(tree) & ~MT_FLAGS_USE_RCU;
  setTreeFlags(tree, on != 0 ? f | MT_FLAGS_USE_RCU : f);
}
/** mt_in_rcu. */
export function treeInRcu(tree: usize): i32 { return (treeFlags(tree) & MT_FLAGS_USE_RCU) != 0 ? 1 : 0; }
/** Claim a reader slot: its number, or -1 when every slot is taken. */
export function rcuReaderAttach(): i32 { return readerAttach(); }
export function rcuReaderDetach(slot: i32): void { readerDetach(slot); }
/** Readers attached besides the memory's first instance (Workers, simulated readers). */
export function rcuReaders(): u32 { return readersBesidesFirst(); }
/** rcu_read_lock / rcu_read_unlock for a reader slot (simulated readers, tests). */
export function rcuReadLock(slot: i32): void { readLock(slot); }
export function rcuReadUnlock(slot: i32): void { readUnlock(slot); }
export function rcuReaderInside(slot: i32): i32 { return readerInside(slot) ? 1 : 0; }
/** One step of synchronize_rcu; nodes still waiting for a grace period (all pools). */
function rcuSyncUnlocked(): u32 { return rcuSynchronize(); }
export function rcuWaiting(): u32 { return nodesWaiting(); }
/** Reads this instance restarted because a node they read had died. */
export function rcuRestarts(): u32 { return readRestarts(); }
export function nodeCount(tree: usize): u32 { return treeNodes(tree); }

function treeStoreUnlocked(tree: usize, first: f64, last: f64, entry: f64, gfp: u32): i32 {
  return mtStoreRange(tree, key(first, 0), key(last, 1), word(entry), gfp);
}
function treeInsertUnlocked(tree: usize, first: f64, last: f64, entry: f64, gfp: u32): i32 {
  return mtInsertRange(tree, key(first, 0), key(last, 1), word(entry), gfp);
}
function treeLoadOnce(tree: usize, index: f64): f64 {
  return <f64>mtLoad(tree, key(index, 0));
}
/**
 * Entries at n keys read from keys (f64, or u64 when big != 0) written to out as f64 (numeric !=
 * 0: the stored number, NaN for nothing; else the entry word). -1, or the first bad key's position.
 */
function treeLoadManyOnce(tree: usize, keys: usize, out: usize, n: i32, big: i32, numeric: i32): i32 {
  return mtLoadMany(tree, keys, out, n, big != 0, numeric != 0);
}
function treeEraseUnlocked(tree: usize, index: f64, gfp: u32): i32 {
  return mtErase(tree, key(index, 0), OUT + 16, gfp);
}
function treeDupUnlocked(src: usize, dst: usize, gfp: u32): i32 { return mtDup(src, dst, gfp); }

// ── ma_state ──
function stateNewUnlocked(tree: usize): usize {
  const mas = objAlloc(OBJ_LARGE);
  if (mas != 0) {
    store<usize>(mas, tree);
    store<usize>(mas, treePool(tree), 56);
  }
  return mas;
}
/** Free a state, giving its reserve back to the pool it came from first. */
function stateFreeUnlocked(mas: usize): void {
  const pool = load<usize>(mas, 56);
  if (reserved(mas) != 0) {
    reserveDrain(mas, pool);
    poolSettle(pool);
  }
  objFree(mas, OBJ_LARGE);
}
/**
 * Point a state (a walk's, reused) at another tree: cleared as stateNew leaves it. The state must
 * hold no reserve.
 */
export function stateBind(mas: usize, tree: usize): void {
  memory.fill(mas, 0, OBJ_LARGE);
  store<usize>(mas, tree);
  store<usize>(mas, treePool(tree), 56);
}
export function stateSet(mas: usize, index: f64, last: f64): void {
  masSetRange(mas, key(index, 0), key(last, 1));
}
export function statePause(mas: usize): void { masPause(mas); }
export function stateReset(mas: usize): void { masReset(mas); }

/** Copy the state's range and entry to OUT; pass the result through. */
function out(mas: usize, r: i32): i32 {
  store<u64>(OUT, masIndex(mas), 0);
  store<u64>(OUT, masLast(mas), 8);
  store<u64>(OUT, masEntry(mas), 16);
  store<i32>(OUT, masStatus(mas), 24);
  return r;
}

/**
 * State walks by number, bound in one place: 0 walk, 1 find, 2 findRev, 3 next, 4 prev,
 * 5 nextRange, 6 prevRange, 7 read (just copy the state to OUT), 8 findRange, 9 findRangeRev.
 * Returns 1 when the walk returned an entry (in OUT with the state's range and status), else 0.
 * A state whose tree changed under it walks again from its index first.
 */
function stateOpOnce(mas: usize, op: i32, limit: f64): i32 {
  const lim = key(limit, 2);
  if (op != 7) masRevalidate(mas);
  let entry: u64 = 0;
  switch (op) {
    case 0: entry = masWalk(mas); break;
    case 1: entry = masFind(mas, lim, false); break;
    case 2: entry = masFindRev(mas, lim, false); break;
    case 3: entry = masNext(mas, lim, false); break;
    case 4: entry = masPrev(mas, lim, false); break;
    case 5: entry = masNext(mas, lim, true); break;
    case 6: entry = masPrev(mas, lim, true); break;
    case 7: entry = masEntry(mas); break;
    case 8: entry = masFind(mas, lim, true); break;
    case 9: entry = masFindRev(mas, lim, true); break;
    default: return -1;
  }
  return out(mas, <i32>(entry != 0));
}

/** Ranges a walk's batch buffer (a 4 KiB page, 24 bytes a range) holds. */
// @ts-ignore: decorator
@inline const BATCH_MAX: i32 = <i32>(OBJ_PAGE / 24);
export function batchCapacity(): i32 { return BATCH_MAX; }
function batchNewUnlocked(): usize { return objAlloc(OBJ_PAGE); }
function batchFreeUnlocked(buf: usize): void { objFree(buf, OBJ_PAGE); }

/**
 * mas_find repeated: the next entries up to limit go to the walk's buffer, so an iteration
 * crosses the boundary once per batch instead of once per entry. Returns how many were written.
 */
function stateFindBatchOnce(mas: usize, limit: f64, buf: usize): i32 {
  const floor = batchFloor(mas);
  masRevalidate(mas);
  return masFindBatch(mas, key(limit, 2), buf, BATCH_MAX, floor);
}

/**
 * Where a batch continuing from an active state may start: past the range the state stands on,
 * which the caller was given, even if a write since moved its end (the state walks again).
 */
function batchFloor(mas: usize): u64 {
  if (masStatus(mas) != MA_ACTIVE) return 0;
  const last = masLast(mas);
  return last == MAPLE_MAX ? last : last + 1;
}

/**
 * A range cursor's batch (numeric trees): the next entries up to limit as three f64 columns of
 * BATCH_MAX each in the page at buf: index, last, the stored number. Returns the count, or -1
 * when it stopped at a range reaching past 2^53 - 1 (a column of f64 cannot hold it).
 */
function stateFindColumnsOnce(mas: usize, limit: f64, buf: usize): i32 {
  const floor = batchFloor(mas);
  masRevalidate(mas);
  const n = masFindColumns(mas, key(limit, 2), buf, BATCH_MAX, floor);
  return n == 0 && batchStoppedBig ? -1 : n;
}

/**
 * The range a write through a state goes over: [first, last] when first is not -1 (mas_set_range
 * first, as vma_iter_store does, in the same crossing), else the state's own.
 */
// @ts-ignore: decorator
@inline function writeRange(mas: usize, first: f64, last: f64): void {
  if (first != -1) masSetRange(mas, key(first, 0), key(last, 1));
}

/** mas_store_gfp over the state's range. 0 or -ENOMEM (state in error, request recorded). */
function stateStoreUnlocked(mas: usize, entry: f64, gfp: u32, first: f64, last: f64): i32 {
  writeRange(mas, first, last);
  const r = wrStoreGfp(masTree(mas), masIndex(mas), masLast(mas), word(entry), mas, gfp, OP_STORE);
  setMasStoreType(mas, wrKernelType());
  if (r == 0) masSettle(mas);
  return r;
}

/** mas_preallocate: reserve this write's worst case. 0 or -ENOMEM (nothing kept). */
function statePreallocateUnlocked(mas: usize, entry: f64, gfp: u32, first: f64, last: f64): i32 {
  writeRange(mas, first, last);
  const tree = masTree(mas);
  const type = wrPrepare(tree, masIndex(mas), masLast(mas), word(entry));
  const request = wrRequest();
  setMasStoreType(mas, wrKernelType());
  setAllocContext(OP_PREALLOCATE, type);
  if (reserveFill(mas, treePool(tree), request, gfp) < 0) {
    reserveDrain(mas, treePool(tree));
    masReset(mas);
    return out(mas, -12);
  }
  store<i32>(OUT, request, 28);
  return 0;
}

/**
 * mas_store_prealloc: write from the reserve, which must cover this write (-EINVAL, nothing
 * changed, if it does not), then give the rest back.
 */
function stateStorePreallocUnlocked(mas: usize, entry: f64, first: f64, last: f64): i32 {
  writeRange(mas, first, last);
  const tree = masTree(mas);
  let type = wrPrepared(tree, masIndex(mas), masLast(mas), word(entry));
  if (type < 0) type = wrPrepare(tree, masIndex(mas), masLast(mas), word(entry));
  const request = wrRequest();
  setMasStoreType(mas, wrKernelType());
  if (request > reserved(mas)) {
    store<i32>(OUT, request, 28);
    return -EINVAL;
  }
  setAllocContext(OP_STORE_PREALLOC, type);
  const r = wrCommit(tree, type, mas, request);
  reserveDrain(mas, treePool(tree));
  if (r == 0) masSettle(mas);
  return r;
}

function stateEraseUnlocked(mas: usize, gfp: u32): i32 {
  const r = masErase(mas, OUT + 16, gfp);
  if (r != 0) setMasStoreType(mas, wrKernelType());
  if (r == 1) masSettle(mas);
  return r;
}
function stateDestroyUnlocked(mas: usize): void {
  reserveDrain(mas, treePool(masTree(mas)));
  setMasBulk(mas, false);
}
export function stateAllocated(mas: usize): i32 { return reserved(mas); }
export function stateRequest(mas: usize): i32 { return masRequest(mas); }
/** The kernel's store type (enum store_type) of the last write prepared through the state. */
export function stateStoreType(mas: usize): i32 { return masStoreType(mas); }

/**
 * mas_expected_entries: one reservation for bulk-loading n entries in order (a gap before each
 * and a NULL after the last): leaves kept two slots short, their parents, and room for a split.
 * While it lasts, nodes the bulk load frees go back to the reserve.
 */
function stateExpectedEntriesUnlocked(mas: usize, n: f64, gfp: u32): i32 {
  const slots = n * 2 + 1;
  let nodes = Math.ceil(slots / <f64>(RANGE64_SLOTS - 2));
  nodes += Math.ceil(nodes / <f64>(RANGE64_SLOTS - 2));
  const tree = masTree(mas);
  setAllocContext(OP_EXPECTED_ENTRIES, 0);
  if (nodes + 3 > 1e7 || reserveFill(mas, treePool(tree), <i32>nodes + 3, gfp) < 0) {
    reserveDrain(mas, treePool(tree));
    return -12;
  }
  setMasBulk(mas, true);
  return 0;
}

/** mas_nomem: after ENOMEM, reserve what the failed write needed with gfp. 1 when it did. */
function stateNomemUnlocked(mas: usize, gfp: u32): i32 {
  if (masStatus(mas) != MA_ERROR) return 0;
  const tree = masTree(mas);
  setAllocContext(OP_NOMEM, 0);
  if (reserveFill(mas, treePool(tree), masRequest(mas), gfp) < 0) {
    reserveDrain(mas, treePool(tree));
    return 0;
  }
  masReset(mas);
  return 1;
}

// ── gaps (allocation-range trees) ──
/** Empty area of `size` in [min, max]: lowest (forward 1) or highest; start to OUT. */
function treeEmptyAreaOnce(tree: usize, min: f64, max: f64, size: f64, forward: i32): i32 {
  return mtEmptyArea(tree, key(min, 0), key(max, 1), key(size, 2), forward != 0, OUT);
}
/**
 * As treeEmptyArea, and point the state at the found range (mas_empty_area[_rev]): on the gap's
 * leaf slot, active. The search always starts from the root (the kernel's from a state in start).
 * EINVAL changes nothing; EBUSY leaves the state in error over the window, or, in a tree
 * without nodes, as it was (root or none).
 */
function stateEmptyAreaOnce(mas: usize, min: f64, max: f64, size: f64, forward: i32): i32 {
  const lo = key(min, 0);
  const hi = key(max, 1);
  const n = key(size, 2);
  const tree = masTree(mas);
  const r = mtEmptyArea(tree, lo, hi, n, forward != 0, OUT, masPath(mas));
  if (r == -EINVAL) return r;
  masReset(mas);
  masStartArea(mas);
  if (r == 0) {
    const start = load<u64>(OUT);
    masSetArea(mas, start, start + n - 1, fitDepth);
  } else if (r == -EBUSY && treeHeight(tree) > 0) {
    masAreaBusy(mas, lo, hi);
  }
  return r;
}
function treeAllocRangeUnlocked(tree: usize, size: f64, entry: f64, min: f64, max: f64,
                               forward: i32, gfp: u32): i32 {
  return mtAllocRange(tree, key(size, 2), word(entry), key(min, 0), key(max, 1), forward != 0, gfp, OUT);
}
/** mtree_alloc_cyclic; *next is read from and written to OUT + 8. */
function treeAllocCyclicUnlocked(tree: usize, entry: f64, min: f64, max: f64, gfp: u32): i32 {
  return mtAllocCyclic(tree, word(entry), key(min, 0), key(max, 1), OUT + 8, gfp, OUT);
}
export function lastGapVisits(): u32 { return gapVisits; }

// ── validation ──
function validateUnlocked(tree: usize): i32 { return validateTree(tree); }
export function validateInfo(): usize { return VAL_INFO; }
/** Start mt_dump of tree, its walk kept in st (a state object, 1 KiB). */
export function dumpStart(tree: usize, st: usize): void { dumpBegin(tree, st); }
/** The next whole lines of the dump into buf (a batch page); bytes written, 0 at the end. */
export function dumpNext(st: usize, buf: usize): usize { return dumpChunk(st, buf, OBJ_PAGE); }
export { nodeRecords, nodeRecordsPtr } from './explain';


// ── the write lock ───────────────────────────────────────────────────────────
// In the shared build every export that changes linear memory holds the write lock (rcu.ts);
// the rest of the build compiles it away. Each takes it here, around the unlocked version above.

export function poolNew(): usize {
  lockWrites();
  const r = poolNewUnlocked();
  writeUnlock();
  return r;
}
export function poolFree(pool: usize): i32 {
  lockWrites();
  const r = poolFreeUnlocked(pool);
  writeUnlock();
  return r;
}
export function poolDropped(pool: usize): void {
  lockWrites();
  poolDroppedUnlocked(pool);
  writeUnlock();
}
export function poolGiveBack(pool: usize): u32 {
  lockWrites();
  const r = poolGiveBackUnlocked(pool);
  writeUnlock();
  return r;
}
export function treeNew(pool: usize, flags: u32): usize {
  lockWrites();
  const r = treeNewUnlocked(pool, flags);
  writeUnlock();
  return r;
}
export function treeDestroy(tree: usize): void {
  lockWrites();
  treeDestroyUnlocked(tree);
  writeUnlock();
}
export function treeDelete(tree: usize): void {
  lockWrites();
  treeDeleteUnlocked(tree);
  writeUnlock();
}
export function treeStore(tree: usize, first: f64, last: f64, entry: f64, gfp: u32): i32 {
  lockWrites();
  const r = treeStoreUnlocked(tree, first, last, entry, gfp);
  writeUnlock();
  return r;
}
export function treeInsert(tree: usize, first: f64, last: f64, entry: f64, gfp: u32): i32 {
  lockWrites();
  const r = treeInsertUnlocked(tree, first, last, entry, gfp);
  writeUnlock();
  return r;
}
export function treeErase(tree: usize, index: f64, gfp: u32): i32 {
  lockWrites();
  const r = treeEraseUnlocked(tree, index, gfp);
  writeUnlock();
  return r;
}
export function treeDup(src: usize, dst: usize, gfp: u32): i32 {
  lockWrites();
  const r = treeDupUnlocked(src, dst, gfp);
  writeUnlock();
  return r;
}
export function stateNew(tree: usize): usize {
  lockWrites();
  const r = stateNewUnlocked(tree);
  writeUnlock();
  return r;
}
export function stateFree(mas: usize): void {
  lockWrites();
  stateFreeUnlocked(mas);
  writeUnlock();
}
export function stateStore(mas: usize, entry: f64, gfp: u32, first: f64, last: f64): i32 {
  lockWrites();
  const r = stateStoreUnlocked(mas, entry, gfp, first, last);
  writeUnlock();
  return r;
}
export function statePreallocate(mas: usize, entry: f64, gfp: u32, first: f64, last: f64): i32 {
  lockWrites();
  const r = statePreallocateUnlocked(mas, entry, gfp, first, last);
  writeUnlock();
  return r;
}
export function stateStorePrealloc(mas: usize, entry: f64, first: f64, last: f64): i32 {
  lockWrites();
  const r = stateStorePreallocUnlocked(mas, entry, first, last);
  writeUnlock();
  return r;
}
export function stateErase(mas: usize, gfp: u32): i32 {
  lockWrites();
  const r = stateEraseUnlocked(mas, gfp);
  writeUnlock();
  return r;
}
export function stateDestroy(mas: usize): void {
  lockWrites();
  stateDestroyUnlocked(mas);
  writeUnlock();
}
export function stateExpectedEntries(mas: usize, n: f64, gfp: u32): i32 {
  lockWrites();
  const r = stateExpectedEntriesUnlocked(mas, n, gfp);
  writeUnlock();
  return r;
}
export function stateNomem(mas: usize, gfp: u32): i32 {
  lockWrites();
  const r = stateNomemUnlocked(mas, gfp);
  writeUnlock();
  return r;
}
export function batchNew(): usize {
  lockWrites();
  const r = batchNewUnlocked();
  writeUnlock();
  return r;
}
export function batchFree(buf: usize): void {
  lockWrites();
  batchFreeUnlocked(buf);
  writeUnlock();
}
export function treeAllocRange(tree: usize, size: f64, entry: f64, min: f64, max: f64,
                               forward: i32, gfp: u32): i32 {
  lockWrites();
  const r = treeAllocRangeUnlocked(tree, size, entry, min, max, forward, gfp);
  writeUnlock();
  return r;
}
export function treeAllocCyclic(tree: usize, entry: f64, min: f64, max: f64, gfp: u32): i32 {
  lockWrites();
  const r = treeAllocCyclicUnlocked(tree, entry, min, max, gfp);
  writeUnlock();
  return r;
}
export function treeSetRcu(tree: usize, on: i32): void {
  lockWrites();
  treeSetRcuUnlocked(tree, on);
  writeUnlock();
}
export function rcuSync(): u32 {
  lockWrites();
  const r = rcuSyncUnlocked();
  writeUnlock();
  return r;
}
export function validate(tree: usize): i32 {
  lockWrites();
  const r = validateUnlocked(tree);
  writeUnlock();
  return r;
}

// ── read sections ────────────────────────────────────────────────────────────
// In the shared build every read runs inside a read section of this instance's reader slot, and a
// state's walk that entered a node found dead when it ended is done again from where the state
// stood (rcu.ts). Loads check each node as they go (walk.ts). The rest of the build compiles
// all of this away.

export function stateOp(mas: usize, op: i32, limit: f64): i32 {
  readBegin();
  saveState(mas);
  let r = stateOpOnce(mas, op, limit);
  while (!readValid()) {
    restoreState(mas);
    r = stateOpOnce(mas, op, limit);
  }
  readEnd();
  return r;
}
export function stateFindBatch(mas: usize, limit: f64, buf: usize): i32 {
  readBegin();
  saveState(mas);
  let r = stateFindBatchOnce(mas, limit, buf);
  while (!readValid()) {
    restoreState(mas);
    r = stateFindBatchOnce(mas, limit, buf);
  }
  readEnd();
  return r;
}
export function stateFindColumns(mas: usize, limit: f64, buf: usize): i32 {
  readBegin();
  saveState(mas);
  let r = stateFindColumnsOnce(mas, limit, buf);
  while (!readValid()) {
    restoreState(mas);
    r = stateFindColumnsOnce(mas, limit, buf);
  }
  readEnd();
  return r;
}
/**
 * The start found (exact below 2^53), or -1 with the start in OUT (above 2^53 - 1), or -EINVAL /
 * -EBUSY: a found start crosses back as the result, with no second read of linear memory.
 */
export function stateEmptyArea(mas: usize, min: f64, max: f64, size: f64, forward: i32): f64 {
  readBegin();
  saveState(mas);
  let r = stateEmptyAreaOnce(mas, min, max, size, forward);
  while (!readValid()) {
    restoreState(mas);
    r = stateEmptyAreaOnce(mas, min, max, size, forward);
  }
  readEnd();
  if (r < 0) return <f64>r;
  const start = load<u64>(OUT);
  return start <= <u64>MAX_SAFE_START ? <f64>start : -1;
}
// @ts-ignore: decorator
@inline const MAX_SAFE_START: u64 = 0x1F_FFFF_FFFF_FFFF;
export function treeEmptyArea(tree: usize, min: f64, max: f64, size: f64, forward: i32): i32 {
  readBegin();
  let r = treeEmptyAreaOnce(tree, min, max, size, forward);
  while (!readValid()) r = treeEmptyAreaOnce(tree, min, max, size, forward);
  readEnd();
  return r;
}
export function treeLoad(tree: usize, index: f64): f64 {
  readBegin();
  const r = treeLoadOnce(tree, index);
  readEnd();
  return r;
}
export function treeLoadMany(tree: usize, keys: usize, out: usize, n: i32, big: i32, numeric: i32): i32 {
  readBegin();
  const r = treeLoadManyOnce(tree, keys, out, n, big, numeric);
  readEnd();
  return r;
}
export function poolStat(pool: usize, which: i32): f64 {
  lockWrites();
  const r = poolStatUnlocked(pool, which);
  writeUnlock();
  return r;
}
export function poolTreeNodes(pool: usize): f64 {
  lockWrites();
  const r = poolTreeNodesUnlocked(pool);
  writeUnlock();
  return r;
}
