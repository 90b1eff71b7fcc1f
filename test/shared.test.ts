// maple-wasm/shared with real Workers: the shipped bundle (dist/shared.js, over build/shared.wasm)
// in this thread and in worker_threads Workers (test/shared/worker.mjs), sharing one tree through
// share() / MapleTree.attach(). Needs `npm run build` first (npm test does it).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';

type Shared = typeof import('../src/shared');
type Tree = import('../src/shared').MapleTree<number, number>;
type Handle = import('../src/shared').SharedTreeHandle<number>;
let m: Shared;
let plain: typeof import('../src/index');

beforeAll(async () => {
  // @ts-ignore -- the bundle's types live in dist/types; check them through the source's
  m = (await import('../dist/shared.js')) as Shared;
  // @ts-ignore -- as above
  plain = (await import('../dist/index.js')) as typeof import('../src/index');
});

/** A Worker running test/shared/worker.mjs, with call(op, args) answered in order. */
class Peer {
  readonly worker = new Worker(new URL('./shared/worker.mjs', import.meta.url));
  call<R = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<R> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.worker.once('error', onError);
      this.worker.once('message', (r: { ok: boolean; error?: string }) => {
        this.worker.off('error', onError);
        if (r.ok) resolve(r as R);
        else reject(new Error(`worker: ${r.error}`));
      });
      this.worker.postMessage({ op, ...args });
    });
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

