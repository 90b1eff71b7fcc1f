// JS values as entries. The core stores a word per slot; for object entries that word is a
// handle into this table, for numeric entries it is the value plus one (0 is NULL, as in the
// kernel, where a NULL slot is an empty range).
//
// A handle is counted once per range that holds it: a store inside a range splits it into two
// ranges holding the same handle (+1), a store covering a range drops it (-1). At zero the slot
// is reused, so the table is bounded by the number of live ranges.

/** How entries are kept: JS values by handle, or non-negative safe integers in the slot. */
export type EntryMode = 'object' | 'number';

/**
 * Handles one table holds at most: 2^26 (67,108,864). The table's arrays would otherwise grow
 * until V8 cannot make them larger, which aborts the process; past this a store of a new object
 * entry fails with ENOMEM instead.
 */
export const MAX_HANDLES = 2 ** 26;
let limit = MAX_HANDLES;

/** @internal Lower the ceiling for a test (no argument restores MAX_HANDLES). */
export function _setHandleLimit(n: number = MAX_HANDLES): void {
  limit = n;
}

export class HandleTable<T> {
  private values: (T | undefined)[] = [undefined];
  private refs: number[] = [0];
  private free: number[] = [];

  /** A new handle for value, counted once; -1 (nothing changed) when the table is full. */
  acquire(value: T): number {
    const h = this.free.pop();
    if (h !== undefined) {
      this.values[h] = value;
      this.refs[h] = 1;
      return h;
    }
    if (this.values.length > limit) return -1;
    this.values.push(value);
    this.refs.push(1);
    return this.values.length - 1;
  }

  /** One more range holds h. */
  addRef(h: number): void {
    this.refs[h]++;
  }

  /** One range fewer holds h; the slot is reused once none does. */
  release(h: number): void {
    if (--this.refs[h] === 0) {
      this.values[h] = undefined;
      this.free.push(h);
    }
  }

  get(h: number): T {
    return this.values[h] as T;
  }

  refCount(h: number): number {
    return this.refs[h] ?? 0;
  }

  /** Handles currently live. */
  get live(): number {
    return this.values.length - 1 - this.free.length;
  }

  /** Table slots allocated (live plus reusable). */
  get capacity(): number {
    return this.values.length - 1;
  }

  clear(): void {
    this.values = [undefined];
    this.refs = [0];
    this.free = [];
  }

  clone(): HandleTable<T> {
    const t = new HandleTable<T>();
    t.values = this.values.slice();
    t.refs = this.refs.slice();
    t.free = this.free.slice();
    return t;
  }
}
