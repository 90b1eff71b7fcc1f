// A small mm model over an allocation-range maple tree, driven through VmaIterator: mmap finds
// space top-down with vma_iter_area_highest and links a VMA from a preallocation; munmap follows
// the kernel's do_vmi_align_munmap (split the edge VMAs, gather the VMAs into a detached side
// tree, clear the range from the main tree, complete) in two variants:
//
//   'gfp'      the kernel as of 6.12: the side-tree stores and vma_iter_clear_gfp allocate as
//              they go; a failure after gathering reattaches the gathered VMAs (ENOMEM).
//   'prealloc' the fix discussed on the list: vma_iter_config + vma_iter_prealloc for the clear
//              before gathering, VMAs marked detached only after the point of no return, and
//              vma_iter_clear from the reserve, so nothing can fail (or allocate) after it.
//
// A split replaces one VMA object by two new ones (same `orig`, adjusted bounds) stored piece by
// piece; as in the kernel, splits already made stay split when a later step fails.
//
// The tree's flags: allocation range always; with `{ rcu: true }` also RCU mode, the kernel's
// MM_MT_FLAGS (MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU: page faults walk the VMA tree under RCU),
// where no node a reader may be in is rewritten: appends and most slot stores become node stores
// into new nodes, splits never push into a sibling. The side tree of a munmap is never in RCU
// mode (the kernel's takes only the lock flags of the mm's). A model for
// the tests (test/munmap-*.test.ts) and the munmap CLI (src/cli/munmap.ts); not exported from
// the package's index.

import { MapleTree, MaState, MapleError, NodePool, VmaIterator } from './index';
import type { Vma } from './index';

export const PAGE = 4096;
/** Lowest address mmap hands out (mmap_min_addr). */
export const MMAP_MIN = 0x10000;
/** One past the highest user address (a 47-bit address space, as x86-64's TASK_SIZE). */
export const TASK_SIZE = 2 ** 47;

export interface MmVma extends Vma {
  vmStart: number;
  vmEnd: number;
  /** This object's own identity. */
  id: number;
  /** The mapping it came from: split pieces keep their parent's orig. */
  orig: number;
  /** Protection bits (mprotect changes them, splitting at the edges). */
  prot: number;
  /** Set while the VMA sits in a side tree on its way out (vma_mark_detached). */
  detached: boolean;
}

export type MunmapVariant = 'gfp' | 'prealloc';

/** What one munmap did. */
export interface MunmapResult {
  ok: boolean;
  /** The ENOMEM, when ok is false. */
  error?: MapleError;
  /** Which step ran out of memory. */
  failedAt?: 'split' | 'prealloc' | 'gather' | 'clear';
  /** Whether the call passed the point of no return (the range is then unmapped). */
  passedPonr: boolean;
  /** The pool's allocation counter (faults.stats().asked) at the start, the point of no return and the end. */
  askedAtStart: number;
  askedAtPonr?: number;
  askedAtEnd: number;
  /** VMAs gathered into the side tree (at the time of failure, if it failed). */
  gathered: number;
  /** Splits made (they stay made on failure). */
  splits: number;
  /** The VMA objects gathered (removed on success, reattached on failure). */
  removed: MmVma[];
  /** The detached side tree, freed by the time munmap returns. */
  sideTree?: MapleTree<MmVma>;
  /**
   * Each step as it completed, with the pool's allocation counter (faults.stats().asked) and
   * nodes in use after it: 'split', 'prealloc', 'gather', 'clear', 'point of no return', ...
   */
  steps: MunmapStep[];
}

/** One step of a munmap, as MunmapResult.steps records it. */
export interface MunmapStep {
  step: string;
  /** Allocations asked of the pool so far (faults.stats().asked). */
  asked: number;
  /** The pool's nodes in use after the step. */
  nodesInUse: number;
}

/** A mapped stretch in canonical form: adjacent pieces of one mapping with one prot merged. */
export interface Segment {
  start: number;
  end: number;
  orig: number;
  prot: number;
}

/** How an mm's tree is made. */
export interface MmOptions {
  /** The tree in RCU mode (MT_FLAGS_USE_RCU), as the kernel's mm_struct's is; default false. */
  rcu?: boolean;
}

function isEnomem(e: unknown): e is MapleError {
  return e instanceof MapleError && e.code === 'ENOMEM';
}

export class Mm {
  readonly pool: NodePool;
  readonly mt: MapleTree<MmVma>;
  #nextId: { value: number };

