// Node pools: where every maple node comes from and goes back to.
//
// Linear memory is taken from the host 64 KiB at a time (memory.grow) and cut into 4 KiB pages;
// a pool turns each page it takes into 16 nodes of 256 bytes:
//
//   4 KiB page
//   ┌────────┬────────┬────────┬─────┬─────────┐
//   │ node 0 │ node 1 │ node 2 │ ... │ node 15 │   each 256 bytes, 256-byte aligned
//   └────────┴────────┴────────┴─────┴─────────┘
//
// Free nodes sit on the pool's singly linked free list (link in the first pivot, parent word set
// to the node's own address so a stale pointer to it is recognisable). Pages are never returned
// to the host: like a slab cache, a pool keeps what it has grown to.
//
// Pool header (a 128-byte object, see objAlloc):
//   0 freeList u32 · 4 pagesInUse u32 · 8 nodesInUse u32 · 12 nodesFree u32
//   16 allocations u64 · 24 frees u64 · 32 trees u32 (first tree header, linked through them)
//   fault injection: 40 armed u32 (bit 0 a failure mode, bit 1 a non-kernel budget)
//   44 mode u32 · 48 countdown u32 · 52 rate u32 (of 2^32) · 56 prng u32 · 60 budget u32
//   64 asked u64 · 72 failed u64 · 80 last failure: op u32, 84 write type u32, 88 gfp u32,
//   96 which allocation (the asked count at the time) u64 · 104 nodes held in ma_state reserves u32
//   92 nodes taken from the emergency reserve u32 · 108 flags u32 (1 dropped by JS, free when idle · 2 shrunk · 4 injected faults fail the
//   emergency reserve too) · 112 next pool u32 · 116 emergency reserve u32 (list through offset 8)
//   120 its nodes u16 · 122 nodes it should hold u16 · 124 frees + pages at the last shrink u32
//
// The emergency reserve (see emergencyTopUp) is a few nodes only freeing writes may use: erases
// and NULL stores draw on it when the normal path fails, so that a full memory can be emptied.

import { setNodeDead, mteIsDead } from './node';
import { DEBUG, FAULTS } from './config';

// @ts-ignore: decorator
@inline const PAGE_SIZE: usize = 4096;
// @ts-ignore: decorator
@inline const NODES_PER_PAGE: u32 = 16;
// @ts-ignore: decorator
@inline const WASM_PAGE: usize = 65536;

// ── pages ────────────────────────────────────────────────────────────────────

// The page allocator's state lives in linear memory, not in globals: over a shared memory every
// instance (each thread has its own globals) must see the same allocator.
//   0 chunk next · 4 chunk end · 8 given-back pages (linked through their first word) ·
//   12 their count · 16 memory cap in 64 KiB pages (0: none beyond the engine's 4 GiB) ·
//   20 every pool (linked through P_NEXT_POOL: where pageAlloc looks for whole free pages) ·
//   24, 28, 32 free objects of 128 bytes, 1 KiB, 4 KiB
const HEAP: usize = memory.data(64, 16);
// @ts-ignore: decorator
@inline function heap(at: usize): usize { return load<usize>(HEAP + at); }
// @ts-ignore: decorator
@inline function setHeap(at: usize, v: usize): void { store<usize>(HEAP + at, v); }
// @ts-ignore: decorator
@inline const H_CHUNK_NEXT: usize = 0;
// @ts-ignore: decorator
@inline const H_CHUNK_END: usize = 4;
// @ts-ignore: decorator
@inline const H_FREE_PAGES: usize = 8;
// @ts-ignore: decorator
@inline const H_FREE_PAGE_COUNT: usize = 12;
// @ts-ignore: decorator
@inline const H_MEM_CAP: usize = 16;
// @ts-ignore: decorator
@inline const H_POOLS: usize = 20;
// @ts-ignore: decorator
@inline const H_FREE_SMALL: usize = 24;
// @ts-ignore: decorator
@inline const H_FREE_LARGE: usize = 28;
// @ts-ignore: decorator
@inline const H_FREE_OBJ_PAGE: usize = 32;

// Memory grows by an eighth of its size (at least 1 MiB): every growth makes the host replace
// its ArrayBuffer, and growing a page at a time makes that, not the tree, the cost of a store.
// @ts-ignore: decorator
@inline const GROW_MIN_PAGES: i32 = 16;

