// 256-byte maple nodes, laid out as the kernel's struct maple_node.
//
// range_64 / leaf_64 (16 slots, 15 pivots):
//
//   0        8                                   128                                  256
//   ┌────────┬───────────────────────────────────┬─────────────────────────────────────┐
//   │ parent │ pivot[0] ... pivot[14]  (u64 x 15) │ slot[0] ... slot[15]  (u64 x 16)    │
//   └────────┴───────────────────────────────────┴─────────────────────────────────────┘
//                                                  metadata lives in slot[15] when the
//                                                  node is not full: byte 248 = end,
//                                                  byte 249 = offset of the largest gap
//
// arange_64 (10 slots, 9 pivots, 10 gaps; allocation-range trees, reserved for gap tracking):
//   parent @0, pivot[9] @8, slot[10] @80, gap[10] @160, metadata @240.
//
// Slot i covers [pivot[i-1] + 1, pivot[i]] (slot 0 starts at the node's min). The last used slot
// ("end") covers up to the node's max; when end < 15 its pivot is stored too and equals max, and
// every pivot after end is 0. So end is read as the kernel does: pivot[14] == 0 means "look in
// the metadata", pivot[14] == max means end 14, anything else means the node is full (end 15).
//
// Encoded nodes (enode), as stored in a parent's slot or the tree's root:
//   bits 8..31 node address (nodes are 256-byte aligned), bits 3..6 node type.
// Parent word (the node's first 8 bytes):
//   root node:     tree header address | 1
//   other nodes:   parent address | (slot offset << 3) | (2 if the parent is arange_64)
// A node on a free list has parent == its own address (the kernel's "dead node" mark).

import { MAPLE_MAX, SHARED } from './config';

// @ts-ignore: decorator
@inline export const NODE_SIZE: usize = 256;
// @ts-ignore: decorator
@inline export const NODE_SHIFT: usize = 8;

/** Node types, numbered as the kernel's enum maple_type. */
// @ts-ignore: decorator
@inline export const MAPLE_DENSE: u32 = 0;
// @ts-ignore: decorator
@inline export const MAPLE_LEAF_64: u32 = 1;
// @ts-ignore: decorator
@inline export const MAPLE_RANGE_64: u32 = 2;
// @ts-ignore: decorator
@inline export const MAPLE_ARANGE_64: u32 = 3;

// @ts-ignore: decorator
@inline export const RANGE64_SLOTS: i32 = 16;
// @ts-ignore: decorator
@inline export const RANGE64_PIVOTS: i32 = 15;
// @ts-ignore: decorator
@inline export const ARANGE64_SLOTS: i32 = 10;
/** A non-root range_64 node keeps its end offset at or above this (mt_min_slots). */
// @ts-ignore: decorator
@inline export const RANGE64_MIN_END: i32 = 6;

// Field offsets (range_64 / leaf_64).
// @ts-ignore: decorator
@inline const PARENT: usize = 0;
// @ts-ignore: decorator
@inline const PIVOTS: usize = 8;
// @ts-ignore: decorator
@inline const SLOTS: usize = 128;
// @ts-ignore: decorator
@inline const META_END: usize = 248;
// @ts-ignore: decorator
@inline const META_GAP: usize = 249;

// Parent word bits.
// @ts-ignore: decorator
@inline const PARENT_ROOT: u64 = 1;
// @ts-ignore: decorator
@inline const PARENT_ARANGE: u64 = 2;
// @ts-ignore: decorator
@inline const PARENT_SLOT_SHIFT: u64 = 3;

// ── encoded nodes ────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function mtMkNode(node: usize, type: u32): u64 {
  return <u64>node | (<u64>type << 3);
}
// @ts-ignore: decorator
@inline export function mteToNode(enode: u64): usize {
  return <usize>(enode & ~(<u64>0xFF));
}
// @ts-ignore: decorator
@inline export function mteNodeType(enode: u64): u32 {
  return <u32>(enode >> 3) & 0xF;
}
// @ts-ignore: decorator
@inline export function maIsLeaf(type: u32): bool {
  return type < MAPLE_RANGE_64;
}
// @ts-ignore: decorator
@inline export function mteIsLeaf(enode: u64): bool {
  return maIsLeaf(mteNodeType(enode));
}

