// explain(): what one write does to a tree, measured by doing it on a copy.
//
// The copy is mt_dup's, in the tree's own pool, so it has the same shape and the write takes the
// same path. Around the write on the copy we read: the pool's allocation and free counters, the
// core's per-store-type request records (which name the store type and the node request), and a
// record of every node before and after (address and a hash of its contents), from which the
// nodes allocated, rewritten in place and replaced follow. The original tree is not touched.

import type { StoreType } from './state';
import { core } from './wasm';
import { DetailedNode, treeNodes, attachDetail, DETAIL_LIMIT } from './nodes';
import { renderSVG, SvgOptions } from './svg';
import { Index, checkIndex, checkOrder, ULONG_MAX } from './keys';
import { Gfp, gfpCode, WRITE_TYPES, WriteType } from './gfp';
import type { MapleTree } from './tree';

/**
 * A store type under the kernel's names (enum store_type, without the wr_ prefix), plus two of
 * maple-wasm's own: 'noop' (NULL stored over NULL, or an erase of an index holding nothing:
 * nothing is written) and 'empty tree' (a root leaf left holding nothing is freed; the kernel
 * reaches that state through its other store types).
 */
export type ExplainedStoreType = StoreType | 'noop' | 'empty tree';

const KERNEL_NAME: Record<WriteType, ExplainedStoreType | undefined> = {
  'invalid': undefined,
  'new root': 'new_root',
  'store root': 'store_root',
  'exact fit': 'exact_fit',
  'spanning store': 'spanning_store',
  'split': 'split_store',
  'rebalance': 'rebalance',
  'append': 'append',
  'node store': 'node_store',
  'slot store': 'slot_store',
  'noop': 'noop',
  'empty tree': 'empty tree',
};

/** Which write explain() ran: mtree_store_range, mtree_insert_range or mtree_erase. */
export type ExplainOp = 'store' | 'insert' | 'erase';

/** How a node took part in a write. */
export type NodeMark = 'allocated' | 'rewritten' | 'replaced';

/** Options of explain() and explainErase(). */
export interface ExplainOptions {
  /** gfp the write allocates with (default 'kernel'); it does not change the counts measured. */
  gfp?: Gfp;
  /** explain() only: write as insertRange (EEXIST if any index of the range holds an entry). */
  insert?: boolean;
  /**
   * Keep the nodes before and after (NodeInfo lists, with marks) on the result as `before` and
   * `after`, for pictures; default false. Costs two arrays of treeNodes() size.
   */
  keepNodes?: boolean;
}

/** What one write does, as measured on a copy of the tree. All counts are nodes. */
export interface WriteExplanation {
  op: ExplainOp;
  /** The range written (for an erase: the range that held the index; undefined if none did). */
  first: Index | undefined;
  last: Index | undefined;
  /** True when NULL is stored (a clear or an erase). */
  clears: boolean;
  gfp: Gfp;
  /** The store type under the kernel's names (see ExplainedStoreType), as the core's mas_wr_store_type chose it. */
  storeType: ExplainedStoreType;
  /** The same under maple-wasm's own names (WRITE_TYPES, as fault records give it). */
  coreType: WriteType;
  /** Nodes the write reserves before changing anything: what mas_preallocate would ask for (its worst case). */
  nodeRequest: number;
  /** Pool allocations during the write (the reserve, taken in full up front). */
  allocated: number;
  /** Pool frees during the write: replaced nodes plus the unused part of the reserve. */
  freed: number;
  /** Nodes of the reserve that ended up in the tree (allocated - returned). */
  used: number;
  /** Reserved nodes given back unused. */
  returned: number;
  /** Nodes of the tree the write freed (there before, gone after). */
  replaced: number;
  /** Nodes kept at their address whose contents or range changed (in-place writes, parents' pivots and gaps). */
  rewritten: number;
  /** Depths (0 = root, in the tree after the write) holding an allocated or rewritten node, ascending. */
  levels: number[];
  heightBefore: number;
  heightAfter: number;
  nodesBefore: number;
  nodesAfter: number;
  /**
   * Whether the write can fail with ENOMEM under 'nowait': a write with a request of 0 never
   * allocates and cannot fail; a clear (or erase) whose request the pool's emergency reserve
   * covers cannot fail either, since freeing writes draw on that reserve when allocation fails;
   * any other write that must allocate can.
   */
  canFailNowait: boolean;
  /** With keepNodes: the copy's nodes before the write, 'replaced' and 'rewritten' ones marked. */
  before?: MarkedNode[];
  /** With keepNodes: the copy's nodes after the write, 'allocated' and 'rewritten' ones marked. */
  after?: MarkedNode[];
  /**
   * With keepNodes: the tree before or after the write as SVG text (see MapleTree.toSVG), the
   * nodes the write touched highlighted ('replaced' red and 'rewritten' orange before,
   * 'allocated' green and 'rewritten' orange after).
   */
  toSVG?(which: 'before' | 'after', options?: SvgOptions): string;
  /** A few readable lines. */
  toString(): string;
}

