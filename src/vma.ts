// VmaIterator: the kernel's VMA iterator (struct vma_iterator and the vma_iter_* helpers of
// mm/vma.h, plus vma_find / vma_next / vma_prev / for_each_vma of include/linux/mm.h) as a thin
// layer over one MaState. A VMA is any object with `vmStart` and an exclusive `vmEnd`; the tree
// stores it over the inclusive range [vmStart, vmEnd - 1].
//
// The exclusive end -> inclusive last conversion happens in exactly one place (#last). VMAs are
// checked before anything reaches the tree, so a bad one (vmEnd <= vmStart, unaligned when the
// iterator was given a page size, overlapping on insert) throws and leaves the tree unchanged.

import { MaState } from './state';
import { MapleError } from './errors';
import { Index, ULONG_MAX, checkIndex, isSafeKey } from './keys';
import type { MapleTree } from './tree';
import type { Gfp } from './gfp';
import { IDLE, keepShape } from './shapes';

/** A virtual memory area: [vmStart, vmEnd), vmEnd exclusive (as vm_area_struct). */
export interface Vma {
  vmStart: Index;
  /** Exclusive end; may be 2n ** 64n for a VMA reaching ULONG_MAX. */
  vmEnd: Index;
}

/** Options of a VmaIterator. */
export interface VmaIteratorOptions {
  /**
   * When given, every VMA stored and every range configured or cleared must start and end on a
   * multiple of it (RangeError otherwise), as addresses in mm/ are PAGE_SIZE aligned.
   */
  pageSize?: number;
}

/** One past ULONG_MAX: the largest exclusive end. */
const END_LIMIT = ULONG_MAX + 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A VMA iterator (VMA_ITERATOR) over a MapleTree of VMAs. Walks move it; writes act on its
 * configured range or on a VMA's own range. Call `destroy()` when done with it.
 */
export class VmaIterator<V extends Vma = Vma> implements Iterable<V> {
  readonly tree: MapleTree<V>;
  readonly pageSize: number | undefined;
  readonly #mas: MaState<V>;

  /** VMA_ITERATOR / vma_iter_init: an iterator over tree starting at addr. */
  constructor(tree: MapleTree<V>, addr: Index = 0, options: VmaIteratorOptions = {}) {
    if ((tree as unknown) === IDLE) {
      // the idle iterator (shapes.ts), over the idle state
      this.tree = null as never;
      this.pageSize = undefined;
      this.#mas = new MaState<V>(IDLE as never);
      return;
    }
    const { pageSize } = options;
    if (pageSize !== undefined &&
        (typeof pageSize !== 'number' || !Number.isSafeInteger(pageSize) || pageSize < 1 ||
         2 ** Math.round(Math.log2(pageSize)) !== pageSize)) {
      throw new RangeError(`options.pageSize must be a power of two (as PAGE_SIZE is), got ${String(pageSize)}`);
    }
    this.tree = tree;
    this.pageSize = pageSize;
    this.#mas = new MaState<V>(tree, addr);
    this.#mas._owner = 'VmaIterator';
  }

  // ── position ──

  /** vma_iter_addr: the start of the iterator's current range. */
  get addr(): Index {
    return this.#mas.index;
  }

  /** vma_iter_end: the exclusive end of the iterator's current range (last + 1). */
  get end(): Index {
    const last = this.#mas.last;
    if (typeof last === 'number') return last < Number.MAX_SAFE_INTEGER ? last + 1 : BigInt(last) + 1n;
    return last + 1n;
  }

  /** vmi->mas: the underlying ma_state, for what the vma_iter_* helpers do not cover. */
  get mas(): MaState<V> {
    return this.#mas;
  }

  /** vma_iter_set: point at addr; the next operation walks from the root. */
  set(addr: Index): this {
    this.#mas.set(addr);
    return this;
  }

  /** vma_iter_reset: keep the range, walk from the root next time. */
  reset(): this {
    this.#mas.reset();
    return this;
  }

  /** vma_iter_config: set the range [start, end) (end exclusive) for the next write. */
  config(start: Index, end: Index): this {
    const [a, b] = this.#span(start, end, 'VmaIterator.config');
    this.#mas.setRange(a, b);
    return this;
  }

