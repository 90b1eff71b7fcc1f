// RangeCursor: iteration of a numeric tree in batches exposed as typed-array columns, filled by
// the core directly (no object or callback per range).

import { core, f64View, BATCH_CAPACITY } from './wasm';
import { MapleError } from './errors';
import { Index, wire } from './keys';
import { IDLE, keepShape } from './shapes';

const release = new FinalizationRegistry<[number, number]>(([mas, page]) => {
  core.batchFree(page);
  core.stateFree(mas);
});

/**
 * A cursor over the ranges of a numeric-entry tree that meet [first, last], in index order, a
 * batch at a time (mt_for_each, without a callback or an object per range). After each
 * `next()`, `index`, `last` and `entry` are Float64Array views of the batch: range k is
 * [index[k], last[k]] (inclusive) holding entry[k]. The views are over the core's memory: read
 * them before the next call of next() or any write that may grow memory. Writes to the tree
 * between batches are allowed; the next batch starts after the range the last one ended on.
 * A range reaching past 2^53 - 1 cannot sit in a Float64Array: next() throws a RangeError
 * there (use entries()). Made by MapleTree.cursor().
 */
export class RangeCursor {
  /** Starts of the current batch's ranges. */
  index: Float64Array = new Float64Array(0);
  /** Ends (inclusive) of the current batch's ranges. */
  last: Float64Array = new Float64Array(0);
  /** The numbers the current batch's ranges hold. */
  entry: Float64Array = new Float64Array(0);
  #mas: number;
  #page: number;
  #limit: Index;
  #alive: () => boolean;
  /** The memory view the batch views were cut from, and those views (index, last, entry). */
  #words: Float64Array | null = null;
  #views: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];

  /** @internal Use MapleTree.cursor(). */
  constructor(tree: number | typeof IDLE, first: Index, last: Index, alive: () => boolean) {
    if (tree === IDLE) {
      // the idle cursor (shapes.ts): closed from the start, no state and no page
      this.#mas = this.#page = 0;
      this.#limit = last;
      this.#alive = alive;
      return;
    }
    const mas = core.stateNew(tree) >>> 0;
    const page = mas === 0 ? 0 : core.batchNew() >>> 0;
    if (page === 0) {
      if (mas !== 0) core.stateFree(mas);
      throw new MapleError('ENOMEM', 'cursor');
    }
    core.stateSet(mas, wire(first, 0), wire(first, 1));
    this.#mas = mas;
    this.#page = page;
    this.#limit = last;
    this.#alive = alive;
    release.register(this, [mas, page], this);
  }

  /** Fetch the next batch into index/last/entry; returns its length, 0 at the end (then closed). */
  next(): number {
    if (this.#mas === 0 || !this.#alive()) {
      this.close();
      return 0;
    }
    const n = core.stateFindColumns(this.#mas, wire(this.#limit, 2), this.#page);
    if (n < 0) {
      this.close();
      throw new RangeError('cursor: a range reaches past 2^53 - 1, which a Float64Array cannot hold; use entries()');
    }
    const words = f64View();
    if (n === 0) {
      this.close();
    } else {
      if (n !== this.#views[2].length || words !== this.#words) {
        // Views of another length, or over a memory that grew; a batch as long as the last one
        // over the same memory is already in the views the last one made.
        const at = this.#page >>> 3;
        this.#views = [
          words.subarray(at, at + n),
          words.subarray(at + BATCH_CAPACITY, at + BATCH_CAPACITY + n),
          words.subarray(at + 2 * BATCH_CAPACITY, at + 2 * BATCH_CAPACITY + n),
        ];
        this.#words = words;
      }
      // handed out again each batch, in case the caller put something else in these fields
      const v = this.#views;
      this.index = v[0];
      this.last = v[1];
      this.entry = v[2];
    }
    return n;
  }

  /** Give the cursor's state and page back (at the end this happens by itself). */
  close(): void {
    if (this.#mas === 0) return;
    release.unregister(this);
    core.batchFree(this.#page);
    core.stateFree(this.#mas);
    this.#mas = 0;
    this.#page = 0;
    this.index = this.last = this.entry = new Float64Array(0);
    this.#words = null;
    this.#views = [this.index, this.last, this.entry];
  }
}

keepShape(new RangeCursor(IDLE, 0, 0n, () => false));