// ── pivots and slots ─────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function pivotAt(node: usize, i: i32): u64 {
  return load<u64>(node + (<usize>i << 3), PIVOTS);
}
// @ts-ignore: decorator
@inline export function setPivot(node: usize, i: i32, v: u64): void {
  store<u64>(node + (<usize>i << 3), v, PIVOTS);
}
// Slots are read with atomic loads in the shared build (rcu_dereference: a writer publishes a
// child or an entry with one atomic store); on x86-64 both compile to a plain move. Pivots stay
// plain loads (the pivot search reads 15 at once with SIMD, which has no atomic form), as the
// kernel's are: in RCU mode a live node's pivot changes only in a slot store, which writes the
// slot first, and a pivot read from a node that died meanwhile is discarded by the dead check.
// @ts-ignore: decorator
@inline export function slotAt(node: usize, i: i32): u64 {
  const at = node + (<usize>i << 3) + SLOTS;
  return SHARED ? atomic.load<u64>(at) : load<u64>(at);
}
// @ts-ignore: decorator
@inline export function setSlot(node: usize, i: i32, v: u64): void {
  store<u64>(node + (<usize>i << 3), v, SLOTS);
}
// @ts-ignore: decorator
@inline export function metaEnd(node: usize): i32 {
  return load<u8>(node, META_END);
}
// @ts-ignore: decorator
@inline export function metaGap(node: usize): i32 {
  return load<u8>(node, META_GAP);
}

/** Record end in the metadata, which only exists while slot[15] is unused. */
// @ts-ignore: decorator
@inline export function setMetaEnd(node: usize, end: i32): void {
  if (end < RANGE64_SLOTS - 1) {
    store<u8>(node, <u8>end, META_END);
    store<u8>(node, 0, META_GAP);
  }
}

/**
 * Move slots i..end of a range_64 / leaf_64 node k places right, with their pivots (the end's
 * pivot, the node's max, only while it lands on a pivot: past slot 14 it is implied). Slots
 * i..i+k-1 keep stale copies for the caller to overwrite; end + k must be at most 15.
 */
export function maShiftRight(node: usize, i: i32, end: i32, k: i32): void {
  const pivots = min(end, RANGE64_PIVOTS - 1 - k) - i + 1;
  if (pivots > 0) {
    memory.copy(node + PIVOTS + (<usize>(i + k) << 3), node + PIVOTS + (<usize>i << 3),
                <usize>pivots << 3);
  }
  memory.copy(node + SLOTS + (<usize>(i + k) << 3), node + SLOTS + (<usize>i << 3),
              <usize>(end - i + 1) << 3);
}

/** Offset of the last used slot of a node whose range ends at max (mas_data_end). */
// @ts-ignore: decorator
@inline export function maDataEnd(node: usize, max: u64): i32 {
  const last = pivotAt(node, RANGE64_PIVOTS - 1);
  if (last == 0) return metaEnd(node);
  return last == max ? RANGE64_PIVOTS - 1 : RANGE64_PIVOTS;
}

/** First index covered by slot i of a node starting at min. */
// @ts-ignore: decorator
@inline export function slotMin(node: usize, i: i32, min: u64): u64 {
  return i == 0 ? min : pivotAt(node, i - 1) + 1;
}

/** Last index covered by slot i of a node ending at max with the given end. */
// @ts-ignore: decorator
@inline export function slotMax(node: usize, i: i32, end: i32, max: u64): u64 {
  return i < end ? pivotAt(node, i) : max;
}

/**
 * Rewrite a node's pivots and slots from arrays of (range max, slot) pairs, clearing whatever
 * the node held beyond the new end so that maDataEnd reads it back correctly.
 */
export function maWriteNode(node: usize, pivots: usize, slots: usize, count: i32): void {
  const end = count - 1;
  for (let i = 0; i < count; i++) {
    if (i < RANGE64_PIVOTS) setPivot(node, i, load<u64>(pivots + (<usize>i << 3)));
    setSlot(node, i, load<u64>(slots + (<usize>i << 3)));
  }
  for (let i = count; i < RANGE64_SLOTS; i++) {
    if (i < RANGE64_PIVOTS) setPivot(node, i, 0);
    setSlot(node, i, 0);
  }
  setMetaEnd(node, end);
}

