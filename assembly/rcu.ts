// RCU: readers that take no lock, and nodes freed only after a grace period.
//
// In RCU mode a write never changes a node a reader may be inside, except by one atomic slot
// store; everything else is written into new nodes, which one atomic store into a parent slot
// (or the root) publishes, after which the replaced nodes are marked dead (parent word pointing
// at the node itself) and retired: they go back to their pool only once every reader that was
// inside a read section when they died has left it.
//
// Grace periods are epochs. A reader entering a read section announces the current epoch in its
// slot, and clears the slot on leaving. A write stamps what it retires with the current epoch
// and advances the epoch when it ends; a node stamped e may be freed once no slot holds an epoch
// at or below e. A reader that read the epoch before the write advanced it but announced it
// after the writer looked at its slot cannot hold such a node: its walks start after the new
// node was published (all accesses here are sequentially consistent atomics). With no slot
// claimed but the writer's own, a retired node is freed at once, as outside RCU mode.
//
// Everything lives in linear memory, shared by every instance over a shared memory:
//   RCU block: 0 epoch u32 · 4 reader slots claimed u32 (instances and simulated readers) ·
//              8 limbo head page · 12 limbo tail page ·
//              16 nodes waiting u32 · 20 write lock u32 · 24 instances u32 ·
//              28 the instance that last took the write lock (its id + 1) ·
//              32 the reader slot of the memory's first instance + 1 (0: none) ·
//              36 slots ever claimed: one past the highest (the scans stop there)
//   reader slots (MAX_READERS): 0 claimed u32 · 4 epoch announced (0: outside a read section)
//   limbo pages (4 KiB, oldest first): 0 next page · 4 first live record · 8 records written ·
//              records of 16 bytes from 16: node u32, pool u32, epoch u32
//
// The build without shared memory (SHARED false) keeps the same scheme with plain loads and
// stores: its readers are simulated ones in the same thread (tests of the interleavings).

import { SHARED } from './config';
import { setNodeDead } from './node';
import { nodeFree, objAlloc, objFree, OBJ_PAGE, adjustPoolInUse } from './pool';

/** Reader slots: threads (or simulated readers) attached at once. */
// @ts-ignore: decorator
@inline export const MAX_READERS: i32 = 64;

const RCU: usize = memory.data(48, 16);
const READERS: usize = memory.data(MAX_READERS * 8, 16);

// @ts-ignore: decorator
@inline const R_EPOCH: usize = 0;
// @ts-ignore: decorator
@inline const R_ATTACHED: usize = 4;
// @ts-ignore: decorator
@inline const R_HEAD: usize = 8;
// @ts-ignore: decorator
@inline const R_TAIL: usize = 12;
// @ts-ignore: decorator
@inline const R_WAITING: usize = 16;
// @ts-ignore: decorator
@inline const R_LOCK: usize = 20;
// @ts-ignore: decorator
@inline const R_INSTANCES: usize = 24;
// @ts-ignore: decorator
@inline const R_HOLDER: usize = 28;
// @ts-ignore: decorator
@inline const R_FIRST: usize = 32;
// @ts-ignore: decorator
@inline const R_SLOTS_USED: usize = 36;

// @ts-ignore: decorator
@inline const LIMBO_FIRST: usize = 16;
// @ts-ignore: decorator
@inline const LIMBO_RECORDS: u32 = <u32>((OBJ_PAGE - LIMBO_FIRST) / 16);

// ── atomics (plain accesses in the build without shared memory) ──────────────

// @ts-ignore: decorator
@inline export function aload32(addr: usize): u32 {
  return SHARED ? atomic.load<u32>(addr) : load<u32>(addr);
}
// @ts-ignore: decorator
@inline export function astore32(addr: usize, v: u32): void {
  if (SHARED) atomic.store<u32>(addr, v); else store<u32>(addr, v);
}
// @ts-ignore: decorator
@inline export function aload64(addr: usize): u64 {
  return SHARED ? atomic.load<u64>(addr) : load<u64>(addr);
}
/** Publish a word readers may be reading (rcu_assign_pointer). */
// @ts-ignore: decorator
@inline export function astore64(addr: usize, v: u64): void {
  if (SHARED) atomic.store<u64>(addr, v); else store<u64>(addr, v);
}
// @ts-ignore: decorator
@inline function aadd32(addr: usize, v: u32): u32 {
  if (SHARED) return atomic.add<u32>(addr, v);
  const old = load<u32>(addr);
  store<u32>(addr, old + v);
  return old;
}
// @ts-ignore: decorator
@inline function acas32(addr: usize, expected: u32, v: u32): u32 {
  if (SHARED) return atomic.cmpxchg<u32>(addr, expected, v);
  const old = load<u32>(addr);
  if (old == expected) store<u32>(addr, v);
  return old;
}