/** A node with how the write touched it (undefined: unchanged). */
export interface MarkedNode extends DetailedNode {
  mark?: NodeMark;
}

// The core's per-store-type request records: 0 writes, 1 nodes requested, 2 nodes used.
function fitSnapshot(): number[] {
  const s: number[] = [];
  for (let t = 0; t < WRITE_TYPES.length; t++) for (let w = 0; w < 3; w++) s.push(core.preallocFit(t, w));
  return s;
}

function fmt(x: Index | undefined): string {
  if (x === undefined) return '-';
  if (x === ULONG_MAX) return 'ULONG_MAX';
  return typeof x === 'bigint' || x > 0xffff_ffff ? `0x${x.toString(16)}` : String(x);
}

function describe(e: WriteExplanation): string {
  const what = e.op === 'erase' ? 'erase' : e.clears ? 'clear' : e.op;
  const head = `${what} [${fmt(e.first)}, ${fmt(e.last)}]` + (e.gfp === 'nowait' ? ` (gfp nowait)` : '');
  const own = e.storeType === 'noop' || e.storeType === 'empty tree' ? ' (maple-wasm\'s own name)' : '';
  const lines = [
    head,
    `  store type  ${e.storeType}${own}`,
    `  nodes       request ${e.nodeRequest}, allocated ${e.allocated}, freed ${e.freed} ` +
      `(${e.replaced} replaced + ${e.returned} unused), ${e.used} new in the tree, ${e.rewritten} rewritten in place`,
    `  levels      ${e.levels.length ? `depth ${e.levels.join(', ')}` : 'none'}; ` +
      `height ${e.heightBefore} -> ${e.heightAfter}, nodes ${e.nodesBefore} -> ${e.nodesAfter}`,
    `  nowait      ${e.canFailNowait ? `can fail with ENOMEM (must allocate ${e.nodeRequest})`
      : e.nodeRequest > 0 ? 'cannot fail (the emergency reserve covers a clear)' : 'cannot fail (allocates nothing)'}`,
  ];
  return lines.join('\n');
}

/**
 * Run one write on a copy of mt (mt_dup, same pool) and measure it; mt itself is not changed.
 * `write` performs the write on the copy and returns the range it wrote, if any.
 */
