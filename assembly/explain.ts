// Structured node records for explain() and toSVG() (src/explain.ts, src/svg.ts): one fixed-size
// record per node in depth-first order (as mt_dump prints them), without the text of a dump, so
// trees of a million ranges can be compared node by node before and after a write.
//
// Record (NODE_RECORD bytes):
//   @0  u32 node address            @4  u8 depth, @5 u8 type, @6 u8 end, @7 u8 non-NULL slots
//   @8  u64 min                     @16 u64 max
//   @24 u64 contents hash: the node's type, end, range, its slots' ranges and slot words (child
//       node addresses in internal nodes) and, in arange_64 nodes, its gaps (FNV-1a over 64-bit words, each step folded)
//   @32 u64 largest gap (arange_64: the recorded one; leaves: the largest NULL range; else 0)
//   @40 u32 parent node address (0 for the root), @44 u8 slot in the parent

import { MAPLE_MAX } from './config';
import {
  MAPLE_ARANGE_64, mteToNode, mteNodeType, maIsLeaf, mteDataEnd, mteSlot, slotMax, gapAt,
  maMaxGap, maLeafMaxGap,
} from './node';
import { treeRoot, treeHeight, treeNodes } from './tree';

// @ts-ignore: decorator
@inline const NODE_RECORD: usize = 48;

let buf: usize = 0;
let cap: usize = 0;
let count: u32 = 0;

/** Room for n records, taking fresh linear memory when needed (kept for the next call). */
function room(n: usize): void {
  const need = n * NODE_RECORD;
  if (need <= cap) return;
  let size = cap == 0 ? <usize>65536 : cap * 2;
  while (size < need) size *= 2;
  const before = memory.grow(<i32>(size >> 16));
  if (before < 0) unreachable();
  buf = <usize>before << 16;
  cap = size;
}

let h: u64 = 0;

// @ts-ignore: decorator
@inline function mix(v: u64): void {
  h = (h ^ v) * 0x100000001B3;
  h ^= h >> 29;
}

function record(enode: u64, min: u64, max: u64, depth: i32, parent: usize, slot: i32): void {
  const node = mteToNode(enode);
  const type = mteNodeType(enode);
  const leaf = maIsLeaf(type);
  const end = mteDataEnd(enode, max);
  const at = buf + <usize>count * NODE_RECORD;
  count++;
  h = 0xCBF29CE484222325;
  mix(<u64>type); mix(<u64>end); mix(min); mix(max);
  let entries = 0;
  for (let i = 0; i <= end; i++) {
    const s = mteSlot(enode, i);
    mix(slotMax(node, i, end, max)); mix(leaf ? s : <u64>mteToNode(s));
    if (type == MAPLE_ARANGE_64) mix(gapAt(node, i));
    if (leaf && s != 0) entries++;
  }
  store<u32>(at, <u32>node, 0);
  store<u8>(at, <u8>depth, 4);
  store<u8>(at, <u8>type, 5);
  store<u8>(at, <u8>end, 6);
  store<u8>(at, <u8>entries, 7);
  store<u64>(at, min, 8);
  store<u64>(at, max, 16);
  store<u64>(at, h, 24);
  store<u64>(at, type == MAPLE_ARANGE_64 ? maMaxGap(node) : leaf ? maLeafMaxGap(node, min, max) : 0, 32);
  store<u32>(at, <u32>parent, 40);
  store<u8>(at, <u8>slot, 44);
  if (leaf) return;
  let lo = min;
  for (let i = 0; i <= end; i++) {
    const hi = slotMax(node, i, end, max);
    record(mteSlot(enode, i), lo, hi, depth + 1, node, i);
    lo = hi + 1;
  }
}

/** Write one record per node of the tree (depth first); returns how many. */
export function nodeRecords(tree: usize): u32 {
  count = 0;
  if (treeHeight(tree) == 0) return 0;
  room(<usize>treeNodes(tree));
  record(treeRoot(tree), 0, MAPLE_MAX, 0, 0, 0);
  return count;
}

/** Where the last nodeRecords() wrote its records. */
export function nodeRecordsPtr(): usize {
  return buf;
}