// ── parent links ─────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function parentWord(node: usize): u64 {
  return SHARED ? atomic.load<u64>(node + PARENT) : load<u64>(node, PARENT);
}
// @ts-ignore: decorator
@inline export function mteIsRoot(node: usize): bool {
  return (parentWord(node) & PARENT_ROOT) != 0;
}
// @ts-ignore: decorator
@inline export function mteParent(node: usize): usize {
  return <usize>(parentWord(node) & ~(<u64>0xFF));
}
// @ts-ignore: decorator
@inline export function mteParentSlot(node: usize): i32 {
  return <i32>(parentWord(node) >> PARENT_SLOT_SHIFT) & 0xF;
}
// @ts-ignore: decorator
@inline export function mteParentIsArange(node: usize): bool {
  return (parentWord(node) & PARENT_ARANGE) != 0;
}
/** The tree header a root node points back to. */
// @ts-ignore: decorator
@inline export function mteRootTree(node: usize): usize {
  return <usize>(parentWord(node) & ~PARENT_ROOT);
}
// @ts-ignore: decorator
@inline export function setParent(node: usize, parent: usize, slot: i32, parentType: u32): void {
  let w = <u64>parent | (<u64>slot << PARENT_SLOT_SHIFT);
  if (parentType == MAPLE_ARANGE_64) w |= PARENT_ARANGE;
  store<u64>(node, w, PARENT);
}
// @ts-ignore: decorator
@inline export function setRootParent(node: usize, tree: usize): void {
  store<u64>(node, <u64>tree | PARENT_ROOT, PARENT);
}
// @ts-ignore: decorator
@inline export function setNodeDead(node: usize): void {
  if (SHARED) atomic.store<u64>(node + PARENT, <u64>node); else store<u64>(node, <u64>node, PARENT);
}
// @ts-ignore: decorator
@inline export function mteIsDead(node: usize): bool {
  return parentWord(node) == <u64>node;
}

/** Whether a key range reaches the top of the key space (the rightmost node at a level). */
// @ts-ignore: decorator
@inline export function isMaxEdge(max: u64): bool {
  return max == MAPLE_MAX;
}

/**
 * Offset of the slot holding index: the first pivot at or above it, or 15 when none is.
 * Pivots past the end are 0 and the end's pivot is the node's max, so no end is needed: the
 * pivots below index form a prefix, found with all 15 compared at once (unsigned, by flipping
 * sign bits), packed to one byte mask per node, with no branch.
 */
// @ts-ignore: decorator
@inline export function maPivotSlot(node: usize, index: u64): i32 {
  const key = flipSign(i64x2.splat(<i64>index));
  // pivot 14 is loaded with slot 0 beside it: its two mask bits are dropped
  const below = pivotsBelow(node + PIVOTS, key) | ((pivotsBelow(node + PIVOTS + 64, key) & 0x3FFF) << 16);
  return ctz(~below) >> 1;
}

/** A v128 of two u64 with their sign bits flipped, so that signed compares order them unsigned. */
// @ts-ignore: decorator
@inline function flipSign(v: v128): v128 {
  return v128.xor(v, i64x2.splat(<i64>0x8000_0000_0000_0000));
}

/**
 * Which of the 8 pivots at p lie below key (sign-flipped): two mask bits each, in order (each
 * compare's lanes narrowed to bytes, then one bitmask).
 */
// @ts-ignore: decorator
@inline function pivotsBelow(p: usize, key: v128): i32 {
  const c0 = i64x2.lt_s(flipSign(v128.load(p, 0)), key);
  const c1 = i64x2.lt_s(flipSign(v128.load(p, 16)), key);
  const c2 = i64x2.lt_s(flipSign(v128.load(p, 32)), key);
  const c3 = i64x2.lt_s(flipSign(v128.load(p, 48)), key);
  return i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(c0, c1), i16x8.narrow_i32x4_s(c2, c3)));
}

// ── arange_64 and type-generic access ────────────────────────────────────────
//
// Internal nodes of allocation-range trees are arange_64: 9 pivots, 10 slots, and for each slot
// the largest gap (NULL range size) below it; their metadata always holds the end (no pivot
// test, as the kernel's mas_data_end does for this type) and the offset of the largest gap.
//
//   0        8                 80                 160                240   241
//   ┌────────┬─────────────────┬──────────────────┬──────────────────┬─────┬─────┬─────┐
//   │ parent │ pivot[0..8]     │ slot[0..9]       │ gap[0..9]        │ end │ gap │ pad │
//   └────────┴─────────────────┴──────────────────┴──────────────────┴─────┴─────┴─────┘
//
// Leaves are leaf_64 in every tree. The mte* accessors below take the encoded node, so they
// work for any type; the plain ones above are for leaf_64 / range_64 only.

