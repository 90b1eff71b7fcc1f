// Preallocation: the worst-case node count of a write, and the reserve that holds those nodes.
//
// Every write that may allocate first computes its node request from its store type and the
// walk it made (mas_prealloc_calc), fills the reserve of its ma_state with that many nodes, and
// only then changes the tree, taking nodes from the reserve alone. Running dry is a bug (the
// debug build asserts), so a write whose reserve was filled cannot fail.
//
// Requests, h = tree height, s = levels a split or rebalance can climb (the leaf plus the
// consecutive full, resp. minimally filled, ancestors above it). Each such level is replaced by
// at most two new nodes, but a splitting leaf keeps its first half in place; the level above
// takes them in place (a non-RCU node store), so only a split that reaches the root needs one
// more node, the new root:
//   exact fit, append, slot store, node store, store root, empty the tree   0
//   new root (a lone entry or empty tree grows a leaf)                       1
//   split into a sibling with room (a push, in place)                        0
//   split                                                                    2s - 1, or 2h
//   rebalance                                                                2s
//   spanning store (up to three nodes a level below the deepest ancestor      3(ld - d) + 1
//   that takes the change without splitting or underflowing, d, or a new root)
// In RCU mode (mt_in_rcu) no node readers may be in is rewritten: a node store takes 1 new node,
// a split or rebalance one more for the level that takes the new nodes (2s + 1), and a split
// never pushes in place.

import { DEBUG, ENOMEM } from './config';
import { mteNodeType, mtSlots, mtMinEnd } from './node';
import { lvl, lvEnd, lvEnode } from './tree';
import {
  nodeAlloc, nodeAllocChain, nodeFreeChain, emergencyAlloc, poolEmergency, GFP_NOWAIT, addPoolReserved,
} from './pool';

/** Store types (the kernel's enum store_type, plus the no-op and empty-tree cases). */
export const WR_INVALID = 0;
export const WR_NEW_ROOT = 1;
export const WR_STORE_ROOT = 2;
export const WR_EXACT_FIT = 3;
export const WR_SPANNING_STORE = 4;
export const WR_SPLIT_STORE = 5;
export const WR_REBALANCE = 6;
export const WR_APPEND = 7;
export const WR_NODE_STORE = 8;
export const WR_SLOT_STORE = 9;
export const WR_NOOP = 10;
export const WR_EMPTY = 11;
export const WR_TYPES = 12;

// ma_state fields used here (see walk.ts for the layout).
// @ts-ignore: decorator
@inline const S_RESERVE: usize = 40;
// @ts-ignore: decorator
@inline const S_RESERVED: usize = 44;

// @ts-ignore: decorator
@inline const S_POOL: usize = 56;

// @ts-ignore: decorator
@inline export function reserved(mas: usize): i32 { return load<i32>(mas, S_RESERVED); }

/** Take a node from a state's reserve; 0 when it is empty. */
export function reservePop(mas: usize): usize {
  const node = <usize>load<u32>(mas, S_RESERVE);
  if (node == 0) return 0;
  store<u32>(mas, load<u32>(node, 8), S_RESERVE);
  store<i32>(mas, reserved(mas) - 1, S_RESERVED);
  addPoolReserved(load<usize>(mas, S_POOL), -1);
  return node;
}

/** Put a (live, unlinked) node into a state's reserve. */
export function reservePush(mas: usize, node: usize): void {
  store<u64>(node, 0);
  store<u32>(node, load<u32>(mas, S_RESERVE), 8);
  store<u32>(mas, <u32>node, S_RESERVE);
  store<i32>(mas, reserved(mas) + 1, S_RESERVED);
  addPoolReserved(load<usize>(mas, S_POOL), 1);
}

/**
 * Fill a state's reserve to `want` nodes: first without blocking, then, from the first failure
 * on, with the caller's gfp (mas_alloc_nodes, then mas_nomem). Returns 0 or -ENOMEM; on failure
 * the nodes already reserved stay reserved (the caller decides whether to keep them). With no
 * fault armed the nodes come off the free list as one chain: a spanning store's worst case is
 * 3h + 1 nodes, most of which go straight back. A freeing write (an erase, a NULL store) passes
 * `freeing`: when the normal path fails it takes the rest from the pool's emergency reserve.
 */
export function reserveFill(mas: usize, pool: usize, want: i32, gfp: u32, freeing: bool = false): i32 {
  const need = want - reserved(mas);
  if (need <= 0) return 0;
  const first = nodeAllocChain(pool, <u32>need, <usize>load<u32>(mas, S_RESERVE));
  if (first != 0) {
    store<u32>(mas, <u32>first, S_RESERVE);
    store<i32>(mas, want, S_RESERVED);
    addPoolReserved(load<usize>(mas, S_POOL), need);
    return 0;
  }
  let mode = GFP_NOWAIT;
  while (reserved(mas) < want) {
    let node = nodeAlloc(pool, mode);
    if (node == 0 && mode != gfp) {
      mode = gfp;
      node = nodeAlloc(pool, mode);
    }
    // Only when the emergency reserve covers all that is still missing: else it stays whole.
    if (node == 0 && freeing && poolEmergency(pool) >= <u32>(want - reserved(mas))) {
      node = emergencyAlloc(pool);
    }
    if (node == 0) return -ENOMEM;
    reservePush(mas, node);
  }
  return 0;
}