const peers: Peer[] = [];
function peer(): Peer {
  const p = new Peer();
  peers.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

/** A numeric, number-keyed RCU tree where range i is [10i, 10i + 5] holding i. */
function build(n: number, options: { allocRange?: boolean } = {}): Tree {
  const mt = new m.MapleTree<number, number>({ entries: 'number', keys: 'number', rcu: true, ...options });
  for (let i = 0; i < n; i++) mt.storeRange(10 * i, 10 * i + 5, i);
  return mt;
}

/** Pages account for every node: in use, free or in the emergency reserve. */
function expectPoolSettled(mt: Tree): void {
  mt.synchronize();
  const s = mt.pool.stats();
  expect(s.nodesWaiting).toBe(0);
  expect(s.pagesInUse * 16).toBe(s.nodesInUse + s.nodesFree + s.nodesEmergency);
  mt.validate();
}

/** A raw instance of the shared module over the memory, without instanceInit: reads counters only. */
function readersAttached(handle: Handle): number {
  const inst = new WebAssembly.Instance(handle.module as WebAssembly.Module, {
    env: { memory: handle.memory as WebAssembly.Memory, abort: () => { throw new Error('abort'); } },
  });
  return (inst.exports.rcuReaders as () => number)();
}

describe('maple-wasm/shared across Workers', () => {
  test('a Worker attaches and reads what this thread wrote, every way', async () => {
    const mt = build(20_000, { allocRange: true });
    mt.store(123_456_789, 7); // a lone entry far out, so gaps and prev/next cross empty space
    const handle = mt.share();
    expect(handle.type).toBe('maple-wasm/shared-tree');
    expect(mt.share()).toBe(handle);
    const w = peer();
    const a = await w.call<{ id: number; isAlloc: boolean; keyMode: string; entryMode: string; inRcu: boolean }>('attach', { handle });
    expect([a.isAlloc, a.keyMode, a.entryMode, a.inRcu]).toEqual([true, 'number', 'number', true]);
    expect(handle.attached[0]).toBe(1);
    const probes = [0, 3, 6, 9, 10, 15, 16, 99_995, 199_993, 200_000, 123_456_789, 123_456_790, 9e15];
    const theirs = await w.call('readAll', { id: a.id, probes });
    // The same reads here, through this thread's tree.
    expect(theirs.size).toBe(mt.size);
    expect(theirs.height).toBe(mt.height);
    expect(theirs.load).toEqual(probes.map((i) => mt.load(i) ?? null));
    expect(theirs.has).toEqual(probes.map((i) => mt.has(i)));
    expect(theirs.find).toEqual(probes.map((i) => mt.find(i) ?? null));
    expect(theirs.next).toEqual(probes.map((i) => mt.next(i) ?? null));
    expect(theirs.prev).toEqual(probes.map((i) => mt.prev(i) ?? null));
    expect(theirs.loadMany).toEqual(Array.from(mt.loadMany(probes), (x) => (Number.isNaN(x) ? null : x)));
    let sum = 0;
    for (const { index, last, entry } of mt.entries()) sum += entry + index - last;
    expect(theirs.entries).toEqual([mt.size, sum]);
    expect(theirs.keys).toEqual([...mt.keys(0, 5000)]);
    expect(theirs.values).toEqual([...mt.values(0, 5000)]);
    expect(theirs.cursor).toEqual([mt.size, 20_000 * 19_999 / 2 + 7]);
    const mas = new m.MaState(mt, 1000);
    const walk: unknown[] = [mas.walk() ?? null, mas.next() ?? null, mas.next() ?? null, mas.prev() ?? null, mas.status];
    mas.set(50_000);
    walk.push(mas.findRev(0) ?? null, Number(mas.index), Number(mas.last));
    expect(theirs.mas).toEqual(walk);
    const g = new m.MaState(mt);
    g.emptyArea(0, 1e9, 7);
    const lo = [g.index, g.last];
    g.reset();
    g.emptyAreaRev(0, 1e6, 7);
    expect(theirs.emptyArea).toEqual([lo, [g.index, g.last]]);
    await w.call('detach', { id: a.id });
    expect(handle.attached[0]).toBe(0);
    mt.free();
  });

  test('RCU writes here while a Worker reads: it never sees a wrong entry; then nothing is left waiting', async () => {
    const n = 50_000;
    const mt = build(n);
    const handle = mt.share();
    const w = peer();
    const { id } = await w.call<{ id: number }>('attach', { handle });
    expect(readersAttached(handle)).toBe(1);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const reading = w.call<{ reads: number; bad: number; walked: number; missing: number }>('readLoop', { id, stop, n });
    // Churn: clear a range, store it back, widen and trim neighbours' gaps, grow the tree by new
    // ranges far out (memory grows under the reader).
    let writes = 0;
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const memory = handle.memory as WebAssembly.Memory;
    const bytesBefore = memory.buffer.byteLength;
    let far = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      const i = Math.floor(rnd() * n);
      mt.storeRange(10 * i, 10 * i + 5, null);
      mt.storeRange(10 * i, 10 * i + 5, i);
      if (rnd() < 0.2) mt.store(10 * i + 7, null);
      // New ranges far out: the memory grows under the reader (its views must follow).
      if ((writes & 7) === 0) for (let k = 0; k < 40; k++, far++) mt.storeRange(1e9 + 10 * far, 1e9 + 10 * far + 5, 1e8 + far);
      writes += 2;
    }
    Atomics.store(stop, 0, 1);
    expect(memory.buffer.byteLength).toBeGreaterThan(bytesBefore);
    const r = await reading;
    // The Worker reads the ranges stored in memory it had no view of yet, every way.
    const probes = [1e9 + 5, 1e9 + 10 * (far - 1) + 2, 1e9 + 10 * far];
    const seen = await w.call<{ load: (number | null)[]; cursor: number[]; size: number }>('readAll', { id, probes });
    expect(seen.load).toEqual([1e8, 1e8 + far - 1, null]);
    expect(seen.size).toBe(mt.size);
    expect(seen.cursor[0]).toBe(mt.size);
    expect(r.bad).toBe(0);
    expect(r.reads).toBeGreaterThan(1000);
    expect(r.walked).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(1000);
    await w.call('detach', { id });
    expect(readersAttached(handle)).toBe(0);
    expectPoolSettled(mt);
    for (let i = 0; i < n; i += 997) expect(mt.load(10 * i + 5)).toBe(i);
    mt.free();
  });

  test('a Worker writes while this thread writes: both go through the lock and both are there', async () => {
    const mt = build(1000);
    const handle = mt.share();
    const w = peer();
    const { id } = await w.call<{ id: number }>('attach', { handle });
    // The Worker writes [1e6, 2e6) in steps of 10 (three rounds, the last storing), this thread
    // [2e6, 3e6) meanwhile; then each checks the other's.
    const theirs = w.call('write', { id, first: 1_000_000, count: 50_000, rounds: 3 });
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 50_000; k++) {
        const a = 2_000_000 + 10 * k;
        mt.storeRange(a, a + 5, round === 2 ? a / 10 : null);
      }
    }
    await theirs;
    expect(mt.size).toBe(1000 + 100_000);
    for (let k = 0; k < 50_000; k += 7) {
      expect(mt.load(1_000_000 + 10 * k + 2)).toBe(100_000 + k);
      expect(mt.load(2_000_000 + 10 * k + 5)).toBe(200_000 + k);
    }
    const probes = [1_000_002, 1_499_995, 2_000_000, 2_499_995, 3_000_000];
    const seen = await w.call<{ load: (number | null)[]; size: number }>('readAll', { id, probes });
    expect(seen.load).toEqual([100_000, 149_999, 200_000, 249_999, null]);
    expect(seen.size).toBe(mt.size);
    await w.call('detach', { id });
    expectPoolSettled(mt);
    mt.free();
  });

  test('a Worker grows the memory: this thread follows (its views are re-made by length)', async () => {
    const mt = build(100);
    const handle = mt.share();
    const memory = handle.memory as WebAssembly.Memory;
    const view = new Uint8Array(memory.buffer); // an old view: not detached, but short
    const w = peer();
    const { id } = await w.call<{ id: number }>('attach', { handle });
    const base = 2 ** 40;
    const { count, bytes } = await w.call<{ count: number; bytes: number }>('grow', { id, handle, base });
    expect(bytes).toBeGreaterThan(view.byteLength);
    expect(memory.buffer.byteLength).toBe(bytes);
    // find() and entries() read their results through this thread's views of the memory.
    expect(mt.find(base + 10 * (count - 1))).toEqual({ index: base + 10 * (count - 1), last: base + 10 * (count - 1) + 5, entry: count - 1 });
    let n = 0;
    for (const r of mt.entries(base)) n += r.entry === (r.index - base) / 10 ? 1 : 0;
    expect(n).toBe(count);
    // A cursor made now takes a page the Worker's growth made: its columns are read through views.
    const c = mt.cursor(base);
    let cn = 0;
    let sum = 0;
    for (let k = c.next(); k > 0; k = c.next()) {
      expect(c.entry.length).toBe(k);
      for (let j = 0; j < k; j++) {
        sum += c.entry[j];
        cn += c.index[j] === base + 10 * c.entry[j] ? 1 : 0;
      }
    }
    expect(cn).toBe(count);
    expect(sum).toBe(count * (count - 1) / 2);
    await w.call('detach', { id });
    expectPoolSettled(mt);
    mt.free();
  });

  test('instantiating the shared module over the memory changes none of its bytes (no data segment re-applied)', async () => {
    const mt = build(5000);
    const handle = mt.share();
    const memory = handle.memory as WebAssembly.Memory;
    const digest = (bytes: number): string =>
      createHash('sha256').update(new Uint8Array(memory.buffer, 0, bytes)).digest('hex');
    const firstBefore = digest(65536);
    const allBefore = digest(memory.buffer.byteLength);
    const w = peer();
    expect((await w.call<{ readers: number }>('rawInstance', { handle })).readers).toBe(0);
    expect(digest(65536)).toBe(firstBefore);
    expect(digest(memory.buffer.byteLength)).toBe(allBefore);
    // Attached (instanceInit: scratch and a reader slot of its own), the tree is as it was.
    const dump = mt.dump();
    const { id } = await w.call<{ id: number }>('attach', { handle });
    expect(mt.dump()).toBe(dump);
    mt.validate();
    await w.call('detach', { id });
    mt.free();
  });

  test('an attached tree refuses free(), its pool free() and clearInRcu(); use after detach() throws', async () => {
    const mt = build(100);
    const handle = mt.share();
    const w = peer();
    const { id } = await w.call<{ id: number }>('attach', { handle });
    const r = await w.call<Record<string, [string, string | null, string] | null>>('refusals', { id });
    expect(r.free?.[0]).toBe('TypeError');
    expect(r.free?.[2]).toMatch(/detach\(\)/);
    expect(r.poolFree?.[0]).toBe('TypeError');
    expect(r.clearInRcu?.slice(0, 2)).toEqual(['MapleError', 'EBUSY']);
    expect(mt.inRcu).toBe(true);
    // The owner cannot free or leave RCU mode while the Worker is attached.
    expect(() => mt.free()).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => mt.clearInRcu()).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(mt.inRcu).toBe(true);
    expect(mt.load(15)).toBe(1);
    const d = await w.call<{ errors: ([string, boolean, string] | null)[] }>('detach', { id });
    for (const e of d.errors) {
      expect(e?.[0]).toBe('UseAfterFreeError');
      expect(e?.[1]).toBe(true);
      expect(e?.[2]).toMatch(/used after free\(\) or detach\(\)/);
    }
    // The Worker's last attached tree is gone: it left the memory, and anything over it throws.
    expect(readersAttached(handle)).toBe(0);
    const left = await w.call<{ threw: boolean; message: string }>('afterLeave', {});
    expect(left.threw).toBe(true);
    expect(left.message).toMatch(/detached from the shared memory/);
    // ...until it attaches again (a new reader slot), which works.
    const again = await w.call<{ id: number }>('attach', { handle });
    expect(readersAttached(handle)).toBe(1);
    expect((await w.call<{ load: number[] }>('readAll', { id: again.id, probes: [15, 995] })).load).toEqual([1, 99]);
    await w.call('detach', { id: again.id });
    // Detached: the owner may leave RCU mode; an attach from the old handle is then refused.
    mt.clearInRcu();
    await expect(w.call('attach', { handle })).rejects.toThrow(/left RCU mode/);
    expect(handle.attached[0]).toBe(0);
    expect(mt.share()).toBe(handle);
    expect(mt.inRcu).toBe(true);
    mt.free();
    await expect(w.call('attach', { handle })).rejects.toThrow(/freed by its owner/);
    expect(handle.attached[0]).toBeLessThan(0);
  });

  test('a Worker attaches two trees (two messages, two Memory objects over one memory); it leaves with the last', async () => {
    const one = build(300);
    const two = new m.MapleTree<number, number>({ entries: 'number', keys: 'number', pool: new m.NodePool() });
    two.storeRange(5, 9, 55);
    const w = peer();
    const a = await w.call<{ id: number }>('attach', { handle: one.share() });
    const b = await w.call<{ id: number; inRcu: boolean }>('attach', { handle: two.share() });
    expect(b.inRcu).toBe(true);
    expect(readersAttached(one.share())).toBe(1); // one reader slot for the Worker, not two
    await w.call('detach', { id: a.id });
    expect(readersAttached(one.share())).toBe(1);
    expect((await w.call<{ load: number[] }>('readAll', { id: b.id, probes: [7] })).load).toEqual([55]);
    await w.call('detach', { id: b.id });
    expect(readersAttached(one.share())).toBe(0);
    expect([one.share().attached[0], two.share().attached[0]]).toEqual([0, 0]);
    one.free();
    two.free();
    two.pool.free();
  });

  test('a Worker that made a tree of its own first cannot attach (another memory)', async () => {
    const mt = build(10);
    const r = await peer().call<{ attached: boolean; name: string; message: string }>('ownFirst', { handle: mt.share() });
    expect(r.attached).toBe(false);
    expect(r.name).toBe('Error');
    expect(r.message).toMatch(/already started in this thread over its own memory/);
    mt.free();
  });
});

