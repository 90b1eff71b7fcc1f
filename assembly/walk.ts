// Reading the tree: load, and the ma_state with its walks (find, next, prev and their range
// forms), as the kernel's state machine has them.
//
// ma_state (a 1 KiB object):
//   0 tree u32 · 4 status i32 · 8 index u64 · 16 last u64 · 24 depth i32 (of the leaf)
//   32 entry u64 (what the last walk returned) · 40 reserve u32 (first reserved node)
//   44 reserved i32 (nodes in the reserve) · 48 bulk i32 (expected-entries mode)
//   52 request i32 (nodes the last failed write needed, for mas_nomem) · 56 pool u32
//   60 node i32 (1 while the path's leaf level is a position: the kernel's mas->node)
//   64 seq u32 (the tree's write sequence when that position, or a root / none verdict, was
//   taken) · 68 store type i32 (the kernel's, of the last write prepared through the state)
//   128 path (MAPLE_HEIGHT_MAX levels, see tree.ts)
//
// The path's leaf level plays the kernel's mas->node, mas->min, mas->max, mas->offset and
// mas->end; its upper levels replace the parent pointers the kernel climbs, so next and prev step
// across slots and nodes without going back to the root.
//
// The status machine, in one place (the kernel's enum maple_status):
//   start      nothing walked: the next operation walks from the root (mas_set, mas_reset)
//   active     on a leaf slot; index..last is (part of) that slot's range
//   none       the tree has no node and the walk found nothing (also: past a lone root entry)
//   root       the tree holds only its root entry, for index 0 (the kernel's ma_root)
//   pause      the walk was dropped (mas_pause); find/next resume after last, prev before index
//   overflow   a forward step reached its limit; the position stays, so the next step with a
//              higher limit goes on from it (nothing between is skipped)
//   underflow  the same for backward steps
//   error      a failed write (ENOMEM) or area search (EBUSY)
// Each walk below first asks what its status means for it (the kernel's *_setup functions), then
// steps slot by slot (nextSlot, prevSlot). A state whose tree was written other than through it
// since it took its position is walked again from its index first (masRevalidate): the kernel
// leaves that to its locking rules, a library must never read a node that changed under it. A
// write through the state that rebuilt nodes leaves it that way too (masSettleLater).

import { MAPLE_MAX, DEBUG, SHARED } from './config';
import {
  mteIsLeaf, mtePrefetchSlots, slotAt, slotMin, slotMax, mteSlot, mtePivotSlot, maPivotSlot,
  mteIsDead, mteToNode, mteTouch, nodeLines,
} from './node';
import { inReader, noteRestart } from './rcu';
import {
  treeRoot, treeHeight, treeSeq, treeHasNodes, treeRootWord, rootIsNode, rootValue, mtWalk, lvl, lvNode, lvEnode, lvMin, lvMax, lvOffset, lvEnd,
  setLvOffset, setLevel, pathDescend, LEVEL_SIZE,
} from './tree';

/** ma_state status, as the kernel's enum maple_status. */
// @ts-ignore: decorator
@inline export const MA_START: i32 = 0;
// @ts-ignore: decorator
@inline export const MA_ACTIVE: i32 = 1;
// @ts-ignore: decorator
@inline export const MA_NONE: i32 = 2;
// @ts-ignore: decorator
@inline export const MA_ROOT: i32 = 3;
// @ts-ignore: decorator
@inline export const MA_PAUSE: i32 = 4;
// @ts-ignore: decorator
@inline export const MA_OVERFLOW: i32 = 5;
// @ts-ignore: decorator
@inline export const MA_UNDERFLOW: i32 = 6;
// @ts-ignore: decorator
@inline export const MA_ERROR: i32 = 7;

// @ts-ignore: decorator
@inline const S_NODE: usize = 60;
// @ts-ignore: decorator
@inline const S_SEQ: usize = 64;
// @ts-ignore: decorator
@inline const S_TYPE: usize = 68;
// @ts-ignore: decorator
@inline const S_PATH: usize = 128;

