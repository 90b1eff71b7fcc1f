// Gap tracking and the empty-area search of allocation-range trees.
//
// An arange_64 node records, per child, the largest NULL range below it, and in its metadata
// the offset of its own largest. Every write keeps these exact: new nodes get theirs computed
// as they are made, and the node a write changes in place passes its new largest gap up the
// walk path until an ancestor's record already agrees (mas_update_gap).
//
// emptyArea / emptyAreaRev descend only into children whose recorded gap is big enough and
// whose range meets [min, max], so a search visits O(height) nodes except where gaps straddle
// the window's edges (mas_empty_area, mas_empty_area_rev).

import { MAPLE_MAX, MAPLE_HEIGHT_MAX, EINVAL, EBUSY } from './config';
import {
  MAPLE_ARANGE_64, mteToNode, mteNodeType, mteIsLeaf, mteSlot, mteDataEnd, slotAt, slotMin, slotMax,
  safePivot, mtPivots, gapAt, setGap, setAMetaGap, mtePivotSlot, mtePrefetchSlots,
} from './node';
import {
  lvl, lvNode, lvEnode, lvMin, lvMax, lvOffset, lvEnd, treeHeight, treeRoot, treeFlags, setTreeFlags,
  treeHasNodes,
  mtIsAlloc, recordLevel, LEVEL_SIZE,
  MT_FLAGS_ALLOC_WRAPPED,
} from './tree';
import { mtInsertRange } from './write';
import { rcuVisit } from './rcu';

/** The node at depth d of path now has largest gap `gap`: correct the records above it. */
export function propagateGap(path: usize, d: i32, gap: u64): void {
  while (d > 0) {
    const plv = lvl(path, d - 1);
    const pnode = lvNode(plv);
    const off = lvOffset(plv);
    if (gapAt(pnode, off) == gap) return;
    setGap(pnode, off, gap);
    gap = refreshMaxGap(plv);
    d--;
  }
}

/** Recompute which slot of the node at a path level has the largest gap; return that gap. */
function refreshMaxGap(lv: usize): u64 {
  const node = lvNode(lv);
  const end = lvEnd(lv);
  let best = 0;
  for (let i = 1; i <= end; i++) if (gapAt(node, i) > gapAt(node, best)) best = i;
  setAMetaGap(node, best);
  return gapAt(node, best);
}

/** Two neighbouring children (off, off + 1) of the node at depth d have new largest gaps. */
export function setChildGaps(path: usize, d: i32, off: i32, left: u64, right: u64): void {
  const lv = lvl(path, d);
  setGap(lvNode(lv), off, left);
  setGap(lvNode(lv), off + 1, right);
  propagateGap(path, d, refreshMaxGap(lv));
}

// ── search ───────────────────────────────────────────────────────────────────

let wantSize: u64 = 0;
let winLo: u64 = 0;
let winHi: u64 = 0;
let foundAt: u64 = 0;
/** The leaf offset of the last fit (set with foundAt). */
let foundSlot: i32 = 0;
/**
 * Depth of the search path's leaf when the last search's fit lies in it (the leaf holding the
 * window's near edge, where most searches end), or -1: the path then leads there with the
 * fit's offset recorded, so a state needs no second walk to point at the fit.
 */
export let fitDepth: i32 = -1;
/** Nodes the last search visited (a test shows it stays O(height)). */
export let gapVisits: u32 = 0;

/** Whether [a, b] clipped to the window holds `wantSize` indices; sets foundAt if so. */
function fits(a: u64, b: u64, forward: bool): bool {
  const s = a > winLo ? a : winLo;
  const e = b < winHi ? b : winHi;
  if (e < s || e - s < wantSize - 1) return false;
  foundAt = forward ? s : e - (wantSize - 1);
  return true;
}

/** Search a node from the slot holding the window's near edge. */
function searchNode(enode: u64, min: u64, max: u64, forward: bool): bool {
  gapVisits++;
  rcuVisit(enode);
  // The slots before the edge are outside the window. Only a reverse search whose window reaches
  // past this node's max starts from the end; otherwise the end is found on the way.
  const from = forward || winHi < max ? mtePivotSlot(enode, forward ? winLo : winHi) : mteDataEnd(enode, max);
  return searchSlots(enode, min, max, from, forward);
}

