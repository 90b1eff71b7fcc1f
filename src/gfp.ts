/**
 * How an allocation may behave, as the kernel's gfp flags: 'kernel' (GFP_KERNEL) may reclaim
 * and is the default; 'nowait' (GFP_NOWAIT) is atomic. Writes first try 'nowait' and fall back
 * to the caller's mode, as mas_store_gfp and mas_nomem do.
 */
export type Gfp = 'kernel' | 'nowait';

/** The core's code for a gfp mode; throws a TypeError for anything else. */
export function gfpCode(gfp: unknown, op: string): number {
  if (gfp === 'kernel' || gfp === undefined) return 0;
  if (gfp === 'nowait') return 1;
  throw new TypeError(`${op}: gfp must be 'kernel' or 'nowait', got ${String(gfp)}`);
}

export const GFP_NAMES: Gfp[] = ['kernel', 'nowait'];

/** Operations as the core's allocation log names them. */
export const OP_NAMES = ['', 'store', 'insert', 'erase', 'dup', 'preallocate', 'storePrealloc',
  'expectedEntries', 'nomem'];

/** Store types as the kernel's enum store_type names them (plus noop and empty). */
export const WRITE_TYPES = ['invalid', 'new root', 'store root', 'exact fit', 'spanning store',
  'split', 'rebalance', 'append', 'node store', 'slot store', 'noop', 'empty tree'] as const;
export type WriteType = (typeof WRITE_TYPES)[number];
