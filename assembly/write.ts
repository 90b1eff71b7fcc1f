// Range stores: decide the write type, reserve its nodes, then write.
//
// wrPrepare walks to the leaf holding `first` and decides, as the kernel's mas_wr_store_type
// does, which write this is, without changing anything:
//
//   store root     no node yet: a lone entry at index 0 lives in the root pointer
//   new root       no node yet, and the write needs a leaf
//   exact fit      the range is exactly one slot: overwrite the slot
//   append         the range falls in the leaf's last slot and the leaf has room: extend it
//   slot store     the range moves the boundary between two slots: no slot count change
//   node store     the leaf's new contents fit: rewrite the leaf in place
//   split          the leaf overflows: shared with a sibling that has room, in place
//                  (pushInPlace), or else             } rebuilt level by level, from the
//   rebalance      the leaf underflows                } leaves up, by rebuild() in
//   spanning store the range leaves the leaf          } rebuild.ts
//
// nodeRequest (prealloc.ts) turns the type into a worst-case node count; the caller fills the
// ma_state's reserve with that many nodes; wrCommit then writes, taking nodes from the reserve
// only. All failure points come before the first change, so ENOMEM leaves the tree as it was.

import { MAPLE_MAX, MAPLE_HEIGHT_MAX, EEXIST, ENOMEM } from './config';
import {
  MAPLE_LEAF_64, RANGE64_SLOTS, RANGE64_PIVOTS, RANGE64_MIN_END,
  pivotAt, setPivot, slotAt, setSlot, setMetaEnd, slotMin, slotMax, maWriteNode, mtMkNode,
  setRootParent, maPivotSlot, maLeafMaxGap, maShiftRight, mteSlotAddr, NODE_SIZE,
} from './node';
import { astore64, rcuWriteDone, writesForReaders } from './rcu';
import { propagateGap } from './gap';
import {
  treeRoot, setTreeRoot, treeHeight, setTreeHeight, treePool, addTreeNodes, treeGen, bumpGen,
  seqWriteBegin, seqWriteEnd, treeSeq, mtIsAlloc, mtInRcu, addTreeCount,
  mtWalk, lvl, lvNode, lvEnode, lvMin, lvMax, lvOffset, lvEnd, setLevel, setLvOffset, LEVEL_SIZE,
} from './tree';
import { setAllocContext, emergencyTopUp } from './pool';
import {
  LPATH, RPATH, BIG_PIV, BIG_SLOT, bigReset, bigPush, bigCount, rebuild, wrBegin, freeTree,
  useReserve, takeReserved, nodesTaken, leafPushSide, pushInPlace, publishNode, dropNode,
} from './rebuild';
import {
  WR_NEW_ROOT, WR_STORE_ROOT, WR_EXACT_FIT, WR_SPANNING_STORE, WR_SPLIT_STORE, WR_REBALANCE,
  WR_APPEND, WR_NODE_STORE, WR_SLOT_STORE, WR_NOOP, WR_EMPTY,
  nodeRequest, reserved, reserveFill, reserveDrain, recordFit,
} from './prealloc';
import {
  masTree, masIndex, masLast, masSetRange, masWalk, masReset, stateWalk, MA_START,
  MA_ROOT, MA_NONE, setMasRequest, masBulk, masSettleActive, masSettleOnPath, masSettleRoot,
  masSettleLater,
} from './walk';

/** Operations, as recorded in the pool's failure log. */
export const OP_STORE = 1;
export const OP_INSERT = 2;
export const OP_ERASE = 3;
export const OP_DUP = 4;
export const OP_PREALLOCATE = 5;
export const OP_STORE_PREALLOC = 6;
export const OP_EXPECTED_ENTRIES = 7;
export const OP_NOMEM = 8;

