// mt_validate and mt_dump.
//
// validateTree checks every invariant the kernel's mt_validate checks, in one pass over the tree:
// node shape (pivots strictly ascending inside [min, max], the end's pivot equal to max, nothing
// after the end, metadata agreeing), leaves (no two adjacent NULL ranges, even across leaves; no
// leaf but the last ending on NULL), internal nodes (no NULL child, children's parent links and
// slot numbers right, minimum occupancy below the root), every leaf at depth height - 1, and the
// node count the tree keeps. The first violation is reported as a code plus node, offset, depth.

import { MAPLE_MAX, DEBUG } from './config';
import {
  MAPLE_LEAF_64, MAPLE_ARANGE_64,
  mteToNode, mteNodeType, maIsLeaf, pivotAt, slotAt, metaEnd, metaGap, mtSlots, mtPivots,
  mtMinEnd, mteDataEnd, mteSlot, gapAt, aMetaGap,
  parentWord, mteIsRoot, mteRootTree, mteParent, mteParentSlot, mteParentIsArange, mteIsDead,
  slotMax,
} from './node';
import { treeRoot, treeHeight, treeNodes, treeFlags, mtInternalType } from './tree';

/** Violation codes; src/ maps them to messages. */
export const V_OK = 0;
export const V_ROOT_PARENT = 1;
export const V_PIVOT_ORDER = 2;
export const V_PIVOT_RANGE = 3;
export const V_END_PIVOT = 4;
export const V_BEYOND_END = 5;
export const V_ADJACENT_NULL = 6;
export const V_LEAF_ENDS_NULL = 7;
export const V_NULL_CHILD = 8;
export const V_PARENT_LINK = 9;
export const V_DEPTH = 10;
export const V_UNDERFLOW = 11;
export const V_ROOT_CHILDREN = 12;
export const V_METADATA = 13;
export const V_NODE_COUNT = 14;
export const V_DEAD_NODE = 15;
export const V_NODE_TYPE = 16;
export const V_GAP = 17;

/** Where the first violation was found: node address, offset, depth. */
export const VAL_INFO: usize = memory.data(16, 8);

let lastWasNull: bool = false;
let seen: u32 = 0;
let leafDepth: i32 = 0;
let internalType: u32 = 0;

function fail(code: i32, node: usize, offset: i32, depth: i32): i32 {
  store<u32>(VAL_INFO, <u32>node, 0);
  store<i32>(VAL_INFO, offset, 4);
  store<i32>(VAL_INFO, depth, 8);
  return code;
}

export function validateTree(tree: usize): i32 {
  const height = treeHeight(tree);
  if (height == 0) {
    if (treeNodes(tree) != 0) return fail(V_NODE_COUNT, 0, 0, 0);
    return V_OK;
  }
  const root = treeRoot(tree);
  const node = mteToNode(root);
  if (!mteIsRoot(node) || mteRootTree(node) != tree) return fail(V_ROOT_PARENT, node, 0, 0);
  lastWasNull = false;
  seen = 0;
  leafDepth = height - 1;
  internalType = mtInternalType(tree);
  const r = validateNode(root, 0, MAPLE_MAX, 0);
  if (r != V_OK) return r;
  if (seen != treeNodes(tree)) return fail(V_NODE_COUNT, node, <i32>seen, 0);
  return V_OK;
}

// The largest gap of the subtree validateNode just checked.
let subtreeGap: u64 = 0;

