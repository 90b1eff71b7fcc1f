// The one module that owns the WebAssembly instance and its memory views.
//
// The core's bytes are embedded in the bundle and compiled synchronously on first use (the first
// tree or pool made), not at import: importing the package costs nothing until then. `core` is
// a placeholder that compiles on its first property access and then replaces itself (a live
// binding) with the instance's exports, so later calls go straight to wasm. Memory views are
// re-created whenever memory has grown (growth detaches the old ArrayBuffer).

import coreBytes from 'virtual:maple-core';

/** The core's exports, as assembly/index.ts declares them. */
export interface Core {
  memory: WebAssembly.Memory;
  KEYS: WebAssembly.Global;
  OUT: WebAssembly.Global;
  stateFindBatch(mas: number, limit: number, buf: number): number;
  stateFindColumns(mas: number, limit: number, buf: number): number;
  batchCapacity(): number;
  batchNew(): number;
  batchFree(buf: number): void;
  poolNew(): number;
  poolStat(pool: number, which: number): number;
  poolTreeNodes(pool: number): number;
  poolFaults(pool: number, mode: number, count: number, rate: number, seed: number): void;
  poolBudget(pool: number, budget: number): void;
  poolReserveFails(pool: number, on: number): void;
  poolFaultStat(pool: number, which: number): number;
  preallocFit(type: number, which: number): number;
  preallocFitReset(): void;
  linearMemoryBytes(): number;
  poolFree(pool: number): number;
  poolDropped(pool: number): void;
  poolGiveBack(pool: number): number;
  pagesFree(): number;
  memoryCap(pages: number): void;
  stateBind(mas: number, tree: number): void;
  treeNew(pool: number, flags: number): number;
  treeDestroy(tree: number): void;
  treeDelete(tree: number): void;
  height(tree: number): number;
  treeSetRcu(tree: number, on: number): void;
  treeInRcu(tree: number): number;
  rcuReaderAttach(): number;
  rcuReaderDetach(slot: number): void;
  rcuReaders(): number;
  rcuReadLock(slot: number): void;
  rcuReadUnlock(slot: number): void;
  rcuReaderInside(slot: number): number;
  rcuSync(): number;
  rcuWaiting(): number;
  nodeCount(tree: number): number;
  treeCount(tree: number): number;
  treeStore(tree: number, first: number, last: number, entry: number, gfp: number): number;
  treeInsert(tree: number, first: number, last: number, entry: number, gfp: number): number;
  treeLoad(tree: number, index: number): number;
  treeLoadMany(tree: number, keys: number, out: number, n: number, big: number, numeric: number): number;
  treeErase(tree: number, index: number, gfp: number): number;
  treeDup(src: number, dst: number, gfp: number): number;
  stateNew(tree: number): number;
  stateFree(mas: number): void;
  stateSet(mas: number, index: number, last: number): void;
  statePause(mas: number): void;
  stateReset(mas: number): void;
  stateOp(mas: number, op: number, limit: number): number;
  stateStore(mas: number, entry: number, gfp: number): number;
  statePreallocate(mas: number, entry: number, gfp: number): number;
  stateStorePrealloc(mas: number, entry: number): number;
  stateErase(mas: number, gfp: number): number;
  stateDestroy(mas: number): void;
  stateAllocated(mas: number): number;
  stateRequest(mas: number): number;
  stateStoreType(mas: number): number;
  stateExpectedEntries(mas: number, n: number, gfp: number): number;
  stateNomem(mas: number, gfp: number): number;
  treeEmptyArea(tree: number, min: number, max: number, size: number, forward: number): number;
  stateEmptyArea(mas: number, min: number, max: number, size: number, forward: number): number;
  treeAllocRange(tree: number, size: number, entry: number, min: number, max: number, forward: number, gfp: number): number;
  treeAllocCyclic(tree: number, entry: number, min: number, max: number, gfp: number): number;
  lastGapVisits(): number;
  validate(tree: number): number;
  validateInfo(): number;
  dumpStart(tree: number, st: number): void;
  dumpNext(st: number, buf: number): number;
}

/** Exports that return an address in linear memory (u32, which JS receives as i32). */
const ADDRESS_EXPORTS = ['poolNew', 'treeNew', 'stateNew', 'batchNew', 'validateInfo'] as const;

let memory!: WebAssembly.Memory;
let started = false;