// The write being prepared.
let wrFirst: u64 = 0;
let wrLast: u64 = 0;
let wrEntry: u64 = 0;
let wrLeafDepth: i32 = 0;
let wrOffset: i32 = 0; // slot holding first in the leaf
let wrRangeMin: u64 = 0; // start of that slot
let wrRangeMax: u64 = 0; // end of the slot holding last
let wrPush: i32 = 0; // a split that can push into this sibling in place (-1 left, 1 right)
let wrShift: i32 = 0; // a node store inside one slot: how far the slots after it move (1, 2)
let wrSlotEnd: i32 = 0; // a slot store: the slot holding last (wrOffset + 1 or + 2)
let wrType: i32 = 0; // what wrPrepare decided
let wrNodes: i32 = 0; // the nodes it needs at most (nodeRequest)
let wrTreeHeight: i32 = 0; // the tree's height when it did
let wrHadRoot: bool = false; // a tree without nodes held a root entry before the write
// How the write changes the count of non-NULL ranges: +1 for a non-NULL entry, -1 for each
// non-NULL range it covers whole, +1 when it cuts one range in two; ranges it trims keep theirs.
let wrDelta: i32 = 0;
let wrRcu: bool = false; // the tree was in RCU mode when the write was prepared
let wrEntryAt: i32 = -1; // where the new leaf contents (BIG_SLOT) hold the entry, or -1
/** A walk path for counting the ranges a spanning store covers (LPATH/RPATH stay as they are). */
const CPATH: usize = memory.data(<i32>(MAPLE_HEIGHT_MAX * <i32>LEVEL_SIZE), 16);

// The arguments of the last wrPrepare and the tree's write sequence then: while they hold, its
// decision and paths still describe that write (wrPrepared).
let askTree: usize = 0;
let askFirst: u64 = 0;
let askLast: u64 = 0;
let askNull: bool = false;
let askSeq: u32 = 0;

/** Decide how a store of entry over [first, last] will be written. Changes nothing. */
export function wrPrepare(tree: usize, first: u64, last: u64, entry: u64): i32 {
  askTree = tree;
  askFirst = first;
  askLast = last;
  askNull = entry == 0;
  askSeq = treeSeq(tree);
  wrTreeHeight = treeHeight(tree);
  wrType = prepare(tree, first, last, entry);
  wrNodes = nodeRequest(wrType, LPATH, RPATH, wrLeafDepth, wrPush != 0, wrRcu);
  return wrType;
}

/**
 * The type wrPrepare decided for this write, when it was the last write prepared and its tree has
 * not been written since (mas_preallocate then mas_store_prealloc: nothing to walk or decide
 * again); -1 otherwise. Only whether the entry is NULL decides a write, so the prepared one may
 * have had another non-NULL entry (the facade's preallocate knows no object's handle yet): this
 * one takes its place.
 */
export function wrPrepared(tree: usize, first: u64, last: u64, entry: u64): i32 {
  // A thread attaching since changes how the write must go (writesForReaders): decide again.
  if (tree != askTree || first != askFirst || last != askLast || (entry == 0) != askNull ||
      treeSeq(tree) != askSeq || writesForReaders(mtInRcu(tree)) != wrRcu) return -1;
  if (entry != 0) {
    wrEntry = entry;
    if (wrEntryAt >= 0) store<u64>(BIG_SLOT + (<usize>wrEntryAt << 3), entry);
  }
  return wrType;
}

