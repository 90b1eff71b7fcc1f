// Split, rebalance and spanning store: rebuilding the tree from the leaves up.
//
// All three start from the same place: the new contents of a run of leaves (the "big node" of
// the kernel, here BIG_PIV/BIG_SLOT: each item is (range max, slot)). The run is described by
// two walk paths: LPATH ends at its first node and RPATH at its last node (the same node for a
// split or rebalance of one leaf). One level at a time:
//
//   1. fix the run's size: an underfull run pulls in a neighbour (rebalance, mas_rebalance); an
//      overfull single node first tries to push into a sibling with room (mas_push_data);
//   2. if the run is one internal node and its new contents fit, rewrite it in place and stop
//      (a non-RCU node store); if the run is the whole level and fits one node, it becomes
//      the root (the tree shrinks);
//   3. otherwise cut the contents into 1..3 nodes, none ending on NULL (mab_calc_split); a
//      lone splitting leaf keeps its first piece in place, the others are new; the parents'
//      new contents are the left parent's slots before the run, the cut nodes, the right
//      parent's slots after the run, and the loop goes up a level (a root that splits gets a
//      new root above it).
//
// Nothing in the tree is modified until every node is taken from the write's reserve; then
// commit() re-parents the children of the new nodes, writes the kept leaf, and the level that
// stops rewrites itself (or the root pointer changes), and every node no longer reachable is
// freed. Should the reserve run dry (a bug: the debug build asserts), an allocation that
// fails gives the new nodes back and returns -ENOMEM with the tree untouched.
//
// An overfull leaf with a sibling that has room never gets here: pushInPlace shares the items
// between the two where they are (mas_push_data), without any node.
//
// In allocation-range trees internal nodes are arange_64 and every item of an internal level
// also carries its child's largest gap (BIG_GAP): kept children bring theirs from the old
// parent, new nodes get theirs computed as they are cut, and the level that takes the change
// in place passes its new largest gap up the path (gap.ts).

import { MAPLE_MAX, MAPLE_HEIGHT_MAX, ENOMEM, DEBUG } from './config';
import {
  MAPLE_LEAF_64, MAPLE_ARANGE_64, RANGE64_SLOTS, NODE_SIZE,
  mtMkNode, mteToNode, mteNodeType, maIsLeaf, mteIsLeaf, slotAt, slotMax, mteSlot,
  mteDataEnd, mteWriteNode, setParent, setRootParent, mteParent, mtSlots, mtMinEnd, gapAt,
  maLeafMaxGap, maMaxGap, maWriteNode, setPivot, mteSlotAddr, parentWord,
} from './node';
import {
  treeRoot, setTreeRoot, treeHeight, setTreeHeight, treePool, addTreeNodes, bumpGen,
  mtIsAlloc, mtInternalType, mtInRcu,
  lvl, lvEnode, lvNode, lvMin, lvMax, lvOffset, lvEnd, setLvOffset, pathDescend, LEVEL_SIZE,
} from './tree';
import { propagateGap, setChildGaps } from './gap';
import { nodeAlloc, nodeFree, GFP_NOWAIT } from './pool';
import { reservePop, reservePush } from './prealloc';
import { masBulk } from './walk';
import { retireNode, othersAttached, astore64, rcuWriteDone, writesForReaders } from './rcu';

/** The two walk paths of a write: to its first and to its last node at every level. */
export const LPATH: usize = memory.data(<i32>(MAPLE_HEIGHT_MAX * <i32>LEVEL_SIZE), 16);
export const RPATH: usize = memory.data(<i32>(MAPLE_HEIGHT_MAX * <i32>LEVEL_SIZE), 16);

// The big node: up to two full nodes plus a 3-slot write plus a pulled-in neighbour.
// @ts-ignore: decorator
@inline const BIG_MAX: i32 = 64;
export const BIG_PIV: usize = memory.data(BIG_MAX * 8, 16);
export const BIG_SLOT: usize = memory.data(BIG_MAX * 8, 16);
const BIG_GAP: usize = memory.data(BIG_MAX * 8, 16);
let big: i32 = 0;