// @ts-ignore: decorator
@inline export const ARANGE64_PIVOTS: i32 = 9;
/** A non-root arange_64 node keeps its end offset at or above this (mt_min_slots). */
// @ts-ignore: decorator
@inline export const ARANGE64_MIN_END: i32 = 4;
// @ts-ignore: decorator
@inline const A_SLOTS: usize = 80;
// @ts-ignore: decorator
@inline const A_GAPS: usize = 160;
// @ts-ignore: decorator
@inline const A_META_END: usize = 240;
// @ts-ignore: decorator
@inline const A_META_GAP: usize = 241;

// @ts-ignore: decorator
@inline export function mtSlots(type: u32): i32 {
  return type == MAPLE_ARANGE_64 ? ARANGE64_SLOTS : RANGE64_SLOTS;
}
// @ts-ignore: decorator
@inline export function mtPivots(type: u32): i32 {
  return type == MAPLE_ARANGE_64 ? ARANGE64_PIVOTS : RANGE64_PIVOTS;
}
// @ts-ignore: decorator
@inline export function mtMinEnd(type: u32): i32 {
  return type == MAPLE_ARANGE_64 ? ARANGE64_MIN_END : RANGE64_MIN_END;
}
// @ts-ignore: decorator
@inline function slotBase(type: u32): usize {
  return type == MAPLE_ARANGE_64 ? A_SLOTS : SLOTS;
}

// A walk that misses in cache waits twice per node: for the pivots, then for the line holding
// the slot its pivot search chose. Asking for the node's upper slot line (range_64: slots 8-15;
// arange_64: slots 6-9) alongside the pivots overlaps the two waits: loads over 1,000,000
// ranges went 14-22% faster in an A/B, while asking for the lower slot line as well, or alone,
// gained nothing. Wasm has no prefetch instruction: a plain load whose value goes to a global
// stands in for one (a value nobody reads would be optimised away).
let slotLineSink: u64 = 0;

/** Start reading the node's upper slot line before searching its pivots (see above). */
// @ts-ignore: decorator
@inline export function mtePrefetchSlots(enode: u64): void {
  const line: usize = mteNodeType(enode) == MAPLE_ARANGE_64 ? 128 : 192;
  slotLineSink = load<u64>(mteToNode(enode) + line);
}

/**
 * Start fetching a whole node a walk will enter soon (wasm has no prefetch instruction): a load
 * from each of its cache lines, kept in a sink so that it is not dropped.
 */
// @ts-ignore: decorator
@inline export function mteTouch(enode: u64): void {
  slotLineSink = nodeLines(mteToNode(enode));
}

/** A word from each of a node's four cache lines, combined (for a sink: see mteTouch). */
// @ts-ignore: decorator
@inline export function nodeLines(node: usize): u64 {
  return load<u64>(node) ^ load<u64>(node, 64) ^ load<u64>(node, 128) ^ load<u64>(node, 192);
}