function measure<T>(mt: MapleTree<T>, op: ExplainOp, first: Index | undefined, last: Index | undefined,
                    clears: boolean, gfp: Gfp, keep: boolean,
                    write: (copy: MapleTree<T>) => [Index, Index] | undefined): WriteExplanation {
  const copy = mt.dup();
  try {
    const before: MarkedNode[] = treeNodes(copy as MapleTree<unknown>);
    if (keep && before.length <= DETAIL_LIMIT) attachDetail(copy as MapleTree<unknown>, before);
    const heightBefore = copy.height;
    const fit0 = fitSnapshot();
    const pool0 = copy.pool.stats();
    const range = write(copy);
    const pool1 = copy.pool.stats();
    const fit1 = fitSnapshot();
    const after: MarkedNode[] = treeNodes(copy as MapleTree<unknown>);
    if (keep && after.length <= DETAIL_LIMIT) attachDetail(copy as MapleTree<unknown>, after);
    if (range) [first, last] = range;

    let coreType: WriteType = 'noop';
    let nodeRequest = 0;
    for (let t = 0; t < WRITE_TYPES.length; t++) {
      if (fit1[3 * t] !== fit0[3 * t]) {
        coreType = WRITE_TYPES[t];
        nodeRequest = fit1[3 * t + 1] - fit0[3 * t + 1];
      }
    }

    const was = new Map<number, MarkedNode>();
    const heightAfter = copy.height;
    const isAlloc = copy.isAlloc;
    for (const n of before) was.set(n.address, n);
    const now = new Set<number>();
    let used = 0;
    let rewritten = 0;
    const levels = new Set<number>();
    for (const n of after) {
      now.add(n.address);
      const old = was.get(n.address);
      if (old === undefined) {
        n.mark = 'allocated';
        used++;
        levels.add(n.depth);
      } else if (old.hash !== n.hash) {
        n.mark = 'rewritten';
        old.mark = 'rewritten';
        rewritten++;
        levels.add(n.depth);
      }
    }
    let replaced = 0;
    for (const n of before) {
      if (!now.has(n.address)) {
        n.mark = 'replaced';
        replaced++;
      }
    }
    const allocated = pool1.allocations - pool0.allocations;
    const freed = pool1.frees - pool0.frees;
    const e: WriteExplanation = {
      op, first, last, clears, gfp,
      storeType: KERNEL_NAME[coreType] ?? 'noop',
      coreType,
      nodeRequest,
      allocated,
      freed,
      used,
      returned: allocated - used,
      replaced,
      rewritten,
      levels: [...levels].sort((a, b) => a - b),
      heightBefore,
      heightAfter,
      nodesBefore: before.length,
      nodesAfter: after.length,
      canFailNowait: nodeRequest > 0 && !(clears && nodeRequest <= pool0.nodesEmergency),
      toString() { return describe(this); },
    };
    if (keep) {
      e.before = before;
      e.after = after;
      e.toSVG = (which, svg) => {
        if (which !== 'before' && which !== 'after') throw new RangeError(`toSVG: which must be 'before' or 'after', got ${String(which)}`);
        const nodes = which === 'before' ? before : after;
        const height = which === 'before' ? heightBefore : heightAfter;
        return renderSVG(nodes, height, isAlloc, { title: `${which}: ${describe(e).split('\n')[0]}`, ...svg });
      };
    }
    return e;
  } finally {
    copy.free();
  }
}

function options(o: unknown, op: string): ExplainOptions {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null) throw new TypeError(`${op}: options must be an object`);
  return o as ExplainOptions;
}

/**
 * Explain a store of entry over [first, last] (mtree_store_range, or mtree_insert_range with
 * options.insert): see MapleTree.explain. Throws what the write would throw (TypeError /
 * RangeError for bad arguments, MapleError EEXIST for an insert over an entry, ENOMEM).
 */
export function explainStore<T>(mt: MapleTree<T>, first: Index, last: Index, entry: T | null,
                                opts?: ExplainOptions): WriteExplanation {
  const o = options(opts, 'explain');
  const a = checkIndex(first, 'first');
  const b = checkIndex(last, 'last');
  checkOrder(a, b, 'first', 'last');
  const gfp = o.gfp ?? 'kernel';
  gfpCode(gfp, 'explain');
  const insert = o.insert ?? false;
  if (typeof insert !== 'boolean') throw new TypeError('explain: options.insert must be a boolean');
  return measure(mt, insert ? 'insert' : 'store', a, b, entry === null, gfp, o.keepNodes === true, (copy) => {
    if (insert) copy.insertRange(a, b, entry, gfp);
    else copy.storeRange(a, b, entry, gfp);
    return undefined;
  });
}

/** Explain mtree_erase(index): see MapleTree.explainErase. */
export function explainErase<T>(mt: MapleTree<T>, index: Index, opts?: ExplainOptions): WriteExplanation {
  const o = options(opts, 'explainErase');
  const i = checkIndex(index, 'index');
  const gfp = o.gfp ?? 'kernel';
  gfpCode(gfp, 'explainErase');
  if (gfp !== 'kernel') {
    // mtree_erase allocates with GFP_KERNEL; only MaState.erase takes a gfp.
    throw new RangeError(`explainErase: options.gfp must be 'kernel' (mtree_erase allocates with GFP_KERNEL), got ${gfp}`);
  }
  return measure(mt, 'erase', undefined, undefined, true, gfp, o.keepNodes === true, (copy) => {
    const held = copy.find(i, i);
    copy.erase(i);
    return held ? [held.index, held.last] : undefined;
  });
}
