// Tree headers (struct maple_tree) and the walk path that every operation records.
//
// Tree header (a 128-byte object):
//   0 root u64     0 = empty; with height 0 the root holds a lone entry for index 0;
//                  otherwise the encoded root node
//   8 height u32 · 12 flags u32 · 16 pool u32 · 20 next tree u32 · 24 prev tree u32
//   28 nodes u32   nodes reachable from the root, kept exact by every write
//   32 gen u32     changes whenever the tree's shape changes (any node added, freed or moved),
//                  so a walk path recorded under one gen is still right under the same gen
//   36 seq u32     bumped before and after every write of any kind (a slot written in place
//                  too): odd while one is in progress, so an ma_state can tell that the tree
//                  changed, or is changing, since it last looked
//   40 count u32   non-NULL ranges the tree holds, kept exact by every write (wrCommit adds the
//                  delta wrPrepare worked out; destroy zeroes it; dup copies it)
//
// Path (one 32-byte level per depth, root at depth 0):
//   0 enode u64 · 8 min u64 · 16 max u64 · 24 offset i32 (slot taken or held) · 28 end i32

import { objAlloc, objFree, OBJ_SMALL, poolTrees, setPoolTrees } from './pool';
import { MAPLE_MAX, SHARED } from './config';
import { aload32, aload64, astore64, rcuVisit } from './rcu';
import {
  mteToNode, mteIsLeaf, mteDataEnd, mteSlot, mtePivotSlot, mtePrefetchSlots, slotMin, slotMax,
  MAPLE_RANGE_64, MAPLE_ARANGE_64,
} from './node';

// @ts-ignore: decorator
@inline const T_ROOT: usize = 0;
// @ts-ignore: decorator
@inline const T_HEIGHT: usize = 8;
// @ts-ignore: decorator
@inline const T_FLAGS: usize = 12;
// @ts-ignore: decorator
@inline const T_POOL: usize = 16;
// @ts-ignore: decorator
@inline const T_NEXT: usize = 20;
// @ts-ignore: decorator
@inline const T_PREV: usize = 24;
// @ts-ignore: decorator
@inline const T_NODES: usize = 28;
// @ts-ignore: decorator
@inline const T_GEN: usize = 32;
// @ts-ignore: decorator
@inline const T_SEQ: usize = 36;
// @ts-ignore: decorator
@inline const T_COUNT: usize = 40;

// The last gen handed out, in linear memory: instances over a shared memory must not hand out
// the same one.
const GEN_COUNTER: usize = memory.data(8, 8);

// @ts-ignore: decorator
@inline export function treeGen(tree: usize): u32 { return load<u32>(tree, T_GEN); }
/** The tree's shape changed: every recorded path of it is stale (a write in progress). */
export function bumpGen(tree: usize): void {
  const gen = load<u32>(GEN_COUNTER) + 1;
  store<u32>(GEN_COUNTER, gen);
  store<u32>(tree, gen, T_GEN);
}

// The write sequence is odd while a write is in progress and even between writes: every write
// (wrCommit, destroy, dup into the tree) bumps it once before it changes anything and once
// after. An ma_state remembers the sequence it last looked at (an even one, or it walks again
// next time); in the shared build a reader in another thread that finds the same even
// sequence after entering its read section knows no write has started since, so no node of
// its path can have been retired, let alone freed. (Bumping only at the end would let a write
// that began earlier retire a node on the path and free it while the reader uses it.)
// @ts-ignore: decorator
@inline export function treeSeq(tree: usize): u32 { return aload32(tree + T_SEQ); }
// @ts-ignore: decorator
@inline function bumpSeq(tree: usize): void {
  if (SHARED) atomic.add<u32>(tree + T_SEQ, 1); else store<u32>(tree, load<u32>(tree, T_SEQ) + 1, T_SEQ);
}
/** A write of the tree begins (the sequence becomes odd). */
// @ts-ignore: decorator
@inline export function seqWriteBegin(tree: usize): void { bumpSeq(tree); }
/** The write ends (the sequence becomes even again). */
// @ts-ignore: decorator
@inline export function seqWriteEnd(tree: usize): void { bumpSeq(tree); }

/** MT_FLAGS_ALLOC_RANGE: internal nodes track gaps (arange_64). */
// @ts-ignore: decorator
@inline export const MT_FLAGS_ALLOC_RANGE: u32 = 1;
/** MT_FLAGS_USE_RCU: writes never change a node readers may be in, except one atomic slot. */
// @ts-ignore: decorator
@inline export const MT_FLAGS_USE_RCU: u32 = 2;
/** MT_FLAGS_ALLOC_WRAPPED: the last cyclic allocation took the top index. */
// @ts-ignore: decorator
@inline export const MT_FLAGS_ALLOC_WRAPPED: u32 = 0x800;

