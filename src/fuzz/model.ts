// A small reference model of a maple tree for the fuzzer: a sorted array of non-overlapping
// [first, last, entry] ranges with bigint keys. Only non-NULL ranges are kept (NULL ranges are
// the gaps). A store overwrites with split semantics: ranges it cuts keep their parts outside
// [first, last]. Adjacent equal entries are not merged (the kernel does not merge them either).

export const MAX = 0xffff_ffff_ffff_ffffn;

export interface Range<T> {
  first: bigint;
  last: bigint;
  entry: T;
}

export class FuzzModel<T> {
  ranges: Range<T>[] = [];

  clone(): FuzzModel<T> {
    const m = new FuzzModel<T>();
    m.ranges = this.ranges.map((r) => ({ ...r }));
    return m;
  }

  get size(): number {
    return this.ranges.length;
  }

  /** Index of the first range whose last >= key. */
  #lowerBound(key: bigint): number {
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
    const i = this.#lowerBound(key);
    const r = this.ranges[i];
    return r !== undefined && r.first <= key ? r : undefined;
  }

  load(key: bigint): T | undefined {
    return this.rangeAt(key)?.entry;
  }

  /** Whether any index of [first, last] holds an entry. */
  overlaps(first: bigint, last: bigint): boolean {
    const r = this.ranges[this.#lowerBound(first)];
    return r !== undefined && r.first <= last;
  }

  /** mtree_store_range: entry null erases [first, last]. */
  store(first: bigint, last: bigint, entry: T | null): void {
    const i = this.#lowerBound(first);
    let j = i;
    const repl: Range<T>[] = [];
    let tail: Range<T> | undefined;
    while (j < this.ranges.length && this.ranges[j].first <= last) {
      const r = this.ranges[j];
      if (r.first < first) repl.push({ first: r.first, last: first - 1n, entry: r.entry });
      if (r.last > last) tail = { first: last + 1n, last: r.last, entry: r.entry };
      j++;
    }
    if (entry !== null) repl.push({ first, last, entry });
    if (tail) repl.push(tail);
    this.ranges.splice(i, j - i, ...repl);
  }

  /** mtree_erase: remove the whole range holding key; its entry, if any. */
  erase(key: bigint): T | undefined {
    const i = this.#lowerBound(key);
    const r = this.ranges[i];
    if (r === undefined || r.first > key) return undefined;
    this.ranges.splice(i, 1);
    return r.entry;
  }

  /** The largest key held, or -1n. */
  maxKey(): bigint {
    return this.ranges.length === 0 ? -1n : this.ranges[this.ranges.length - 1].last;
  }
}
