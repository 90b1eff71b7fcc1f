// Range stores: choose the write type, then run it.
//
// mtStoreRange walks to the leaf holding `first` and decides, as the kernel's mas_wr_store_type
// does, which write this is:
//
//   store root     the tree has no node yet (empty, or a lone entry at index 0)
//   exact fit      the range is exactly one slot: overwrite the slot
//   append         the range falls in the leaf's last slot and the leaf has room: extend it
//   slot store     the range moves the boundary between two slots: no slot count change
//   node store     the leaf's new contents fit: rewrite the leaf in place
//   split          the leaf overflows         } rebuilt level by level, from the leaves up,
//   rebalance      the leaf underflows        } by rebuild() in rebuild.ts
//   spanning store the range leaves the leaf  }
//
// The first five never allocate and modify one node; the last three allocate every node they
// need before they touch the tree, so a failed allocation leaves the tree exactly as it was.

import { MAPLE_MAX, ENOMEM, EEXIST } from './config';
import { masSetRange, masWalk, masIndex, masLast } from './walk';
import {
  MAPLE_LEAF_64, RANGE64_SLOTS, RANGE64_PIVOTS, RANGE64_MIN_END,
  pivotAt, setPivot, slotAt, setSlot, setMetaEnd, slotMin, slotMax, maWriteNode, mtMkNode,
  setRootParent,
} from './node';
import {
  treeRoot, setTreeRoot, treeHeight, setTreeHeight, treePool, addTreeNodes,
  mtWalk, lvl, lvNode, lvMin, lvMax, lvOffset, lvEnd, LEVEL_SIZE,
} from './tree';
import { nodeAlloc } from './pool';
import {
  LPATH, RPATH, BIG_PIV, BIG_SLOT, bigReset, bigPush, bigCount, rebuild, wrBegin, freeTree,
} from './rebuild';

/**
 * Store entry over [first, last] (mas_store / mtree_store_range). Entry 0 erases.
 * Returns 0, or -ENOMEM when a needed node could not be allocated (tree unchanged).
 */
export function mtStoreRange(tree: usize, first: u64, last: u64, entry: u64): i32 {
  wrBegin(tree);
  if (treeHeight(tree) == 0) return storeRoot(tree, first, last, entry);

  const ld = mtWalk(tree, first, LPATH);
  const L = lvl(LPATH, ld);
  const lmax = lvMax(L);
  // A leaf other than the rightmost may not end in NULL, so a NULL reaching the end of the leaf
  // must take the next leaf along (mas_is_span_wr).
  const spans = last > lmax || (last == lmax && entry == 0 && last != MAPLE_MAX);
  if (spans) return spanningStore(tree, ld, first, last, entry);

  const node = lvNode(L);
  const end = lvEnd(L);
  const i = lvOffset(L);
  let j = i;
  while (j < end && pivotAt(node, j) < last) j++;
  const rmin = slotMin(node, i, lvMin(L));
  const rmax = slotMax(node, j, end, lmax);

  if (i == j) {
    const old = slotAt(node, i);
    if (entry == 0 && old == 0) return 0; // NULL over NULL changes nothing
    if (rmin == first && rmax == last && (entry != 0 || !nullNeighbour(node, i, end))) {
      setSlot(node, i, entry); // exact fit
      return 0;
    }
    if (entry != 0 && i == end && appendStore(node, end, first, last, rmin, lmax, entry)) return 0;
  } else if (j == i + 1 && entry != 0 && slotStore(node, i, first, last, rmin, rmax, entry)) {
    return 0;
  }

  // Node store, or a split / rebalance: build the leaf's new contents.
  memory.copy(RPATH, LPATH, <usize>(ld + 1) * LEVEL_SIZE);
  const after = last < rmax ? j : j + 1;
  buildLeafContents(ld, first, last, entry, after <= end ? after : -1);
  const n = bigCount();
  if (n <= RANGE64_SLOTS && (n > RANGE64_MIN_END || ld == 0)) {
    if (ld == 0 && n == 1 && load<u64>(BIG_SLOT) == 0) {
      // The whole key space is NULL again: the kernel stores a new (empty) root.
      freeTree(tree);
      return 0;
    }
    maWriteNode(node, BIG_PIV, BIG_SLOT, n); // node store, in place
    return 0;
  }
  return rebuild(ld);
}

/** Whether slot i has a NULL neighbour that a NULL store into it must merge with. */
function nullNeighbour(node: usize, i: i32, end: i32): bool {
  return (i > 0 && slotAt(node, i - 1) == 0) || (i < end && slotAt(node, i + 1) == 0);
}

/**
 * Append (mas_wr_append): a non-NULL range inside the leaf's last slot, written after the
 * existing data when the leaf has room for the one or two extra slots.
 */
function appendStore(node: usize, end: i32, first: u64, last: u64, rmin: u64, max: u64,
                     entry: u64): bool {
  const before = rmin < first ? 1 : 0;
  const after = last < max ? 1 : 0;
  const newEnd = end + before + after;
  if (newEnd >= RANGE64_SLOTS) return false;
  const old = slotAt(node, end);
  let pos = end;
  if (before) {
    setPivot(node, pos, first - 1);
    pos++;
  }
  setSlot(node, pos, entry);
  if (pos < RANGE64_PIVOTS) setPivot(node, pos, last);
  if (after) {
    pos++;
    setSlot(node, pos, old);
    if (pos < RANGE64_PIVOTS) setPivot(node, pos, max);
  }
  setMetaEnd(node, pos);
  return true;
}