// The root word says by itself whether it holds a node: an encoded node carries ROOT_IS_NODE
// (entries never reach bit 62: the facade's words stay below 2^53). A reader in another thread
// reads the root word once, atomically, so it can never take a lone entry for a node while a
// write grows or empties the tree (the height is a separate word, written at another moment).
// @ts-ignore: decorator
@inline const ROOT_IS_NODE: u64 = <u64>1 << 62;
/** The root: the encoded root node, a lone entry (height 0) or 0. */
// @ts-ignore: decorator
@inline export function treeRoot(tree: usize): u64 { return aload64(tree + T_ROOT) & ~ROOT_IS_NODE; }
/** The root word as stored: test it with rootIsNode, take its value with rootValue. */
// @ts-ignore: decorator
@inline export function treeRootWord(tree: usize): u64 { return aload64(tree + T_ROOT); }
// @ts-ignore: decorator
@inline export function rootIsNode(word: u64): bool { return (word & ROOT_IS_NODE) != 0; }
// @ts-ignore: decorator
@inline export function rootValue(word: u64): u64 { return word & ~ROOT_IS_NODE; }
/** Whether the tree has nodes (height >= 1), from the root word alone. */
// @ts-ignore: decorator
@inline export function treeHasNodes(tree: usize): bool { return rootIsNode(treeRootWord(tree)); }
/** Publish a new root: an encoded node (isNode) or a lone entry / 0. */
// @ts-ignore: decorator
@inline export function setTreeRoot(tree: usize, root: u64, isNode: bool): void {
  astore64(tree + T_ROOT, isNode ? root | ROOT_IS_NODE : root);
}
// @ts-ignore: decorator
@inline export function treeHeight(tree: usize): i32 { return load<i32>(tree, T_HEIGHT); }
// @ts-ignore: decorator
@inline export function setTreeHeight(tree: usize, h: i32): void { store<i32>(tree, h, T_HEIGHT); }
// @ts-ignore: decorator
@inline export function treeFlags(tree: usize): u32 { return load<u32>(tree, T_FLAGS); }
// @ts-ignore: decorator
@inline export function setTreeFlags(tree: usize, f: u32): void { store<u32>(tree, f, T_FLAGS); }
// @ts-ignore: decorator
@inline export function treePool(tree: usize): usize { return load<usize>(tree, T_POOL); }
/** Whether the tree tracks gaps (MT_FLAGS_ALLOC_RANGE). */
// @ts-ignore: decorator
@inline export function mtIsAlloc(tree: usize): bool { return (treeFlags(tree) & MT_FLAGS_ALLOC_RANGE) != 0; }
/** Whether the tree is in RCU mode (mt_in_rcu). */
// @ts-ignore: decorator
@inline export function mtInRcu(tree: usize): bool { return (treeFlags(tree) & MT_FLAGS_USE_RCU) != 0; }
/** The type of the tree's internal nodes: arange_64 when it tracks gaps, else range_64. */
// @ts-ignore: decorator
@inline export function mtInternalType(tree: usize): u32 {
  return mtIsAlloc(tree) ? MAPLE_ARANGE_64 : MAPLE_RANGE_64;
}
/** Non-NULL ranges the tree holds. */
// @ts-ignore: decorator
@inline export function treeCount(tree: usize): u32 { return load<u32>(tree, T_COUNT); }
// @ts-ignore: decorator
@inline export function setTreeCount(tree: usize, n: u32): void { store<u32>(tree, n, T_COUNT); }
// @ts-ignore: decorator
@inline export function addTreeCount(tree: usize, delta: i32): void {
  store<u32>(tree, <u32>(<i32>treeCount(tree) + delta), T_COUNT);
}
// @ts-ignore: decorator
@inline export function treeNodes(tree: usize): u32 { return load<u32>(tree, T_NODES); }
// @ts-ignore: decorator
@inline export function addTreeNodes(tree: usize, delta: i32): void {
  store<u32>(tree, <u32>(<i32>treeNodes(tree) + delta), T_NODES);
}
// @ts-ignore: decorator
@inline export function treeNext(tree: usize): usize { return load<usize>(tree, T_NEXT); }