// @ts-ignore: decorator
@inline export function masTree(mas: usize): usize { return load<usize>(mas, 0); }
// @ts-ignore: decorator
@inline export function masStatus(mas: usize): i32 { return load<i32>(mas, 4); }
// @ts-ignore: decorator
@inline export function setMasStatus(mas: usize, s: i32): void { store<i32>(mas, s, 4); }
// @ts-ignore: decorator
@inline export function masIndex(mas: usize): u64 { return load<u64>(mas, 8); }
// @ts-ignore: decorator
@inline export function masLast(mas: usize): u64 { return load<u64>(mas, 16); }
// @ts-ignore: decorator
@inline function setIndex(mas: usize, v: u64): void { store<u64>(mas, v, 8); }
// @ts-ignore: decorator
@inline function setLast(mas: usize, v: u64): void { store<u64>(mas, v, 16); }
// @ts-ignore: decorator
@inline export function masEntry(mas: usize): u64 { return load<u64>(mas, 32); }
// @ts-ignore: decorator
@inline function masDepth(mas: usize): i32 { return load<i32>(mas, 24); }
// @ts-ignore: decorator
@inline export function masPath(mas: usize): usize { return mas + S_PATH; }
// @ts-ignore: decorator
@inline export function masBulk(mas: usize): bool { return load<i32>(mas, 48) != 0; }
// @ts-ignore: decorator
@inline export function setMasBulk(mas: usize, on: bool): void { store<i32>(mas, <i32>on, 48); }
// @ts-ignore: decorator
@inline export function masRequest(mas: usize): i32 { return load<i32>(mas, 52); }
/** The kernel's store type of the last write prepared through the state (0: none yet). */
// @ts-ignore: decorator
@inline export function masStoreType(mas: usize): i32 { return load<i32>(mas, S_TYPE); }
// @ts-ignore: decorator
@inline export function setMasStoreType(mas: usize, t: i32): void { store<i32>(mas, t, S_TYPE); }
/** Whether the path's leaf level is a position (the kernel's mas->node is set). */
// @ts-ignore: decorator
@inline function hasNode(mas: usize): bool { return load<i32>(mas, S_NODE) != 0; }
// @ts-ignore: decorator
@inline function setNode(mas: usize, on: bool): void { store<i32>(mas, <i32>on, S_NODE); }
/** The state's view is the tree as it is now. */
// @ts-ignore: decorator
@inline function markSeen(mas: usize): void { store<u32>(mas, treeSeq(masTree(mas)), S_SEQ); }
// @ts-ignore: decorator
@inline function leafLevel(mas: usize): usize { return lvl(masPath(mas), masDepth(mas)); }

/** Record the node count a failed write needed and mark the state as in error. */
export function setMasRequest(mas: usize, n: i32): void {
  store<i32>(mas, n, 52);
  setMasStatus(mas, MA_ERROR);
}

/** mas_set_range: point at [index, last]; the next operation walks from the root. */
export function masSetRange(mas: usize, index: u64, last: u64): void {
  setIndex(mas, index);
  setLast(mas, last);
  masReset(mas);
}

/** mas_reset: keep the range, forget the position; the next operation walks from the root. */
export function masReset(mas: usize): void {
  setMasStatus(mas, MA_START);
  setNode(mas, false);
}

/** mas_pause: drop the position (the tree may change); the next walk restarts from the root. */
export function masPause(mas: usize): void {
  setMasStatus(mas, MA_PAUSE);
  setNode(mas, false);
}

/** What a walk returns: the entry, also kept in the state for the boundary to copy out. */
// @ts-ignore: decorator
@inline function ret(mas: usize, entry: u64): u64 {
  store<u64>(mas, entry, 32);
  return entry;
}

/** Take the range and entry of the leaf slot the path points at. */
function takeLeafSlot(mas: usize): void {
  const lv = leafLevel(mas);
  const node = lvNode(lv);
  const off = lvOffset(lv);
  setIndex(mas, slotMin(node, off, lvMin(lv)));
  setLast(mas, slotMax(node, off, lvEnd(lv), lvMax(lv)));
  store<u64>(mas, slotAt(node, off), 32);
}

/** Entry at index (mtree_load): one branch-free pivot search per level. */
export function mtLoad(tree: usize, index: u64): u64 {
  if (inReader()) return loadChecked(tree, index);
  const word = treeRootWord(tree);
  if (!rootIsNode(word)) return index == 0 ? rootValue(word) : 0;
  let enode = rootValue(word);
  while (true) {
    mtePrefetchSlots(enode);
    const slot = mteSlot(enode, mtePivotSlot(enode, index));
    if (mteIsLeaf(enode)) return slot;
    enode = slot;
  }
}

/**
 * mtree_load for a reader that a writer in another thread may overtake (mtree_range_walk): each
 * node is checked for the dead mark after its slot was read, and a dead one sends the walk back
 * to the root, which leads to the node that replaced it.
 */
function loadChecked(tree: usize, index: u64): u64 {
  while (true) {
    const word = treeRootWord(tree);
    let enode = rootValue(word);
    if (!rootIsNode(word)) return index == 0 ? enode : 0;
    while (true) {
      mtePrefetchSlots(enode);
      const slot = mteSlot(enode, mtePivotSlot(enode, index));
      if (mteIsDead(mteToNode(enode))) {
        noteRestart();
        break;
      }
      if (mteIsLeaf(enode)) return slot;
      enode = slot;
    }
  }
}

// @ts-ignore: decorator
@inline const LOAD_GROUP: i32 = 32;
/** The walks of one group of mtLoadMany: the node each is at, and its key (this instance's). */
let laneNode: usize = memory.data(LOAD_GROUP * 8, 16);
let laneKey: usize = memory.data(LOAD_GROUP * 8, 16);
/** Bytes of an instance's own scratch mtLoadMany takes (see setLoadScratch). */
// @ts-ignore: decorator
@inline export const LOAD_SCRATCH: usize = LOAD_GROUP * 16;
/** Another instance over a shared memory: its lanes at scratch (LOAD_SCRATCH bytes). */
export function setLoadScratch(scratch: usize): void {
  laneNode = scratch;
  laneKey = scratch + LOAD_GROUP * 8;
}
// @ts-ignore: decorator
@inline const MAX_SAFE_F64: f64 = 9007199254740991;