/** Give every reserved node back to the pool (mas_destroy). */
export function reserveDrain(mas: usize, pool: usize): void {
  const count = reserved(mas);
  if (count == 0) return;
  nodeFreeChain(pool, <usize>load<u32>(mas, S_RESERVE), <u32>count);
  store<u32>(mas, 0, S_RESERVE);
  store<i32>(mas, 0, S_RESERVED);
  addPoolReserved(load<usize>(mas, S_POOL), -count);
}

/**
 * Nodes a write of the given type needs at most, given the walk in path to leaf depth ld.
 * A split that pushes into a sibling in place needs none.
 */
export function nodeRequest(type: i32, path: usize, rpath: usize, ld: i32, pushes: bool, rcu: bool): i32 {
  switch (type) {
    case WR_NEW_ROOT: return 1;
    // RCU mode writes a node store into a new node (mas_prealloc_calc: 1 in RCU mode).
    case WR_NODE_STORE: return rcu ? 1 : 0;
    case WR_SPLIT_STORE: {
      if (pushes) return 0;
      const s = climb(path, ld, true);
      // RCU mode: the level that takes the new nodes is a new node too, or the new root is.
      if (rcu) return 2 * s + 1;
      return s > ld ? 2 * s : 2 * s - 1;
    }
    case WR_REBALANCE: return 2 * climb(path, ld, false) + <i32>rcu;
    case WR_SPANNING_STORE: return 3 * (ld - spanStop(path, rpath, ld)) + 1;
  }
  return 0;
}

/**
 * The deepest level a spanning store's rebuild cannot climb past, or -1 (a new root may be
 * needed). Below the level where its two walks part (the node holding the whole range), every
 * level is rebuilt into at most three nodes; that node's contents come to at most one more than
 * a node holds, so it gives its parent at most one child more (two nodes) or, when it pulls a
 * sibling in, at most one fewer. Each ancestor passes on the same: a gain only if it was full, a
 * loss only if it was at its minimum. So a gain stops at the deepest ancestor with a free slot
 * (vacant), a loss at the deepest with a child to spare (sufficient: more than one above its
 * minimum; the root, more than three children), and the rebuild at the shallower of the two:
 * the kernel's vacant and sufficient heights, with its counting (mas_wr_walk, mas_prealloc_calc).
 */
function spanStop(lpath: usize, rpath: usize, ld: i32): i32 {
  let s = 0;
  while (s < ld && lvEnode(lvl(lpath, s + 1)) == lvEnode(lvl(rpath, s + 1))) s++;
  let vacant = -1;
  let sufficient = -1;
  for (let d = 0; d < s; d++) {
    const lv = lvl(lpath, d);
    const type = mteNodeType(lvEnode(lv));
    const e = lvEnd(lv);
    if (e < mtSlots(type) - 1) vacant = d;
    if (d == 0 ? e > 2 : e > mtMinEnd(type) + 1) sufficient = d;
  }
  return min(vacant, sufficient);
}

/**
 * Levels a split (full: each ancestor at its last slot) or a rebalance (each non-root ancestor
 * at its minimum) carries up: the leaf, plus the consecutive such ancestors above it.
 */
function climb(path: usize, ld: i32, split: bool): i32 {
  let s = 1;
  for (let d = ld - 1; d >= (split ? 0 : 1); d--) {
    const lv = lvl(path, d);
    const type = mteNodeType(lvEnode(lv));
    const e = lvEnd(lv);
    if (split ? e < mtSlots(type) - 1 : e > mtMinEnd(type)) break;
    s++;
  }
  return s;
}

// ── how well the requests fit ────────────────────────────────────────────────

// Per store type: writes, nodes requested, nodes used, largest (requested - used).
const FIT: usize = memory.data(WR_TYPES * 32, 8);

export function recordFit(type: i32, requested: i32, used: i32): void {
  if (DEBUG) assert(used <= requested, 'write used more nodes than its request');
  const p = FIT + (<usize>type << 5);
  store<f64>(p, load<f64>(p, 0) + 1, 0);
  store<f64>(p, load<f64>(p, 8) + requested, 8);
  store<f64>(p, load<f64>(p, 16) + used, 16);
  store<f64>(p, max(load<f64>(p, 24), <f64>(requested - used)), 24);
}

/** One fit statistic of a store type: 0 writes, 1 requested, 2 used, 3 worst excess. */
export function fitStat(type: i32, which: i32): f64 {
  return load<f64>(FIT + (<usize>type << 5) + (<usize>which << 3));
}

export function fitReset(): void {
  memory.fill(FIT, 0, WR_TYPES * 32);
}