function validateNode(enode: u64, min: u64, max: u64, depth: i32): i32 {
  const node = mteToNode(enode);
  const type = mteNodeType(enode);
  seen++;
  if (mteIsDead(node)) return fail(V_DEAD_NODE, node, 0, depth);
  const leaf = maIsLeaf(type);
  const expected = leaf ? MAPLE_LEAF_64 : internalType;
  if (type != expected) return fail(V_NODE_TYPE, node, 0, depth);
  if (leaf != (depth == leafDepth)) return fail(V_DEPTH, node, 0, depth);

  const slots = mtSlots(type);
  const pivots = mtPivots(type);
  const arange = type == MAPLE_ARANGE_64;
  const end = mteDataEnd(enode, max);
  if (end >= slots) return fail(V_METADATA, node, end, depth);
  if (end < pivots && pivotAt(node, end) != max) return fail(V_END_PIVOT, node, end, depth);
  if (!arange && end < slots - 1 && (metaEnd(node) != end || metaGap(node) != 0)) {
    return fail(V_METADATA, node, end, depth);
  }
  for (let i = end + 1; i < pivots; i++) {
    if (pivotAt(node, i) != 0) return fail(V_BEYOND_END, node, i, depth);
  }
  // range_64 keeps its metadata in the last slot; arange_64 has a field of its own.
  const slotEnd = arange ? slots : slots - 1;
  for (let i = end + 1; i < slotEnd; i++) {
    if (mteSlot(enode, i) != 0 || (arange && gapAt(node, i) != 0)) {
      return fail(V_BEYOND_END, node, i, depth);
    }
  }
  let prev = min;
  for (let i = 0; i < end && i < pivots; i++) {
    const p = pivotAt(node, i);
    if (p < min || p > max) return fail(V_PIVOT_RANGE, node, i, depth);
    if (i > 0 && p <= prev) return fail(V_PIVOT_ORDER, node, i, depth);
    prev = p;
  }
  if (end > 0 && prev >= max) return fail(V_PIVOT_ORDER, node, end, depth);

  if (depth > 0 && end < mtMinEnd(type)) return fail(V_UNDERFLOW, node, end, depth);

  if (leaf) {
    let lo = min;
    let gap: u64 = 0;
    for (let i = 0; i <= end; i++) {
      const hi = slotMax(node, i, end, max);
      const isNull = slotAt(node, i) == 0;
      if (isNull && lastWasNull) return fail(V_ADJACENT_NULL, node, i, depth);
      if (isNull && hi - lo + 1 > gap) gap = hi - lo + 1;
      lastWasNull = isNull;
      lo = hi + 1;
    }
    if (lastWasNull && max != MAPLE_MAX) return fail(V_LEAF_ENDS_NULL, node, end, depth);
    subtreeGap = gap;
    return V_OK;
  }

  if (depth == 0 && end < 1) return fail(V_ROOT_CHILDREN, node, end, depth);
  let childMin = min;
  let best: u64 = 0;
  for (let i = 0; i <= end; i++) {
    const child = mteSlot(enode, i);
    if (child == 0) return fail(V_NULL_CHILD, node, i, depth);
    const cnode = mteToNode(child);
    if (mteIsRoot(cnode) || mteParent(cnode) != node || mteParentSlot(cnode) != i ||
        mteParentIsArange(cnode) != arange) {
      return fail(V_PARENT_LINK, cnode, i, depth + 1);
    }
    const childMax = slotMax(node, i, end, max);
    const r = validateNode(child, childMin, childMax, depth + 1);
    if (r != V_OK) return r;
    if (arange && gapAt(node, i) != subtreeGap) return fail(V_GAP, node, i, depth);
    if (subtreeGap > best) best = subtreeGap;
    childMin = childMax + 1;
  }
  if (arange && (aMetaGap(node) > end || gapAt(node, aMetaGap(node)) != best)) {
    return fail(V_METADATA, node, aMetaGap(node), depth);
  }
  subtreeGap = best;
  return V_OK;
}

// ── dump ─────────────────────────────────────────────────────────────────────

// mt_dump, streamed: dumpBegin sets up a walk in a caller's 1 KiB state object, and each
// dumpChunk writes the next whole lines into a caller's buffer, so a dump of any size needs no
// memory beyond those two (a walk's ma_state and batch page, lent by the facade).
//
// Dump state (1 KiB):
//   0 tree u32 · 4 depth i32 (-1: done) · 8 phase i32 (0: header line next)
//   16 + 40 d: level d: enode u64, min u64, max u64, lo u64 (start of slot i), i i32 (-1: the
//   node's own line next), gapDone i32 (arange: slot i's gap line written)

// @ts-ignore: decorator
@inline const D_TREE: usize = 0;
// @ts-ignore: decorator
@inline const D_DEPTH: usize = 4;
// @ts-ignore: decorator
@inline const D_PHASE: usize = 8;
// @ts-ignore: decorator
@inline const D_LEVELS: usize = 16;
// @ts-ignore: decorator
@inline const D_LEVEL: usize = 40;
/** Longest line a dump writes: indent (2 per level), two 20-digit numbers, two hex words... */
// @ts-ignore: decorator
@inline const MAX_LINE: usize = 256;

let out: usize = 0;
let outCap: usize = 0;
let outLen: usize = 0;

// @ts-ignore: decorator
@inline function dlv(st: usize, d: i32): usize { return st + D_LEVELS + <usize>d * D_LEVEL; }

function putByte(b: u8): void {
  if (DEBUG) assert(outLen < outCap, 'dump: line past the buffer');
  store<u8>(out + outLen, b);
  outLen++;
}

function putText(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) putByte(<u8>s.charCodeAt(i));
}