function prepare(tree: usize, first: u64, last: u64, entry: u64): i32 {
  wrBegin(tree);
  wrFirst = first;
  wrLast = last;
  wrEntry = entry;
  wrPush = 0;
  wrShift = 0;
  wrEntryAt = -1;
  wrRcu = writesForReaders(mtInRcu(tree));
  if (treeHeight(tree) == 0) {
    // The root holds at most a lone entry at index 0: covered when first is 0.
    wrDelta = <i32>(entry != 0) - <i32>(treeRoot(tree) != 0 && first == 0);
    return prepareRoot(tree, first, last, entry);
  }

  const ld = walkLeft(tree, first);
  wrLeafDepth = ld;
  const L = lvl(LPATH, ld);
  const lmax = lvMax(L);
  // A leaf other than the rightmost may not end in NULL, so a NULL reaching the end of the leaf
  // must take the next leaf along (mas_is_span_wr).
  if (last > lmax || (last == lmax && entry == 0 && last != MAPLE_MAX)) {
    mtWalk(tree, last == MAPLE_MAX ? last : last + 1, RPATH);
    wrDelta = <i32>(entry != 0) - countCovered(tree, ld, first, last);
    buildLeafContents(ld, first, last, entry, last == MAPLE_MAX ? -1 : lvOffset(lvl(RPATH, ld)));
    return WR_SPANNING_STORE;
  }

  const node = lvNode(L);
  const end = lvEnd(L);
  let i = lvOffset(L);
  let j = i;
  while (j < end && pivotAt(node, j) < last) j++;
  if (entry == 0) {
    if (i == j && slotAt(node, i) == 0) { // NULL over NULL changes nothing
      wrDelta = 0;
      return WR_NOOP;
    }
    // A NULL takes in the NULLs it meets (mas_wr_extend_null): the slots it starts or ends in
    // when they are NULL, and a NULL neighbour beyond an edge it reaches. Neighbouring NULLs are
    // always merged, so one slot each way is all there can be.
    const lmin = lvMin(L);
    if (slotAt(node, j) == 0) {
      last = slotMax(node, j, end, lmax);
    } else if (last == slotMax(node, j, end, lmax) && j < end && slotAt(node, j + 1) == 0) {
      j++;
      last = slotMax(node, j, end, lmax);
    }
    if (slotAt(node, i) == 0) {
      first = slotMin(node, i, lmin);
    } else if (first == slotMin(node, i, lmin) && i > 0 && slotAt(node, i - 1) == 0) {
      i--;
      first = slotMin(node, i, lmin);
    }
    wrFirst = first;
    wrLast = last;
    setLvOffset(L, i);
  }
  const rmin = slotMin(node, i, lvMin(L));
  const rmax = slotMax(node, j, end, lmax);
  wrOffset = i;
  wrRangeMin = rmin;
  wrRangeMax = rmax;
  // Slots i..j meet [first, last]; those strictly between i and j lie wholly inside it.
  let d = <i32>(entry != 0);
  if (i == j) {
    if (slotAt(node, i) != 0) {
      if (rmin >= first && rmax <= last) d--;
      else if (rmin < first && rmax > last) d++;
    }
  } else {
    if (slotAt(node, i) != 0 && rmin >= first) d--;
    for (let s = i + 1; s < j; s++) d -= <i32>(slotAt(node, s) != 0);
    if (slotAt(node, j) != 0 && rmax <= last) d--;
  }
  wrDelta = d;

  if (i == j && rmin == first && rmax == last) return WR_EXACT_FIT;
  // The in-place types, in the kernel's order (mas_wr_store_type): a leaf left with too few
  // items is rebalanced (a root leaf node-stored) whatever else the write is; then the last slot
  // appends; then a write that keeps the item count moves one or two pivots (slot store).
  // In RCU mode (mt_in_rcu) readers may be in the leaf: no append (its end moves while slots
  // are written), and only the slot store that moves one pivot, whose slot is written first, so
  // a reader sees the old entry or the new one at every index; everything else is a node store
  // into a new node.
  const rcu = wrRcu;
  const kept = <i32>(rmin < first) + <i32>(last < rmax);
  const count = end + 1 - (j - i) + kept; // items after the write
  if (count > RANGE64_MIN_END && count <= RANGE64_SLOTS) {
    if (i == end && !rcu) return WR_APPEND;
    if (count == end + 1 && (rcu ? j - i == 1 : j - i <= 2)) {
      wrSlotEnd = j;
      return WR_SLOT_STORE;
    }
  }
  if (i == j && entry != 0 && count <= RANGE64_SLOTS && (ld == 0 || count > RANGE64_MIN_END)) {
    // Inside one slot, cutting it in two or three pieces, none NULL beside a NULL: a node store
    // that only moves the slots after it, where the general one rebuilds the leaf.
    wrShift = kept;
    return WR_NODE_STORE;
  }

  memory.copy(RPATH, LPATH, <usize>(ld + 1) * LEVEL_SIZE);
  const after = last < rmax ? j : j + 1;
  buildLeafContents(ld, first, last, entry, after <= end ? after : -1);
  const n = bigCount();
  if (n > RANGE64_SLOTS) {
    // A push in place rewrites two leaves readers may be in: RCU mode rebuilds them instead.
    wrPush = rcu ? 0 : leafPushSide(ld);
    return WR_SPLIT_STORE;
  }
  if (ld == 0) return n == 1 && load<u64>(BIG_SLOT) == 0 ? WR_EMPTY : WR_NODE_STORE;
  return n > RANGE64_MIN_END ? WR_NODE_STORE : WR_REBALANCE;
}