  /** A new mm (an empty address space), or one over an existing tree (its flags as they are). */
  constructor(pool: NodePool = new NodePool(), mt?: MapleTree<MmVma>, ids = { value: 1 }, options: MmOptions = {}) {
    this.pool = pool;
    this.mt = mt ?? new MapleTree<MmVma>({ pool, allocRange: true, rcu: options.rcu ?? false });
    this.#nextId = ids;
  }

  /** Whether the tree is in RCU mode. */
  get rcu(): boolean {
    return this.mt.inRcu;
  }

  /** A VMA iterator over this mm at addr (page-aligned writes enforced). */
  vmi(addr = 0): VmaIterator<MmVma> {
    return new VmaIterator(this.mt, addr, { pageSize: PAGE });
  }

  /** A new VMA object; orig defaults to a fresh mapping. */
  newVma(vmStart: number, vmEnd: number, prot = 0, orig?: number): MmVma {
    const id = this.#nextId.value++;
    return { vmStart, vmEnd, id, orig: orig ?? id, prot, detached: false };
  }

  #asked(): number {
    return this.pool.faults.stats().asked;
  }

  #step(res: MunmapResult, step: string): void {
    res.steps.push({ step, asked: this.#asked(), nodesInUse: this.pool.stats().nodesInUse });
  }

  // ── building ──

  /** Load VMAs given in address order with vma_iter_bulk_alloc + vma_iter_bulk_store. */
  bulkLoad(ranges: [number, number][]): void {
    const vmi = this.vmi();
    try {
      vmi.bulkAlloc(ranges.length);
      for (const [s, e] of ranges) vmi.bulkStore(this.newVma(s, e));
    } finally {
      vmi.free();
      vmi.destroy();
    }
  }

  /**
   * A copy with the same tree shape (mt_dup) holding fresh VMA objects (same id, orig, prot),
   * put in by exact-fit stores, which need no node. Same pool. The copy is in RCU mode when
   * this mm is, from the end of the copy on (dup_mmap: mt_clear_in_rcu, the stores, then
   * mt_set_in_rcu).
   */
  clone(): Mm {
    const copy = new Mm(this.pool, this.mt.dup(), this.#nextId);
    const vmi = copy.vmi();
    try {
      for (const { entry } of copy.mt.entries()) vmi.storeGfp({ ...entry, detached: false });
    } finally {
      vmi.destroy();
    }
    if (this.rcu) copy.mt.setInRcu();
    return copy;
  }

  free(): void {
    this.mt.free();
  }

  // ── system calls ──

  /** mmap(NULL, len): the highest free [start, start + len) below TASK_SIZE; EBUSY, ENOMEM. */
  mmap(len: number, prot = 0): number {
    const vmi = this.vmi();
    try {
      const start = vmi.areaHighest(MMAP_MIN, TASK_SIZE, len) as number;
      const vma = this.newVma(start, start + len, prot);
      vmi.prealloc(vma); // mmap_region: vma_iter_config + vma_iter_prealloc ...
      vmi.store(vma); // ... and vma_iter_store: cannot fail
      return start;
    } finally {
      vmi.destroy();
    }
  }

  /** mmap(addr, len, MAP_FIXED_NOREPLACE): EEXIST if anything there is mapped; ENOMEM. */
  mapAt(start: number, len: number, prot = 0): MmVma {
    const vmi = this.vmi(start);
    try {
      const vma = this.newVma(start, start + len, prot);
      vmi.insert(vma);
      return vma;
    } finally {
      vmi.destroy();
    }
  }

  /**
   * __split_vma: replace vma by [vmStart, addr) and [addr, vmEnd). The upper piece is stored
   * from a preallocation (ENOMEM here changes nothing); the lower one is then an exact fit
   * over what is left of vma and needs no node.
   */
  #split(vmi: VmaIterator<MmVma>, vma: MmVma, addr: number): [MmVma, MmVma] {
    const lo = this.newVma(vma.vmStart, addr, vma.prot, vma.orig);
    const hi = this.newVma(addr, vma.vmEnd, vma.prot, vma.orig);
    vmi.prealloc(hi);
    vmi.store(hi);
    vmi.store(lo);
    return [lo, hi];
  }

  /** Put the iterator on vma, so that the next vma_find continues after it. */
  #seat(vmi: VmaIterator<MmVma>, vma: MmVma): void {
    vmi.set(vma.vmStart);
    vmi.load();
  }

  /** munmap(start, len) by do_vmi_align_munmap in the given variant. Throws only on a bug. */
  munmap(start: number, len: number, variant: MunmapVariant): MunmapResult {
    const end = start + len;
    const res: MunmapResult = {
      ok: true, passedPonr: false, askedAtStart: this.#asked(), askedAtEnd: 0, gathered: 0, splits: 0, removed: [],
      steps: [],
    };
    this.#step(res, 'start');
    const vmi = this.vmi(start);
    let side: MapleTree<MmVma> | undefined;
    let detach: MaState<MmVma> | undefined;
    try {
      vmi.config(start, end); // checks the range (alignment, end > start) before anything
      vmi.set(start);
      const first = vmi.find(end);
      if (first === undefined) {
        res.passedPonr = true; // nothing mapped: nothing to do
        res.askedAtPonr = this.#asked();
        this.#step(res, 'nothing mapped there');
        return res;
      }
      side = new MapleTree<MmVma>({ pool: this.pool });
      detach = new MaState(side, 0);
      res.sideTree = side;
      if (variant === 'gfp') this.#munmapGfp(vmi, first, start, end, detach, res);
      else this.#munmapPrealloc(vmi, first, start, end, detach, res);
      return res;
    } finally {
      detach?.free();
      side?.free(); // the side tree is destroyed on every path
      vmi.free();
      vmi.destroy();
      res.askedAtEnd = this.#asked();
      this.#step(res, 'end (side tree freed, reserves given back)');
    }
  }

  /** Split first at start if the range cuts it; returns the VMA now starting the range. */
  #splitStart(vmi: VmaIterator<MmVma>, vma: MmVma, start: number, res: MunmapResult): MmVma {
    if (vma.vmStart >= start) return vma;
    const [, hi] = this.#split(vmi, vma, start);
    res.splits++;
    this.#seat(vmi, hi);
    return hi;
  }

  /** Kernel 6.12: gather with allocating side-tree stores, then vma_iter_clear_gfp. */
  #munmapGfp(vmi: VmaIterator<MmVma>, first: MmVma, start: number, end: number,
             detach: MaState<MmVma>, res: MunmapResult): void {
    const side = detach.tree;
    let step: MunmapResult['failedAt'] = 'split';
    try {
      // vms_gather_munmap_vmas
      let vma: MmVma | undefined = this.#splitStart(vmi, first, start, res);
      if (res.splits > 0) this.#step(res, 'split at start');
      do {
        if (vma.vmEnd > end) {
          if (res.gathered > 0) this.#step(res, `gather ${res.gathered} VMAs into the side tree (detached)`);
          step = 'split';
          [vma] = this.#split(vmi, vma, end);
          res.splits++;
          this.#seat(vmi, vma);
          this.#step(res, 'split at end');
        }
        step = 'gather';
        detach.set(res.gathered);
        detach.store(vma);
        res.gathered++;
        res.removed.push(vma);
        vma.detached = true; // vma_mark_detached
      } while ((vma = vmi.find(end)) !== undefined);
      this.#step(res, `gather: ${res.gathered} VMAs in the side tree (detached)`);
      // do_vmi_align_munmap: clear the range from the main tree
      step = 'clear';
      vmi.clearGfp(start, end);
      this.#step(res, 'clear the range (vma_iter_clear_gfp)');
    } catch (e) {
      if (!isEnomem(e)) throw e;
      res.ok = false;
      res.error = e;
      res.failedAt = step;
      // reattach_vmas
      for (const { entry } of side.entries()) entry.detached = false;
      this.#step(res, `ENOMEM in ${step}: reattach the gathered VMAs`);
      return;
    }
    // Point of no return: vms_complete_munmap_vmas
    res.passedPonr = true;
    res.askedAtPonr = this.#asked();
    this.#step(res, 'point of no return');
  }

  /**
   * The fix: both splits first, then vma_iter_config + vma_iter_prealloc(NULL) for the clear,
   * then gather (side-tree stores may still fail: nothing is detached yet, the reserve goes
   * back), then the point of no return, vma_iter_clear from the reserve, mark detached.
   */
  #munmapPrealloc(vmi: VmaIterator<MmVma>, first: MmVma, start: number, end: number,
                  detach: MaState<MmVma>, res: MunmapResult): void {
    const side = detach.tree;
    let step: MunmapResult['failedAt'] = 'split';
    try {
      this.#splitStart(vmi, first, start, res);
      if (res.splits > 0) this.#step(res, 'split at start');
      vmi.set(end - 1);
      const tail = vmi.load();
      if (tail !== undefined && tail.vmEnd > end) {
        this.#split(vmi, tail, end);
        res.splits++;
        this.#step(res, 'split at end');
      }
      step = 'prealloc';
      vmi.config(start, end);
      vmi.prealloc(null);
      this.#step(res, 'preallocate the clear (vma_iter_prealloc)');
      step = 'gather';
      for (const vma of vmi.range(start, end)) {
        detach.set(res.gathered);
        detach.store(vma);
        res.gathered++;
        res.removed.push(vma);
      }
      this.#step(res, `gather ${res.gathered} VMAs into the side tree (not yet detached)`);
    } catch (e) {
      if (!isEnomem(e)) throw e;
      res.ok = false;
      res.error = e;
      res.failedAt = step;
      this.#step(res, `ENOMEM in ${step}: nothing detached, the reserve goes back`);
      return; // nothing was detached; munmap() gives the reserve back and frees the side tree
    }
    // Point of no return
    res.passedPonr = true;
    res.askedAtPonr = this.#asked();
    this.#step(res, 'point of no return');
    vmi.config(start, end);
    vmi.clear();
    for (const { entry } of side.entries()) entry.detached = true;
    this.#step(res, 'clear the range from the reserve (vma_iter_clear), mark detached');
  }

  /**
   * mprotect(start, len, prot): split at the edges, then give every VMA in the range a new
   * object with the new prot (an exact fit: no node). ENOMEM from a split leaves the splits
   * already made (as the kernel does) and changes no prot.
   */
  mprotect(start: number, len: number, prot: number): void {
    const end = start + len;
    const vmi = this.vmi(start);
    try {
      vmi.config(start, end);
      const updates: MmVma[] = [];
      vmi.set(start);
      let vma = vmi.find(end);
      while (vma !== undefined) {
        if (vma.vmStart < start) {
          [, vma] = this.#split(vmi, vma, start);
          this.#seat(vmi, vma);
        }
        if (vma.vmEnd > end) {
          [vma] = this.#split(vmi, vma, end);
          this.#seat(vmi, vma);
        }
        updates.push(vma);
        vma = vmi.find(end);
      }
      for (const old of updates) {
        const nv = this.newVma(old.vmStart, old.vmEnd, prot, old.orig);
        vmi.prealloc(nv); // exact fit: reserves nothing, cannot fail
        vmi.store(nv);
      }
    } finally {
      vmi.free();
      vmi.destroy();
    }
  }

  // ── checking ──

  /** All VMAs in address order. */
  vmas(): MmVma[] {
    const list: MmVma[] = [];
    for (const { entry } of this.mt.entries()) list.push(entry);
    return list;
  }

  /** The mapping in canonical form. */
  segments(): Segment[] {
    return canonical(this.vmas().map((v) => ({ start: v.vmStart, end: v.vmEnd, orig: v.orig, prot: v.prot })));
  }

  /**
   * Every invariant of the address space: validate (structure, gaps, pool accounting, handle
   * counts), each range holding a VMA with exactly that range, none detached.
   */
  check(): void {
    this.mt.validate();
    for (const { index, last, entry } of this.mt.entries()) {
      if (entry.vmStart !== index || entry.vmEnd !== (last as number) + 1) {
        throw new Error(`VMA ${entry.id} [${entry.vmStart.toString(16)}, ${entry.vmEnd.toString(16)}) stored over [${index.toString(16)}, ${last.toString(16)}]`);
      }
      if (entry.detached) throw new Error(`VMA ${entry.id} at ${index.toString(16)} is in the tree but detached`);
    }
  }
}