  // ── walks ──

  /** vma_iter_load: the VMA at the iterator's address (mas_walk), or undefined. */
  load(): V | undefined {
    return this.#mas.walk();
  }

  /** vma_find: the next VMA at or after the address (first call) that starts below max (exclusive). */
  find(max: Index): V | undefined {
    return this.#mas.find(this.#last(max, 'max'));
  }

  /** vma_next: the next VMA (mas_find up to ULONG_MAX). */
  next(): V | undefined {
    return this.#mas.find(ULONG_MAX);
  }

  /** vma_prev: the previous VMA (mas_prev down to 0). */
  prev(): V | undefined {
    return this.#mas.prev(0);
  }

  /** vma_iter_next_range: the next range, mapped or not (undefined for a gap or at the end). */
  nextRange(): V | undefined {
    return this.#mas.nextRange(ULONG_MAX);
  }

  /** vma_iter_prev_range: the previous range, mapped or not. */
  prevRange(): V | undefined {
    return this.#mas.prevRange(0);
  }

  /** vma_iter_area_lowest: lowest start of a free [start, start + size) inside [min, max); EBUSY if none. */
  areaLowest(min: Index, max: Index, size: Index): Index {
    return this.#mas.emptyArea(min, this.#last(max, 'max'), size);
  }

  /** vma_iter_area_highest: highest start of a free [start, start + size) inside [min, max); EBUSY if none. */
  areaHighest(min: Index, max: Index, size: Index): Index {
    return this.#mas.emptyAreaRev(min, this.#last(max, 'max'), size);
  }

  /** for_each_vma: every VMA after the iterator's position (vma_next until undefined). */
  *[Symbol.iterator](): IterableIterator<V> {
    let vma: V | undefined;
    while ((vma = this.next()) !== undefined) yield vma;
  }

  /** for_each_vma_range: vma_iter_set(start), then vma_find(end) until undefined. */
  *range(start: Index, end: Index): IterableIterator<V> {
    const max = this.#last(end, 'end');
    this.#mas.set(start);
    let vma: V | undefined;
    while ((vma = this.#mas.find(max)) !== undefined) yield vma;
  }

  // ── writes ──

  /** vma_iter_prealloc: reserve the worst case of storing vma over its range (null: clearing the config range); ENOMEM keeps nothing. */
  prealloc(vma: V | null, gfp?: Gfp): void {
    if (vma === null) {
      this.#mas.preallocate(null, gfp);
      return;
    }
    const [a, b] = this.#range(vma, 'VmaIterator.prealloc');
    this.#mas._preallocateRange(a, b, vma, gfp);
  }

  /** vma_iter_store: store vma over [vmStart, vmEnd) from prealloc's reserve; never allocates (EINVAL, unchanged, if not covered). */
  store(vma: V): void {
    const [a, b] = this.#range(vma, 'VmaIterator.store');
    this.#mas._storePreallocRange(a, b, vma);
  }

  /** vma_iter_store_gfp: store vma over [vmStart, vmEnd), allocating with gfp after 'nowait'; ENOMEM leaves the tree unchanged. */
  storeGfp(vma: V, gfp?: Gfp): void {
    const [a, b] = this.#range(vma, 'VmaIterator.storeGfp');
    this.#write(a, b, vma, gfp);
  }

  /** insert_vm_struct / vma_link: store vma where nothing is mapped; EEXIST on overlap or ENOMEM leave the tree unchanged. */
  insert(vma: V, gfp?: Gfp): void {
    const [a, b] = this.#range(vma, 'VmaIterator.insert');
    this.#mas.setRange(a, a);
    const hit = this.#mas.find(b);
    if (hit !== undefined) {
      throw new MapleError('EEXIST', 'VmaIterator.insert',
        `[${hex(a)}, ${hex(b)}] overlaps the VMA at [${hex(this.#mas.index)}, ${hex(this.#mas.last)}]`);
    }
    this.#write(a, b, vma, gfp);
  }

  /** vma_iter_clear: store NULL over the configured range from the reserve of prealloc(null). */
  clear(): void {
    this.#mas.storePrealloc(null);
  }

  /** vma_iter_clear_gfp: store NULL over [start, end), allocating with gfp after 'nowait'; ENOMEM leaves the tree unchanged. */
  clearGfp(start: Index, end: Index, gfp?: Gfp): void {
    const [a, b] = this.#span(start, end, 'VmaIterator.clearGfp');
    this.#write(a, b, null, gfp);
  }

  /** vma_iter_free: give back every reserved node (mas_destroy). */
  free(): void {
    this.#mas.destroy();
  }

  /** vma_iter_bulk_alloc: reserve, once, the nodes for storing n VMAs in address order. */
  bulkAlloc(n: number, gfp?: Gfp): void {
    this.#mas.expectedEntries(n, gfp);
  }

  /** vma_iter_bulk_store: store vma over [vmStart, vmEnd) during a bulk load (mas_store). */
  bulkStore(vma: V): void {
    const [a, b] = this.#range(vma, 'VmaIterator.bulkStore');
    this.#write(a, b, vma, undefined);
  }

  /** Release the iterator's ma_state, reserve first (no kernel counterpart: a vma_iterator lives on the stack). */
  destroy(): void {
    this.#mas.free();
  }

  // ── internals ──

  /** mas_store_gfp over [a, b]; on ENOMEM the position is reset so walks start afresh. */
  #write(a: Index, b: Index, entry: V | null, gfp: Gfp | undefined): void {
    try {
      this.#mas._storeRange(a, b, entry, gfp);
    } catch (e) {
      this.#mas.reset();
      throw e;
    }
  }

  /** The checked inclusive range of a VMA. */
  #range(vma: V, op: string): [Index, Index] {
    if (vma === null || typeof vma !== 'object') {
      throw new TypeError(`${op}: vma must be an object with vmStart and vmEnd, got ${vma === null ? 'null' : typeof vma}`);
    }
    return this.#span(vma.vmStart, vma.vmEnd, op, 'vma.vmStart', 'vma.vmEnd');
  }

