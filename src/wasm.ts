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
  instanceInit(): number;
  instanceDetach(): void;
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
  readAbort(mas: number): void;
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
  /** The three writes through a state: over [first, last] (set first), or its own range for first -1. */
  stateStore(mas: number, entry: number, gfp: number, first: number, last: number): number;
  statePreallocate(mas: number, entry: number, gfp: number, first: number, last: number): number;
  stateStorePrealloc(mas: number, entry: number, first: number, last: number): number;
  stateErase(mas: number, gfp: number): number;
  stateDestroy(mas: number): void;
  stateAllocated(mas: number): number;
  stateRequest(mas: number): number;
  stateStoreType(mas: number): number;
  stateExpectedEntries(mas: number, n: number, gfp: number): number;
  stateNomem(mas: number, gfp: number): number;
  treeEmptyArea(tree: number, min: number, max: number, size: number, forward: number): number;
  /** The start found (below 2^53), -1 when it is in OUT (above), or -errno. */
  stateEmptyArea(mas: number, min: number, max: number, size: number, forward: number): number;
  treeAllocRange(tree: number, size: number, entry: number, min: number, max: number, forward: number, gfp: number): number;
  treeAllocCyclic(tree: number, entry: number, min: number, max: number, gfp: number): number;
  lastGapVisits(): number;
  validate(tree: number): number;
  validateInfo(): number;
  dumpStart(tree: number, st: number): void;
  dumpNext(st: number, buf: number): number;
}

/** Exports that read a tree inside a read section (their first argument a state for the state* ones). */
const READ_EXPORTS = ['treeLoad', 'treeLoadMany', 'treeEmptyArea', 'stateOp', 'stateFindBatch',
  'stateFindColumns', 'stateEmptyArea'] as const;

/**
 * Over a shared memory, a read that meets memory another thread grew a moment ago may trap in
 * an engine that has not yet told this thread's instance (V8 updates other threads' bounds
 * asynchronously): the read leaves its read section (readAbort, the state put back) and is done
 * again, the memory's buffer looked at first so that the engine catches up. Reads change
 * nothing, so doing one again is safe; after 1,000 traps in a row the error is passed on.
 */
