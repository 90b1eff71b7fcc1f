// The wasm boundary: thin exports only. Keys and entries cross as f64 (exact up to 2^53); a key
// passed as NaN is read from KEYS instead, which is how bigint keys up to 2^64 - 1 arrive.
// Results wider than a return value are written to OUT for src/wasm.ts to read.

import { MAPLE_MAX } from './config';
import {
  poolCreate, poolPages, poolNodesInUse, poolNodesFree, poolAllocations, poolFrees, poolTrees,
  memoryBytes,
} from './pool';
import { treeCreate, treeRelease, treeHeight, treeNodes, treeNext } from './tree';
import { mtStoreRange, mtInsertRange, mtErase } from './write';
import { freeTree } from './rebuild';
import {
  mtLoad, masSetRange, masWalk, masFind, masFindRev, masNext, masPrev, masNextRange,
  masPrevRange, masIndex, masLast, masEntry, masStatus,
} from './walk';
import { validateTree, VAL_INFO, dumpTree, dumpText } from './validate';
import { mtDup } from './dup';
import { objAlloc, objFree, OBJ_LARGE } from './pool';

/** Key inputs (u64 x 3) for bigint keys. */
export const KEYS: usize = memory.data(24, 8);
/** Outputs: index u64 @0, last u64 @8, entry u64 @16, status i32 @24. */
export const OUT: usize = memory.data(32, 8);

// @ts-ignore: decorator
@inline function key(x: f64, slot: usize): u64 {
  return x == x ? <u64>x : load<u64>(KEYS + (slot << 3));
}
// @ts-ignore: decorator
@inline function word(x: f64): u64 { return <u64>x; }

export function maxKeyIsMax(): bool { return MAPLE_MAX == 0xFFFF_FFFF_FFFF_FFFF; }

// ── pools ──
export function poolNew(): usize { return poolCreate(); }
/** One pool counter: 0 pages, 1 nodes in use, 2 nodes free, 3 allocations, 4 frees. */
export function poolStat(pool: usize, which: i32): f64 {
  switch (which) {
    case 0: return <f64>poolPages(pool);
    case 1: return <f64>poolNodesInUse(pool);
    case 2: return <f64>poolNodesFree(pool);
    case 3: return <f64>poolAllocations(pool);
    case 4: return <f64>poolFrees(pool);
  }
  return -1;
}
/** Nodes reachable from every tree of a pool (for the pool-wide accounting check). */
export function poolTreeNodes(pool: usize): f64 {
  let sum: f64 = 0;
  for (let t = poolTrees(pool); t != 0; t = treeNext(t)) sum += <f64>treeNodes(t);
  return sum;
}
export function linearMemoryBytes(): f64 { return <f64>memoryBytes(); }

// ── trees ──
export function treeNew(pool: usize, flags: u32): usize { return treeCreate(pool, flags); }
export function treeDestroy(tree: usize): void { freeTree(tree); }
export function treeDelete(tree: usize): void {
  freeTree(tree);
  treeRelease(tree);
}
export function height(tree: usize): i32 { return treeHeight(tree); }
export function nodeCount(tree: usize): u32 { return treeNodes(tree); }

export function treeStore(tree: usize, first: f64, last: f64, entry: f64): i32 {
  return mtStoreRange(tree, key(first, 0), key(last, 1), word(entry));
}
export function treeInsert(tree: usize, first: f64, last: f64, entry: f64): i32 {
  return mtInsertRange(tree, key(first, 0), key(last, 1), word(entry));
}
export function treeLoad(tree: usize, index: f64): f64 {
  return <f64>mtLoad(tree, key(index, 0));
}
export function treeErase(tree: usize, index: f64): i32 {
  return mtErase(tree, key(index, 0), OUT + 16);
}
export function treeDup(src: usize, dst: usize): i32 { return mtDup(src, dst); }

// ── ma_state ──
export function stateNew(tree: usize): usize {
  const mas = objAlloc(OBJ_LARGE);
  if (mas != 0) store<usize>(mas, tree);
  return mas;
}
export function stateFree(mas: usize): void { objFree(mas, OBJ_LARGE); }
export function stateSet(mas: usize, index: f64, last: f64): void {
  masSetRange(mas, key(index, 0), key(last, 1));
}

/** Copy the state's range and entry to OUT; pass the result through. */
function out(mas: usize, r: i32): i32 {
  store<u64>(OUT, masIndex(mas), 0);
  store<u64>(OUT, masLast(mas), 8);
  store<u64>(OUT, masEntry(mas), 16);
  store<i32>(OUT, masStatus(mas), 24);
  return r;
}

/** State operations by number, bound in one place: 0 walk, 1 find, 2 findRev, 3 next, 4 prev, 5 nextRange, 6 prevRange. */
export function stateOp(mas: usize, op: i32, limit: f64): i32 {
  const lim = key(limit, 2);
  switch (op) {
    case 0: masWalk(mas); return out(mas, 1);
    case 1: return out(mas, masFind(mas, lim));
    case 2: return out(mas, masFindRev(mas, lim));
    case 3: return out(mas, masNext(mas, lim));
    case 4: return out(mas, masPrev(mas, lim));
    case 5: return out(mas, masNextRange(mas, lim));
    case 6: return out(mas, masPrevRange(mas, lim));
  }
  return -1;
}

// ── validation ──
export function validate(tree: usize): i32 { return validateTree(tree); }
export function validateInfo(): usize { return VAL_INFO; }
export function dump(tree: usize): usize { return dumpTree(tree); }
export function dumpPtr(): usize { return dumpText(); }