/**
 * Slot store (mas_wr_slot_store): a non-NULL range covering the whole of slot i and the start
 * of slot i + 1, or the end of slot i and the whole of slot i + 1, only moves one pivot.
 */
function slotStore(node: usize, i: i32, first: u64, last: u64, rmin: u64, rmax: u64,
                   entry: u64): bool {
  if (first == rmin && last < rmax) {
    setSlot(node, i, entry);
    setPivot(node, i, last);
    return true;
  }
  if (first > rmin && last == rmax) {
    setPivot(node, i, first - 1);
    setSlot(node, i + 1, entry);
    return true;
  }
  return false;
}

/**
 * Spanning store (mas_wr_spanning_store): the range runs past the leaf holding first. Walk a
 * second path to the leaf holding last + 1 (so a trailing NULL joins the NULL after it), join
 * the two leaves' surviving ends around the new entry, and rebuild from there.
 */
function spanningStore(tree: usize, ld: i32, first: u64, last: u64, entry: u64): i32 {
  mtWalk(tree, last == MAPLE_MAX ? last : last + 1, RPATH);
  buildLeafContents(ld, first, last, entry, last == MAPLE_MAX ? -1 : lvOffset(lvl(RPATH, ld)));
  return rebuild(ld);
}

/**
 * The new contents of the leaf level: the left leaf up to first, the new entry, and the right
 * leaf from last + 1 (slot `after` of the right leaf, or nothing when after < 0).
 * Adjacent NULLs are merged as they are pushed.
 */
function buildLeafContents(ld: i32, first: u64, last: u64, entry: u64, after: i32): void {
  const L = lvl(LPATH, ld);
  const lnode = lvNode(L);
  const i = lvOffset(L);
  bigReset();
  for (let s = 0; s < i; s++) bigPush(pivotAt(lnode, s), slotAt(lnode, s));
  if (slotMin(lnode, i, lvMin(L)) < first) bigPush(first - 1, slotAt(lnode, i));
  bigPush(last, entry);
  if (after < 0) return;
  const R = lvl(RPATH, ld);
  const rnode = lvNode(R);
  const rend = lvEnd(R);
  const rmax = lvMax(R);
  for (let s = after; s <= rend; s++) bigPush(slotMax(rnode, s, rend, rmax), slotAt(rnode, s));
}

/**
 * Store on a tree with no node (mas_store_root): index 0 alone lives in the root pointer;
 * anything else expands the root into a leaf.
 */
function storeRoot(tree: usize, first: u64, last: u64, entry: u64): i32 {
  const root = treeRoot(tree);
  if (first == 0 && last == 0) {
    setTreeRoot(tree, entry);
    return 0;
  }
  if (entry == 0) {
    if (first == 0) setTreeRoot(tree, 0);
    return 0;
  }
  bigReset();
  if (first > 0) {
    if (root != 0) bigPush(0, root);
    bigPush(first - 1, 0);
  }
  bigPush(last, entry);
  if (last < MAPLE_MAX) bigPush(MAPLE_MAX, 0);
  const node = nodeAlloc(treePool(tree));
  if (node == 0) return -ENOMEM;
  maWriteNode(node, BIG_PIV, BIG_SLOT, bigCount());
  setRootParent(node, tree);
  setTreeRoot(tree, mtMkNode(node, MAPLE_LEAF_64));
  setTreeHeight(tree, 1);
  addTreeNodes(tree, 1);
  return 0;
}

/** Scratch ma_state for the normal API's own walks. */
const NORMAL_MAS: usize = memory.data(1024, 16);

/**
 * Store entry over [first, last] only if every index there is empty (mtree_insert_range).
 * Returns 0, -EEXIST, or -ENOMEM.
 */
export function mtInsertRange(tree: usize, first: u64, last: u64, entry: u64): i32 {
  store<usize>(NORMAL_MAS, tree);
  masSetRange(NORMAL_MAS, first, first);
  // NULL ranges never touch, so the range at first is NULL and reaches last, or it is occupied.
  if (masWalk(NORMAL_MAS) != 0 || masLast(NORMAL_MAS) < last) return -EEXIST;
  return mtStoreRange(tree, first, last, entry);
}

/**
 * Erase the whole range holding index (mtree_erase). Returns 1 and leaves the erased entry in
 * *entryOut, 0 when index held nothing, or -ENOMEM (tree unchanged).
 */
export function mtErase(tree: usize, index: u64, entryOut: usize): i32 {
  store<usize>(NORMAL_MAS, tree);
  masSetRange(NORMAL_MAS, index, index);
  const entry = masWalk(NORMAL_MAS);
  store<u64>(entryOut, entry);
  if (entry == 0) return 0;
  const r = mtStoreRange(tree, masIndex(NORMAL_MAS), masLast(NORMAL_MAS), 0);
  return r < 0 ? r : 1;
}