let laneSink: u64 = 0;

/**
 * Fetch the node of every lane not done (a load from each of its four cache lines) before any
 * lane's pivot search: a load that misses holds up all that follows it, so with a pivot search
 * between two lanes' misses only a few would be in flight; this way the whole group's are.
 */
// @ts-ignore: decorator
@inline function touchLanes(m: i32, done: u32): void {
  let sink: u64 = 0;
  for (let l = 0; l < m; l++) {
    if ((done & (<u32>1 << l)) != 0) continue;
    const node = mteToNode(load<u64>(laneNode + (<usize>l << 3)));
    sink ^= nodeLines(node);
  }
  laneSink = sink;
}

/**
 * mtree_load over a batch: the entries at keys[0..n) (f64 safe integers, or u64 when big) to
 * out[0..n) as f64: with numeric, the number stored (the word less one) or NaN for nothing;
 * otherwise the entry word itself (0 for nothing). The walks go LOAD_GROUP at a time, level by
 * level, so that the cache misses of one level's nodes are in flight together rather than one
 * after another. Returns -1, or the position of the first key that is not a safe integer (out
 * is then written up to the group before it).
 */
export function mtLoadMany(tree: usize, keys: usize, out: usize, n: i32, big: bool, numeric: bool): i32 {
  const word = treeRootWord(tree);
  const root = rootValue(word);
  const nodes = rootIsNode(word);
  // Every leaf lies as deep below one root as any other, whatever writes do meanwhile (a tree
  // changes height only at its root), so the lanes step together until the first is in a leaf.
  const leaf = !nodes || mteIsLeaf(root);
  const checked = inReader();
  for (let base = 0; base < n; base += LOAD_GROUP) {
    const m = min(LOAD_GROUP, n - base);
    for (let l = 0; l < m; l++) {
      const at = keys + (<usize>(base + l) << 3);
      let key: u64;
      if (big) {
        key = load<u64>(at);
      } else {
        const x = load<f64>(at);
        if (!(x >= 0 && x <= MAX_SAFE_F64) || Math.floor(x) != x) return base + l;
        key = <u64>x;
      }
      store<u64>(laneKey + (<usize>l << 3), key);
      store<u64>(laneNode + (<usize>l << 3), !nodes ? (key == 0 ? root : 0) : root);
    }
    if (nodes && !checked) {
      let atLeaf = leaf;
      while (true) {
        touchLanes(m, 0);
        for (let l = 0; l < m; l++) {
          const lane = <usize>l << 3;
          const enode = load<u64>(laneNode + lane);
          store<u64>(laneNode + lane, mteSlot(enode, mtePivotSlot(enode, load<u64>(laneKey + lane))));
        }
        if (atLeaf) break;
        atLeaf = mteIsLeaf(load<u64>(laneNode));
      }
    } else if (nodes) {
      loadLanesChecked(tree, m);
    }
    for (let l = 0; l < m; l++) {
      const word = load<u64>(laneNode + (<usize>l << 3));
      store<f64>(out + (<usize>(base + l) << 3), numeric ? (word == 0 ? NaN : <f64>(word - 1)) : <f64>word);
    }
  }
  return -1;
}

/**
 * The lanes of one group for a reader a writer may overtake: each lane stops when it has read
 * its leaf slot, and one whose node turns out dead stops there and finishes alone from the root.
 */
function loadLanesChecked(tree: usize, m: i32): void {
  const all: u32 = m == 32 ? 0xFFFF_FFFF : (<u32>1 << m) - 1;
  let done: u32 = 0;
  let redo: u32 = 0;
  while (done != all) {
    touchLanes(m, done);
    for (let l = 0; l < m; l++) {
      const bit = <u32>1 << l;
      if ((done & bit) != 0) continue;
      const lane = <usize>l << 3;
      const enode = load<u64>(laneNode + lane);
      const slot = mteSlot(enode, mtePivotSlot(enode, load<u64>(laneKey + lane)));
      if (mteIsDead(mteToNode(enode))) {
        noteRestart();
        done |= bit;
        redo |= bit;
        continue;
      }
      store<u64>(laneNode + lane, slot);
      if (mteIsLeaf(enode)) done |= bit;
    }
  }
  for (let l = 0; l < m; l++) {
    const lane = <usize>l << 3;
    if ((redo & (<u32>1 << l)) != 0) store<u64>(laneNode + lane, loadChecked(tree, load<u64>(laneKey + lane)));
  }
}

/**
 * Walk from the root to the leaf slot holding index (a tree with nodes): the position, the slot's
 * range as index..last, and its entry. The status is the caller's to set.
 */
function rangeWalk(mas: usize): u64 {
  takePath(mas, mtWalk(masTree(mas), masIndex(mas), masPath(mas)));
  return masEntry(mas);
}