/** memory.grow, but never past the cap. */
function growBy(pages: i32): i32 {
  const cap = <i32>heap(H_MEM_CAP);
  if (cap > 0 && memory.size() + pages > cap) return -1;
  return memory.grow(pages);
}

/**
 * A zeroed 4 KiB page, or 0 when linear memory cannot grow and no pool has a whole page free:
 * given-back pages first, then the current chunk, then new memory; and when memory cannot grow,
 * the pools give back the pages all of whose nodes are free (poolShrink), so nodes freed by
 * erases can become states, batches or another pool's nodes.
 */
function pageAlloc(): usize {
  if (heap(H_FREE_PAGES) == 0 && heap(H_CHUNK_NEXT) == heap(H_CHUNK_END)) {
    const want = max(GROW_MIN_PAGES, memory.size() >> 3);
    let pages = want;
    let before = growBy(pages);
    if (before < 0) {
      pages = 1;
      before = growBy(pages);
    }
    if (before >= 0) {
      setHeap(H_CHUNK_NEXT, <usize>before * WASM_PAGE);
      setHeap(H_CHUNK_END, <usize>before * WASM_PAGE + <usize>pages * WASM_PAGE);
    } else {
      for (let p = heap(H_POOLS); p != 0 && heap(H_FREE_PAGES) == 0; p = load<usize>(p, P_NEXT_POOL)) poolShrink(p);
      if (heap(H_FREE_PAGES) == 0) return 0;
    }
  }
  const given = heap(H_FREE_PAGES);
  if (given != 0) {
    setHeap(H_FREE_PAGES, load<usize>(given));
    setHeap(H_FREE_PAGE_COUNT, heap(H_FREE_PAGE_COUNT) - 1);
    memory.fill(given, 0, PAGE_SIZE);
    return given;
  }
  const page = heap(H_CHUNK_NEXT);
  setHeap(H_CHUNK_NEXT, page + PAGE_SIZE);
  return page;
}

/** Give a page back for any later pageAlloc. */
function pageFree(page: usize): void {
  store<usize>(page, heap(H_FREE_PAGES));
  setHeap(H_FREE_PAGES, page);
  setHeap(H_FREE_PAGE_COUNT, heap(H_FREE_PAGE_COUNT) + 1);
}

/**
 * Cap linear memory at `pages` 64 KiB pages (0 lifts the cap): for tests of a full memory. A cap
 * also drops the rest of the current chunk, so that what is left is exactly the cap's room.
 */
export function setMemoryCap(pages: i32): void {
  setHeap(H_MEM_CAP, <usize>pages);
  if (pages > 0) setHeap(H_CHUNK_NEXT, heap(H_CHUNK_END));
}

/** Pages given back and not yet reused. */
export function freePagesCount(): u32 {
  return <u32>heap(H_FREE_PAGE_COUNT);
}

/** Bytes of linear memory in use by the whole module (for memory-per-range reports). */
export function memoryBytes(): f64 {
  // As f64: 65,536 pages (4 GiB) is 2^32, one past what a u32 holds.
  return <f64>memory.size() * <f64>WASM_PAGE;
}

// ── small objects (pool, tree and state headers, batch buffers) ──────────────

// Three size classes: 128 bytes (pools, trees), 1 KiB (ma_states, which carry a path) and a
// whole 4 KiB page (iteration batch buffers: the more records a batch holds, the fewer times an
// iteration crosses the boundary).
// @ts-ignore: decorator
@inline export const OBJ_SMALL: usize = 128;
// @ts-ignore: decorator
@inline export const OBJ_LARGE: usize = 1024;
// @ts-ignore: decorator
@inline export const OBJ_PAGE: usize = PAGE_SIZE;

// @ts-ignore: decorator
@inline function freeHead(size: usize): usize {
  return heap(size == OBJ_SMALL ? H_FREE_SMALL : size == OBJ_LARGE ? H_FREE_LARGE : H_FREE_OBJ_PAGE);
}
// @ts-ignore: decorator
@inline function setFreeHead(size: usize, head: usize): void {
  setHeap(size == OBJ_SMALL ? H_FREE_SMALL : size == OBJ_LARGE ? H_FREE_LARGE : H_FREE_OBJ_PAGE, head);
}