  /**
   * Check [start, end) (page alignment too) and return it as the inclusive [start, last]. Names
   * are built only for an argument that fails, as MapleTree.from's are: no string per write.
   */
  #span(start: unknown, end: unknown, op: string, sName = 'start', eName = 'end'): [Index, Index] {
    const a = isSafeKey(start) ? start : checkIndex(start, `${op}: ${sName}`);
    const b = this.#last(end, eName, op);
    if (a > b) {
      throw new RangeError(`${op}: ${eName} (${hex(end as Index)}) must be greater than ${sName} (${hex(a)})`);
    }
    const page = this.pageSize;
    if (page !== undefined && (!aligned(a, page) || !aligned(end as Index, page))) {
      throw new RangeError(`${op}: [${hex(a)}, ${hex(end as Index)}) is not aligned to the page size ${hex(page)}`);
    }
    return [a, b];
  }

  /**
   * The one place an exclusive end becomes an inclusive last: end must be 1..2^64 (a number
   * must be a safe integer); returns end - 1 as a number when it is safe, else as a bigint.
   * Errors name the argument `name`, after `op` when given.
   */
  #last(end: unknown, name: string, op?: string): Index {
    if (typeof end === 'number') {
      if (!Number.isSafeInteger(end) || end < 1) {
        throw new RangeError(`${argName(name, op)} must be an exclusive end in 1..2^53 - 1 (a bigint reaches 2^64), got ${end}`);
      }
      return end - 1;
    }
    if (typeof end === 'bigint') {
      if (end < 1n || end > END_LIMIT) throw new RangeError(`${argName(name, op)} must be an exclusive end in 1..2^64, got ${end}`);
      const last = end - 1n;
      return last <= SAFE ? Number(last) : last;
    }
    throw new TypeError(`${argName(name, op)} must be a number or a bigint, got ${typeof end}`);
  }
}

/** An argument's name in an error, after the operation's when given. */
function argName(name: string, op: string | undefined): string {
  return op === undefined ? name : `${op}: ${name}`;
}

function aligned(x: Index, page: number): boolean {
  return typeof x === 'number' ? x % page === 0 : x % BigInt(page) === 0n;
}

function hex(x: Index): string {
  return `0x${x.toString(16)}`;
}

keepShape(new VmaIterator(IDLE as never));