/** The state's path now leads to its leaf at depth, offset set: take that slot as the position. */
function takePath(mas: usize, depth: i32): void {
  store<i32>(mas, depth, 24);
  takeLeafSlot(mas);
  setNode(mas, true);
  markSeen(mas);
}

/**
 * mas_start and the walk after it (mas_state_walk), for a state in start or active: a tree with
 * nodes is walked to index (active); without nodes the state becomes none (empty tree) or root
 * (a lone entry at 0, returned for index 0). index/last change only when there are nodes.
 */
export function stateWalk(mas: usize): u64 {
  const tree = masTree(mas);
  if (!treeHasNodes(tree)) {
    setNode(mas, false);
    markSeen(mas);
    const root = treeRoot(tree);
    setMasStatus(mas, root == 0 ? MA_NONE : MA_ROOT);
    return masIndex(mas) == 0 ? root : 0;
  }
  setMasStatus(mas, MA_ACTIVE);
  return rangeWalk(mas);
}

/**
 * mas_walk: the entry at index, with index/last set to the range holding it (NULL or not). An
 * empty tree gives none over [0, ULONG_MAX]; a lone root entry gives root over [0, 0], or none
 * over [1, ULONG_MAX] for any other index.
 */
export function masWalk(mas: usize): u64 {
  const s = masStatus(mas);
  if (s != MA_ACTIVE && s != MA_START) setMasStatus(mas, MA_START);
  const entry = stateWalk(mas);
  const status = masStatus(mas);
  if (status == MA_NONE) {
    setIndex(mas, 0);
    setLast(mas, MAPLE_MAX);
  } else if (status == MA_ROOT) {
    if (masIndex(mas) == 0) {
      setLast(mas, 0);
    } else {
      setIndex(mas, 1);
      setLast(mas, MAPLE_MAX);
      setMasStatus(mas, MA_NONE);
    }
  }
  return ret(mas, entry);
}

/**
 * A state whose tree was written other than through it since it took its position would read
 * nodes that changed or were freed: it walks again from its index first, as mas_reset and a walk
 * would. A state that overflowed or underflowed keeps that status on the range it walks to, so
 * its next step still behaves as after the limit; one that was root or none (the tree had no
 * node) takes whatever the walk finds now.
 */
export function masRevalidate(mas: usize): void {
  const tree = masTree(mas);
  const seq = treeSeq(tree);
  if (load<u32>(mas, S_SEQ) == seq && (seq & 1) == 0) return;
  const s = masStatus(mas);
  if (hasNode(mas) && treeHasNodes(tree)) {
    rangeWalk(mas);
  } else if (hasNode(mas) || s == MA_ROOT || s == MA_NONE) {
    masReset(mas);
    masWalk(mas);
  }
  markSeen(mas);
}

/**
 * mas_may_activate: after an overflow or underflow, the position is still good if index lies in
 * the leaf; otherwise (or with no position) the next walk starts from the root.
 */
function mayActivate(mas: usize): void {
  if (!hasNode(mas)) {
    setMasStatus(mas, MA_START);
    return;
  }
  const lv = leafLevel(mas);
  const index = masIndex(mas);
  setMasStatus(mas, index > lvMax(lv) || index < lvMin(lv) ? MA_START : MA_ACTIVE);
}

/**
 * A step needs a position. The kernel's states always have one here; a state that overflowed
 * before it ever walked (mas_set(5), mas_next(3)) does not, and walks to its index first.
 * False when the tree has no node to stand on.
 */
function ensurePosition(mas: usize): bool {
  if (masStatus(mas) != MA_START && hasNode(mas)) return true;
  masWalk(mas);
  return masStatus(mas) == MA_ACTIVE;
}

function overflow(mas: usize): u64 {
  setMasStatus(mas, MA_OVERFLOW);
  return ret(mas, 0);
}

function underflow(mas: usize): u64 {
  setMasStatus(mas, MA_UNDERFLOW);
  return ret(mas, 0);
}

/**
 * mas_next_slot: from the position, the next slot (empty: NULL ones too) whose range starts at or
 * before max. At the limit the state overflows where it stands: the range it overflowed on is
 * kept, so a later step with a higher limit goes on from there. Moves to the next leaf along
 * the path when the leaf is done.
 */
function nextSlot(mas: usize, max: u64, empty: bool): u64 {
  if (!ensurePosition(mas)) return ret(mas, 0);
  const path = masPath(mas);
  const depth = masDepth(mas);
  const lv = lvl(path, depth);
  let node = lvNode(lv);
  let off = lvOffset(lv);
  let end = lvEnd(lv);
  let nmax = lvMax(lv);
  // The slot the state is on ends at or past the limit: there is nothing more to look at.
  if (nmax >= max && slotMax(node, off, end, nmax) >= max) return overflow(mas);
  if (off >= end && masLast(mas) >= max) return overflow(mas);
  setIndex(mas, slotMax(node, off, end, nmax) + 1);
  while (true) {
    if (off < end) {
      off++;
    } else {
      if (!pathStepLeaf(path, depth, 1)) return overflow(mas);
      node = lvNode(lv);
      end = lvEnd(lv);
      nmax = lvMax(lv);
      off = 0;
      setIndex(mas, lvMin(lv));
    }
    setLvOffset(lv, off);
    setLast(mas, slotMax(node, off, end, nmax));
    const entry = slotAt(node, off);
    if (entry != 0 || empty) return ret(mas, entry);
    if (masLast(mas) >= max) return overflow(mas);
    setIndex(mas, masLast(mas) + 1);
  }
}