/** A zeroed object of OBJ_SMALL, OBJ_LARGE or OBJ_PAGE bytes, or 0 when memory is exhausted. */
export function objAlloc(size: usize): usize {
  let head = freeHead(size);
  if (head == 0) {
    const page = pageAlloc();
    if (page == 0) return 0;
    for (let p = page + PAGE_SIZE - size; p >= page; p -= size) {
      store<usize>(p, head);
      head = p;
      if (p == page) break;
    }
  }
  const obj = head;
  setFreeHead(size, load<usize>(obj));
  memory.fill(obj, 0, size);
  return obj;
}

export function objFree(obj: usize, size: usize): void {
  store<usize>(obj, freeHead(size));
  setFreeHead(size, obj);
}

// ── node pools ───────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline const P_FREE: usize = 0;
// @ts-ignore: decorator
@inline const P_PAGES: usize = 4;
// @ts-ignore: decorator
@inline const P_IN_USE: usize = 8;
// @ts-ignore: decorator
@inline const P_NODES_FREE: usize = 12;
// @ts-ignore: decorator
@inline const P_ALLOCS: usize = 16;
// @ts-ignore: decorator
@inline const P_FREES: usize = 24;
// @ts-ignore: decorator
@inline const P_TREES: usize = 32;
// @ts-ignore: decorator
@inline const P_ARMED: usize = 40;
// @ts-ignore: decorator
@inline const P_MODE: usize = 44;
// @ts-ignore: decorator
@inline const P_COUNT: usize = 48;
// @ts-ignore: decorator
@inline const P_RATE: usize = 52;
// @ts-ignore: decorator
@inline const P_PRNG: usize = 56;
// @ts-ignore: decorator
@inline const P_BUDGET: usize = 60;
// @ts-ignore: decorator
@inline const P_ASKED: usize = 64;
// @ts-ignore: decorator
@inline const P_FAILED: usize = 72;
// @ts-ignore: decorator
@inline const P_LAST_OP: usize = 80;
// @ts-ignore: decorator
@inline const P_LAST_TYPE: usize = 84;
// @ts-ignore: decorator
@inline const P_LAST_GFP: usize = 88;
// @ts-ignore: decorator
@inline const P_LAST_SEQ: usize = 96;
// @ts-ignore: decorator
@inline const P_RESERVED: usize = 104;
// @ts-ignore: decorator
@inline const P_FLAGS: usize = 108;
// @ts-ignore: decorator
@inline const P_NEXT_POOL: usize = 112;
// @ts-ignore: decorator
@inline const P_EMERG_USED: usize = 92;
// @ts-ignore: decorator
@inline const P_EMERG: usize = 116;
// @ts-ignore: decorator
@inline const P_EMERG_COUNT: usize = 120;
// @ts-ignore: decorator
@inline const P_EMERG_WANT: usize = 122;
// @ts-ignore: decorator
@inline const P_SHRUNK_AT: usize = 124;

// @ts-ignore: decorator
@inline const POOL_ORPHAN: u32 = 1;
// @ts-ignore: decorator
@inline const POOL_SHRUNK: u32 = 2;
// @ts-ignore: decorator
@inline const POOL_RESERVE_FAILS: u32 = 4;

/** Allocation modes, as the kernel's gfp flags: GFP_KERNEL may reclaim, GFP_NOWAIT may not. */
// @ts-ignore: decorator
@inline export const GFP_KERNEL: u32 = 0;
// @ts-ignore: decorator
@inline export const GFP_NOWAIT: u32 = 1;

/** Fault modes. */
// @ts-ignore: decorator
@inline export const FAULT_OFF: u32 = 0;
// @ts-ignore: decorator
@inline export const FAULT_NTH: u32 = 1;
// @ts-ignore: decorator
@inline export const FAULT_AFTER: u32 = 2;
// @ts-ignore: decorator
@inline export const FAULT_RATE: u32 = 3;

// @ts-ignore: decorator
@inline const ARMED_MODE: u32 = 1;
// @ts-ignore: decorator
@inline const ARMED_BUDGET: u32 = 2;

/** What is allocating, for the failure log: set by the operation (op) and the write (type). */
export let allocOp: u32 = 0;
export let allocType: u32 = 0;
export function setAllocContext(op: u32, type: u32): void {
  allocOp = op;
  allocType = type;
}