function retryReads(core: Core, raw: Core, name: (typeof READ_EXPORTS)[number]): void {
  const f = raw[name] as (...args: number[]) => number;
  const state = name.startsWith('state');
  Object.defineProperty(core, name, {
    value: (...args: number[]): number => {
      for (let tries = 0; ; tries++) {
        try {
          return f(...args);
        } catch (e) {
          raw.readAbort(state ? args[0] : 0);
          if (!(e instanceof WebAssembly.RuntimeError) || tries >= 1000) throw e;
          void memory.buffer;
        }
      }
    },
  });
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

function instantiate(module: WebAssembly.Module, given?: WebAssembly.Memory): Core {
  const env: Record<string, WebAssembly.ImportValue> = {
    abort(msg: number, file: number, line: number, col: number): never {
      throw new Error(`maple-wasm core assertion: ${readAsString(msg)} (${readAsString(file)}:${line}:${col})`);
    },
  };
  SHARED: if (WebAssembly.Module.imports(module).some((i) => i.kind === 'memory')) {
    env.memory = given ?? newSharedMemory();
    shared = true;
  }
  const instance = new WebAssembly.Instance(module, { env });
  const raw = instance.exports as unknown as Core;
  memory = raw.memory;
  SHARED: if (shared) memory = env.memory as WebAssembly.Memory;
  // Addresses cross the boundary as i32: one above 2 GiB arrives negative. Every export that
  // returns an address is read as unsigned here, so nothing in src/ sees a negative one.
  const core = Object.create(raw) as Core;
  for (const name of ADDRESS_EXPORTS) {
    const f = raw[name] as (...args: number[]) => number;
    Object.defineProperty(core, name, { value: (...args: number[]): number => f(...args) >>> 0 });
  }
  SHARED: if (shared) for (const name of READ_EXPORTS) retryReads(core, raw, name);
  return core;
}

let KEYS = 0;
let OUT = 0;
let view = new DataView(new ArrayBuffer(0));
let f64s = new Float64Array(0);

/** Ranges a walk's batch holds at most: a shorter batch is the last. Set by the first use. */
export let BATCH_CAPACITY = 0;

/** Compile and instantiate the core, once; every module reaches it through `core`. */
function start(module = new WebAssembly.Module(coreBytes as BufferSource), given?: WebAssembly.Memory): Core {
  const real = instantiate(module, given);
  SHARED: if (shared) {
    coreModule = module;
    memoryBytes = real.linearMemoryBytes;
    initInstance(real);
  }
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

/**
 * Re-create the views when memory has grown: growth detaches the old buffer (length 0). A shared
 * memory's old buffer is not detached (it keeps its old length, and stays valid below it), so
 * there the lengths are compared: another thread may have grown the memory. (The core's
 * memory.size is asked: a call into wasm costs a fifth of `memory.buffer` on a shared memory.)
 */
function refresh(): void {
  SHARED: if (shared && f64s.byteLength !== memoryBytes()) f64s = new Float64Array(0);
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

// ── the shared build: one memory, an instance per thread ──

/** Whether this thread's core runs over a shared memory (the shared build). */
let shared = false;
/** The core's linearMemoryBytes (memory.size, in bytes): the shared memory's length now. */
let memoryBytes: () => number = () => 0;
/** The compiled shared core, for handles given to other threads. */
let coreModule: WebAssembly.Module | undefined;
/** Whether this thread's instance is over another thread's memory (counted as a reader). */
let joined = false;
/** Attached trees in this thread (a joined instance leaves the memory when the last detaches). */
let holds = 0;
/** This thread's instance after it left the memory (until a new attach). */
let left: Core | undefined;

/** Largest maxima tried for a new shared memory, in 64 KiB pages (4 GiB, 1 GiB, 256 MiB). */
const MAXIMA = [65536, 16384, 4096];

/**
 * A new shared memory for the shared core: 2 pages, growable to 4 GiB (or less where the engine
 * cannot reserve that much).
 */
function newSharedMemory(): WebAssembly.Memory {
  for (let i = 0; ; i++) {
    try {
      return new WebAssembly.Memory({ initial: 2, maximum: MAXIMA[i], shared: true });
    } catch (e) {
      if (i === MAXIMA.length - 1) {
        throw new Error(`maple-wasm/shared: cannot make a shared WebAssembly.Memory (${String(e)}); ` +
          'in a browser SharedArrayBuffer needs cross-origin isolation (COOP same-origin, COEP require-corp)');
      }
    }
  }
}

/** instanceInit: this instance's scratch and reader slot; an Error when there is none. */
function initInstance(real: Core): void {
  const slot = real.instanceInit();
  if (slot === -1) throw new Error('maple-wasm/shared: all 64 reader slots of the memory are taken (detach() attached trees in other threads)');
  if (slot < 0) throw new Error('maple-wasm/shared: memory exhausted: no room for this thread\'s scratch page');
}

/** Whether the core runs over a shared memory in this thread (starting it). */
export function isShared(): boolean {
  if (!started) start();
  return shared;
}

/** @internal The compiled core and the memory, for a handle another thread attaches with. */
export function sharedCore(): { module: WebAssembly.Module; memory: WebAssembly.Memory } {
  if (!isShared() || coreModule === undefined) throw new TypeError('not the shared build');
  return { module: coreModule, memory };
}

/**
 * Whether `other` is this thread's memory: a memory posted to a thread arrives as a new object
 * over the same bytes, so a word of this instance's own scratch is changed through one and read
 * through the other.
 */
function sameMemory(other: WebAssembly.Memory): boolean {
  if (other === memory) return true;
  if (!(other instanceof WebAssembly.Memory)) return false;
  const at = OUT + 24;
  if (other.buffer.byteLength < at + 4) return false;
  const mine = new Int32Array(memory.buffer, at, 1);
  const theirs = new Int32Array(other.buffer, at, 1);
  const old = Atomics.load(mine, 0);
  let same = true;
  for (const probe of [0x5a5a_1234, -0x3c3c_0f0f]) {
    Atomics.store(mine, 0, probe);
    if (Atomics.load(theirs, 0) !== probe) same = false;
  }
  Atomics.store(mine, 0, old);
  return same;
}

/**
 * Start this thread's core over another thread's shared memory (a Worker attaching to a tree
 * shared with it): an instance of `module` over `given`, counted as an attached reader. Nothing
 * happens when the core already runs over that memory here. Throws an Error when the core
 * already started in this thread over another memory (a tree or pool made before the first
 * attach has its own memory), TypeError when the module is not the shared build's.
 */
export function joinMemory(module: WebAssembly.Module, given: WebAssembly.Memory): void {
  if (!(module instanceof WebAssembly.Module) || !(given instanceof WebAssembly.Memory)) {
    throw new TypeError('joinMemory: needs a WebAssembly.Module and a WebAssembly.Memory (from share())');
  }
  if (!WebAssembly.Module.imports(module).some((i) => i.kind === 'memory')) {
    throw new TypeError('joinMemory: the module is not the shared build (it imports no memory)');
  }
  if (left !== undefined) {
    if (!sameMemory(given)) {
      throw new Error('joinMemory: this thread left another shared memory; a thread joins one memory only');
    }
    // Back after the last detach: the same instance takes scratch and a slot again.
    const real = left;
    initInstance(real);
    left = undefined;
    KEYS = (real.KEYS.value as number) >>> 0;
    OUT = (real.OUT.value as number) >>> 0;
    core = real;
    return;
  }
  if (started) {
    if (shared && sameMemory(given)) return;
    throw new Error('joinMemory: the core already started in this thread over its own memory ' +
      '(a tree or pool was made here first): attach to a shared tree before making any other');
  }
  start(module, given);
  joined = true;
}

/** @internal One more attached tree in this thread. */
export function holdMemory(): void {
  holds++;
}

/**
 * @internal One attached tree fewer. When none is left in a thread whose instance joined another
 * thread's memory, the instance leaves it (instanceDetach: its reader slot goes back) and every
 * later use of the core here throws until the next attach; frees still go through (they take
 * the lock and need no slot), so objects collected later give their memory back.
 */
export function releaseHold(before: () => void): void {
  if (--holds > 0 || !joined) return;
  before();
  const real = core;
  real.instanceDetach();
  left = real;
  const frees = new Set(['treeDelete', 'stateFree', 'batchFree', 'poolDropped']);
  // Throwing when called, not when looked up, so that a detached tree's own check (its address,
  // an argument) throws first, naming the object.
  const closed = (): never => {
    throw new Error('maple-wasm/shared: this thread detached from the shared memory (its last attached ' +
      'tree was detached); attach a tree again to use it');
  };
  core = new Proxy({} as Core, {
    get: (_target, name) =>
      typeof name === 'string' && frees.has(name) ? (real as unknown as Record<string, unknown>)[name] : closed,
  });
}
