/**
 * maple-wasm: the Linux kernel's maple tree in WebAssembly.
 *
 * @example
 * import { MapleTree } from 'maple-wasm';
 * const mt = new MapleTree<string>();
 * mt.storeRange(0x1000, 0x1fff, 'text');
 * mt.load(0x1800); // 'text'
 */
export { MapleTree } from './tree';
export type { MapleEntry, MapleTreeOptions, MapleTreeArgs, CyclicAllocation, KeyMode, RangeInput, SharedTreeHandle } from './tree';
export type { Indices } from './batch';
export { RangeCursor } from './cursor';
/** @internal */
export { _releaseShapes } from './shapes';
export { lastSearchVisits } from './pool';
export { NodePool, FaultControls, linearMemoryBytes } from './pool';
export type { PoolStats, FaultStats, FaultRecord } from './pool';
export { MaState } from './state';
export type { MaStatus, StoreType } from './state';
export type { Gfp, WriteType } from './gfp';
export { MapleError, UseAfterFreeError } from './errors';
export type { MapleErrorCode } from './errors';
export { MAPLE_MAX, ULONG_MAX } from './keys';
export type { Index } from './keys';
export type { EntryMode } from './handles';
export { VmaIterator } from './vma';
export type { Vma, VmaIteratorOptions } from './vma';
export type { WriteExplanation, ExplainOptions, ExplainedStoreType, ExplainOp, NodeMark, MarkedNode } from './explain';
export type { SvgOptions } from './svg';
export type { NodeInfo, NodeType, SlotInfo, DetailedNode } from './nodes';