/**
 * Search a node's slots from offset i (at or before its end) towards the window's far edge:
 * NULL slots of a leaf, or children whose recorded gap is big enough. A slot's range comes from
 * its own pivot, the end's being max, so the scan needs no read of the metadata.
 */
function searchSlots(enode: u64, min: u64, max: u64, i: i32, forward: bool): bool {
  const node = mteToNode(enode);
  const type = mteNodeType(enode);
  const leaf = mteIsLeaf(enode);
  const gaps = type == MAPLE_ARANGE_64;
  const pivots = mtPivots(type);
  while (true) {
    const a = slotMin(node, i, min);
    const b = safePivot(node, i, pivots, max);
    if (forward ? a > winHi : b < winLo) return false;
    if (forward ? b >= winLo : a <= winHi) {
      if (leaf) {
        if (slotAt(node, i) == 0 && fits(a, b, forward)) {
          foundSlot = i;
          return true;
        }
      } else if (!gaps || gapAt(node, i) >= wantSize) {
        if (searchNode(mteSlot(enode, i), a, b, forward)) return true;
      }
    }
    if (forward ? b == max : i == 0) return false;
    i += forward ? 1 : -1;
  }
}

/** The near-edge walk's path when the caller gives none (see mtEmptyArea). */
let nearPath: usize = memory.data(<i32>(MAPLE_HEIGHT_MAX * <i32>LEVEL_SIZE), 16);
/** Bytes of an instance's own scratch the search takes (see setGapScratch). */
// @ts-ignore: decorator
@inline export const GAP_SCRATCH: usize = <usize>MAPLE_HEIGHT_MAX * LEVEL_SIZE;
/** Another instance over a shared memory: its near-edge path at scratch (GAP_SCRATCH bytes). */
export function setGapScratch(scratch: usize): void { nearPath = scratch; }

/**
 * Whether the child at offset off of a node, covering [a, b], may hold a fit: its part of the
 * window is big enough, and in an arange_64 node its recorded gap is (mas_awalk descends only
 * into such children).
 */
// @ts-ignore: decorator
@inline function mayFit(node: usize, gaps: bool, off: i32, a: u64, b: u64, forward: bool): bool {
  // The child holds the near edge, so its part of the window runs from that edge to the
  // nearer of its own far end and the window's.
  const room = forward ? (b < winHi ? b : winHi) - winLo : winHi - (a > winLo ? a : winLo);
  return room >= wantSize - 1 && (!gaps || gapAt(node, off) >= wantSize);
}

/**
 * Walk from the root towards the leaf holding the window's near edge, as a load does, recording
 * each level in path; stop above a child that cannot hold a fit. Returns the depth of the last
 * level recorded.
 */
function edgeWalk(tree: usize, forward: bool, path: usize): i32 {
  const edge = forward ? winLo : winHi;
  let enode = treeRoot(tree);
  let min: u64 = 0;
  let max: u64 = MAPLE_MAX;
  let d = 0;
  while (true) {
    const node = mteToNode(enode);
    mtePrefetchSlots(enode);
    const off = mtePivotSlot(enode, edge);
    const end = mteDataEnd(enode, max);
    recordLevel(lvl(path, d), enode, min, max, off, end);
    if (mteIsLeaf(enode)) return d;
    const a = slotMin(node, off, min);
    const b = slotMax(node, off, end, max);
    if (!mayFit(node, mteNodeType(enode) == MAPLE_ARANGE_64, off, a, b, forward)) return d;
    enode = mteSlot(enode, off);
    min = a;
    max = b;
    d++;
  }
}

/**
 * Walk towards the leaf holding the window's near edge and scan it from the edge: where free
 * space is common the fit is there, for the cost of one walk. Otherwise go on from the walk's
 * path, deepest level first, through the slots beyond it (mas_empty_area climbs the same way);
 * the ancestors are already in cache, so no walk starts again from the root. The walk stops
 * early above a child that cannot hold a fit, and the climb starts there.
 */