// Nodes made by the write in progress: (address u32, item count u16, node type u16).
// @ts-ignore: decorator
@inline const ALLOC_MAX: i32 = 3 * MAPLE_HEIGHT_MAX + 2;
const ALLOCS: usize = memory.data(ALLOC_MAX * 8, 16);
let allocs: i32 = 0;

// The new nodes of the level just cut: encoded node, range max, largest gap.
const NEW_ENODE: usize = memory.data(4 * 8, 16);
const NEW_MAX: usize = memory.data(4 * 8, 16);
const NEW_GAP: usize = memory.data(4 * 8, 16);

/** The tree being written, its pool, and the ma_state whose reserve supplies the nodes. */
export let wrTree: usize = 0;
let wrPool: usize = 0;
let wrMas: usize = 0;
let taken: i32 = 0;
let wrAlloc: bool = false;
let wrInternal: u32 = 0;
/** The tree is in RCU mode: no node readers may be in is rewritten; new nodes replace them. */
let wrRcu: bool = false;

// A leaf that splits keeps its first half in place (no RCU readers to protect): its new
// contents wait in STAGE until commit, so nothing in the tree changes before then.
let reused: usize = 0;
const STAGE: usize = memory.data(256, 256);

export function wrBegin(tree: usize): void {
  wrTree = tree;
  wrPool = treePool(tree);
  wrMas = 0;
  allocs = 0;
  wrAlloc = mtIsAlloc(tree);
  wrInternal = mtInternalType(tree);
  wrRcu = writesForReaders(mtInRcu(tree));
  reused = 0;
}

/** Take this write's nodes from the reserve of mas. */
export function useReserve(mas: usize): void {
  wrMas = mas;
  taken = 0;
}

/** Nodes this write took from its reserve. */
export function nodesTaken(): i32 {
  return taken;
}

/**
 * A node from the write's reserve. The reserve was filled for this write's worst case, so
 * running dry is a bug; the release build then falls back to an allocation that may fail.
 */
export function takeReserved(): usize {
  let node = reservePop(wrMas);
  if (node == 0) {
    if (DEBUG) assert(false, 'write needed more nodes than were reserved for it');
    node = nodeAlloc(wrPool, GFP_NOWAIT);
    if (node == 0) return 0;
  }
  taken++;
  return node;
}

/** A node the write no longer needs: back to a bulk-loading state's reserve, else the pool. */
function releaseNode(node: usize): void {
  if (wrMas != 0 && masBulk(wrMas) && !othersAttached()) reservePush(wrMas, node);
  else retireNode(wrPool, node);
}

/**
 * Make enode, a complete new node, the node at depth k of path in place of the one there: its
 * parent word is set, then one atomic store publishes it in the parent's slot (or as the root).
 * The old node is the caller's to retire.
 */
export function publishNode(path: usize, k: i32, enode: u64): void {
  if (k == 0) {
    setRootParent(mteToNode(enode), wrTree);
    setTreeRoot(wrTree, enode, true);
    return;
  }
  const plv = lvl(path, k - 1);
  const penode = lvEnode(plv);
  setParent(mteToNode(enode), mteToNode(penode), lvOffset(plv), mteNodeType(penode));
  astore64(mteSlotAddr(penode, lvOffset(plv)), enode);
}

/** A node the tree no longer reaches: dead at once, freed after the grace period (rcu.ts). */
export function dropNode(node: usize): void {
  releaseNode(node);
  addTreeNodes(wrTree, -1);
}