// LPATH as the last write left it: still right while its tree keeps the same gen, except for
// the leaf's own contents, which in-place writes change (so the leaf level is read again).
let pathTree: usize = 0;
let pathGen: u32 = 0;
let pathDepth: i32 = 0;

/**
 * Forget the path and the prepared write this instance remembers: another instance over the same
 * shared memory wrote since, through the same scratch paths.
 */
export function wrForget(): void {
  pathTree = 0;
  askTree = 0;
}

/**
 * Walk LPATH to the leaf holding first. Consecutive writes into one leaf (appends above all)
 * reuse the ancestors the previous write recorded instead of walking from the root.
 */
function walkLeft(tree: usize, first: u64): i32 {
  if (tree == pathTree && treeGen(tree) == pathGen) {
    const L = lvl(LPATH, pathDepth);
    if (first >= lvMin(L) && first <= lvMax(L)) {
      setLevel(L, lvEnode(L), lvMin(L), lvMax(L), maPivotSlot(lvNode(L), first));
      return pathDepth;
    }
  }
  pathDepth = mtWalk(tree, first, LPATH);
  pathTree = tree;
  pathGen = treeGen(tree);
  return pathDepth;
}

/**
 * The kernel's store type (enum store_type, in the WR_ numbering) for the prepared write, where
 * maple-wasm's own type names the same write differently: a tree without nodes is always
 * store_root; storing NULL over NULL is the kernel's exact fit of the widened NULL range; a write
 * that leaves a root leaf holding one range over [0, ULONG_MAX] is new_root; a split that pushes
 * into a sibling is a split store.
 */
export function wrKernelType(): i32 {
  switch (wrType) {
    case WR_NEW_ROOT: return WR_STORE_ROOT;
    case WR_NOOP: return wrTreeHeight == 0 ? WR_STORE_ROOT : WR_EXACT_FIT;
    case WR_EMPTY: return WR_NEW_ROOT;
    case WR_NODE_STORE:
      return wrLeafDepth == 0 && wrFirst == 0 && wrLast == MAPLE_MAX ? WR_NEW_ROOT : WR_NODE_STORE;
  }
  return wrType;
}

/**
 * Non-NULL ranges lying wholly inside [first, last] for a spanning store, whose covered leaves
 * the rebuild drops without looking at their slots: the left leaf (LPATH) from first on, the
 * leaves between it and the right leaf (RPATH, walked at last + 1) if any, then the right leaf.
 */
function countCovered(tree: usize, ld: i32, first: u64, last: u64): i32 {
  const L = lvl(LPATH, ld);
  const R = lvl(RPATH, ld);
  let n = coveredIn(L, lvOffset(L), first, last);
  let x = lvMax(L) + 1;
  const rmin = lvMin(R);
  while (x < rmin) {
    const C = lvl(CPATH, mtWalk(tree, x, CPATH));
    n += coveredIn(C, 0, first, last);
    x = lvMax(C) + 1;
  }
  if (rmin <= last && rmin > lvMax(L)) n += coveredIn(R, 0, first, last);
  return n;
}

/** Non-NULL slots of the leaf at level lv, from slot s on, lying wholly inside [first, last]. */
function coveredIn(lv: usize, s: i32, first: u64, last: u64): i32 {
  const node = lvNode(lv);
  const end = lvEnd(lv);
  const lmin = lvMin(lv);
  const lmax = lvMax(lv);
  let n = 0;
  for (; s <= end; s++) {
    const smin = slotMin(node, s, lmin);
    if (smin > last) break;
    if (slotAt(node, s) != 0 && smin >= first && slotMax(node, s, end, lmax) <= last) n++;
  }
  return n;
}

/** Nodes the prepared write needs at most. */
export function wrRequest(): i32 {
  return wrNodes;
}

/**
 * Perform the prepared write, taking nodes from the reserve of mas. Cannot fail when the
 * reserve holds wrRequest() nodes.
 */
