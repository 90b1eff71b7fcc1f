// Index validation and conversion, in one place.
//
// Indices are unsigned 64-bit, 0..ULONG_MAX, as in the kernel. A `number` index must be a
// non-negative safe integer; a `bigint` reaches the whole space. Indices cross into wasm as f64;
// one above 2^53 - 1 is written to the core's KEYS area and passed as NaN.
// Results come back as `number` when they are at most Number.MAX_SAFE_INTEGER, else `bigint`,
// so nothing is ever rounded.

import { putKey } from './wasm';

/** An index into the tree: a non-negative safe integer, or a bigint up to ULONG_MAX. */
export type Index = number | bigint;

/** The largest index, 2^64 - 1 (ULONG_MAX on a 64-bit kernel). */
export const ULONG_MAX: bigint = 0xffff_ffff_ffff_ffffn;
/** The largest index a maple tree holds (the kernel's MAPLE_MAX is ULONG_MAX). */
export const MAPLE_MAX: bigint = ULONG_MAX;

/** A key argument that needs no conversion: a non-negative safe integer. */
export function isSafeKey(x: unknown): x is number {
  return typeof x === 'number' && x >= 0 && x <= Number.MAX_SAFE_INTEGER && Number.isInteger(x);
}

/** Check an index argument; throws a TypeError or RangeError naming it. */
export function checkIndex(x: unknown, name: string): Index {
  if (isSafeKey(x)) return x;
  return checkSlow(x, name);
}

function checkSlow(x: unknown, name: string): Index {
  if (typeof x === 'number') {
    if (!Number.isInteger(x) || x < 0 || x > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `${name} must be a non-negative safe integer (use a bigint above 2^53 - 1), got ${x}`);
    }
    return x;
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > ULONG_MAX) throw new RangeError(`${name} must be in 0..2^64 - 1, got ${x}`);
    return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  }
  throw new TypeError(`${name} must be a number or a bigint, got ${typeof x}`);
}

/** Check that two checked indices are in order, lo <= hi. */
export function checkOrder(a: Index, b: Index, loName: string, hiName: string): void {
  if (a > b) throw new RangeError(`${loName} (${a}) must not be greater than ${hiName} (${b})`);
}

/** Compare two checked indices (number and bigint compare exactly with < and >). */
export function compare(a: Index, b: Index): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The f64 that carries a checked index across the boundary, using KEYS slot `slot` if needed. */
export function wire(x: Index, slot: number): number {
  if (typeof x === 'number') return x;
  // ULONG_MAX, every walk's default limit, crosses as Infinity: the core's f64 -> u64 conversion
  // saturates (nontrapping-f2i) to 2^64 - 1, so no key needs writing into linear memory.
  if (x === ULONG_MAX) return Infinity;
  putKey(slot, x);
  return NaN;
}

/** index + 1, or undefined past ULONG_MAX. */
export function successor(x: Index): Index | undefined {
  if (typeof x === 'number') return x < Number.MAX_SAFE_INTEGER ? x + 1 : BigInt(x) + 1n;
  return x < ULONG_MAX ? x + 1n : undefined;
}

/** index - 1, or undefined below 0. */
export function predecessor(x: Index): Index | undefined {
  if (typeof x === 'number') return x > 0 ? x - 1 : undefined;
  const p = x - 1n;
  return p <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(p) : p;
}