// ── the big node ─────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function bigCount(): i32 { return big; }
// @ts-ignore: decorator
@inline function bigPiv(i: i32): u64 { return load<u64>(BIG_PIV + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function bigSlot(i: i32): u64 { return load<u64>(BIG_SLOT + (<usize>i << 3)); }

export function bigReset(): void { big = 0; }

/** Append an item; a NULL after a NULL just widens it (adjacent NULL ranges always merge). */
export function bigPush(pivot: u64, slot: u64): void {
  if (slot == 0 && big > 0 && bigSlot(big - 1) == 0) {
    store<u64>(BIG_PIV + (<usize>(big - 1) << 3), pivot);
    return;
  }
  if (DEBUG) assert(big < BIG_MAX, 'big node overflow');
  store<u64>(BIG_PIV + (<usize>big << 3), pivot);
  store<u64>(BIG_SLOT + (<usize>big << 3), slot);
  big++;
}

/** Append a child of an internal level with its largest gap; children never merge. */
function bigPushChild(pivot: u64, child: u64, gap: u64): void {
  if (DEBUG) assert(big < BIG_MAX, 'big node overflow');
  store<u64>(BIG_PIV + (<usize>big << 3), pivot);
  store<u64>(BIG_SLOT + (<usize>big << 3), child);
  store<u64>(BIG_GAP + (<usize>big << 3), gap);
  big++;
}

/** Largest gap recorded for slot s of an internal node (0 where gaps are not tracked). */
// @ts-ignore: decorator
@inline function childGap(enode: u64, s: i32): u64 {
  return wrAlloc ? gapAt(mteToNode(enode), s) : 0;
}

/** Append items s0..s1 of the node at a path level (leaf items, or children with gaps). */
function bigAppendItems(lv: usize, s0: i32, s1: i32): void {
  const enode = lvEnode(lv);
  const node = mteToNode(enode);
  const end = lvEnd(lv);
  const max = lvMax(lv);
  if (mteIsLeaf(enode)) {
    for (let s = s0; s <= s1; s++) bigPush(slotMax(node, s, end, max), slotAt(node, s));
  } else {
    for (let s = s0; s <= s1; s++) bigPushChild(slotMax(node, s, end, max), mteSlot(enode, s), childGap(enode, s));
  }
}

/** Put every item of a node in front of the current contents (a pulled-in left neighbour). */
function bigPrependNode(lv: usize): void {
  const n = lvEnd(lv) + 1;
  if (DEBUG) assert(big + n <= BIG_MAX, 'big node overflow');
  const bytes = <usize>big << 3;
  memory.copy(BIG_PIV + (<usize>n << 3), BIG_PIV, bytes);
  memory.copy(BIG_SLOT + (<usize>n << 3), BIG_SLOT, bytes);
  memory.copy(BIG_GAP + (<usize>n << 3), BIG_GAP, bytes);
  const kept = big;
  big = 0;
  bigAppendItems(lv, 0, n - 1);
  big = n + kept;
}

// ── moving the run's edges ───────────────────────────────────────────────────

/**
 * Move the run's right edge at level k to the next node of that level. With cross false only a
 * sibling (same parent) will do. Levels above k follow the new node's ancestors.
 */
function extendRight(k: i32, cross: bool): bool {
  let j = k - 1;
  while (j >= 0 && lvOffset(lvl(RPATH, j)) >= lvEnd(lvl(RPATH, j))) {
    if (!cross) return false;
    j--;
  }
  if (j < 0) return false;
  setLvOffset(lvl(RPATH, j), lvOffset(lvl(RPATH, j)) + 1);
  for (let d = j; d < k; d++) pathDescend(RPATH, d, 0);
  return true;
}

/** Move the run's left edge at level k to the previous node of that level. */
function extendLeft(k: i32, cross: bool): bool {
  let j = k - 1;
  while (j >= 0 && lvOffset(lvl(LPATH, j)) == 0) {
    if (!cross) return false;
    j--;
  }
  if (j < 0) return false;
  setLvOffset(lvl(LPATH, j), lvOffset(lvl(LPATH, j)) - 1);
  for (let d = j; d < k; d++) pathDescend(LPATH, d, -1);
  return true;
}

/**
 * Rebalance (mas_rebalance): an underfull run takes in a neighbour, a sibling by preference.
 * Fails only when the run already is the whole level.
 */
function pullNeighbour(k: i32): bool {
  if (extendRight(k, false)) { appendNode(lvl(RPATH, k)); return true; }
  if (extendLeft(k, false)) { bigPrependNode(lvl(LPATH, k)); return true; }
  if (extendRight(k, true)) { appendNode(lvl(RPATH, k)); return true; }
  if (extendLeft(k, true)) { bigPrependNode(lvl(LPATH, k)); return true; }
  return false;
}

/** Append every item of the node at a path level (a pulled-in right neighbour). */
function appendNode(lv: usize): void {
  bigAppendItems(lv, 0, lvEnd(lv));
}

/** Most items two nodes of a type take when pushing: a slot spare, so a push never needs three. */
// @ts-ignore: decorator
@inline function pushSpace(type: u32): i32 {
  return 2 * mtSlots(type) - 2;
}

/**
 * Most items a node at a path level and its sibling may hold for a push: the rightmost leaf
 * pushes one item fewer (mas_push_data), so appends there find a slot free sooner.
 */
function pushLimit(type: u32, lv: usize): i32 {
  return pushSpace(type) - <i32>(maIsLeaf(type) && lvMax(lv) == MAPLE_MAX);
}

/** Item count of the sibling at `offset` of a path level's node. */
function siblingCount(lv: usize, offset: i32): i32 {
  const max = slotMax(lvNode(lv), offset, lvEnd(lv), lvMax(lv));
  return mteDataEnd(mteSlot(lvEnode(lv), offset), max) + 1;
}

/**
 * Push (mas_push_data): before splitting a full node, share its items with a sibling that has
 * room, so the split does not ripple upwards. Returns -1 when the left sibling was taken in,
 * 1 for the right, 0 when neither had room.
 */
function pushToSibling(k: i32, type: u32): i32 {
  const parent = lvl(LPATH, k - 1);
  const off = lvOffset(parent);
  const sp = pushLimit(type, lvl(LPATH, k));
  if (off > 0 && siblingCount(parent, off - 1) + big <= sp) {
    extendLeft(k, false);
    bigPrependNode(lvl(LPATH, k));
    return -1;
  }
  if (off < lvEnd(parent) && siblingCount(parent, off + 1) + big <= sp) {
    extendRight(k, false);
    appendNode(lvl(RPATH, k));
    return 1;
  }
  return 0;
}

/**
 * Which sibling an overfull leaf can share its items with, in place: -1 the left, 1 the right,
 * 0 neither (the leaf must split). The big node holds the leaf's new contents.
 */
export function leafPushSide(ld: i32): i32 {
  if (ld == 0) return 0;
  const parent = lvl(LPATH, ld - 1);
  const off = lvOffset(parent);
  const space = pushLimit(MAPLE_LEAF_64, lvl(LPATH, ld));
  if (off > 0 && siblingCount(parent, off - 1) + big <= space) return -1;
  if (off < lvEnd(parent) && siblingCount(parent, off + 1) + big <= space) return 1;
  return 0;
}

/**
 * Push in place (mas_push_data, without RCU readers to protect): the overfull leaf and the
 * sibling leafPushSide chose share the items, both rewritten where they are, filling the
 * sibling first; only the parent's pivot between them moves. Nothing is allocated.
 */
export function pushInPlace(ld: i32, side: i32): void {
  bumpGen(wrTree);
  if (side < 0) {
    extendLeft(ld, false);
    bigPrependNode(lvl(LPATH, ld));
  } else {
    extendRight(ld, false);
    appendNode(lvl(RPATH, ld));
  }
  const left = lvl(LPATH, ld);
  const right = lvl(RPATH, ld);
  const size = pieceSize(0, big, 2, side, MAPLE_LEAF_64);
  const at = <usize>size << 3;
  const lnode = lvNode(left);
  const rnode = lvNode(right);
  const split = bigPiv(size - 1);
  maWriteNode(lnode, BIG_PIV, BIG_SLOT, size);
  maWriteNode(rnode, BIG_PIV + at, BIG_SLOT + at, big - size);
  // LPATH's parent level points at the left node whichever side was taken.
  const parent = lvl(LPATH, ld - 1);
  const off = lvOffset(parent);
  setPivot(lvNode(parent), off, split);
  if (wrAlloc) {
    setChildGaps(LPATH, ld - 1, off, maLeafMaxGap(lnode, lvMin(left), split),
                 maLeafMaxGap(rnode, split + 1, lvMax(right)));
  }
}

// ── cutting the contents into nodes ──────────────────────────────────────────

/** Fewest items a non-root node of a type holds. */
// @ts-ignore: decorator
@inline function minItems(type: u32): i32 {
  return mtMinEnd(type) + 1;
}

/**
 * Size of the next piece when `left` items remain for `pieces` nodes of a type
 * (mab_calc_split). bias -1 fills the first node (items pushed left), 1 fills the last
 * (pushed right), each to one slot short of full, as mas_push_data cuts. A leaf piece may not
 * end on NULL: the cut moves one item either way.
 */
function pieceSize(start: i32, left: i32, pieces: i32, bias: i32, type: u32): i32 {
  const slots = mtSlots(type);
  const least = minItems(type);
  let size: i32;
  if (bias < 0) size = min(slots - 1, left - least * (pieces - 1));
  else if (bias > 0 && pieces == 2) size = max(left - (slots - 1), least);
  else size = (left + pieces - 1) / pieces;
  if (maIsLeaf(type) && bigSlot(start + size - 1) == 0) {
    if (size < slots && left - size - 1 >= least * (pieces - 1)) size++;
    else size--;
  }
  return size;
}

/** Record a node made by this write; 0 means the pool is exhausted. */
function newNode(): usize {
  const node = takeReserved();
  if (node != 0) {
    if (DEBUG) assert(allocs < ALLOC_MAX, 'write allocated more nodes than its worst case');
    store<u32>(ALLOCS + (<usize>allocs << 3), <u32>node);
    allocs++;
  }
  return node;
}

/** Give back every node this write made (the write failed; the tree was never touched). */
function rollback(): i32 {
  for (let a = 0; a < allocs; a++) reservePush(wrMas, <usize>load<u32>(ALLOCS + (<usize>a << 3)));
  taken -= allocs;
  allocs = 0;
  reused = 0;
  return -ENOMEM;
}

/**
 * Cut the big node into m new nodes of the given type, the first starting at lo. Returns m,
 * or 0 on ENOMEM. Each new node's largest gap goes to NEW_GAP for the level above.
 */
function cutLevel(bias: i32, type: u32, lo: u64, keep: usize): i32 {
  const n = big;
  const slots = mtSlots(type);
  const m = n <= slots ? 1 : n <= pushSpace(type) ? 2 : 3;
  let start = 0;
  let min = lo;
  for (let p = 0; p < m; p++) {
    const size = p == m - 1 ? n - start : pieceSize(start, n - start, m - p, bias, type);
    if (DEBUG) assert(size > 0 && size <= slots, 'split produced a bad node size');
    // The first piece may stay in the node `keep` (written there at commit).
    const node = p == 0 && keep != 0 ? STAGE : newNode();
    if (node == 0) return 0;
    if (node != STAGE) {
      store<u16>(ALLOCS + (<usize>(allocs - 1) << 3), <u16>size, 4);
      store<u16>(ALLOCS + (<usize>(allocs - 1) << 3), <u16>type, 6);
    }
    const at = <usize>start << 3;
    mteWriteNode(node, type, BIG_PIV + at, BIG_SLOT + at, BIG_GAP + at, size);
    const max = bigPiv(start + size - 1);
    let gap: u64 = 0;
    if (wrAlloc) gap = maIsLeaf(type) ? maLeafMaxGap(node, min, max) : maMaxGap(node);
    store<u64>(NEW_ENODE + (<usize>p << 3), mtMkNode(node == STAGE ? keep : node, type));
    store<u64>(NEW_MAX + (<usize>p << 3), max);
    store<u64>(NEW_GAP + (<usize>p << 3), gap);
    start += size;
    min = max + 1;
  }
  return m;
}

/** Push the nodes just cut as the children of the level above. */
function bigPushNew(m: i32): void {
  for (let p = 0; p < m; p++) {
    const at = <usize>p << 3;
    bigPushChild(load<u64>(NEW_MAX + at), load<u64>(NEW_ENODE + at), load<u64>(NEW_GAP + at));
  }
}

// ── the level loop ───────────────────────────────────────────────────────────

/**
 * Rebuild from leaf depth ld, whose new contents are in the big node and whose run is
 * LPATH[ld]..RPATH[ld]. Returns 0 or -ENOMEM.
 */
export function rebuild(ld: i32): i32 {
  bumpGen(wrTree);
  let k = ld;
  while (true) {
    const leaf = k == ld;
    const type = leaf ? MAPLE_LEAF_64 : wrInternal;
    let lo = lvMin(lvl(LPATH, k));
    let hi = lvMax(lvl(RPATH, k));
    let single = lvEnode(lvl(LPATH, k)) == lvEnode(lvl(RPATH, k));
    let bias = 0;
    if (lo != 0 || hi != MAPLE_MAX) {
      if (big < minItems(type)) {
        pullNeighbour(k);
        single = false;
      } else if (big > mtSlots(type) && single) {
        bias = pushToSibling(k, type);
        if (bias != 0) single = false;
      }
      lo = lvMin(lvl(LPATH, k));
      hi = lvMax(lvl(RPATH, k));
    }
    const whole = lo == 0 && hi == MAPLE_MAX;

    if (whole && big == 1 && (!leaf || bigSlot(0) == 0)) {
      // One child left under the root: the tree shrinks to it; or the tree is empty again.
      if (leaf) {
        freeTree(wrTree);
      } else {
        commit();
        newRoot(bigSlot(0), ld - k);
      }
      return 0;
    }

    if (!leaf && single && big <= mtSlots(type) && (big >= minItems(type) || k == 0)) {
      // The run's parent takes the new nodes without splitting: rewrite it in place, or in RCU
      // mode write it as a new node that replaces it.
      if (wrRcu) {
        if (cutLevel(0, type, lo, 0) == 0) return rollback();
        commit();
        replaceAt(k, load<u64>(NEW_ENODE));
        return 0;
      }
      commit();
      rewriteInPlace(k);
      return 0;
    }

    // A lone leaf that splits keeps its first half where it is (not in RCU mode).
    const keep = leaf && single && big > mtSlots(type) && !wrRcu ? lvNode(lvl(LPATH, k)) : 0;
    const m = cutLevel(bias, type, lo, keep);
    if (m == 0) return rollback();
    if (keep != 0) reused = keep;

    if (whole && m == 1) {
      // The run was the whole level and fits one node: it is the root now (the tree shrinks).
      commit();
      newRoot(load<u64>(NEW_ENODE), ld - k + 1);
      return 0;
    }
    if (k == 0) {
      // The root split: a new root above the cut nodes.
      bigReset();
      bigPushNew(m);
      if (cutLevel(0, wrInternal, 0, 0) == 0) return rollback();
      commit();
      newRoot(load<u64>(NEW_ENODE), ld - k + 2);
      return 0;
    }

    if (DEBUG) assert(!single || m > 1, 'one node replaced by one node should be in place');

    // Up a level: the parents' kept slots around the new nodes.
    const pl = lvl(LPATH, k - 1);
    const pr = lvl(RPATH, k - 1);
    bigReset();
    bigAppendItems(pl, 0, lvOffset(pl) - 1);
    bigPushNew(m);
    bigAppendItems(pr, lvOffset(pr) + 1, lvEnd(pr));
    k--;
  }
}

// ── commit ───────────────────────────────────────────────────────────────────

/** Point every child of every new internal node at its new parent and slot. */
function commit(): void {
  for (let a = 0; a < allocs; a++) {
    const rec = ALLOCS + (<usize>a << 3);
    const type = <u32>load<u16>(rec, 6);
    if (maIsLeaf(type)) continue;
    const enode = mtMkNode(<usize>load<u32>(rec), type);
    const count = <i32>load<u16>(rec, 4);
    for (let s = 0; s < count; s++) setParent(mteToNode(mteSlot(enode, s)), mteToNode(enode), s, type);
  }
  addTreeNodes(wrTree, allocs);
  allocs = 0;
  if (reused != 0) memory.copy(reused + 8, STAGE + 8, NODE_SIZE - 8); // its parent word stays
}

// The children a rewrite in place drops: encoded node and range max.
const DROPPED: usize = memory.data(RANGE64_SLOTS * 16, 16);


/**
 * Node store at an internal level: write the big node into the run's node at level k itself
 * (no RCU readers here, so the kernel's non-RCU node store applies), point its children at
 * their new offsets, and free the children it replaced (the run one level down).
 */
function rewriteInPlace(k: i32): void {
  const lv = lvl(LPATH, k);
  const enode = lvEnode(lv);
  const node = mteToNode(enode);
  const type = mteNodeType(enode);
  const end = lvEnd(lv);
  const max = lvMax(lv);
  const first = lvOffset(lv);
  const dropped = lvOffset(lvl(RPATH, k)) - first + 1;
  for (let i = 0; i < dropped; i++) {
    const s = first + i;
    store<u64>(DROPPED + (<usize>i << 4), mteSlot(enode, s));
    store<u64>(DROPPED + (<usize>i << 4), slotMax(node, s, end, max), 8);
  }
  mteWriteNode(node, type, BIG_PIV, BIG_SLOT, BIG_GAP, big);
  // The children before the run keep their parent and their slot: only the rest are told.
  for (let s = first; s < big; s++) setParent(mteToNode(mteSlot(enode, s)), node, s, type);
  for (let i = 0; i < dropped; i++) {
    freeDead(load<u64>(DROPPED + (<usize>i << 4)), load<u64>(DROPPED + (<usize>i << 4), 8));
  }
  if (wrAlloc) propagateGap(LPATH, k, maMaxGap(node));
}

/**
 * RCU node store at an internal level: the new node enode takes the place of the run's node at
 * level k, and that node goes, with every child of it no new node adopted.
 */
function replaceAt(k: i32, enode: u64): void {
  const lv = lvl(LPATH, k);
  const old = lvEnode(lv);
  publishNode(LPATH, k, enode);
  if (wrAlloc && k > 0) propagateGap(LPATH, k, maMaxGap(mteToNode(enode)));
  freeDead(old, lvMax(lv));
}

/** Make enode the root of a tree of the given height and free the old nodes above it. */
function newRoot(enode: u64, height: i32): void {
  const old = treeRoot(wrTree);
  setRootParent(mteToNode(enode), wrTree);
  setTreeRoot(wrTree, enode, true);
  setTreeHeight(wrTree, height);
  freeDead(old, MAPLE_MAX);
}

/**
 * Free a replaced node and, below it, every node no new node adopted. commit() re-parented the
 * adopted ones, so a child still pointing back at the dead node is dead too.
 */
function freeDead(enode: u64, max: u64): void {
  const node = mteToNode(enode);
  if (node == reused) return; // replaced in place, not dead
  if (!mteIsLeaf(enode)) {
    const end = mteDataEnd(enode, max);
    for (let s = 0; s <= end; s++) {
      const child = mteSlot(enode, s);
      if (mteParent(mteToNode(child)) == node) freeDead(child, slotMax(node, s, end, max));
    }
  }
  dropNode(node);
}

/** Every node of a subtree back to the pool (mtree_destroy), after readers have left it. */
function freeSubtree(enode: u64, max: u64): void {
  const node = mteToNode(enode);
  if (!mteIsLeaf(enode)) {
    const end = mteDataEnd(enode, max);
    for (let s = 0; s <= end; s++) freeSubtree(mteSlot(enode, s), slotMax(node, s, end, max));
  }
  retireNode(wrPool, node);
  addTreeNodes(wrTree, -1);
}

/** Empty a tree: every node back to the pool, root NULL, height 0. */
export function freeTree(tree: usize): void {
  wrBegin(tree);
  bumpGen(tree);
  const root = treeRoot(tree);
  const height = treeHeight(tree);
  setTreeRoot(tree, 0, false);
  setTreeHeight(tree, 0);
  if (height > 0) freeSubtree(root, MAPLE_MAX);
  rcuWriteDone();
}