function searchFromEdge(tree: usize, forward: bool, path: usize): bool {
  let d = edgeWalk(tree, forward, path);
  gapVisits += d + 1;
  const bottom = lvl(path, d);
  if (mteIsLeaf(lvEnode(bottom))) {
    if (searchSlots(lvEnode(bottom), lvMin(bottom), lvMax(bottom), lvOffset(bottom), forward)) {
      store<i32>(bottom, foundSlot, 24);
      fitDepth = d;
      return true;
    }
    d--;
  }
  for (; d >= 0; d--) {
    const lv = lvl(path, d);
    const off = lvOffset(lv);
    if (forward ? off == lvEnd(lv) : off == 0) continue;
    if (searchSlots(lvEnode(lv), lvMin(lv), lvMax(lv), forward ? off + 1 : off - 1, forward)) return true;
  }
  return false;
}

/**
 * Lowest (forward) or highest start of `size` free indices inside [min, max]. Returns 0 with
 * the start in *out, -EINVAL for bad arguments (min > max, size 0, a window smaller than
 * size), or -EBUSY when nothing fits. The walk is recorded in path (MAPLE_HEIGHT_MAX levels;
 * 0: the search's own), and fitDepth says whether it leads to the fit.
 */
export function mtEmptyArea(tree: usize, min: u64, max: u64, size: u64, forward: bool,
                            out: usize, path: usize = 0): i32 {
  if (min > max || size == 0 || max - min < size - 1) return -EINVAL;
  fitDepth = -1;
  gapVisits = 0;
  wantSize = size;
  winLo = min;
  winHi = max;
  if (!treeHasNodes(tree)) {
    // No node: everything is free but index 0 when a lone entry holds it (mas_sparse_area).
    if (treeRoot(tree) != 0 && min == 0) winLo = 1;
    if (winLo > max || !fits(winLo, MAPLE_MAX, forward)) return -EBUSY;
  } else if (!searchFromEdge(tree, forward, path != 0 ? path : nearPath)) {
    return -EBUSY;
  }
  store<u64>(out, foundAt);
  return 0;
}

/**
 * mtree_alloc_range / mtree_alloc_rrange: find `size` free indices in [min, max] (lowest, or
 * highest when !forward) and insert entry there. 0 with the start in *out, -EINVAL on a tree
 * that does not track gaps or for bad arguments, -EBUSY when full, -ENOMEM.
 */
export function mtAllocRange(tree: usize, size: u64, entry: u64, min: u64, max: u64,
                             forward: bool, gfp: u32, out: usize): i32 {
  if (!mtIsAlloc(tree)) return -EINVAL;
  const r = mtEmptyArea(tree, min, max, size, forward, out);
  if (r < 0) return r;
  const start = load<u64>(out);
  return mtInsertRange(tree, start, start + size - 1, entry, gfp);
}

/**
 * mtree_alloc_cyclic: allocate one index in [min, max] at or after *next, wrapping to min
 * when nothing is free above it. Returns 1 if it wrapped (or the previous allocation took
 * the last index), 0 if not, -EBUSY when full; the index goes to *out and *next past it.
 */
export function mtAllocCyclic(tree: usize, entry: u64, min: u64, max: u64, next: usize,
                              gfp: u32, out: usize): i32 {
  if (!mtIsAlloc(tree)) return -EINVAL;
  if (min > max) return -EINVAL;
  const from = load<u64>(next) > min ? load<u64>(next) : min;
  let r = from <= max ? mtEmptyArea(tree, from, max, 1, true, out) : -EBUSY;
  if (r == 0 && (treeFlags(tree) & MT_FLAGS_ALLOC_WRAPPED) != 0) {
    setTreeFlags(tree, treeFlags(tree) & ~MT_FLAGS_ALLOC_WRAPPED);
    r = 1;
  }
  if (r < 0 && from > min) {
    r = mtEmptyArea(tree, min, max, 1, true, out);
    if (r == 0) r = 1;
  }
  if (r < 0) return r;
  const start = load<u64>(out);
  const w = mtInsertRange(tree, start, start, entry, gfp);
  if (w < 0) return w;
  store<u64>(next, start + 1);
  if (start == MAPLE_MAX) setTreeFlags(tree, treeFlags(tree) | MT_FLAGS_ALLOC_WRAPPED);
  return r;
}