/** A new empty tree drawing nodes from pool, linked into the pool's list of trees. */
export function treeCreate(pool: usize, flags: u32): usize {
  const tree = objAlloc(OBJ_SMALL);
  if (tree == 0) return 0;
  store<u32>(tree, flags, T_FLAGS);
  store<usize>(tree, pool, T_POOL);
  store<u32>(tree, 0, T_COUNT);
  bumpGen(tree);
  const head = poolTrees(pool);
  store<usize>(tree, head, T_NEXT);
  if (head != 0) store<usize>(head, tree, T_PREV);
  setPoolTrees(pool, tree);
  return tree;
}

/** Unlink an (already emptied) tree from its pool and release its header. */
export function treeRelease(tree: usize): void {
  const pool = treePool(tree);
  const next = load<usize>(tree, T_NEXT);
  const prev = load<usize>(tree, T_PREV);
  if (prev != 0) store<usize>(prev, next, T_NEXT); else setPoolTrees(pool, next);
  if (next != 0) store<usize>(next, prev, T_PREV);
  objFree(tree, OBJ_SMALL);
}

// ── paths ────────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export const LEVEL_SIZE: usize = 32;

// @ts-ignore: decorator
@inline export function lvl(path: usize, d: i32): usize { return path + (<usize>d << 5); }
// @ts-ignore: decorator
@inline export function lvEnode(lv: usize): u64 { return load<u64>(lv, 0); }
// @ts-ignore: decorator
@inline export function lvNode(lv: usize): usize { return mteToNode(load<u64>(lv, 0)); }
// @ts-ignore: decorator
@inline export function lvMin(lv: usize): u64 { return load<u64>(lv, 8); }
// @ts-ignore: decorator
@inline export function lvMax(lv: usize): u64 { return load<u64>(lv, 16); }
// @ts-ignore: decorator
@inline export function lvOffset(lv: usize): i32 { return load<i32>(lv, 24); }
// @ts-ignore: decorator
@inline export function lvEnd(lv: usize): i32 { return load<i32>(lv, 28); }
// @ts-ignore: decorator
@inline export function setLvOffset(lv: usize, off: i32): void { store<i32>(lv, off, 24); }

/** Record a node at a level: its range, its end, and the slot of interest. */
// @ts-ignore: decorator
@inline export function setLevel(lv: usize, enode: u64, min: u64, max: u64, offset: i32): void {
  recordLevel(lv, enode, min, max, offset, mteDataEnd(enode, max));
}

/** setLevel for a walk that has read the node's end already. */
// @ts-ignore: decorator
@inline export function recordLevel(lv: usize, enode: u64, min: u64, max: u64, offset: i32,
                                    end: i32): void {
  rcuVisit(enode);
  store<u64>(lv, enode, 0);
  store<u64>(lv, min, 8);
  store<u64>(lv, max, 16);
  store<i32>(lv, offset, 24);
  store<i32>(lv, end, 28);
}

/** Range of the slot a level's offset points at. */
// @ts-ignore: decorator
@inline export function lvSlotMin(lv: usize): u64 {
  return slotMin(lvNode(lv), lvOffset(lv), lvMin(lv));
}
// @ts-ignore: decorator
@inline export function lvSlotMax(lv: usize): u64 {
  return slotMax(lvNode(lv), lvOffset(lv), lvEnd(lv), lvMax(lv));
}
// @ts-ignore: decorator
@inline export function lvSlot(lv: usize): u64 {
  return mteSlot(lvEnode(lv), lvOffset(lv));
}

/** Enter the child under level d's offset, recording it at level d + 1 with the given offset. */
export function pathDescend(path: usize, d: i32, childOffset: i32): void {
  const lv = lvl(path, d);
  const child = lvSlot(lv);
  setLevel(lvl(path, d + 1), child, lvSlotMin(lv), lvSlotMax(lv), 0);
  const next = lvl(path, d + 1);
  if (childOffset < 0) setLvOffset(next, lvEnd(next)); else setLvOffset(next, childOffset);
}

/**
 * Walk from the root to the leaf holding index, recording every level. Returns the leaf's depth.
 * The tree must have nodes (height >= 1).
 */
export function mtWalk(tree: usize, index: u64, path: usize): i32 {
  let enode = treeRoot(tree);
  let min: u64 = 0;
  let max: u64 = MAPLE_MAX;
  let d = 0;
  while (true) {
    const node = mteToNode(enode);
    mtePrefetchSlots(enode);
    const end = mteDataEnd(enode, max);
    const off = mtePivotSlot(enode, index);
    recordLevel(lvl(path, d), enode, min, max, off, end);
    if (mteIsLeaf(enode)) return d;
    const childMin = slotMin(node, off, min);
    max = slotMax(node, off, end, max);
    min = childMin;
    enode = mteSlot(enode, off);
    d++;
  }
}
