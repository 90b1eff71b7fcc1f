// mt_dup: a structural copy of a tree into an empty tree, sharing no nodes.
//
// Every node is allocated before the copy is linked in, so ENOMEM leaves the target empty and
// the pool as it was.

import { ENOMEM, MAPLE_MAX } from './config';
import { OP_DUP } from './write';
import {
  NODE_SIZE, mteToNode, mteNodeType, mtMkNode, maIsLeaf, mteSlot, mteSetSlot, mteDataEnd, slotMax,
  setParent, setRootParent,
} from './node';
import {
  treeRoot, setTreeRoot, treeHeight, setTreeHeight, treeNodes, treePool, addTreeNodes, bumpGen, seqWriteBegin, seqWriteEnd, treeFlags, setTreeFlags,
  treeCount, setTreeCount,
} from './tree';
import { nodeAlloc, nodeFree, setAllocContext } from './pool';

let copied: i32 = 0;
let failed: bool = false;

function copyNode(enode: u64, max: u64, pool: usize, gfp: u32): u64 {
  const src = mteToNode(enode);
  const type = mteNodeType(enode);
  const dst = nodeAlloc(pool, gfp);
  if (dst == 0) {
    failed = true;
    return 0;
  }
  copied++;
  memory.copy(dst, src, NODE_SIZE);
  const copy = mtMkNode(dst, type);
  if (!maIsLeaf(type)) {
    const end = mteDataEnd(enode, max);
    for (let s = 0; s <= end; s++) {
      if (failed) {
        mteSetSlot(copy, s, 0); // children not copied yet: nothing to free below here
        continue;
      }
      const child = copyNode(mteSlot(enode, s), slotMax(src, s, end, max), pool, gfp);
      mteSetSlot(copy, s, child);
      if (child != 0) setParent(mteToNode(child), dst, s, type);
    }
  }
  return copy;
}

/** Free a partial copy: only slots that were filled hold copies. */
function freeCopy(enode: u64, max: u64, pool: usize): void {
  const node = mteToNode(enode);
  if (!maIsLeaf(mteNodeType(enode))) {
    const end = mteDataEnd(enode, max);
    for (let s = 0; s <= end; s++) {
      const child = mteSlot(enode, s);
      if (child == 0) break;
      freeCopy(child, slotMax(node, s, end, max), pool);
    }
  }
  nodeFree(pool, node);
}

/** Copy src into the empty tree dst. Returns 0 or -ENOMEM (dst left empty). */
export function mtDup(src: usize, dst: usize, gfp: u32): i32 {
  const height = treeHeight(src);
  if (height == 0) {
    seqWriteBegin(dst);
    setTreeFlags(dst, treeFlags(src)); // all of them, RCU mode too, as mas_dup_build
    setTreeRoot(dst, treeRoot(src), false);
    setTreeCount(dst, treeCount(src));
    seqWriteEnd(dst);
    return 0;
  }
  copied = 0;
  failed = false;
  const pool = treePool(dst);
  setAllocContext(OP_DUP, 0);
  const root = copyNode(treeRoot(src), MAPLE_MAX, pool, gfp);
  if (failed) {
    if (root != 0) freeCopy(root, MAPLE_MAX, pool);
    return -ENOMEM;
  }
  seqWriteBegin(dst);
  bumpGen(dst);
  setTreeFlags(dst, treeFlags(src)); // all of them, RCU mode too, as mas_dup_build
  setRootParent(mteToNode(root), dst);
  setTreeRoot(dst, root, true);
  setTreeHeight(dst, height);
  addTreeNodes(dst, copied);
  setTreeCount(dst, treeCount(src));
  seqWriteEnd(dst);
  if (copied != <i32>treeNodes(src)) unreachable();
  return 0;
}