/**
 * mas_prev_slot: from the position, the previous slot (empty: NULL ones too) whose range ends at
 * or after min; underflows where it stands at the limit, as nextSlot overflows.
 */
function prevSlot(mas: usize, min: u64, empty: bool): u64 {
  if (!ensurePosition(mas)) return ret(mas, 0);
  const path = masPath(mas);
  const depth = masDepth(mas);
  const lv = lvl(path, depth);
  let node = lvNode(lv);
  let off = lvOffset(lv);
  let nmin = lvMin(lv);
  if (nmin <= min && slotMin(node, off, nmin) <= min) return underflow(mas);
  while (true) {
    if (off > 0) {
      off--;
      setLast(mas, masIndex(mas) - 1);
    } else {
      // The leaf's first slot starts above min (checked above, or by the NULL test below).
      if (masIndex(mas) <= min || !pathStepLeaf(path, depth, -1)) return underflow(mas);
      node = lvNode(lv);
      nmin = lvMin(lv);
      off = lvOffset(lv);
      setLast(mas, lvMax(lv));
    }
    setLvOffset(lv, off);
    setIndex(mas, slotMin(node, off, nmin));
    const entry = slotAt(node, off);
    if (entry != 0 || empty) return ret(mas, entry);
    if (masIndex(mas) <= min) return underflow(mas);
  }
}

/**
 * Move a path to the next leaf (dir 1) or the previous one (dir -1): climb to the nearest
 * ancestor with a slot that way, then come down its near edge. False at the tree's edge.
 */
function pathStepLeaf(path: usize, depth: i32, dir: i32): bool {
  let d = depth - 1;
  while (d >= 0) {
    const lv = lvl(path, d);
    const o = lvOffset(lv) + dir;
    if (o >= 0 && o <= lvEnd(lv)) {
      setLvOffset(lv, o);
      break;
    }
    d--;
  }
  if (d < 0) return false;
  for (; d < depth; d++) pathDescend(path, d, dir > 0 ? 0 : -1);
  return true;
}

/**
 * mas_next (empty false) and mas_next_range (empty true): the entry, or range, after the one the
 * state is on, starting at or before max. From start, pause or none the state first walks to its
 * index; after an underflow the entry at index itself comes first.
 */
export function masNext(mas: usize, max: u64, empty: bool): u64 {
  const wasNone = masStatus(mas) == MA_NONE;
  if (masLast(mas) >= max) return overflow(mas);
  switch (masStatus(mas)) {
    case MA_ACTIVE: return nextSlot(mas, max, empty);
    case MA_NONE:
    case MA_PAUSE:
    case MA_START: masReset(mas); masWalk(mas); break;
    case MA_OVERFLOW: mayActivate(mas); break;
    case MA_UNDERFLOW: {
      mayActivate(mas);
      const entry = masWalk(mas);
      if (entry != 0) return entry;
      break;
    }
    case MA_ERROR: return ret(mas, 0);
  }
  const s = masStatus(mas);
  if (s == MA_ROOT) {
    // A lone root entry: after [0, 0] comes [1, ULONG_MAX], empty.
    if (wasNone && masIndex(mas) == 0) {
      setLast(mas, 0);
      return ret(mas, 0);
    }
    setIndex(mas, 1);
    setLast(mas, MAPLE_MAX);
    setMasStatus(mas, MA_NONE);
    return ret(mas, 0);
  }
  if (s == MA_NONE) return ret(mas, 0);
  return nextSlot(mas, max, empty);
}

/**
 * mas_prev (empty false) and mas_prev_range (empty true): the entry, or range, before the one
 * the state is on, ending at or after min. After an overflow the entry at index comes first.
 */
export function masPrev(mas: usize, min: u64, empty: bool): u64 {
  if (masIndex(mas) <= min) return underflow(mas);
  switch (masStatus(mas)) {
    case MA_ACTIVE: return prevSlot(mas, min, empty);
    case MA_NONE:
    case MA_PAUSE: setMasStatus(mas, MA_START); break;
    case MA_UNDERFLOW: mayActivate(mas); break;
    case MA_OVERFLOW: {
      mayActivate(mas);
      const entry = masWalk(mas);
      if (entry != 0) return entry;
      break;
    }
    case MA_ERROR: return ret(mas, 0);
  }
  if (masStatus(mas) == MA_START) masWalk(mas);
  const s = masStatus(mas);
  if (s == MA_ROOT) {
    if (masIndex(mas) == 0) {
      setMasStatus(mas, MA_NONE);
      return ret(mas, 0);
    }
    return rootEntry(mas);
  }
  if (s == MA_NONE) return masIndex(mas) != 0 ? rootEntry(mas) : ret(mas, 0);
  return prevSlot(mas, min, empty);
}