/** Sort, then merge adjacent segments of the same mapping and prot. */
export function canonical(segs: Segment[]): Segment[] {
  const sorted = [...segs].sort((a, b) => a.start - b.start);
  const outSegs: Segment[] = [];
  for (const s of sorted) {
    const prev = outSegs[outSegs.length - 1];
    if (prev && prev.end === s.start && prev.orig === s.orig && prev.prot === s.prot) prev.end = s.end;
    else outSegs.push({ ...s });
  }
  return outSegs;
}

/** The mapping after unmapping [start, end). */
export function unmapped(segs: Segment[], start: number, end: number): Segment[] {
  const outSegs: Segment[] = [];
  for (const s of segs) {
    if (s.end <= start || s.start >= end) outSegs.push({ ...s });
    else {
      if (s.start < start) outSegs.push({ ...s, end: start });
      if (s.end > end) outSegs.push({ ...s, start: end });
    }
  }
  return canonical(outSegs);
}

/** The mapping after mprotect(start, end - start, prot). */
export function reprotected(segs: Segment[], start: number, end: number, prot: number): Segment[] {
  const outSegs: Segment[] = [];
  for (const s of segs) {
    if (s.end <= start || s.start >= end) outSegs.push({ ...s });
    else {
      if (s.start < start) outSegs.push({ ...s, end: start });
      outSegs.push({ ...s, start: Math.max(s.start, start), end: Math.min(s.end, end), prot });
      if (s.end > end) outSegs.push({ ...s, start: end });
    }
  }
  return canonical(outSegs);
}