function readAsString(ptr: number): string {
  if (!ptr) return '';
  const u32 = new Uint32Array(memory.buffer);
  ptr >>>= 0;
  const bytes = u32[(ptr - 4) >>> 2];
  const u16 = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  return String.fromCharCode(...u16);
}

function instantiate(): Core {
  const module = new WebAssembly.Module(coreBytes as BufferSource);
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        throw new Error(`maple-wasm core assertion: ${readAsString(msg)} (${readAsString(file)}:${line}:${col})`);
      },
    },
  });
  const raw = instance.exports as unknown as Core;
  memory = raw.memory;
  // Addresses cross the boundary as i32: one above 2 GiB arrives negative. Every export that
  // returns an address is read as unsigned here, so nothing in src/ sees a negative one.
  const core = Object.create(raw) as Core;
  for (const name of ADDRESS_EXPORTS) {
    const f = raw[name] as (...args: number[]) => number;
    Object.defineProperty(core, name, { value: (...args: number[]): number => f(...args) >>> 0 });
  }
  return core;
}

let KEYS = 0;
let OUT = 0;
let view = new DataView(new ArrayBuffer(0));
let f64s = new Float64Array(0);

/** Ranges a walk's batch holds at most: a shorter batch is the last. Set by the first use. */
export let BATCH_CAPACITY = 0;

/** Compile and instantiate the core, once; every module reaches it through `core`. */
function start(): Core {
  const real = instantiate();
  started = true;
  KEYS = (real.KEYS.value as number) >>> 0;
  OUT = (real.OUT.value as number) >>> 0;
  view = new DataView(memory.buffer);
  f64s = new Float64Array(memory.buffer);
  BATCH_CAPACITY = real.batchCapacity();
  core = real;
  return real;
}

/**
 * The core instance, shared by every pool and tree: until first used, a stand-in that starts it
 * and hands over (nothing in the facade keeps a reference to the stand-in).
 */
export let core: Core = new Proxy({} as Core, {
  get: (_target, name) => ((started ? core : start()) as unknown as Record<string | symbol, unknown>)[name],
});

/** Re-create the views when memory has grown: growth detaches the old buffer (length 0). */
function refresh(): void {
  if (f64s.length === 0) {
    if (!started) start();
    f64s = new Float64Array(memory.buffer);
    view = new DataView(memory.buffer);
  }
}

/** A DataView over the whole of linear memory, current after any growth. */
export function mem(): DataView {
  refresh();
  return view;
}

/** Write a u64 key into KEYS slot i (for keys beyond 2^53). */
export function putKey(slot: number, key: bigint): void {
  mem().setBigUint64(KEYS + slot * 8, key, true);
}

/** Read a u64 from linear memory: a number when it is a safe integer, else a bigint. */
export function readU64(addr: number): number | bigint {
  const v = mem();
  const lo = v.getUint32(addr, true);
  const hi = v.getUint32(addr + 4, true);
  if (hi < 0x200000) return hi * 0x1_0000_0000 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Results of the last range operation: OUT holds index, last, entry word, status. */
export const out = {
  index: (): number | bigint => readU64(OUT),
  last: (): number | bigint => readU64(OUT + 8),
  /** Entry words never exceed 2^53, so they read back as numbers. */
  entry: (): number => readU64(OUT + 16) as number,
  status: (): number => mem().getInt32(OUT + 24, true),
  /** Node request of the last preallocate / storePrealloc. */
  request: (): number => mem().getInt32(OUT + 28, true),
  /** allocCyclic's next index (in and out). */
  next: (): number | bigint => readU64(OUT + 8),
  setNext: (next: number | bigint): void => mem().setBigUint64(OUT + 8, BigInt(next), true),
};


/** Float64 words of linear memory, current after any growth. */
export function f64View(): Float64Array {
  refresh();
  return f64s;
}

/** Dump text the core wrote (ASCII). */
export function readText(ptr: number, length: number): string {
  ptr >>>= 0;
  length >>>= 0;
  const bytes = new Uint8Array(memory.buffer, ptr, length);
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return s;
}

/** Read i32 words (for the validator's report). */
export function readI32(addr: number, count: number): number[] {
  addr >>>= 0;
  const v = mem();
  return Array.from({ length: count }, (_, i) => v.getInt32(addr + i * 4, true));
}