/** The lone root entry's range, [0, 0], as a backward step reaches it (status root). */
function rootEntry(mas: usize): u64 {
  const tree = masTree(mas);
  setIndex(mas, 0);
  setLast(mas, 0);
  setMasStatus(mas, MA_ROOT);
  return ret(mas, treeHasNodes(tree) ? 0 : treeRoot(tree));
}

/**
 * mas_find (empty false) and mas_find_range (empty true): the first call gives the entry (range)
 * at index, or the next one up to max; later calls the one after the range last returned.
 * mas_find ends active even where its step overflowed.
 */
export function masFind(mas: usize, max: u64, empty: bool): u64 {
  switch (masStatus(mas)) {
    case MA_ACTIVE:
      if (masLast(mas) >= max) return ret(mas, 0);
      return findStep(mas, max, empty);
    case MA_PAUSE:
      // A paused walk resumes after the range it stopped on.
      if (masLast(mas) >= max) return ret(mas, 0);
      setIndex(mas, masLast(mas) + 1);
      setLast(mas, masIndex(mas));
      setMasStatus(mas, MA_START);
      break;
    case MA_NONE:
      if (masLast(mas) >= max) return ret(mas, 0);
      setIndex(mas, masLast(mas));
      setMasStatus(mas, MA_START);
      break;
    case MA_UNDERFLOW: {
      if (masIndex(mas) >= max) return overflow(mas);
      mayActivate(mas);
      const entry = masWalk(mas);
      if (entry != 0) return entry;
      break;
    }
    case MA_OVERFLOW: {
      if (masLast(mas) >= max) return ret(mas, 0);
      mayActivate(mas);
      const entry = masWalk(mas);
      if (entry != 0) return entry;
      break;
    }
    case MA_ERROR: return ret(mas, 0);
  }
  if (masStatus(mas) == MA_START) {
    if (masIndex(mas) > max) return ret(mas, 0);
    const entry = masWalk(mas);
    if (entry != 0) return entry;
  }
  const s = masStatus(mas);
  if (s == MA_ROOT) {
    setMasStatus(mas, MA_NONE);
    setIndex(mas, 1);
    setLast(mas, MAPLE_MAX);
    return ret(mas, 0);
  }
  if (s == MA_NONE || masIndex(mas) == max) return ret(mas, 0);
  return findStep(mas, max, empty);
}

function findStep(mas: usize, max: u64, empty: bool): u64 {
  const entry = nextSlot(mas, max, empty);
  if (!empty) setMasStatus(mas, MA_ACTIVE);
  return entry;
}

/**
 * mas_find_rev (empty false) and mas_find_range_rev (empty true): the first call gives the entry
 * (range) at index, or the previous one down to min; later calls the one before the range last
 * returned.
 */
export function masFindRev(mas: usize, min: u64, empty: bool): u64 {
  switch (masStatus(mas)) {
    case MA_ACTIVE:
      if (masIndex(mas) < min) return ret(mas, 0);
      return prevSlot(mas, min, empty);
    case MA_PAUSE:
      if (masIndex(mas) <= min) return underflow(mas);
      setIndex(mas, masIndex(mas) - 1);
      setLast(mas, masIndex(mas));
      setMasStatus(mas, MA_START);
      break;
    case MA_NONE:
      if (masIndex(mas) <= min) return ret(mas, 0);
      setLast(mas, masIndex(mas));
      setMasStatus(mas, MA_START);
      break;
    case MA_OVERFLOW:
      if (masIndex(mas) <= min) return underflow(mas);
      setMasStatus(mas, hasNode(mas) ? MA_ACTIVE : MA_START);
      break;
    case MA_UNDERFLOW:
      if (masIndex(mas) <= min) return ret(mas, 0);
      setMasStatus(mas, hasNode(mas) ? MA_ACTIVE : MA_START);
      break;
    case MA_ERROR: return ret(mas, 0);
  }
  if (masStatus(mas) == MA_START) {
    if (masIndex(mas) < min) return ret(mas, 0);
    const entry = masWalk(mas);
    if (entry != 0) return entry;
  }
  const s = masStatus(mas);
  if (s == MA_ROOT) {
    setMasStatus(mas, MA_NONE);
    return ret(mas, 0);
  }
  if (s == MA_NONE) return rootEntry(mas);
  if (masIndex(mas) < min) return ret(mas, 0);
  return prevSlot(mas, min, empty);
}

/**
 * Where a state stands after it found free space (mas_empty_area[_rev]): on the leaf slot of the
 * gap, with index..last the area found inside it; without nodes, root or none as mas_start left.
 * depth >= 0: the search recorded its walk in the state's path and that walk's leaf, at this
 * depth, holds the gap at its offset, so the state takes it instead of walking again.
 */