describe('maple-wasm/shared in one thread', () => {
  test('attach in the thread that shared the tree: a second object over it', () => {
    const mt = build(1000, { allocRange: true });
    const handle = mt.share();
    const t = m.MapleTree.attach(handle);
    expect(handle.attached[0]).toBe(1);
    expect(t.load(15)).toBe(1);
    expect(t.size).toBe(1000);
    t.storeRange(20_000, 20_009, 5);
    expect(mt.load(20_005)).toBe(5);
    expect(t.pool).not.toBe(mt.pool);
    expect(t.pool.stats()).toEqual(mt.pool.stats());
    expect(() => mt.free()).toThrow(/1 attached tree is still reading it/);
    t.detach();
    expect(() => t.load(1)).toThrow(m.UseAfterFreeError);
    // This thread's own core stays: the tree is still usable here.
    expect(mt.load(995)).toBe(99);
    mt.storeRange(0, 5, 42);
    expectPoolSettled(mt);
    mt.free();
  });

  test('share() refuses object-entry trees; bad handles and detach() of an owned tree are TypeErrors', () => {
    const objects = new m.MapleTree<string>();
    expect(() => objects.share()).toThrow(TypeError);
    expect(() => objects.share()).toThrow(/numeric-entry/);
    objects.free();
    const mt = build(3);
    expect(() => mt.detach()).toThrow(TypeError);
    expect(() => m.MapleTree.attach({} as Handle)).toThrow(TypeError);
    expect(() => m.MapleTree.attach(null as unknown as Handle)).toThrow(/handle must be what share\(\) returned/);
    expect(() => m.MapleTree.attach({ ...mt.share(), tree: -1 })).toThrow(/tree is not an address/);
    // A tree not in RCU mode is put in it by share().
    const later = new m.MapleTree<number, number>({ entries: 'number', keys: 'number' });
    expect(later.inRcu).toBe(false);
    later.share();
    expect(later.inRcu).toBe(true);
    later.free();
    mt.free();
  });

  test('the default entry has no shared memory: share() and attach() say to use maple-wasm/shared', () => {
    const mt = new plain.MapleTree({ entries: 'number', rcu: true });
    expect(() => mt.share()).toThrow(TypeError);
    expect(() => mt.share()).toThrow(/needs maple-wasm\/shared/);
    expect(() => plain.MapleTree.attach(build(1).share())).toThrow(/needs maple-wasm\/shared/);
    expect(() => mt.detach()).toThrow(TypeError);
    mt.free();
  });
});

describe('a Worker that ends without detach()', () => {
  test.each(['return', 'exit', 'throw'])('is detached when it ends (%s)', async (how) => {
    const mt = build(10);
    const handle = mt.share();
    const w = new Worker(new URL('./shared/exit-worker.mjs', import.meta.url), { workerData: { handle, how } });
    w.on('error', () => { /* the 'throw' case */ });
    const exited = new Promise((r) => w.once('exit', r));
    expect(await new Promise((r) => w.once('message', r))).toBe(0);
    await exited;
    expect(Atomics.load(handle.attached, 0)).toBe(0);
    expectPoolSettled(mt);
    mt.free(); // not EBUSY: nothing is attached any more
  });
});