// ── the write lock (the kernel's tree lock) ──────────────────────────────────

/**
 * Take the lock every mutation of linear memory holds in the shared build: writes, and the
 * allocations and frees of pools, trees, states and pages. Readers never take it. A spin lock:
 * writes hold it for microseconds, and a browser's main thread may not block.
 */
export function writeLock(): bool {
  if (!SHARED) return false;
  while (atomic.cmpxchg<u32>(RCU + R_LOCK, 0, 1) != 0) {
    while (atomic.load<u32>(RCU + R_LOCK) != 0) { /* spin until it looks free */ }
  }
  // Whether another instance wrote since this one last did: then what this instance remembers of
  // its last write (paths in shared scratch, a prepared write) may describe the other's.
  const other = load<u32>(RCU + R_HOLDER) != myId;
  store<u32>(RCU + R_HOLDER, myId);
  return other;
}
export function writeUnlock(): void {
  if (SHARED) atomic.store<u32>(RCU + R_LOCK, 0);
}

/** Number this instance (call once): how many started over this memory before it. */
export function instanceCount(): u32 {
  const n = aadd32(RCU + R_INSTANCES, 1);
  myId = n + 1;
  return n;
}

// ── readers ──────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline function epochNow(): u32 {
  const e = aload32(RCU + R_EPOCH);
  return e == 0 ? 1 : e; // 0 in a slot means "outside": epochs start at 1
}
// @ts-ignore: decorator
@inline function slotAddr(slot: i32): usize { return READERS + (<usize>slot << 3); }

/** Slot s is claimed: make sure the scans of reader slots reach it. */
function slotUsed(s: i32): void {
  const want = <u32>s + 1;
  let seen = aload32(RCU + R_SLOTS_USED);
  while (seen < want) {
    const was = acas32(RCU + R_SLOTS_USED, seen, want);
    if (was == seen) break;
    seen = was;
  }
}

/** Claim a reader slot: its number, or -1 when all MAX_READERS are taken. */
export function readerAttach(): i32 {
  for (let s = 0; s < MAX_READERS; s++) {
    if (acas32(slotAddr(s), 0, 1) == 0) {
      astore32(slotAddr(s) + 4, 0);
      slotUsed(s);
      aadd32(RCU + R_ATTACHED, 1);
      return s;
    }
  }
  return -1;
}

/** Give a reader slot back (outside any read section). */
export function readerDetach(slot: i32): void {
  if (slot < 0 || slot >= MAX_READERS || aload32(slotAddr(slot)) == 0) return;
  astore32(slotAddr(slot) + 4, 0);
  aadd32(RCU + R_ATTACHED, <u32>-1);
  astore32(slotAddr(slot), 0);
}

/** Reader slots claimed now (simulated readers and every started instance). */
export function readersAttached(): u32 { return aload32(RCU + R_ATTACHED); }

/** Readers attached besides the memory's first instance (which reads without others present). */
export function readersBesidesFirst(): u32 {
  const first = aload32(RCU + R_FIRST);
  return readersAttached() - <u32>(first != 0 && aload32(slotAddr(<i32>first - 1)) != 0);
}

/**
 * Whether a slot other than this instance's own is claimed: some reader may be inside a node a
 * write replaces, so the node must wait for a grace period instead of being freed at once.
 */
// @ts-ignore: decorator
@inline export function othersAttached(): bool {
  return readersAttached() > <u32>(mySlot >= 0);
}

/**
 * Whether writes to a tree must leave readers' nodes alone: the tree is in RCU mode, or, in the
 * shared build, another thread is attached (a tree it may read is written as in RCU mode,
 * whatever its flag says, so that clearing the flag can never let a write pull a node from
 * under a reader).
 */
// @ts-ignore: decorator
@inline export function writesForReaders(inRcu: bool): bool {
  return inRcu || (SHARED && othersAttached());
}

/** rcu_read_lock: announce the epoch this reader's walks start in. */
// @ts-ignore: decorator
@inline export function readLock(slot: i32): void {
  astore32(slotAddr(slot) + 4, epochNow());
}
/** rcu_read_unlock. */
// @ts-ignore: decorator
@inline export function readUnlock(slot: i32): void {
  astore32(slotAddr(slot) + 4, 0);
}
/** Whether a reader slot is inside a read section (for tests). */
export function readerInside(slot: i32): bool { return aload32(slotAddr(slot) + 4) != 0; }