function putDec(v: u64): void {
  let tmp = v;
  let n = 1;
  while (tmp >= 10) { tmp /= 10; n++; }
  if (DEBUG) assert(outLen + <usize>n <= outCap, 'dump: line past the buffer');
  for (let i = n - 1; i >= 0; i--) {
    store<u8>(out + outLen + <usize>i, <u8>(48 + <i32>(v % 10)));
    v /= 10;
  }
  outLen += <usize>n;
}

function putHex(v: u64): void {
  putText('0x');
  let started = false;
  for (let shift = 60; shift >= 0; shift -= 4) {
    const d = <i32>(v >> <u64>shift) & 0xF;
    if (d != 0 || started || shift == 0) {
      putByte(<u8>(d < 10 ? 48 + d : 87 + d));
      started = true;
    }
  }
}

function indent(depth: i32): void {
  for (let i = 0; i < depth; i++) putText('  ');
}

function pushLevel(st: usize, d: i32, enode: u64, min: u64, max: u64): void {
  const lv = dlv(st, d);
  store<u64>(lv, enode, 0);
  store<u64>(lv, min, 8);
  store<u64>(lv, max, 16);
  store<u64>(lv, min, 24);
  store<i32>(lv, -1, 32);
  store<i32>(lv, 0, 36);
  store<i32>(st, d, D_DEPTH);
}

/** Start a dump of tree into the state object st. */
export function dumpBegin(tree: usize, st: usize): void {
  store<u32>(st, <u32>tree, D_TREE);
  store<i32>(st, 0, D_DEPTH);
  store<i32>(st, 0, D_PHASE);
}

/**
 * Write the next whole lines of the dump into buf (cap bytes, at least MAX_LINE); returns how
 * many bytes, 0 once the dump is complete. The tree must not change between two calls.
 */
export function dumpChunk(st: usize, buf: usize, cap: usize): usize {
  out = buf;
  outCap = cap;
  outLen = 0;
  const tree = <usize>load<u32>(st, D_TREE);
  while (outLen + MAX_LINE <= outCap) {
    let d = load<i32>(st, D_DEPTH);
    if (d < 0) break;
    if (load<i32>(st, D_PHASE) == 0) {
      // The tree's own line, then its root.
      store<i32>(st, 1, D_PHASE);
      const height = treeHeight(tree);
      putText('maple_tree '); putHex(<u64>tree);
      putText(' flags '); putDec(<u64>treeFlags(tree));
      putText(' height '); putDec(<u64>height);
      putText(' root '); putHex(treeRoot(tree));
      putByte(10);
      if (height == 0) {
        const root = treeRoot(tree);
        if (root != 0) { putText('0-0: '); putHex(root); putByte(10); }
        store<i32>(st, -1, D_DEPTH);
      } else {
        pushLevel(st, 0, treeRoot(tree), 0, MAPLE_MAX);
      }
      continue;
    }
    const lv = dlv(st, d);
    const enode = load<u64>(lv, 0);
    const min = load<u64>(lv, 8);
    const max = load<u64>(lv, 16);
    const i = load<i32>(lv, 32);
    const node = mteToNode(enode);
    const type = mteNodeType(enode);
    const leaf = maIsLeaf(type);
    const end = mteDataEnd(enode, max);
    if (i < 0) {
      indent(d);
      putDec(min); putByte(45); putDec(max);
      putText(leaf ? ': leaf_64 ' : type == MAPLE_ARANGE_64 ? ': arange_64 ' : ': range_64 ');
      putHex(<u64>node);
      putText(' parent '); putHex(parentWord(node));
      putText(' end '); putDec(<u64>end);
      putByte(10);
      store<i32>(lv, 0, 32);
      continue;
    }
    if (i > end) {
      store<i32>(st, d - 1, D_DEPTH); // done with this node (-1: the whole dump)
      continue;
    }
    const lo = load<u64>(lv, 24);
    const hi = slotMax(node, i, end, max);
    const slot = mteSlot(enode, i);
    if (leaf) {
      indent(d + 1);
      putDec(lo); putByte(45); putDec(hi); putText(': ');
      if (slot == 0) putText('(nil)'); else putHex(slot);
      putByte(10);
    } else {
      if (type == MAPLE_ARANGE_64 && load<i32>(lv, 36) == 0) {
        indent(d + 1);
        putText('gap '); putDec(gapAt(node, i)); putByte(10);
        store<i32>(lv, 1, 36);
        continue;
      }
      store<i32>(lv, 0, 36);
      pushLevel(st, d + 1, slot, lo, hi);
    }
    store<u64>(lv, hi + 1, 24);
    store<i32>(lv, i + 1, 32);
  }
  return outLen;
}