export function wrCommit(tree: usize, type: i32, mas: usize, request: i32): i32 {
  seqWriteBegin(tree);
  wrBegin(tree);
  useReserve(mas);
  let r = 0;
  const L = lvl(LPATH, wrLeafDepth);
  const node = lvNode(L);
  switch (type) {
    case WR_STORE_ROOT: setTreeRoot(tree, wrEntry, false); bumpGen(tree); break;
    case WR_NEW_ROOT: r = newRootLeaf(tree); bumpGen(tree); break;
    case WR_EXACT_FIT: astore64(mteSlotAddr(lvEnode(L), wrOffset), wrEntry); break;
    case WR_APPEND: appendStore(node, lvEnd(L), lvMax(L)); break;
    case WR_SLOT_STORE: slotStore(node, wrOffset); break;
    case WR_NODE_STORE:
      if (wrRcu) r = replaceLeaf(tree, wrLeafDepth);
      else if (wrShift != 0) shiftStore(node, lvEnd(L));
      else maWriteNode(node, BIG_PIV, BIG_SLOT, bigCount());
      break;
    case WR_EMPTY: freeTree(tree); break;
    case WR_NOOP: break;
    case WR_SPLIT_STORE:
      if (wrPush != 0) pushInPlace(wrLeafDepth, wrPush);
      else r = rebuild(wrLeafDepth);
      break;
    default: r = rebuild(wrLeafDepth);
  }
  const inPlace = type == WR_EXACT_FIT || type == WR_APPEND || type == WR_SLOT_STORE ||
    type == WR_NODE_STORE;
  if (inPlace && mtIsAlloc(tree)) {
    // An in-place leaf write: its largest gap may have changed.
    propagateGap(LPATH, wrLeafDepth, maLeafMaxGap(lvNode(L), lvMin(L), lvMax(L)));
  }
  if (r == 0) {
    addTreeCount(tree, wrDelta);
    recordFit(type, request, nodesTaken());
  }
  seqWriteEnd(tree);
  rcuWriteDone();
  return r;
}

/**
 * RCU node store (mas_wr_node_store in RCU mode): the leaf's new contents go into a new node,
 * which replaces the leaf with one atomic store; the old leaf is retired. LPATH then records the
 * new leaf, so the path stays good for the next write.
 */
function replaceLeaf(tree: usize, ld: i32): i32 {
  const L = lvl(LPATH, ld);
  const old = lvNode(L);
  const fresh = takeReserved();
  if (fresh == 0) return -ENOMEM;
  if (wrShift != 0) {
    memory.copy(fresh, old, NODE_SIZE);
    shiftStore(fresh, lvEnd(L));
  } else {
    maWriteNode(fresh, BIG_PIV, BIG_SLOT, bigCount());
  }
  const enode = mtMkNode(fresh, MAPLE_LEAF_64);
  publishNode(LPATH, ld, enode);
  addTreeNodes(tree, 1);
  dropNode(old);
  setLevel(L, enode, lvMin(L), lvMax(L), lvOffset(L));
  bumpGen(tree);
  if (pathTree == tree) pathGen = treeGen(tree);
  return 0;
}

/**
 * Store with allocation (mas_store_gfp): prepare, reserve what the write needs in mas, write,
 * and give back what was not used. Returns 0 or -ENOMEM (tree unchanged, reserve emptied).
 */
export function wrStoreGfp(tree: usize, first: u64, last: u64, entry: u64, mas: usize, gfp: u32,
                           op: u32): i32 {
  const type = wrPrepare(tree, first, last, entry);
  const request = wrRequest();
  const pool = treePool(tree);
  setAllocContext(op, type);
  if (request > reserved(mas)) {
    // A write that adds an entry first keeps the emergency reserve full for a tree one level
    // taller than now (this write may split the root, and memory may be full by the next one);
    // only a freeing write (an erase, a NULL store) may draw on it.
    if (entry != 0) emergencyTopUp(pool, treeHeight(tree) + 1);
    if (reserveFill(mas, pool, request, gfp, entry == 0) < 0) {
      reserveDrain(mas, pool);
      setMasRequest(mas, request);
      return -ENOMEM;
    }
  }
  const r = wrCommit(tree, type, mas, request);
  if (!masBulk(mas)) reserveDrain(mas, pool);
  return r;
}