export function poolCreate(): usize {
  const pool = objAlloc(OBJ_SMALL);
  if (pool != 0) {
    store<usize>(pool, heap(H_POOLS), P_NEXT_POOL);
    setHeap(H_POOLS, pool);
  }
  return pool;
}

/**
 * Sort a pool's free list by address (a bottom-up merge sort of the list itself: no memory
 * needed) and give back every page all 16 of whose nodes are on it. Skipped when nothing was
 * freed since the last time. Returns the pages given back.
 */
export function poolShrink(pool: usize): u32 {
  // Frees plus pages: changes whenever the free list can have gained a whole page.
  const before = <u32>poolFrees(pool) + poolPages(pool);
  const flags = load<u32>(pool, P_FLAGS);
  if ((flags & POOL_SHRUNK) != 0 && load<u32>(pool, P_SHRUNK_AT) == before) return 0;
  store<u32>(pool, flags | POOL_SHRUNK, P_FLAGS);
  // The emergency reserve joins the free list for the sort, and is taken back afterwards from
  // pages that stay, so that its nodes do not pin pages that could go.
  let e = poolEmergency(pool);
  let free = load<usize>(pool, P_FREE);
  for (let node = load<usize>(pool, P_EMERG); node != 0;) {
    const next = load<usize>(node, 8);
    store<usize>(node, free, 8);
    free = node;
    node = next;
  }
  const n = poolNodesFree(pool) + e;
  let head = sortList(free, n);
  // Split the sorted list into whole pages (a run of 16 in one page) and the rest.
  let kept: usize = 0; // partly used pages' nodes, in order through keptTail
  let keptTail: usize = 0;
  let whole: usize = 0; // whole pages' nodes, in order through wholeTail
  let wholeTail: usize = 0;
  let wholeCount: u32 = 0;
  let node = head;
  while (node != 0) {
    const run = node;
    let count: u32 = 1;
    let last = node;
    const page = node & ~(PAGE_SIZE - 1);
    while (count < NODES_PER_PAGE) {
      const next = load<usize>(last, 8);
      if (next == 0 || (next & ~(PAGE_SIZE - 1)) != page) break;
      last = next;
      count++;
    }
    const after = load<usize>(last, 8);
    store<usize>(last, 0, 8);
    if (count == NODES_PER_PAGE) {
      if (wholeTail == 0) whole = run; else store<usize>(wholeTail, run, 8);
      wholeTail = last;
      wholeCount++;
    } else {
      if (keptTail == 0) kept = run; else store<usize>(keptTail, run, 8);
      keptTail = last;
    }
    node = after;
  }
  // The emergency reserve back, from the partly used pages first, then from whole pages (whose
  // other nodes then stay on the free list too).
  e = 0;
  const want = <u32>load<u16>(pool, P_EMERG_WANT);
  let emerg: usize = 0;
  while (e < want && (kept != 0 || whole != 0)) {
    if (kept == 0) {
      // Open the next whole page: its 16 nodes become partly-used-page nodes.
      kept = whole;
      let last = whole;
      for (let i: u32 = 1; i < NODES_PER_PAGE; i++) last = load<usize>(last, 8);
      whole = load<usize>(last, 8);
      if (whole == 0) wholeTail = 0;
      store<usize>(last, 0, 8);
      keptTail = last;
      wholeCount--;
    }
    const take = kept;
    kept = load<usize>(take, 8);
    if (kept == 0) keptTail = 0;
    store<usize>(take, emerg, 8);
    emerg = take;
    e++;
  }
  store<usize>(pool, emerg, P_EMERG);
  store<u16>(pool, <u16>e, P_EMERG_COUNT);
  // Give back the whole pages that are left.
  for (let i: u32 = 0; i < wholeCount; i++) {
    const page = whole & ~(PAGE_SIZE - 1);
    let last = whole;
    for (let k: u32 = 1; k < NODES_PER_PAGE; k++) last = load<usize>(last, 8);
    whole = load<usize>(last, 8);
    pageFree(page);
  }
  store<usize>(pool, kept, P_FREE);
  store<u32>(pool, poolPages(pool) - wholeCount, P_PAGES);
  store<u32>(pool, n - e - wholeCount * NODES_PER_PAGE, P_NODES_FREE);
  store<u32>(pool, <u32>poolFrees(pool) + poolPages(pool), P_SHRUNK_AT);
  return wholeCount;
}

