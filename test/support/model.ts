// An obviously-correct reference model of a maple tree's contents: a sorted array of
// non-overlapping, non-NULL ranges [first, last] (inclusive, bigint, 0..2^64-1). NULL ranges are
// the gaps between them, so "adjacent NULL ranges merge" holds by construction, while adjacent
// ranges holding the same entry stay separate, as in the kernel.
//
// Every operation is written in the plainest way that states the kernel semantics; speed comes
// only from binary search and splice.

import { expect } from 'vitest';
import type { MapleTree, Index } from '../../src/index';

export const ULONG: bigint = 0xffff_ffff_ffff_ffffn;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface Range<T> {
  first: bigint;
  last: bigint;
  entry: T;
}

export class Model<T> {
  ranges: Range<T>[] = [];

  get size(): number {
    return this.ranges.length;
  }

  /** Position of the first range with last >= key (ranges.length if none). */
  lowerBound(key: bigint): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid].last < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The range holding key, if any. */
  rangeAt(key: bigint): Range<T> | undefined {
    const r = this.ranges[this.lowerBound(key)];
    return r !== undefined && r.first <= key ? r : undefined;
  }

  /** mtree_load. */
  load(key: bigint): T | undefined {
    return this.rangeAt(key)?.entry;
  }

  /** Whether any index of [first, last] holds an entry. */
  occupied(first: bigint, last: bigint): boolean {
    const r = this.ranges[this.lowerBound(first)];
    return r !== undefined && r.first <= last;
  }

  /**
   * mtree_store_range: [first, last] now holds entry (null: nothing). Every range overlapping
   * it is cut: its parts outside [first, last] survive with its old entry.
   */
  store(first: bigint, last: bigint, entry: T | null): void {
    check(first, last);
    const i = this.lowerBound(first);
    let j = i;
    const pieces: Range<T>[] = [];
    let tail: Range<T> | undefined;
    while (j < this.ranges.length && this.ranges[j].first <= last) {
      const r = this.ranges[j];
      if (r.first < first) pieces.push({ first: r.first, last: first - 1n, entry: r.entry });
      if (r.last > last) tail = { first: last + 1n, last: r.last, entry: r.entry };
      j++;
    }
    if (entry !== null) pieces.push({ first, last, entry });
    if (tail) pieces.push(tail);
    this.ranges.splice(i, j - i, ...pieces);
  }

  /** mtree_insert_range: false (and no change) if any index of [first, last] is occupied. */
  insert(first: bigint, last: bigint, entry: T): boolean {
    check(first, last);
    if (this.occupied(first, last)) return false;
    this.store(first, last, entry);
    return true;
  }

  /** mtree_erase: remove the whole range holding key and return its entry. */
  erase(key: bigint): T | undefined {
    const i = this.lowerBound(key);
    const r = this.ranges[i];
    if (r === undefined || r.first > key) return undefined;
    this.ranges.splice(i, 1);
    return r.entry;
  }

  /** mt_find: the first range ending at or after index that starts at or before max. */
  find(index: bigint, max: bigint): Range<T> | undefined {
    const r = this.ranges[this.lowerBound(index)];
    return r !== undefined && r.first <= max ? r : undefined;
  }

  /**
   * mt_next: the first range after the range (entry or gap) holding index, starting at or
   * before max. A range after the one holding index starts above index, and every range
   * starting above index lies after it.
   */
  next(index: bigint, max: bigint): Range<T> | undefined {
    let i = this.lowerBound(index);
    if (i < this.ranges.length && this.ranges[i].first <= index) i++;
    const r = this.ranges[i];
    return r !== undefined && r.first <= max ? r : undefined;
  }

  /** mt_prev: the last range before the range holding index, ending at or after min. */
  prev(index: bigint, min: bigint): Range<T> | undefined {
    // ranges[i - 1] is the last range with last < index: it ends before index, so before the
    // range holding index (which contains index).
    const i = this.lowerBound(index);
    const r = this.ranges[i - 1];
    return r !== undefined && r.last >= min ? r : undefined;
  }

  /** mt_for_each over [first, last]: every range meeting it. */
  entries(first = 0n, last = ULONG): Range<T>[] {
    const out: Range<T>[] = [];
    for (let i = this.lowerBound(first); i < this.ranges.length && this.ranges[i].first <= last; i++) {
      out.push(this.ranges[i]);
    }
    return out;
  }

  clone(): Model<T> {
    const m = new Model<T>();
    m.ranges = this.ranges.map((r) => ({ ...r }));
    return m;
  }
}

