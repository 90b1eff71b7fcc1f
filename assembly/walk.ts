// Reading the tree: load, and the ma_state walks (find, next, prev and their range forms).
//
// ma_state (a 1 KiB object):
//   0 tree u32 · 4 status i32 · 8 index u64 · 16 last u64 · 24 depth i32 (of the leaf)
//   32 entry u64 (of the range index..last) · 40 reserve u32 (first reserved node)
//   44 reserved i32 (nodes in the reserve) · 48 bulk i32 (expected-entries mode)
//   52 request i32 (nodes the last failed write needed, for mas_nomem) · 56 pool u32
//   64 path (MAPLE_HEIGHT_MAX levels, see tree.ts)
// While active, the path's leaf level holds the slot index..last came from, so next and prev
// step across slots and nodes without going back to the root.

import { MAPLE_MAX, DEBUG } from './config';
import {
  mteIsLeaf, mtePrefetchSlots, slotAt, slotMin, slotMax, mteSlot, mtePivotSlot, pivotAt,
} from './node';
import {
  treeRoot, treeHeight, mtWalk, lvl, lvNode, lvMin, lvMax, lvOffset, lvEnd, setLvOffset,
  pathDescend,
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
@inline export function masEntry(mas: usize): u64 { return load<u64>(mas, 32); }
// @ts-ignore: decorator
@inline function masDepth(mas: usize): i32 { return load<i32>(mas, 24); }
// @ts-ignore: decorator
@inline export function masPath(mas: usize): usize { return mas + 64; }
// @ts-ignore: decorator
@inline export function masBulk(mas: usize): bool { return load<i32>(mas, 48) != 0; }
// @ts-ignore: decorator
@inline export function setMasBulk(mas: usize, on: bool): void { store<i32>(mas, <i32>on, 48); }
// @ts-ignore: decorator
@inline export function masRequest(mas: usize): i32 { return load<i32>(mas, 52); }
/** Record the node count a failed write needed and mark the state as in error. */
export function setMasRequest(mas: usize, n: i32): void {
  store<i32>(mas, n, 52);
  setMasStatus(mas, MA_ERROR);
}

/** Point the state at [index, last] and make the next operation walk from the root (mas_set_range). */
export function masSetRange(mas: usize, index: u64, last: u64): void {
  store<u64>(mas, index, 8);
  store<u64>(mas, last, 16);
  setMasStatus(mas, MA_START);
}

function setRange(mas: usize, index: u64, last: u64, entry: u64): void {
  store<u64>(mas, index, 8);
  store<u64>(mas, last, 16);
  store<u64>(mas, entry, 32);
}

/** Take the range of the leaf slot the path points at. */
function takeLeafSlot(mas: usize): void {
  const lv = lvl(masPath(mas), masDepth(mas));
  const node = lvNode(lv);
  const off = lvOffset(lv);
  setRange(mas, slotMin(node, off, lvMin(lv)), slotMax(node, off, lvEnd(lv), lvMax(lv)),
           slotAt(node, off));
}

/** Entry at index (mtree_load): one branch-free pivot search per level. */
export function mtLoad(tree: usize, index: u64): u64 {
  const height = treeHeight(tree);
  if (height == 0) return index == 0 ? treeRoot(tree) : 0;
  let enode = treeRoot(tree);
  while (true) {
    mtePrefetchSlots(enode);
    const slot = mteSlot(enode, mtePivotSlot(enode, index));
    if (mteIsLeaf(enode)) return slot;
    enode = slot;
  }
}

/**
 * Walk to the range holding the state's index (mas_walk): index/last become that range, NULL
 * or not, and the state becomes active (or root / none for trees without nodes).
 */
export function masWalk(mas: usize): u64 {
  const tree = masTree(mas);
  const index = masIndex(mas);
  const height = treeHeight(tree);
  if (height == 0) {
    const root = treeRoot(tree);
    if (root == 0) {
      setRange(mas, 0, MAPLE_MAX, 0);
      setMasStatus(mas, MA_NONE);
    } else {
      if (index == 0) setRange(mas, 0, 0, root); else setRange(mas, 1, MAPLE_MAX, 0);
      setMasStatus(mas, MA_ROOT);
    }
    return masEntry(mas);
  }
  store<i32>(mas, mtWalk(tree, index, masPath(mas)), 24);
  takeLeafSlot(mas);
  setMasStatus(mas, MA_ACTIVE);
  return masEntry(mas);
}

/** Step the active state one slot right (dir 1) or left (dir -1), across nodes. */
function stepSlot(mas: usize, dir: i32): bool {
  const path = masPath(mas);
  const depth = masDepth(mas);
  const leaf = lvl(path, depth);
  const off = lvOffset(leaf) + dir;
  if (off >= 0 && off <= lvEnd(leaf)) {
    setLvOffset(leaf, off);
    takeLeafSlot(mas);
    return true;
  }
  if (!pathStepLeaf(path, depth, dir)) return false;
  takeLeafSlot(mas);
  return true;
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

/** Step over a tree that holds only a root entry, which has two ranges: [0,0] and [1,MAX]. */
function stepRoot(mas: usize, dir: i32): bool {
  const tree = masTree(mas);
  if (dir > 0) {
    if (masIndex(mas) != 0) return false;
    setRange(mas, 1, MAPLE_MAX, 0);
  } else {
    if (masIndex(mas) == 0) return false;
    setRange(mas, 0, 0, treeRoot(tree));
  }
  return true;
}

/**
 * Move to the next (dir 1) or previous (dir -1) range, NULL or not. Returns false at the end of
 * the key space, leaving the state where it was.
 */
function stepRange(mas: usize, dir: i32): bool {
  const status = masStatus(mas);
  if (status == MA_ROOT) return stepRoot(mas, dir);
  if (status != MA_ACTIVE) return false;
  return stepSlot(mas, dir);
}

/**
 * Make the state active at its index if it is not: start, pause and none walk again from the
 * root; after an overflow or underflow the state is still on its last range.
 */
function ensureWalked(mas: usize): void {
  const s = masStatus(mas);
  if (s != MA_ACTIVE && s != MA_ROOT) masWalk(mas);
}

/** mas_pause: drop the path (the tree may change); the next walk restarts from the root. */
export function masPause(mas: usize): void {
  setMasStatus(mas, MA_PAUSE);
}

/**
 * First entry whose range ends at or after index and starts at or before max (mas_find /
 * mt_find). Returns 1 and sets index/last/entry, or 0 (status overflow) when there is none.
 * A state that already returned an entry moves past it first.
 */
export function masFind(mas: usize, max: u64): i32 {
  let s = masStatus(mas);
  if (s == MA_ERROR) return 0;
  if (s == MA_PAUSE) {
    // A paused walk resumes after the range it stopped on (mas_pause, then mas_find).
    if (masLast(mas) >= max) return overflow(mas);
    const next = masLast(mas) + 1;
    masSetRange(mas, next, next);
    s = MA_START;
  }
  let moved: bool;
  if (s == MA_ACTIVE || s == MA_ROOT) {
    if (masLast(mas) >= max) return overflow(mas);
    moved = stepRange(mas, 1);
  } else {
    if (masIndex(mas) > max) return overflow(mas);
    masWalk(mas);
    moved = masStatus(mas) != MA_NONE;
  }
  while (moved) {
    if (masIndex(mas) > max) return overflow(mas);
    if (masEntry(mas) != 0) return 1;
    moved = stepRange(mas, 1);
  }
  return overflow(mas);
}

/** Last entry whose range starts at or before index and ends at or after min (mas_find_rev). */
export function masFindRev(mas: usize, min: u64): i32 {
  let s = masStatus(mas);
  if (s == MA_ERROR) return 0;
  if (s == MA_PAUSE) {
    if (masIndex(mas) <= min) return underflow(mas);
    const prev = masIndex(mas) - 1;
    masSetRange(mas, prev, prev);
    s = MA_START;
  }
  let moved: bool;
  if (s == MA_ACTIVE || s == MA_ROOT) {
    if (masIndex(mas) <= min) return underflow(mas);
    moved = stepRange(mas, -1);
  } else {
    if (masIndex(mas) < min) return underflow(mas);
    masWalk(mas);
    moved = masStatus(mas) != MA_NONE;
  }
  while (moved) {
    if (masLast(mas) < min) return underflow(mas);
    if (masEntry(mas) != 0) return 1;
    moved = stepRange(mas, -1);
  }
  return underflow(mas);
}

/** Next entry after the range the state is on, starting at or before max (mas_next). */
export function masNext(mas: usize, max: u64): i32 {
  if (masStatus(mas) == MA_ERROR) return 0;
  if (masLast(mas) >= max) return overflow(mas);
  ensureWalked(mas);
  if (masStatus(mas) == MA_NONE) return overflow(mas);
  while (stepRange(mas, 1)) {
    if (masIndex(mas) > max) return overflow(mas);
    if (masEntry(mas) != 0) return 1;
  }
  return overflow(mas);
}

/** Previous entry before the range the state is on, ending at or after min (mas_prev). */
export function masPrev(mas: usize, min: u64): i32 {
  if (masStatus(mas) == MA_ERROR) return 0;
  if (masIndex(mas) <= min) return underflow(mas);
  ensureWalked(mas);
  if (masStatus(mas) == MA_NONE) return underflow(mas);
  while (stepRange(mas, -1)) {
    if (masLast(mas) < min) return underflow(mas);
    if (masEntry(mas) != 0) return 1;
  }
  return underflow(mas);
}

/** Next range, NULL or not, starting at or before max (mas_next_range). */
export function masNextRange(mas: usize, max: u64): i32 {
  if (masStatus(mas) == MA_ERROR) return 0;
  if (masLast(mas) >= max) return overflow(mas);
  ensureWalked(mas);
  if (masStatus(mas) == MA_NONE || !stepRange(mas, 1) || masIndex(mas) > max) return overflow(mas);
  return 1;
}

/** Previous range, NULL or not, ending at or after min (mas_prev_range). */
export function masPrevRange(mas: usize, min: u64): i32 {
  if (masStatus(mas) == MA_ERROR) return 0;
  if (masIndex(mas) <= min) return underflow(mas);
  ensureWalked(mas);
  if (masStatus(mas) == MA_NONE || !stepRange(mas, -1) || masLast(mas) < min) return underflow(mas);
  return 1;
}

function overflow(mas: usize): i32 {
  setMasStatus(mas, MA_OVERFLOW);
  return 0;
}

function underflow(mas: usize): i32 {
  setMasStatus(mas, MA_UNDERFLOW);
  return 0;
}

/**
 * mas_find repeated into buf, at most cap entries: the iteration loop of mt_for_each done
 * inside the core. A record is three f64: index, last, entry word, exact below 2^53; a range
 * reaching past 2^53 - 1 is written as the raw u64 bits of index and last with the entry word
 * negated minus one, for the reader to take the slow path. Within a leaf it reads the slots
 * directly and steps to the next leaf along the path, as a next-leaf walk would. The state ends
 * on the last entry written, so the next call (or masFind) continues after it. Returns the count.
 */
export function masFindBatch(mas: usize, max: u64, buf: usize, cap: i32): i32 {
  if (cap <= 0 || masFind(mas, max) != 1) return 0;
  emit(buf, 0, masIndex(mas), masLast(mas), masEntry(mas));
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
    let hit = -1;
    let stop = false;
    if (lmax <= max && lmax <= MAX_SAFE && n + end - off < cap) {
      // The whole rest of the leaf fits the limit, the buffer and the f64 records: no per-entry
      // tests but the NULL one.
      for (; off <= end; off++) {
        const slot = slotAt(node, off);
        if (slot == 0) continue;
        emitSafe(buf, n++, slotMin(node, off, lmin), slotMax(node, off, end, lmax), slot);
        hit = off;
      }
      stop = n == cap;
    } else {
      if (DEBUG) assert(n < cap, 'batch: record past the buffer');
      for (; off <= end; off++) {
        const slot = slotAt(node, off);
        if (slot == 0) continue;
        const lo = slotMin(node, off, lmin);
        if (lo > max) { stop = true; break; }
        emit(buf, n++, lo, slotMax(node, off, end, lmax), slot);
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

// @ts-ignore: decorator
@inline function emit(buf: usize, i: i32, index: u64, last: u64, entry: u64): void {
  const rec = buf + <usize>i * 24;
  if (last <= MAX_SAFE) {
    emitSafe(buf, i, index, last, entry);
  } else {
    store<u64>(rec, index, 0);
    store<u64>(rec, last, 8);
    store<f64>(rec, -<f64>entry - 1, 16);
  }
}

// @ts-ignore: decorator
@inline const MAX_SAFE: u64 = 0x1F_FFFF_FFFF_FFFF;

/** A record of a range ending at or below 2^53 - 1 (entry words never exceed 2^53). */
// @ts-ignore: decorator
@inline function emitSafe(buf: usize, i: i32, index: u64, last: u64, entry: u64): void {
  const rec = buf + <usize>i * 24;
  // signed conversions: cheaper than unsigned ones and exact below 2^53
  store<f64>(rec, <f64><i64>index, 0);
  store<f64>(rec, <f64><i64>last, 8);
  store<f64>(rec, <f64><i64>entry, 16);
}