/** Sort a list of n nodes linked through offset 8 by address; returns the new head. */
function sortList(head: usize, n: u32): usize {
  // Bottom-up merge sort: runs of width 1, 2, 4, ... merged pairwise along the list.
  for (let width: u32 = 1; width < n; width <<= 1) {
    let rest = head;
    let newHead: usize = 0;
    let tail: usize = 0;
    while (rest != 0) {
      let a = rest;
      let b = split(a, width);
      rest = split(b, width);
      // merge a and b
      while (a != 0 || b != 0) {
        let take: usize;
        if (b == 0 || (a != 0 && a < b)) { take = a; a = load<usize>(a, 8); }
        else { take = b; b = load<usize>(b, 8); }
        if (tail == 0) newHead = take; else store<usize>(tail, take, 8);
        tail = take;
      }
      store<usize>(tail, 0, 8);
    }
    head = newHead;
  }
  return head;
}

/** Cut the list after `count` nodes; returns the rest (0 when the list is shorter). */
function split(list: usize, count: u32): usize {
  if (list == 0) return 0;
  let node = list;
  for (let i: u32 = 1; i < count; i++) {
    const next = load<usize>(node, 8);
    if (next == 0) return 0;
    node = next;
  }
  const rest = load<usize>(node, 8);
  store<usize>(node, 0, 8);
  return rest;
}

// ── the emergency reserve ────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function poolEmergency(pool: usize): u32 { return <u32>load<u16>(pool, P_EMERG_COUNT); }

// Nodes the emergency reserve holds beyond one worst-case erase: an erase at a full memory takes
// the whole worst case from the reserve and gives back what it did not use, but the tree can
// come out a node larger (a rebuilt level may take one more node than it had), so a long run of
// erases with nothing else freed wears the reserve down by a node now and then.
// @ts-ignore: decorator
@inline const EMERGENCY_SLACK: u32 = 16;

/**
 * Before a write that adds entries allocates: make the emergency reserve what the worst erase of
 * a tree of the given height needs (a spanning NULL store: 3h + 1 nodes; the caller passes one
 * more than the tree's height), topping it up from the free list or new pages. Not an allocation of the write: no fault checks, nothing counted as asked.
 * When memory cannot grow it stays short, and the write then fails on its own allocation.
 */
export function emergencyTopUp(pool: usize, height: i32): void {
  let want = <u32>load<u16>(pool, P_EMERG_WANT);
  const need = <u32>(3 * height + 1) + EMERGENCY_SLACK;
  if (need > want) {
    want = need;
    store<u16>(pool, <u16>want, P_EMERG_WANT);
  }
  let count = poolEmergency(pool);
  if (count >= want) return;
  let head = load<usize>(pool, P_EMERG);
  while (count < want) {
    let node = load<usize>(pool, P_FREE);
    if (node == 0) {
      if (!poolGrow(pool)) break;
      node = load<usize>(pool, P_FREE);
    }
    store<usize>(pool, load<usize>(node, 8), P_FREE);
    store<u32>(pool, poolNodesFree(pool) - 1, P_NODES_FREE);
    store<usize>(node, head, 8); // stays marked dead, as on the free list
    head = node;
    count++;
  }
  store<usize>(pool, head, P_EMERG);
  store<u16>(pool, <u16>count, P_EMERG_COUNT);
}

/**
 * A node from the emergency reserve for a freeing write whose normal allocation failed, counted
 * as an allocation of the pool; 0 when the reserve is empty (or injected faults are set to fail
 * it too).
 */
export function emergencyAlloc(pool: usize): usize {
  const node = load<usize>(pool, P_EMERG);
  if (node == 0) return 0;
  if (FAULTS && (load<u32>(pool, P_FLAGS) & POOL_RESERVE_FAILS) != 0 && load<u32>(pool, P_ARMED) != 0) {
    return 0;
  }
  if (DEBUG) assert(mteIsDead(node), 'pool: emergency reserve holds a live node');
  store<usize>(pool, load<usize>(node, 8), P_EMERG);
  store<u16>(pool, <u16>(poolEmergency(pool) - 1), P_EMERG_COUNT);
  store<u32>(pool, poolNodesInUse(pool) + 1, P_IN_USE);
  store<u64>(pool, poolAllocations(pool) + 1, P_ALLOCS);
  store<u32>(pool, load<u32>(pool, P_EMERG_USED) + 1, P_EMERG_USED);
  store<u64>(node, 0); // live, not yet linked
  return node;
}