// ── retiring and reclaiming nodes ────────────────────────────────────────────

/** Nodes retired and not yet freed, all pools. */
export function nodesWaiting(): u32 { return aload32(RCU + R_WAITING); }

/** Nodes of one pool waiting for a grace period (a walk of the limbo: for stats, not hot). */
export function poolWaiting(pool: usize): u32 {
  let n: u32 = 0;
  for (let page = load<usize>(RCU + R_HEAD); page != 0; page = load<usize>(page)) {
    const count = load<u32>(page, 8);
    for (let i = load<u32>(page, 4); i < count; i++) {
      if (load<usize>(page + LIMBO_FIRST + (<usize>i << 4), 4) == pool) n++;
    }
  }
  return n;
}

/**
 * A node a write just unlinked: marked dead at once (a reader that reads it from now on walks
 * again from the root), freed at once when no other reader is attached, else kept until the grace
 * period of the current epoch ends. The caller has already published its replacement.
 */
export function retireNode(pool: usize, node: usize): void {
  if (!othersAttached()) {
    nodeFree(pool, node);
    return;
  }
  if (SHARED) atomic.store<u64>(node, <u64>node); else setNodeDead(node);
  adjustPoolInUse(pool, -1);
  let tail = load<usize>(RCU + R_TAIL);
  if (tail == 0 || load<u32>(tail, 8) == LIMBO_RECORDS) {
    const page = objAlloc(OBJ_PAGE);
    if (page == 0) {
      // No memory for the record (kvfree_rcu's answer): wait out the grace period here.
      waitForReaders(epochNow());
      freeRetired(pool, node);
      return;
    }
    if (tail == 0) store<usize>(RCU + R_HEAD, page); else store<usize>(tail, page);
    store<usize>(RCU + R_TAIL, page);
    tail = page;
  }
  const count = load<u32>(tail, 8);
  const rec = tail + LIMBO_FIRST + (<usize>count << 4);
  store<u32>(rec, <u32>node);
  store<u32>(rec, <u32>pool, 4);
  store<u32>(rec, epochNow(), 8);
  store<u32>(tail, count + 1, 8);
  astore32(RCU + R_WAITING, nodesWaiting() + 1);
}

/** Back to its pool: a retired node no reader can hold any more. */
function freeRetired(pool: usize, node: usize): void {
  store<u64>(node, 0); // live again for nodeFree, which marks it dead on its free list
  adjustPoolInUse(pool, 1);
  nodeFree(pool, node);
}

/** The oldest epoch a reader inside a read section announced; 0xFFFFFFFF when none is inside. */
function oldestReader(): u32 {
  let oldest: u32 = 0xFFFF_FFFF;
  const slots = <i32>aload32(RCU + R_SLOTS_USED);
  for (let s = 0; s < slots; s++) {
    const a = slotAddr(s);
    if (aload32(a) == 0) continue;
    const e = aload32(a + 4);
    if (e != 0 && e < oldest) oldest = e;
  }
  return oldest;
}

/** Spin until no reader is inside a read section that began at or before epoch e. */
function waitForReaders(e: u32): void {
  astore32(RCU + R_EPOCH, e + 1);
  while (oldestReader() <= e) { /* readers' sections are single calls: short */ }
}

/**
 * A write ended: advance the epoch (later readers cannot reach what it retired) and free every
 * retired node whose grace period is over. Returns the nodes still waiting.
 */
export function rcuWriteDone(): u32 {
  if (load<usize>(RCU + R_HEAD) == 0) return 0;
  // After every write: nodes freed soon are reused while still in cache. Reclaiming every 16
  // writes instead measured no better with a reader running (bench/rcu-readers.mjs).
  return rcuSynchronize();
}

/** Free the limbo's records stamped before epoch `oldest`, oldest first. */
function reclaim(oldest: u32): u32 {
  let page = load<usize>(RCU + R_HEAD);
  while (page != 0) {
    const count = load<u32>(page, 8);
    let i = load<u32>(page, 4);
    for (; i < count; i++) {
      const rec = page + LIMBO_FIRST + (<usize>i << 4);
      if (load<u32>(rec, 8) >= oldest) break;
      freeRetired(<usize>load<u32>(rec, 4), <usize>load<u32>(rec));
      astore32(RCU + R_WAITING, nodesWaiting() - 1);
    }
    store<u32>(page, i, 4);
    if (i < count || count < LIMBO_RECORDS) break; // stopped inside, or the tail page
    const next = load<usize>(page);
    store<usize>(RCU + R_HEAD, next);
    if (next == 0) store<usize>(RCU + R_TAIL, 0);
    objFree(page, OBJ_PAGE);
    page = next;
  }
  return nodesWaiting();
}