// @ts-ignore: decorator
@inline export function mteSlot(enode: u64, i: i32): u64 {
  const at = mteToNode(enode) + slotBase(mteNodeType(enode)) + (<usize>i << 3);
  return SHARED ? atomic.load<u64>(at) : load<u64>(at);
}
/** Address of slot i of any node (for an atomic store that publishes a child). */
// @ts-ignore: decorator
@inline export function mteSlotAddr(enode: u64, i: i32): usize {
  return mteToNode(enode) + slotBase(mteNodeType(enode)) + (<usize>i << 3);
}
// @ts-ignore: decorator
@inline export function mteSetSlot(enode: u64, i: i32, v: u64): void {
  const node = mteToNode(enode);
  store<u64>(node + slotBase(mteNodeType(enode)) + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline export function gapAt(node: usize, i: i32): u64 {
  return load<u64>(node + (<usize>i << 3), A_GAPS);
}
// @ts-ignore: decorator
@inline export function setGap(node: usize, i: i32, v: u64): void {
  store<u64>(node + (<usize>i << 3), v, A_GAPS);
}
// @ts-ignore: decorator
@inline export function aMetaEnd(node: usize): i32 {
  return load<u8>(node, A_META_END);
}
// @ts-ignore: decorator
@inline export function aMetaGap(node: usize): i32 {
  return load<u8>(node, A_META_GAP);
}
// @ts-ignore: decorator
@inline export function setAMetaGap(node: usize, off: i32): void {
  store<u8>(node, <u8>off, A_META_GAP);
}

/** Offset of the last used slot of any node (mas_data_end). */
// @ts-ignore: decorator
@inline export function mteDataEnd(enode: u64, max: u64): i32 {
  const node = mteToNode(enode);
  return mteNodeType(enode) == MAPLE_ARANGE_64 ? aMetaEnd(node) : maDataEnd(node, max);
}

/**
 * Slot holding index in any node whose range holds index: the first pivot at or above it, else
 * the last slot. The end's pivot is the node's max, so the scan stops by the end without
 * reading the metadata (another cache line, and a load the search would wait on).
 */
// @ts-ignore: decorator
@inline export function mtePivotSlot(enode: u64, index: u64): i32 {
  const node = mteToNode(enode);
  return mteNodeType(enode) != MAPLE_ARANGE_64 ? maPivotSlot(node, index) : aPivotSlot(node, index);
}

/**
 * maPivotSlot for an arange_64 node: its first 8 pivots compared at once as range_64's are, the
 * ninth beside them, the prefix below index counted without a branch (a loop over them
 * mispredicted about once a level on random keys).
 */
// @ts-ignore: decorator
@inline function aPivotSlot(node: usize, index: u64): i32 {
  const eighth = select<i32>(3, 0, pivotAt(node, ARANGE64_PIVOTS - 1) < index);
  const below = pivotsBelow(node + PIVOTS, flipSign(i64x2.splat(<i64>index))) | (eighth << 16);
  return ctz(~below) >> 1;
}

/**
 * Last index covered by slot i, for i at or before the node's end (mas_safe_pivot): its pivot,
 * or max for the slot past the last pivot. Needs no end, since the end's pivot is max.
 */
// @ts-ignore: decorator
@inline export function safePivot(node: usize, i: i32, pivots: i32, max: u64): u64 {
  return i < pivots ? pivotAt(node, i) : max;
}

/** Largest gap recorded in an arange_64 node (at its metadata's gap offset). */
// @ts-ignore: decorator
@inline export function maMaxGap(node: usize): u64 {
  return gapAt(node, aMetaGap(node));
}

/**
 * Rewrite any node from (range max, slot[, gap]) arrays, as maWriteNode does for range_64;
 * an arange_64 node also takes its gaps and records the end and the largest gap's offset.
 */
export function mteWriteNode(node: usize, type: u32, pivots: usize, slots: usize, gaps: usize,
                             count: i32): void {
  if (type != MAPLE_ARANGE_64) {
    maWriteNode(node, pivots, slots, count);
    return;
  }
  let best = 0;
  for (let i = 0; i < ARANGE64_SLOTS; i++) {
    const live = i < count;
    if (i < ARANGE64_PIVOTS) setPivot(node, i, live ? load<u64>(pivots + (<usize>i << 3)) : 0);
    store<u64>(node + A_SLOTS + (<usize>i << 3), live ? load<u64>(slots + (<usize>i << 3)) : 0);
    const gap = live ? load<u64>(gaps + (<usize>i << 3)) : 0;
    setGap(node, i, gap);
    if (live && gap > gapAt(node, best)) best = i;
  }
  store<u8>(node, <u8>(count - 1), A_META_END);
  setAMetaGap(node, best);
  store<u16>(node, 0, A_META_GAP + 1);
}

/** Largest NULL range in a leaf spanning [min, max] (mas_leaf_max_gap). */
export function maLeafMaxGap(node: usize, min: u64, max: u64): u64 {
  const end = maDataEnd(node, max);
  let best: u64 = 0;
  let lo = min;
  for (let i = 0; i <= end; i++) {
    const hi = slotMax(node, i, end, max);
    if (slotAt(node, i) == 0 && hi - lo + 1 > best) best = hi - lo + 1;
    lo = hi + 1;
  }
  return best;
}