export function masSetArea(mas: usize, start: u64, last: u64, depth: i32): void {
  setIndex(mas, start);
  if (treeHasNodes(masTree(mas))) {
    if (depth >= 0) takePath(mas, depth);
    else rangeWalk(mas);
    setMasStatus(mas, MA_ACTIVE);
    setIndex(mas, start);
  }
  setLast(mas, last);
}

/**
 * mas_start for an area search: a state in start learns whether the tree has nodes (active),
 * only a root entry (root) or nothing (none), without walking.
 */
export function masStartArea(mas: usize): void {
  if (masStatus(mas) != MA_START) return;
  const tree = masTree(mas);
  markSeen(mas);
  if (treeHasNodes(tree)) {
    setMasStatus(mas, MA_ACTIVE);
    setNode(mas, false);
  } else {
    setMasStatus(mas, treeRoot(tree) == 0 ? MA_NONE : MA_ROOT);
  }
}

/** An area search found nothing: the kernel's error state over the window searched. */
export function masAreaBusy(mas: usize, min: u64, max: u64): void {
  setIndex(mas, min);
  setLast(mas, max);
  setNode(mas, false);
  setMasStatus(mas, MA_ERROR);
}

/** After a write through the state: on the leaf slot holding index (active). */
export function masSettleActive(mas: usize): void {
  setMasStatus(mas, MA_ACTIVE);
  rangeWalk(mas);
}

/**
 * masSettleActive, the walk left for later: after a write of a non-NULL entry, which holds exactly
 * the state's range (a non-NULL range never merges with a neighbour), the state is active there
 * with that entry, and marked as having seen an older tree, so the first operation that needs its
 * position walks to index (masRevalidate) and one that sets a new range never walks at all.
 */
export function masSettleLater(mas: usize, entry: u64): void {
  store<u64>(mas, entry, 32);
  setNode(mas, true);
  setMasStatus(mas, MA_ACTIVE);
  store<u32>(mas, treeSeq(masTree(mas)) - 2, S_SEQ);
}

/**
 * masSettleActive for a write that changed only its leaf, in place: the write's own walk path
 * (levels 0..depth) still leads there, so the state takes it instead of walking again.
 */
export function masSettleOnPath(mas: usize, path: usize, depth: i32): void {
  memory.copy(masPath(mas), path, <usize>(depth + 1) * LEVEL_SIZE);
  const lv = lvl(masPath(mas), depth);
  setLevel(lv, lvEnode(lv), lvMin(lv), lvMax(lv), maPivotSlot(lvNode(lv), masIndex(mas)));
  store<i32>(mas, depth, 24);
  takeLeafSlot(mas);
  setNode(mas, true);
  setMasStatus(mas, MA_ACTIVE);
  markSeen(mas);
}

/** After a write through the state that left no node: the status mas_start gave, or start. */
export function masSettleRoot(mas: usize, status: i32): void {
  setNode(mas, false);
  setMasStatus(mas, status);
  markSeen(mas);
}

/**
 * mas_find repeated into buf, at most cap entries: the iteration loop of mt_for_each done
 * inside the core. A record is three f64: index, last, entry word, exact below 2^53; a range
 * reaching past 2^53 - 1 is written as the raw u64 bits of index and last with the entry word
 * negated minus one, for the reader to take the slow path. Within a leaf it reads the slots
 * directly and steps to the next leaf along the path, as a next-leaf walk would. The state ends
 * on the last entry written, so the next call (or masFind) continues after it. Returns the count.
 */
export function masFindBatch(mas: usize, max: u64, buf: usize, cap: i32, floor: u64 = 0): i32 {
  return findBatch(mas, max, buf, cap, false, floor);
}

/**
 * masFindBatch for a numeric tree's range cursor: three columns of cap f64 each at buf (index,
 * last, the stored number). It stops before a range reaching past 2^53 - 1, which a column of
 * f64 cannot hold, and sets batchStoppedBig.
 */
export function masFindColumns(mas: usize, max: u64, buf: usize, cap: i32, floor: u64 = 0): i32 {
  batchStoppedBig = false;
  return findBatch(mas, max, buf, cap, true, floor);
}

/** The last masFindColumns stopped at a range past 2^53 - 1. */
export let batchStoppedBig = false;