/**
 * Append (mas_wr_append): a non-NULL range inside the leaf's last slot, written after the
 * existing data; the leaf has room for the one or two extra slots.
 */
function appendStore(node: usize, end: i32, max: u64): void {
  const old = slotAt(node, end);
  let pos = end;
  if (wrRangeMin < wrFirst) {
    setPivot(node, pos, wrFirst - 1);
    pos++;
  }
  setSlot(node, pos, wrEntry);
  if (pos < RANGE64_PIVOTS) setPivot(node, pos, wrLast);
  if (wrLast < max) {
    pos++;
    setSlot(node, pos, old);
    if (pos < RANGE64_PIVOTS) setPivot(node, pos, max);
  }
  setMetaEnd(node, pos);
}

/**
 * Node store inside slot wrOffset (see wrPrepare): the slots after it move wrShift places right,
 * and [wrFirst, wrLast] goes between the pieces of the old slot that stay around it.
 */
function shiftStore(node: usize, end: i32): void {
  let at = wrOffset;
  maShiftRight(node, at, end, wrShift);
  // The old slot's right piece, if any, is its moved copy, its pivot the old one.
  if (wrRangeMin < wrFirst) {
    setPivot(node, at, wrFirst - 1); // its left piece stays where it was
    at++;
  }
  setSlot(node, at, wrEntry);
  if (at < RANGE64_PIVOTS) setPivot(node, at, wrLast);
  setMetaEnd(node, end + wrShift);
}

/**
 * Slot store (mas_wr_slot_store): a range that keeps the leaf's item count only moves pivots.
 * Over the whole of slot i and the start of slot i + 1, or the end of slot i and the whole of
 * slot i + 1, one pivot moves; over the end of slot i, all of i + 1 and the start of i + 2,
 * slot i + 1 takes the entry and both its pivots move.
 */
function slotStore(node: usize, i: i32): void {
  if (wrSlotEnd == i + 2) {
    setPivot(node, i, wrFirst - 1);
    setSlot(node, i + 1, wrEntry);
    setPivot(node, i + 1, wrLast);
  } else if (wrFirst == wrRangeMin) {
    astore64(mteSlotAddr(mtMkNode(node, MAPLE_LEAF_64), i), wrEntry);
    setPivot(node, i, wrLast);
  } else {
    // The slot first: a reader that finds the moved pivot must find the new entry behind it.
    astore64(mteSlotAddr(mtMkNode(node, MAPLE_LEAF_64), i + 1), wrEntry);
    setPivot(node, i, wrFirst - 1);
  }
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
  if (entry != 0) wrEntryAt = bigCount();
  bigPush(last, entry);
  if (after < 0) return;
  const R = lvl(RPATH, ld);
  const rnode = lvNode(R);
  const rend = lvEnd(R);
  const rmax = lvMax(R);
  for (let s = after; s <= rend; s++) bigPush(slotMax(rnode, s, rend, rmax), slotAt(rnode, s));
}

/**
 * A tree with no node (mas_store_root): index 0 alone stays in the root pointer, a NULL from
 * index 0 empties it, a NULL elsewhere changes nothing; anything else grows a leaf.
 */
function prepareRoot(tree: usize, first: u64, last: u64, entry: u64): i32 {
  wrLeafDepth = 0;
  wrHadRoot = treeRoot(tree) != 0;
  if (first == 0 && last == 0) return WR_STORE_ROOT;
  if (entry == 0) {
    wrEntry = 0;
    return first == 0 ? WR_STORE_ROOT : WR_NOOP;
  }
  const root = treeRoot(tree);
  bigReset();
  if (first > 0) {
    if (root != 0) bigPush(0, root);
    if (root == 0 || first > 1) bigPush(first - 1, 0); // the gap before first, if any
  }
  wrEntryAt = bigCount();
  bigPush(last, entry);
  if (last < MAPLE_MAX) bigPush(MAPLE_MAX, 0);
  return WR_NEW_ROOT;
}

