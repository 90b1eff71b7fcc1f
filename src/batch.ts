// Batch lookups (loadMany): keys cross into linear memory a chunk at a time, the core walks them
// in interleaved groups (their cache misses overlap), and the answers come back as f64 words.

import { core, f64View, mem } from './wasm';
import { MapleError } from './errors';

/** Keys a chunk carries: half of a 4 KiB scratch page for keys, half for answers. */
const CHUNK = 256;
let scratch = 0;

/** The scratch page, taken once (it is never given back: every loadMany reuses it). */
function page(op: string): number {
  if (scratch === 0) {
    scratch = core.batchNew() >>> 0;
    if (scratch === 0) throw new MapleError('ENOMEM', op);
  }
  return scratch;
}

/** @internal Give the scratch page back (this thread leaves a shared memory). */
export function _dropScratch(): void {
  if (scratch !== 0) core.batchFree(scratch);
  scratch = 0;
}

/** What loadMany accepts as indices. */
export type Indices = Float64Array | BigUint64Array | readonly number[];

/**
 * Look up every index of `indices` in the tree at `tree`, writing to out[i]: with numeric, the
 * number stored at indices[i] or NaN; otherwise the entry word (0 for nothing). Throws a
 * RangeError naming the position of an index that is not a non-negative safe integer.
 */
export function loadWords(tree: number, indices: Indices, out: Float64Array, numeric: boolean, op: string): void {
  const buf = page(op);
  const big = indices instanceof BigUint64Array;
  const n = indices.length;
  for (let base = 0; base < n; base += CHUNK) {
    const m = Math.min(CHUNK, n - base);
    if (big) {
      const v = mem();
      for (let k = 0; k < m; k++) v.setBigUint64(buf + 8 * k, (indices as BigUint64Array)[base + k], true);
    } else if (indices instanceof Float64Array) {
      f64View().set(indices.subarray(base, base + m), buf >>> 3);
    } else {
      const words = f64View();
      const at = buf >>> 3;
      for (let k = 0; k < m; k++) {
        const x: unknown = indices[base + k];
        if (typeof x !== 'number') {
          throw new TypeError(`${op}: indices[${base + k}] must be a number, got ${typeof x}`);
        }
        words[at + k] = x;
      }
    }
    const bad = core.treeLoadMany(tree, buf, buf + CHUNK * 8, m, big ? 1 : 0, numeric ? 1 : 0);
    if (bad >= 0) {
      const x = (indices as readonly number[])[base + bad];
      throw new RangeError(`${op}: indices[${base + bad}] must be a non-negative safe integer (a BigUint64Array reaches 2^64 - 1), got ${x}`);
    }
    out.set(f64View().subarray((buf >>> 3) + CHUNK, (buf >>> 3) + CHUNK + m), base);
  }
}