/**
 * One step of synchronize_rcu: advance the epoch and free what no reader can hold. Returns the
 * nodes still waiting (a reader still inside a section that began before the call holds them);
 * the caller repeats until 0.
 */
export function rcuSynchronize(): u32 {
  astore32(RCU + R_EPOCH, epochNow() + 1);
  return reclaim(oldestReader());
}

// ── this instance's read sections (shared build) ─────────────────────────────
//
// Every instance over a shared memory reads inside read sections, in the reader slot it claimed
// when it started (instanceStart). A walk notes every node it enters (rcuVisit); when the read
// ends, those nodes are checked for the dead mark: a node found dead may have been read while a
// write replaced it, so the read is done again from the root (the kernel's walks check each node
// after reading it and restart the same way). Checking after the read is what makes the values
// read safe to keep: a node not dead at the check was live, and so unchanged but for atomic slot
// stores, through all of the read.

/** This instance's reader slot (-1: none, the build without shared memory). */
let mySlot: i32 = -1;
/** This instance's id + 1 (0 until instanceStart). */
let myId: u32 = 0;
/** Nodes this read entered (encoded), VISIT_MAX at most before they are checked on the way. */
let visitBuf: usize = 0;
let visitCount: i32 = 0;
let visitDead: bool = false;
let reading: bool = false;
/** Reads this instance did again because a node they read had died (for tests and benches). */
let restarts: u32 = 0;
// @ts-ignore: decorator
@inline const VISIT_MAX: i32 = 256;

/**
 * Start this instance over a shared memory: claim a reader slot and take `scratch` (VISIT_MAX * 8
 * bytes of this instance's own) for the visited nodes. Returns the slot, or -1 when every slot
 * is taken. Every instance's slot counts: a write frees a node at once only when no slot but
 * the writer's own is claimed.
 */
export function instanceStart(scratch: usize, first: bool): i32 {
  const slot = readerAttach();
  if (slot < 0) return -1;
  if (first) astore32(RCU + R_FIRST, <u32>slot + 1);
  mySlot = slot;
  visitBuf = scratch;
  return slot;
}

/** This instance leaves (its thread detaches): its slot is given back. */
export function instanceStop(): void {
  if (mySlot < 0) return;
  if (aload32(RCU + R_FIRST) == <u32>mySlot + 1) astore32(RCU + R_FIRST, 0);
  readerDetach(mySlot);
  mySlot = -1;
  visitBuf = 0;
}

/** Note a node a read entered (shared build; nothing otherwise). */
// @ts-ignore: decorator
@inline export function rcuVisit(enode: u64): void {
  if (SHARED && reading) {
    if (visitCount == VISIT_MAX) visitFlush();
    store<u64>(visitBuf + (<usize>visitCount << 3), enode);
    visitCount++;
  }
}

/** Check the nodes noted so far and forget them. */
function visitFlush(): void {
  for (let i = 0; i < visitCount; i++) {
    const node = <usize>(load<u64>(visitBuf + (<usize>i << 3)) & ~(<u64>0xFF));
    if (atomic.load<u64>(node) == <u64>node) visitDead = true;
  }
  visitCount = 0;
}

/** rcu_read_lock for this instance's reads (shared build). */
// @ts-ignore: decorator
@inline export function readBegin(): void {
  if (SHARED && mySlot >= 0) {
    readLock(mySlot);
    visitCount = 0;
    visitDead = false;
    reading = true;
  }
}

/** Whether the read since readBegin entered no node that is dead now (then it must be redone). */
// @ts-ignore: decorator
@inline export function readValid(): bool {
  if (!SHARED || mySlot < 0) return true;
  visitFlush();
  const ok = !visitDead;
  visitDead = false;
  if (!ok) restarts++;
  return ok;
}

/** rcu_read_unlock for this instance's reads. */
// @ts-ignore: decorator
@inline export function readEnd(): void {
  if (SHARED && mySlot >= 0) {
    reading = false;
    readUnlock(mySlot);
  }
}

/** Whether this instance reads inside read sections (shared build, started). */
// @ts-ignore: decorator
@inline export function inReader(): bool { return SHARED && mySlot >= 0; }

/** A load found its node dead and walks again from the root. */
export function noteRestart(): void { restarts++; }
/** Reads this instance restarted because a node they read had died. */
export function readRestarts(): u32 { return restarts; }