function check(first: bigint, last: bigint): void {
  if (first < 0n || last > ULONG || first > last) throw new Error(`model: bad range [${first}, ${last}]`);
}

/** An index as the facade must return it: number up to MAX_SAFE_INTEGER, bigint above. */
export function big(x: Index): bigint {
  return typeof x === 'bigint' ? x : BigInt(x);
}

/** Throw unless x is a correctly typed result index: number iff <= MAX_SAFE_INTEGER. */
export function checkIndexType(x: unknown, what: string): bigint {
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`${what}: ${x} is not a non-negative safe integer`);
    return BigInt(x);
  }
  if (typeof x === 'bigint') {
    if (x <= SAFE) throw new Error(`${what}: ${x}n should have come back as a number`);
    if (x > ULONG) throw new Error(`${what}: ${x}n is above ULONG_MAX`);
    return x;
  }
  throw new Error(`${what}: ${String(x)} is a ${typeof x}, not an index`);
}

/** An argument for the facade: number when it fits (or when asBig is false), else bigint. */
export function arg(x: bigint, asBig = false): Index {
  return !asBig && x <= SAFE ? Number(x) : x;
}

const show = (r: { first: bigint; last: bigint; entry: unknown } | undefined): string =>
  r === undefined ? 'none' : `[${r.first}, ${r.last}] = ${JSON.stringify(r.entry)}`;

/** A facade result ({index, last, entry} | undefined) as a model range, type-checking indices. */
export function asRange<T>(r: { index: Index; last: Index; entry: T } | undefined, what: string):
  Range<T> | undefined {
  if (r === undefined) return undefined;
  return { first: checkIndexType(r.index, `${what}.index`), last: checkIndexType(r.last, `${what}.last`), entry: r.entry };
}

/** Throw a readable error unless two optional ranges are the same (entries compared by identity). */
export function sameRange<T>(got: Range<T> | undefined, want: Range<T> | undefined, what: string): void {
  const ok = got === undefined ? want === undefined :
    want !== undefined && got.first === want.first && got.last === want.last && Object.is(got.entry, want.entry);
  if (!ok) throw new Error(`${what}: got ${show(got)}, expected ${show(want)}`);
}

/**
 * The tree's whole contents (entries() from 0 to ULONG_MAX) equal the model's: same ranges in
 * the same order, same entries by identity, and every index correctly typed. Throws on the
 * first difference (cheap enough to call after every operation on small trees).
 */
export function expectSame<T>(mt: MapleTree<T>, model: Model<T>, what = 'contents'): void {
  const want = model.ranges;
  let i = 0;
  for (const item of mt.entries()) {
    const got = asRange(item, `${what}[${i}]`);
    if (i >= want.length) throw new Error(`${what}: tree has an extra range ${show(got)} at position ${i}`);
    sameRange(got, want[i], `${what}[${i}]`);
    i++;
  }
  if (i !== want.length) throw new Error(`${what}: tree ends after ${i} ranges, model has ${want.length} (next: ${show(want[i])})`);
  if (mt.size !== want.length) throw new Error(`${what}: size is ${mt.size}, the tree holds ${want.length} ranges`);
}

/** expectSame plus vitest assertions on isEmpty and spot loads; for use inside plain tests. */
export function expectTree<T>(mt: MapleTree<T>, model: Model<T>): void {
  expectSame(mt, model);
  expect(mt.isEmpty()).toBe(model.size === 0);
}