/** Nodes ever taken from the emergency reserve. */
export function poolEmergencyUsed(pool: usize): u32 { return load<u32>(pool, P_EMERG_USED); }

/** Whether armed fault injection fails the emergency reserve too (FaultControls.failReserve). */
export function setReserveFails(pool: usize, on: bool): void {
  const f = load<u32>(pool, P_FLAGS) & ~POOL_RESERVE_FAILS;
  store<u32>(pool, on ? f | POOL_RESERVE_FAILS : f, P_FLAGS);
}

/** Whether a pool has no tree and no node in use (so its pages and header may go). */
export function poolIdle(pool: usize): bool {
  return poolTrees(pool) == 0 && poolNodesInUse(pool) == 0;
}

/**
 * Free a pool: every page back, the header released. Only when idle (poolIdle); returns false,
 * changing nothing, otherwise.
 */
export function poolRelease(pool: usize): bool {
  if (!poolIdle(pool)) return false;
  store<u16>(pool, 0, P_EMERG_WANT); // the emergency nodes go back with their pages too
  store<u32>(pool, 0, P_FLAGS); // not shrunk since: a full shrink
  poolShrink(pool);
  if (DEBUG) assert(poolPages(pool) == 0, 'pool: pages left after release');
  if (heap(H_POOLS) == pool) setHeap(H_POOLS, load<usize>(pool, P_NEXT_POOL));
  else {
    let p = heap(H_POOLS);
    while (load<usize>(p, P_NEXT_POOL) != pool) p = load<usize>(p, P_NEXT_POOL);
    store<usize>(p, load<usize>(pool, P_NEXT_POOL), P_NEXT_POOL);
  }
  objFree(pool, OBJ_SMALL);
  return true;
}

/** The JS object of a pool was collected: release it now, or once its last tree and node go. */
export function poolDrop(pool: usize): void {
  if (!poolRelease(pool)) store<u32>(pool, load<u32>(pool, P_FLAGS) | POOL_ORPHAN, P_FLAGS);
}

/** After a tree or state of pool went: release the pool if it was dropped and is now idle. */
export function poolSettle(pool: usize): void {
  if ((load<u32>(pool, P_FLAGS) & POOL_ORPHAN) != 0) poolRelease(pool);
}

// @ts-ignore: decorator
@inline export function poolPages(pool: usize): u32 { return load<u32>(pool, P_PAGES); }
// @ts-ignore: decorator
@inline export function poolNodesInUse(pool: usize): u32 { return load<u32>(pool, P_IN_USE); }
// @ts-ignore: decorator
@inline export function poolNodesFree(pool: usize): u32 { return load<u32>(pool, P_NODES_FREE); }
// @ts-ignore: decorator
@inline export function poolAllocations(pool: usize): u64 { return load<u64>(pool, P_ALLOCS); }
// @ts-ignore: decorator
@inline export function poolFrees(pool: usize): u64 { return load<u64>(pool, P_FREES); }
// @ts-ignore: decorator
@inline export function poolReserved(pool: usize): u32 { return load<u32>(pool, P_RESERVED); }
// @ts-ignore: decorator
@inline export function addPoolReserved(pool: usize, delta: i32): void {
  store<u32>(pool, <u32>(<i32>load<u32>(pool, P_RESERVED) + delta), P_RESERVED);
}
// @ts-ignore: decorator
@inline export function poolTrees(pool: usize): usize { return load<usize>(pool, P_TREES); }
// @ts-ignore: decorator
@inline export function setPoolTrees(pool: usize, tree: usize): void { store<usize>(pool, tree, P_TREES); }

/** Give the pool one more page: 16 nodes onto its free list. */
function poolGrow(pool: usize): bool {
  const page = pageAlloc();
  if (page == 0) return false;
  let head = load<usize>(pool, P_FREE);
  for (let i: i32 = <i32>NODES_PER_PAGE - 1; i >= 0; i--) {
    const node = page + (<usize>i << 8);
    setNodeDead(node);
    store<usize>(node, head, 8);
    head = node;
  }
  store<usize>(pool, head, P_FREE);
  store<u32>(pool, poolPages(pool) + 1, P_PAGES);
  store<u32>(pool, poolNodesFree(pool) + NODES_PER_PAGE, P_NODES_FREE);
  return true;
}

