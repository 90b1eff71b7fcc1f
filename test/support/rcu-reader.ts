// A simulated RCU reader: a walk from the root to the leaf holding an index that reads linear
// memory itself, one node per step, so that writes can run between its steps (the kernel's
// check_rcu_simulated, which interleaves a reader's mas_walk with writes in one thread).
//
// It reads the layouts documented in assembly/tree.ts and assembly/node.ts, not the core's code:
//   tree header: the root word at +0; bit 62 set when it holds an encoded node, else it is a
//     lone entry for index 0 (or 0)
//   enode = node address | type << 3 (leaf_64 1, range_64 2, arange_64 3)
//   leaf_64 / range_64: parent word +0, pivots (u64 x 15) +8, slots (u64 x 16) +128, end in
//     byte 248 while pivot[14] is 0 (pivot[14] == the node's max: end 14; otherwise 15)
//   arange_64: pivots (u64 x 9) +8, slots (u64 x 10) +80, end in byte 240
//   a dead node's parent word is its own address (retired, or on a free list)
//   pool header: free list +0 and emergency reserve +116 (u32 heads), linked through +8 of each node
// A step checks, as the kernel's walk does, that the node it read is not dead; a dead one sends
// it back to the root.

import { core, mem } from '../../src/wasm';

export const MAX64 = (1n << 64n) - 1n;
const ROOT_IS_NODE = 1n << 62n;
export const NODE_SIZE = 256;

/** The node a reader is about to read: its address and what it covers. */
export interface Held {
  node: number;
  type: number;
  min: bigint;
  max: bigint;
  depth: number;
}

const u64 = (addr: number): bigint => mem().getBigUint64(addr, true);

/** Whether a node is marked dead (parent word = its own address). */
export function isDead(node: number): boolean {
  return u64(node) === BigInt(node);
}

/** A copy of a node's 256 bytes. */
export function snapshot(node: number): Uint8Array {
  const v = mem();
  return new Uint8Array(v.buffer.slice(node, node + NODE_SIZE));
}

/** Whether bytes 8..255 (everything but the parent word) equal a snapshot's. */
export function sameBody(node: number, snap: Uint8Array): boolean {
  const now = snapshot(node);
  for (let i = 8; i < NODE_SIZE; i++) if (now[i] !== snap[i]) return false;
  return true;
}

/** Whether a node is on its pool's free list or emergency reserve (walked through linear memory). */
export function onFreeList(pool: number, node: number): boolean {
  const v = mem();
  const bound = 1 + v.getUint32(pool + 12, true) + v.getUint16(pool + 120, true);
  for (const head of [pool + 0, pool + 116]) {
    let n = v.getUint32(head, true);
    for (let i = 0; n !== 0 && i <= bound; i++) {
      if (n === node) return true;
      n = v.getUint32(n + 8, true);
    }
  }
  return false;
}

const PIVOTS = 8;
function slotsAt(type: number): number { return type === 3 ? 80 : 128; }

/** The last used slot of a node covering up to max (mas_data_end). */
function dataEnd(h: Held): number {
  const v = mem();
  if (h.type === 3) return v.getUint8(h.node + 240);
  const last = u64(h.node + PIVOTS + 14 * 8);
  if (last === 0n) return v.getUint8(h.node + 248);
  return last === h.max ? 14 : 15;
}

export class SimReader {
  slot = -1;
  index = 0n;
  /** The node the next step reads; null once the walk has its answer (or the tree has no node). */
  held: Held | null = null;
  /** The entry word the walk found (0 for NULL); undefined while it walks. */
  result: number | undefined;
  /** Dead nodes this walk met (each sent it back to the root). */
  restarts = 0;
  /** Dead nodes met, with the pool that owned them (checked not to be free by the caller). */
  readonly deadMet: number[] = [];

  constructor(readonly tree: number) {
    this.attach();
  }

  /** Claim a reader slot (a reader made attaches itself). */
  attach(): void {
    this.slot = core.rcuReaderAttach();
    if (this.slot < 0) throw new Error('no reader slot free');
  }
  /** Give the slot back; the reader is then outside and unattached. */
  detach(): void {
    if (this.slot < 0) return;
    core.rcuReaderDetach(this.slot);
    this.slot = -1;
  }
  get attached(): boolean { return this.slot >= 0; }
  lock(): void { core.rcuReadLock(this.slot); }
  unlock(): void { if (this.slot >= 0) core.rcuReadUnlock(this.slot); }
  get inside(): boolean { return this.slot >= 0 && core.rcuReaderInside(this.slot) === 1; }

  /** Start a walk for index: read the root word. */
  begin(index: bigint): void {
    this.index = index;
    this.result = undefined;
    this.restarts = 0;
    this.deadMet.length = 0;
    this.fromRoot();
  }

  private fromRoot(): void {
    const w = u64(this.tree);
    if ((w & ROOT_IS_NODE) === 0n) {
      this.held = null;
      this.result = this.index === 0n ? Number(w) : 0;
      return;
    }
    const enode = w & ~ROOT_IS_NODE;
    this.held = { node: Number(enode & ~0xffn), type: Number((enode >> 3n) & 0xfn), min: 0n, max: MAX64, depth: 0 };
  }

  /** Read the held node: descend one level, or take the entry. Returns whether the walk is done. */
  step(): boolean {
    const h = this.held;
    if (h === null) return true;
    if (isDead(h.node)) {
      this.restarts++;
      this.deadMet.push(h.node);
      this.fromRoot();
      return this.result !== undefined;
    }
    const end = dataEnd(h);
    const piv = (i: number): bigint => u64(h.node + PIVOTS + i * 8);
    let off = 0;
    while (off < end && piv(off) < this.index) off++;
    const word = u64(h.node + slotsAt(h.type) + off * 8);
    const lo = off === 0 ? h.min : piv(off - 1) + 1n;
    const hi = off < end ? piv(off) : h.max;
    // The kernel reads the slot, then checks the node did not die meanwhile.
    if (isDead(h.node)) {
      this.restarts++;
      this.deadMet.push(h.node);
      this.fromRoot();
      return this.result !== undefined;
    }
    if (h.type === 1) {
      if (this.index < lo || this.index > hi) throw new Error(`reader: leaf 0x${h.node.toString(16)} slot ${off} covers [${lo}, ${hi}], not ${this.index}`);
      this.held = null;
      this.result = Number(word);
      return true;
    }
    this.held = { node: Number(word & ~0xffn), type: Number((word >> 3n) & 0xfn), min: lo, max: hi, depth: h.depth + 1 };
    return false;
  }

  /** Step until the walk has its answer (a bound guards against a cycle). */
  finish(): number {
    for (let i = 0; i < 1000 && !this.step(); i++) { /* walk */ }
    if (this.result === undefined) throw new Error('reader: walk did not end');
    return this.result;
  }

  /** A whole walk for index, from the root. */
  load(index: bigint): number {
    this.begin(index);
    return this.finish();
  }
}

/** The entry an entry word stands for in a numeric tree (word - 1; NULL for 0). */
export function entryOf(word: number): number | null {
  return word === 0 ? null : word - 1;
}