function newRootLeaf(tree: usize): i32 {
  const node = takeReserved();
  if (node == 0) return -ENOMEM;
  maWriteNode(node, BIG_PIV, BIG_SLOT, bigCount());
  setRootParent(node, tree);
  setTreeRoot(tree, mtMkNode(node, MAPLE_LEAF_64), true);
  setTreeHeight(tree, 1);
  addTreeNodes(tree, 1);
  return 0;
}

// ── the normal API's writes ──────────────────────────────────────────────────

/** The normal API's own ma_state (single-threaded core: one is enough). */
const NORMAL_MAS: usize = memory.data(1024, 16);

/** The normal API's state, pointed at a tree and its pool. */
function normalState(tree: usize): usize {
  store<usize>(NORMAL_MAS, tree);
  store<usize>(NORMAL_MAS, treePool(tree), 56);
  return NORMAL_MAS;
}

/** mtree_store_range. Returns 0 or -ENOMEM (tree unchanged). */
export function mtStoreRange(tree: usize, first: u64, last: u64, entry: u64, gfp: u32): i32 {
  return wrStoreGfp(tree, first, last, entry, normalState(tree), gfp, OP_STORE);
}

/**
 * Store entry over [first, last] only if every index there is empty (mtree_insert_range).
 * Returns 0, -EEXIST, or -ENOMEM.
 */
export function mtInsertRange(tree: usize, first: u64, last: u64, entry: u64, gfp: u32): i32 {
  const mas = normalState(tree);
  masSetRange(mas, first, first);
  // NULL ranges never touch, so the range at first is NULL and reaches last, or it is occupied.
  if (masWalk(mas) != 0 || masLast(mas) < last) return -EEXIST;
  return wrStoreGfp(tree, first, last, entry, mas, gfp, OP_INSERT);
}

/**
 * Erase the whole range holding the state's index (mas_erase / mtree_erase), walking from the
 * root whatever the state's status. Returns 1 and leaves the erased entry in *entryOut, 0 when
 * the index held nothing (the state then stands on that NULL range), or -ENOMEM (state in error).
 */
export function masErase(mas: usize, entryOut: usize, gfp: u32): i32 {
  masReset(mas);
  const entry = stateWalk(mas);
  store<u64>(entryOut, entry);
  if (entry == 0) return 0;
  // With nodes the walk made index..last the entry's range; a lone root entry is erased by a
  // NULL store over the state's own range, which starts at 0.
  const r = wrStoreGfp(masTree(mas), masIndex(mas), masLast(mas), 0, mas, gfp, OP_ERASE);
  return r < 0 ? r : 1;
}

/**
 * Where a state stands after a write through it succeeded, as after the kernel's
 * mas_wr_store_entry: on the slot now holding its index (a NULL store's index having been
 * widened over the NULLs it merged with), active; in a tree left without nodes, start after a
 * root entry was stored or everything erased (over [0, ULONG_MAX]), else root or none as the walk before the write saw.
 * A write that changed only its leaf leaves its walk to the state; after one that rebuilt nodes
 * the walk to the new leaf waits for the first operation that needs the position (a non-NULL
 * entry's range is the state's own), and an operation that sets a new range first never walks.
 */
export function masSettle(mas: usize): void {
  const tree = masTree(mas);
  if (treeHeight(tree) > 0) {
    const inLeaf = wrType == WR_EXACT_FIT || wrType == WR_APPEND || wrType == WR_SLOT_STORE ||
      wrType == WR_NODE_STORE || wrType == WR_NOOP;
    if (inLeaf) masSettleOnPath(mas, LPATH, wrLeafDepth);
    else if (wrEntry != 0) masSettleLater(mas, wrEntry);
    else masSettleActive(mas);
  } else if (wrType == WR_EMPTY) {
    // The NULL store widened over the NULLs around it to the whole key space.
    masSetRange(mas, 0, MAPLE_MAX);
  } else if (wrType == WR_STORE_ROOT && wrEntry != 0) {
    masSettleRoot(mas, MA_START);
  } else {
    masSettleRoot(mas, wrHadRoot ? MA_ROOT : MA_NONE);
  }
}

export function mtErase(tree: usize, index: u64, entryOut: usize, gfp: u32): i32 {
  const mas = normalState(tree);
  masSetRange(mas, index, index);
  return masErase(mas, entryOut, gfp);
}
