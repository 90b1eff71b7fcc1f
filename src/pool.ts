import { core } from './wasm';
import { MapleError } from './errors';

/** Counters of a node pool (all whole numbers). */
export interface PoolStats {
  /** 4 KiB pages the pool has taken from linear memory (16 nodes each). */
  pagesInUse: number;
  /** Nodes handed out and not yet returned. */
  nodesInUse: number;
  /** Nodes on the pool's free list. */
  nodesFree: number;
  /** Node allocations ever made. */
  allocations: number;
  /** Node frees ever made. */
  frees: number;
}

/**
 * A pool of 256-byte maple nodes carved from 4 KiB pages of the core's linear memory, with a
 * free list and counters. Many trees may share one pool; every tree uses the default pool
 * unless given another.
 */
export class NodePool {
  /** @internal Address of the pool header in linear memory. */
  readonly ptr: number;

  constructor() {
    this.ptr = core.poolNew();
    if (this.ptr === 0) throw new MapleError('ENOMEM', 'new NodePool');
  }

  /** The pool's counters now. */
  stats(): PoolStats {
    const p = this.ptr;
    return {
      pagesInUse: core.poolStat(p, 0),
      nodesInUse: core.poolStat(p, 1),
      nodesFree: core.poolStat(p, 2),
      allocations: core.poolStat(p, 3),
      frees: core.poolStat(p, 4),
    };
  }

  /** Nodes reachable from the roots of all of this pool's trees. */
  treeNodes(): number {
    return core.poolTreeNodes(this.ptr);
  }
}

let shared: NodePool | undefined;

/** The pool trees use when none is given. */
export function defaultPool(): NodePool {
  shared ??= new NodePool();
  return shared;
}

/** Bytes of linear memory the core has (nodes, headers and the core's own data). */
export function linearMemoryBytes(): number {
  return core.linearMemoryBytes();
}