// ── fault injection ──────────────────────────────────────────────────────────

/** Arm a failure mode: FAULT_NTH (count = n), FAULT_AFTER (count = n), FAULT_RATE. */
export function faultSet(pool: usize, mode: u32, count: u32, rate: u32, seed: u32): void {
  store<u32>(pool, mode, P_MODE);
  store<u32>(pool, count, P_COUNT);
  store<u32>(pool, rate, P_RATE);
  store<u32>(pool, seed, P_PRNG);
  const armed = load<u32>(pool, P_ARMED) & ~ARMED_MODE;
  store<u32>(pool, mode == FAULT_OFF ? armed : armed | ARMED_MODE, P_ARMED);
}

/** Let only `budget` more GFP_NOWAIT allocations succeed (mt_set_non_kernel); -1 lifts it. */
export function faultBudget(pool: usize, budget: i32): void {
  const armed = load<u32>(pool, P_ARMED) & ~ARMED_BUDGET;
  store<u32>(pool, <u32>max(budget, 0), P_BUDGET);
  store<u32>(pool, budget < 0 ? armed : armed | ARMED_BUDGET, P_ARMED);
}

/** One fault counter: 0 asked, 1 failed, 2 last op, 3 last write type, 4 last gfp, 5 which. */
export function faultStat(pool: usize, which: i32): f64 {
  switch (which) {
    case 0: return <f64>load<u64>(pool, P_ASKED);
    case 1: return <f64>load<u64>(pool, P_FAILED);
    case 2: return <f64>load<u32>(pool, P_LAST_OP);
    case 3: return <f64>load<u32>(pool, P_LAST_TYPE);
    case 4: return <f64>load<u32>(pool, P_LAST_GFP);
    case 5: return <f64>load<u64>(pool, P_LAST_SEQ);
    case 6: return <f64>load<u32>(pool, P_BUDGET);
    case 7: return <f64>load<u32>(pool, P_COUNT);
  }
  return -1;
}

/** Whether the armed faults fail this allocation (advancing their counters). */
function faultFires(pool: usize, gfp: u32): bool {
  const armed = load<u32>(pool, P_ARMED);
  if (armed & ARMED_MODE) {
    const mode = load<u32>(pool, P_MODE);
    const count = load<u32>(pool, P_COUNT);
    if (mode == FAULT_NTH) {
      store<u32>(pool, count - 1, P_COUNT);
      if (count == 1) {
        faultSet(pool, FAULT_OFF, 0, 0, 0);
        return true;
      }
    } else if (mode == FAULT_AFTER) {
      if (count == 0) return true;
      store<u32>(pool, count - 1, P_COUNT);
    } else {
      // mulberry32, so a seed replays the same failures
      let t = load<u32>(pool, P_PRNG) + 0x6D2B79F5;
      store<u32>(pool, t, P_PRNG);
      t = (t ^ (t >> 15)) * (t | 1);
      t ^= t + (t ^ (t >> 7)) * (t | 61);
      t ^= t >> 14;
      if (t < load<u32>(pool, P_RATE)) return true;
    }
  }
  if ((armed & ARMED_BUDGET) && gfp == GFP_NOWAIT) {
    const budget = load<u32>(pool, P_BUDGET);
    if (budget == 0) return true;
    store<u32>(pool, budget - 1, P_BUDGET);
  }
  return false;
}

/**
 * The one place a node is allocated: a 256-byte node, or 0 when no memory is left or an armed
 * fault fails it. Its contents are stale: every caller writes all of it (maWriteNode or a copy)
 * before linking it in. Callers treat 0 as ENOMEM and must not have modified the tree yet.
 */