// @ts-ignore: decorator
@inline function findBatch(mas: usize, max: u64, buf: usize, cap: i32, columns: bool, floor: u64): i32 {
  // Records start at `from` or later, one past the last index already given (the kernel's
  // mas_next_slot takes index = last + 1): where a write moved a pivot since, a range is given
  // from there on, never twice. Without writes meanwhile every range starts there anyway.
  let from = floor;
  if (cap <= 0) return 0;
  do {
    if (masFind(mas, max, false) == 0) return 0;
  } while (masLast(mas) < from && masStatus(mas) == MA_ACTIVE);
  if (masLast(mas) < from) return 0;
  if (columns && masLast(mas) > MAX_SAFE) {
    batchStoppedBig = true;
    return 0;
  }
  emit(buf, 0, masIndex(mas) > from ? masIndex(mas) : from, masLast(mas), masEntry(mas), columns, cap);
  from = masLast(mas) + 1;
  if (masStatus(mas) != MA_ACTIVE) return 1;
  let n = 1;
  const path = masPath(mas);
  const depth = masDepth(mas);
  const leaf = lvl(path, depth);
  let off = lvOffset(leaf) + 1;
  while (true) {
    // The rest of this leaf. NULL slots cost a load and a test; a slot's range is worked out only
    // when it holds an entry, and the state is updated once, on leaving the leaf.
    const node = lvNode(leaf);
    const end = lvEnd(leaf);
    const lmin = lvMin(leaf);
    const lmax = lvMax(leaf);
    if (depth > 0) touchAhead(lvl(path, depth - 1));
    let hit = -1;
    let stop = false;
    if (lmax <= max && lmax <= MAX_SAFE && n + end - off < cap) {
      // The whole rest of the leaf fits the limit, the buffer and the f64 records: no per-entry
      // tests but the NULL one.
      for (; off <= end; off++) {
        let slot = slotAt(node, off);
        if (slot == 0) continue;
        const lo = slotMin(node, off, lmin);
        const hi = slotMax(node, off, end, lmax);
        if (SHARED) {
          // A writer in another thread writes a slot before the pivot that gives it its range,
          // so the slot read after the pivots holds an entry the range belongs to (the first
          // read only skips NULLs cheaply): read it again.
          slot = slotAt(node, off);
          if (slot == 0) continue;
        }
        if (hi < from) continue;
        emitSafe(buf, n++, lo > from ? lo : from, hi, slot, columns, cap);
        from = hi + 1;
        hit = off;
      }
      stop = n == cap;
    } else {
      if (DEBUG) assert(n < cap, 'batch: record past the buffer');
      for (; off <= end; off++) {
        let slot = slotAt(node, off);
        if (slot == 0) continue;
        let lo = slotMin(node, off, lmin);
        if (lo > max) { stop = true; break; }
        const hi = slotMax(node, off, end, lmax);
        if (SHARED) {
          slot = slotAt(node, off); // after the pivots, as above
          if (slot == 0) continue;
        }
        if (hi < from) continue;
        if (lo < from) lo = from;
        if (columns && hi > MAX_SAFE) { batchStoppedBig = true; stop = true; break; }
        emit(buf, n++, lo, hi, slot, columns, cap);
        from = hi + 1;
        hit = off;
        if (n == cap) { stop = true; break; }
      }
    }
    if (hit >= 0) {
      setLvOffset(leaf, hit);
      takeLeafSlot(mas);
    }
    if (stop || lmax >= max) return n;
    // Next leaf. The state stays on the last entry written; if the leaf left held none, it
    // moves to the new leaf's first range instead (every range in between is NULL), keeping
    // path and range in step for the masFind that continues the walk.
    if (!pathStepLeaf(path, depth, 1)) return n;
    if (hit < 0) takeLeafSlot(mas);
    off = 0;
  }
}

/**
 * A batch streams leaves in order: fetch the leaf AHEAD leaves on (under the same parent) while
 * this one is read, so its cache misses overlap the work on this one instead of following it.
 */
// @ts-ignore: decorator
@inline function touchAhead(parent: usize): void {
  const o = lvOffset(parent) + AHEAD;
  if (o <= lvEnd(parent)) mteTouch(mteSlot(lvEnode(parent), o));
}
// @ts-ignore: decorator
@inline const AHEAD: i32 = 2;

// @ts-ignore: decorator
@inline function emit(buf: usize, i: i32, index: u64, last: u64, entry: u64, columns: bool, cap: i32): void {
  if (columns || last <= MAX_SAFE) {
    emitSafe(buf, i, index, last, entry, columns, cap);
  } else {
    const rec = buf + <usize>i * 24;
    store<u64>(rec, index, 0);
    store<u64>(rec, last, 8);
    store<f64>(rec, -<f64>entry - 1, 16);
  }
}

// @ts-ignore: decorator
@inline const MAX_SAFE: u64 = 0x1F_FFFF_FFFF_FFFF;

/**
 * A range ending at or below 2^53 - 1 (entry words never exceed 2^53): a record of three f64,
 * or, for columns, index, last and the stored number (the word less one) in three columns.
 */
// @ts-ignore: decorator
@inline function emitSafe(buf: usize, i: i32, index: u64, last: u64, entry: u64, columns: bool,
                          cap: i32): void {
  // signed conversions: cheaper than unsigned ones and exact below 2^53
  if (columns) {
    const at = buf + (<usize>i << 3);
    const column = <usize>cap << 3;
    store<f64>(at, <f64><i64>index);
    store<f64>(at + column, <f64><i64>last);
    store<f64>(at + 2 * column, <f64><i64>entry - 1);
  } else {
    const rec = buf + <usize>i * 24;
    store<f64>(rec, <f64><i64>index, 0);
    store<f64>(rec, <f64><i64>last, 8);
    store<f64>(rec, <f64><i64>entry, 16);
  }
}