export function nodeAlloc(pool: usize, gfp: u32): usize {
  const asked = load<u64>(pool, P_ASKED) + 1;
  store<u64>(pool, asked, P_ASKED);
  if (FAULTS && load<u32>(pool, P_ARMED) != 0 && faultFires(pool, gfp)) {
    store<u64>(pool, load<u64>(pool, P_FAILED) + 1, P_FAILED);
    store<u32>(pool, allocOp, P_LAST_OP);
    store<u32>(pool, allocType, P_LAST_TYPE);
    store<u32>(pool, gfp, P_LAST_GFP);
    store<u64>(pool, asked, P_LAST_SEQ);
    return 0;
  }
  let node = load<usize>(pool, P_FREE);
  if (node == 0) {
    if (!poolGrow(pool)) return 0;
    node = load<usize>(pool, P_FREE);
  }
  if (DEBUG) assert(mteIsDead(node), 'pool: free list holds a live node');
  store<usize>(pool, load<usize>(node, 8), P_FREE);
  store<u32>(pool, poolNodesFree(pool) - 1, P_NODES_FREE);
  store<u32>(pool, poolNodesInUse(pool) + 1, P_IN_USE);
  store<u64>(pool, poolAllocations(pool) + 1, P_ALLOCS);
  store<u64>(node, 0); // live, not yet linked
  return node;
}

/**
 * Take `count` nodes at once (a write's reserve), as `count` nodeAlloc calls would, chained
 * through their next word (offset 8) with the last one linked to `after`. Returns the first, or
 * 0 (nothing taken) when fault injection is armed or the pool cannot grow enough: the caller
 * then goes node by node, so that every allocation meets the fault checks in order.
 */
export function nodeAllocChain(pool: usize, count: u32, after: usize): usize {
  if (count == 0 || (FAULTS && load<u32>(pool, P_ARMED) != 0)) return 0;
  while (poolNodesFree(pool) < count) if (!poolGrow(pool)) return 0;
  const first = load<usize>(pool, P_FREE);
  let node = first;
  for (let i: u32 = 1; ; i++) {
    if (DEBUG) assert(mteIsDead(node), 'pool: free list holds a live node');
    store<u64>(node, 0); // live, not yet linked
    if (i == count) break;
    node = load<usize>(node, 8);
  }
  store<usize>(pool, load<usize>(node, 8), P_FREE);
  store<usize>(node, after, 8);
  store<u64>(pool, load<u64>(pool, P_ASKED) + count, P_ASKED);
  store<u32>(pool, poolNodesFree(pool) - count, P_NODES_FREE);
  store<u32>(pool, poolNodesInUse(pool) + count, P_IN_USE);
  store<u64>(pool, poolAllocations(pool) + count, P_ALLOCS);
  return first;
}

/**
 * The one place nodes are freed: a chain of `count` nodes linked through their next word (the
 * last one's link is ignored) goes onto the free list in the chain's order.
 */
export function nodeFreeChain(pool: usize, first: usize, count: u32): void {
  if (count == 0) return;
  store<u32>(pool, poolNodesInUse(pool) - count, P_IN_USE);
  store<u64>(pool, poolFrees(pool) + count, P_FREES);
  // The emergency reserve, when short (after an erase drew on it), is refilled first.
  let e = poolEmergency(pool);
  if (e < <u32>load<u16>(pool, P_EMERG_WANT)) {
    const want = <u32>load<u16>(pool, P_EMERG_WANT);
    let head = load<usize>(pool, P_EMERG);
    while (count > 0 && e < want) {
      if (DEBUG) assert(!mteIsDead(first), 'pool: double free of a node');
      const next = load<usize>(first, 8);
      setNodeDead(first);
      store<usize>(first, head, 8);
      head = first;
      first = next;
      e++;
      count--;
    }
    store<usize>(pool, head, P_EMERG);
    store<u16>(pool, <u16>e, P_EMERG_COUNT);
    if (count == 0) return;
  }
  let node = first;
  for (let i: u32 = 1; ; i++) {
    if (DEBUG) assert(!mteIsDead(node), 'pool: double free of a node');
    const next = load<usize>(node, 8);
    setNodeDead(node);
    if (i == count) break;
    node = next;
  }
  store<usize>(node, load<usize>(pool, P_FREE), 8);
  store<usize>(pool, first, P_FREE);
  store<u32>(pool, poolNodesFree(pool) + count, P_NODES_FREE);
}

/** Nodes a pool counts in use change without an allocation or a free (RCU's retired nodes). */
export function adjustPoolInUse(pool: usize, delta: i32): void {
  store<u32>(pool, <u32>(<i32>poolNodesInUse(pool) + delta), P_IN_USE);
}

/** Free one node: a chain of one. */
export function nodeFree(pool: usize, node: usize): void {
  nodeFreeChain(pool, node, 1);
}
