// RCU mode with simulated readers, after the kernel's check_rcu_simulated: a reader inside a read
// section walks the tree one node at a time, reading linear memory itself (test/support/
// rcu-reader.ts), and between its steps the writer runs each kind of write in RCU mode. The
// reader, going on from the node it holds, must find the old or the new entry for its index,
// never a node that was freed or reused: a node it holds is never on a free list, and once dead
// its contents never change while the reader is inside (the write retired it, and the grace
// period keeps it). A reader that finds its node dead walks again from the root and then finds
// the new entry. After the reader leaves and synchronize() runs, nothing waits, the tree
// validates and every page's 16 nodes are accounted for.
//
// Then random differentials: thousands of random writes in RCU mode with a reader locking,
// walking and unlocking at random points, validate() and a comparison with a model after every
// write; and the same under injected allocation failures, where a failed write leaves the tree
// as it was.
import { describe, expect, test } from 'vitest';
import { MapleTree, MaState, NodePool, MapleError } from '../src/index';
import type { StoreType } from '../src/index';
import { core } from '../src/wasm';
import { SimReader, isDead, snapshot, sameBody, onFreeList, entryOf, MAX64 } from './support/rcu-reader';
import { Model, arg, expectSame } from './support/model';
import { mulberry32 } from './support/rng';

type Tree = MapleTree<number>;

/** A write: a store of entry (null clears) over [first, last], or an erase of the range at index. */
type Write =
  | { kind: 'store'; first: bigint; last: bigint; entry: number | null }
  | { kind: 'erase'; index: bigint };

const store = (first: bigint, last: bigint, entry: number | null): Write => ({ kind: 'store', first, last, entry });
const erase = (index: bigint): Write => ({ kind: 'erase', index });

function newTree(alloc: boolean, pool: NodePool): Tree {
  return new MapleTree<number>({ entries: 'number', allocRange: alloc, rcu: true, pool });
}

/** [10i, 10i + 5] = i for i in [from, to). */
function ranges(mt: Tree, from: number, to: number): void {
  for (let i = from; i < to; i++) mt.storeRange(10 * i, 10 * i + 5, i);
}

/** The store type the core picks for a write, without making it (preallocate, then give back). */
function typeOf(mt: Tree, w: Write): StoreType | undefined {
  let first: bigint;
  let last: bigint;
  let entry: number | null;
  if (w.kind === 'store') {
    ({ first, last, entry } = w);
  } else {
    const r = mt.find(arg(w.index), arg(w.index));
    if (r === undefined) return undefined;
    first = BigInt(r.index);
    last = BigInt(r.last);
    entry = null;
  }
  const mas = new MaState(mt, arg(first), arg(last));
  try {
    mas.preallocate(entry);
    return mas.storeType;
  } finally {
    mas.destroy();
    mas.free();
  }
}

/** The height a write leaves the tree at, tried on a copy. */
function heightAfter(mt: Tree, w: Write): number {
  const c = mt.dup() as Tree;
  c.setInRcu(); // a copy is made in normal mode, where splits may push into a sibling instead
  try {
    apply(c, w);
    return c.height;
  } finally {
    c.free();
  }
}

/** Make a write; returns the store type it took (through a MaState, so the type is known). */
function apply(mt: Tree, w: Write): StoreType | undefined {
  if (w.kind === 'erase') {
    const mas = new MaState(mt, arg(w.index));
    try {
      mas.erase();
      return mas.storeType;
    } finally {
      mas.free();
    }
  }
  const mas = new MaState(mt, arg(w.first), arg(w.last));
  try {
    mas.store(w.entry);
    return mas.storeType;
  } finally {
    mas.free();
  }
}

/** Writes that replace nodes (the in-place ones retire nothing). */
const IN_PLACE = new Set<StoreType | undefined>(['exact_fit', 'slot_store']);

interface Scenario {
  name: string;
  /** The tree before the write (made in RCU mode, no reader attached). */
  build(mt: Tree): void;
  /** The write, found on the built tree, and the index the reader looks up. */
  pick(mt: Tree): { w: Write; x: bigint };
  /** The store type the write must take (the kernel's name), when one is wanted. */
  type?: StoreType;
  /** How the write must change the height. */
  height?: 'grows' | 'shrinks';
}

/** The first write of the candidates whose type (and height change) is the one wanted. */
function first(mt: Tree, want: { type?: StoreType; height?: 'grows' | 'shrinks' },
               candidates: Iterable<{ w: Write; x: bigint }>): { w: Write; x: bigint } {
  const h = mt.height;
  for (const c of candidates) {
    if (want.type !== undefined && typeOf(mt, c.w) !== want.type) continue;
    if (want.height === 'grows' && heightAfter(mt, c.w) <= h) continue;
    if (want.height === 'shrinks' && heightAfter(mt, c.w) >= h) continue;
    return c;
  }
  throw new Error(`no candidate write of type ${want.type ?? 'any'}${want.height ? `, height ${want.height}` : ''}`);
}

function* each<T>(n: number, f: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield f(i);
}

const N = 600; // [10i, 10i + 5] for i < 600: height 3 in both kinds of tree
const b = BigInt;

const SCENARIOS: Scenario[] = [
  {
    name: 'exact fit', type: 'exact_fit',
    build: (mt) => ranges(mt, 0, N),
    pick: () => ({ w: store(3000n, 3005n, 9999), x: 3002n }),
  },
  {
    name: 'slot store (a range and the start of the NULL after it)', type: 'slot_store',
    build: (mt) => ranges(mt, 0, N),
    pick: (mt) => first(mt, { type: 'slot_store' }, each(N - 1, (i) => ({ w: store(b(10 * i), b(10 * i + 7), 9999), x: b(10 * i + 7) }))),
  },
  {
    name: 'node store at the append position (past the last range)', type: 'node_store',
    build: (mt) => ranges(mt, 0, N),
    pick: (mt) => first(mt, { type: 'node_store' }, each(20, (i) => ({ w: store(b(10 * (N + i)), b(10 * (N + i) + 5), 9999), x: b(10 * (N + i) + 2) }))),
  },
  {
    name: 'node store inside a range (cut in three)', type: 'node_store',
    build: (mt) => ranges(mt, 0, N),
    pick: (mt) => first(mt, { type: 'node_store' }, each(N, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 9999), x: b(10 * i + 3) }))),
  },
  {
    name: 'split', type: 'split_store',
    build: (mt) => ranges(mt, 0, N),
    pick: (mt) => first(mt, { type: 'split_store' }, each(N, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 9999), x: b(10 * i + 2) }))),
  },
  {
    name: 'rebalance', type: 'rebalance',
    build: (mt) => ranges(mt, 0, N),
    // NULL over six ranges of a leaf (12 of its slots) leaves it below its minimum.
    pick: (mt) => first(mt, { type: 'rebalance' }, each(N - 10, (i) => ({ w: store(b(10 * i), b(10 * i + 55), null), x: b(10 * i + 12) }))),
  },
  {
    name: 'spanning store', type: 'spanning_store',
    build: (mt) => ranges(mt, 0, N),
    pick: () => ({ w: store(2003n, 3503n, 9999), x: 2800n }),
  },
  {
    name: 'erase',
    build: (mt) => ranges(mt, 0, N),
    pick: () => ({ w: erase(4101n), x: 4103n }),
  },
  {
    name: 'NULL store (a hole in a range)',
    build: (mt) => ranges(mt, 0, N),
    pick: () => ({ w: store(4202n, 4203n, null), x: 4202n }),
  },
  {
    name: 'root split (height 1 -> 2)', height: 'grows',
    build: (mt) => ranges(mt, 0, 8),
    pick: (mt) => first(mt, { height: 'grows' }, each(8, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 9999), x: b(10 * i + 2) }))),
  },
  {
    name: 'root split (height 2 -> 3)', height: 'grows',
    build: (mt) => {
      // Ascending until one more range would grow the tree to height 3.
      let i = 0;
      while (heightAfter(mt, store(b(10 * i), b(10 * i + 5), i)) < 3) {
        mt.storeRange(10 * i, 10 * i + 5, i);
        i++;
      }
    },
    pick: (mt) => first(mt, { height: 'grows' }, each(400, (i) => ({ w: store(b(10 * i), b(10 * i + 5), 9999), x: b(10 * i + 1) }))),
  },
  {
    name: 'collapse by rebalance (height 2 -> 1)', height: 'shrinks',
    build: (mt) => ranges(mt, 0, 9),
    pick: (mt) => first(mt, { height: 'shrinks' }, each(9, (i) => ({ w: erase(b(10 * i)), x: b(10 * i + 1) }))),
  },
  {
    name: 'collapse by a spanning NULL store (height 3 -> 1)', height: 'shrinks',
    build: (mt) => ranges(mt, 0, N),
    pick: () => ({ w: store(15n, 10n * b(N), null), x: 3000n }),
  },
];

/**
 * One scenario with the reader holding the node at depth k of its walk (k = 0: the root node;
 * k = height - 1: the leaf) when the write happens.
 */
function runScenario(s: Scenario, alloc: boolean, k: number): { restarts: number; killed: boolean; type?: StoreType } {
  const pool = new NodePool();
  const mt = newTree(alloc, pool);
  s.build(mt);
  mt.validate();
  const { w, x } = s.pick(mt);
  const height = mt.height;
  const oldV = mt.load(arg(x)) ?? null;
  const reader = new SimReader(mt.ptr);
  try {
    reader.lock();
    reader.begin(x);
    for (let i = 0; i < k; i++) expect(reader.step()).toBe(false);
    const held = reader.held!;
    expect(held.depth).toBe(k);
    // The node the reader holds: live, or dead and unchanged since it died; never free. A live
    // node may change in place (a slot published into it), so it is snapshot before each write.
    let snap = snapshot(held.node);
    let diedAt = '';
    const guard = (what: string, write: () => void): void => {
      if (!isDead(held.node)) snap = snapshot(held.node);
      write();
      expect(onFreeList(pool.ptr, held.node)).toBe(false);
      if (isDead(held.node)) {
        diedAt ||= what;
        if (!sameBody(held.node, snap)) throw new Error(`node 0x${held.node.toString(16)} held at depth ${k} changed after ${what} (dead since ${diedAt})`);
      }
    };

    let type: StoreType | undefined;
    guard('the write', () => { type = apply(mt, w); });
    const killed = isDead(held.node);
    if (s.type !== undefined) expect(type).toBe(s.type);
    if (s.height === 'grows') expect(mt.height).toBeGreaterThan(height);
    if (s.height === 'shrinks') expect(mt.height).toBeLessThan(height);
    const newV = mt.load(arg(x)) ?? null;
    const waiting = pool.stats().nodesWaiting;
    // Nodes the write replaced wait for the reader; an in-place write replaces none.
    if (IN_PLACE.has(type)) expect(waiting).toBe(0);
    else expect(waiting).toBeGreaterThan(0);
    expect(core.rcuWaiting()).toBe(waiting);

    // Writes elsewhere (allocating, freeing) and grace-period steps while the reader is inside
    // must not free or reuse it.
    for (let i = 0; i < 40; i++) guard(`store ${i}`, () => mt.storeRange(1e9 + 10 * i, 1e9 + 10 * i + 5, i));
    for (let i = 0; i < 40; i += 2) guard(`erase ${i}`, () => mt.erase(1e9 + 10 * i));
    if (waiting > 0) guard('rcuSync', () => expect(core.rcuSync()).toBeGreaterThan(0));

    const got = entryOf(reader.finish());
    expect([oldV, newV]).toContain(got);
    if (reader.restarts > 0) expect(got).toBe(newV);
    for (const n of reader.deadMet) expect(onFreeList(pool.ptr, n)).toBe(false);
    const restarts = reader.restarts;

    // A walk from the root now finds the new entry.
    expect(entryOf(reader.load(x))).toBe(newV);
    reader.unlock();
    mt.synchronize();
    expect(pool.stats().nodesWaiting).toBe(0);
    expect(core.rcuWaiting()).toBe(0);
    mt.validate();
    const st = pool.stats();
    expect(st.pagesInUse * 16).toBe(st.nodesInUse + st.nodesFree + st.nodesEmergency);
    return { restarts, killed, type };
  } finally {
    reader.unlock();
    reader.detach();
    mt.free();
    pool.free();
  }
}

describe.each([false, true])('simulated reader against each write in RCU mode (allocRange %s)', (alloc) => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const probe = newTree(alloc, new NodePool());
    s.build(probe);
    const height = probe.height;
    probe.free();
    const killedAt: boolean[] = [];
    let type: StoreType | undefined;
    for (let k = 0; k < height; k++) {
      const r = runScenario(s, alloc, k);
      killedAt.push(r.killed);
      // The reader walked again exactly when a node it held had died (in the write, or in the
      // writes elsewhere after it).
      if (r.killed) expect(r.restarts).toBeGreaterThan(0);
      type = r.type;
    }
    // In-place writes replace no node; every other write replaces the leaf the reader holds.
    if (IN_PLACE.has(type)) expect(killedAt.every((d) => !d)).toBe(true);
    else expect(killedAt[height - 1]).toBe(true);
  });
});

describe('grace periods', () => {
  test('nodes retired while a reader is inside wait for it; a reader that entered later does not hold them', () => {
    const pool = new NodePool();
    const mt = newTree(false, pool);
    ranges(mt, 0, N);
    const { w } = first(mt, { type: 'node_store' }, each(N, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 7777), x: b(10 * i + 2) })));
    const x = (w as { first: bigint }).first;
    const early = new SimReader(mt.ptr);
    const late = new SimReader(mt.ptr);
    try {
      early.lock();
      early.begin(x);
      while (early.held!.depth < mt.height - 1) early.step();
      const leaf = early.held!.node;
      const snap = snapshot(leaf);
      expect(apply(mt, w)).toBe('node_store'); // the leaf is replaced
      expect(isDead(leaf)).toBe(true);
      const waiting = pool.stats().nodesWaiting;
      expect(waiting).toBe(1);
      late.lock();
      expect(entryOf(late.load(x))).toBe(7777);
      // The early reader holds the grace period open, the late one does not.
      for (let i = 0; i < 5; i++) expect(core.rcuSync()).toBe(1);
      expect(sameBody(leaf, snap)).toBe(true);
      expect(() => mt.synchronize(50)).toThrow(/1 nodes still wait/);
      expect(entryOf(early.finish())).toBe(7777);
      expect(early.restarts).toBe(1);
      early.unlock();
      expect(core.rcuSync()).toBe(0);
      expect(onFreeList(pool.ptr, leaf)).toBe(true);
      late.unlock();
      mt.validate();
    } finally {
      early.unlock();
      late.unlock();
      early.detach();
      late.detach();
      mt.free();
      pool.free();
    }
  });

  test('switching modes: setInRcu on a built tree, clearInRcu with nodes still waiting', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ entries: 'number', pool });
    ranges(mt, 0, N);
    expect(mt.inRcu).toBe(false);
    mt.setInRcu();
    expect(mt.inRcu).toBe(true);
    const { w, x } = first(mt, { type: 'node_store' }, each(N, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 7777), x: b(10 * i + 2) })));
    const reader = new SimReader(mt.ptr);
    try {
      reader.lock();
      reader.begin(x);
      while (reader.held!.depth < mt.height - 1) reader.step();
      const leaf = reader.held!.node;
      const snap = snapshot(leaf);
      expect(apply(mt, w)).toBe('node_store');
      expect(isDead(leaf)).toBe(true);
      mt.clearInRcu();
      expect(mt.inRcu).toBe(false);
      // Normal mode again: appends and in-place node stores; the retired leaf still waits.
      for (let i = 0; i < 50; i++) mt.storeRange(10 * (N + i), 10 * (N + i) + 5, i);
      expect(typeOf(mt, store(10n * b(N + 50), 10n * b(N + 50) + 5n, 1))).toBe('append');
      expect(pool.stats().nodesWaiting).toBeGreaterThan(0);
      expect(sameBody(leaf, snap)).toBe(true);
      expect(onFreeList(pool.ptr, leaf)).toBe(false);
      expect(entryOf(reader.finish())).toBe(7777);
      reader.unlock();
      mt.synchronize();
      expect(pool.stats().nodesWaiting).toBe(0);
      mt.validate();
    } finally {
      reader.unlock();
      reader.detach();
      mt.free();
      pool.free();
    }
  });

  test('with no reader attached, replaced nodes are freed at once', () => {
    const pool = new NodePool();
    const mt = newTree(true, pool);
    ranges(mt, 0, N);
    expect(core.rcuReaders()).toBe(0);
    const { w } = first(mt, { type: 'node_store' }, each(N, (i) => ({ w: store(b(10 * i + 2), b(10 * i + 3), 7777), x: 0n })));
    const frees = pool.stats().frees;
    expect(apply(mt, w)).toBe('node_store');
    expect(pool.stats().nodesWaiting).toBe(0);
    expect(pool.stats().frees).toBe(frees + 1);
    mt.validate();
    mt.free();
    pool.free();
  });
});

/**
 * A random differential in RCU mode: random stores, NULL stores and erases of every width, a
 * simulated reader locking, stepping and unlocking between them at random. After every write the
 * tree validates and equals the model; a walk's answer is one of the values its index held since
 * the walk began (since it last restarted); a node the reader holds is never free, and never
 * changes once dead. With `faults`, allocations fail at random: a failed write (ENOMEM) leaves
 * the tree equal to the model, which it did not change.
 */
function randomRun(seed: number, alloc: boolean, ops: number, faults: false | 'normal' | 'reserve too'): { enomem: number; restarts: number; walks: number; maxHeight: number } {
  const rng = mulberry32(seed);
  const pool = new NodePool();
  const mt = newTree(alloc, pool);
  const model = new Model<number>();
  const reader = new SimReader(mt.ptr);
  let seen = new Set<number | null>();
  let heldSnap: { node: number; snap: Uint8Array } | undefined;
  let enomem = 0;
  let restarts = 0;
  let walks = 0;
  let maxHeight = 0;
  const span = rng.chance(0.5) ? 20_000 : 40_000;
  const key = (): bigint => (rng.chance(0.02) ? MAX64 - b(rng.int(50)) : b(rng.int(span)));
  try {
    // A tree of height 3 to begin with (in RCU mode, no reader attached yet: freed at once).
    reader.detach();
    const n = rng.range(800, 1600);
    for (let i = 0; i < n; i++) {
      mt.storeRange(12 * i, 12 * i + 6, i);
      model.store(b(12 * i), b(12 * i + 6), i);
    }
    mt.validate();
    reader.attach();
    if (faults) {
      pool.faults.failReserve(faults === 'reserve too');
      pool.faults.failRate(0.08, seed);
    }
    for (let op = 0; op < ops; op++) {
      // The reader: maybe attach or detach (outside a section), lock, unlock, begin, step.
      if (!reader.attached && rng.chance(0.05)) reader.attach();
      if (reader.attached) {
        if (!reader.inside && rng.chance(0.3)) reader.lock();
        if (reader.inside) {
          if (reader.result !== undefined || reader.held === null) {
            if (rng.chance(0.5)) {
              reader.begin(key());
              walks++;
              seen = new Set([model.load(reader.index) ?? null]);
            }
          }
          const steps = rng.int(3);
          for (let i = 0; i < steps && reader.result === undefined; i++) {
            const r0 = reader.restarts;
            reader.step();
            if (reader.restarts > r0) {
              for (const n of reader.deadMet.slice(-1)) expect(onFreeList(pool.ptr, n)).toBe(false);
              seen = new Set([model.load(reader.index) ?? null]);
            }
          }
          if (reader.result !== undefined && seen.size > 0) {
            const got = entryOf(reader.result);
            if (!seen.has(got)) throw new Error(`seed ${seed} op ${op}: reader at ${reader.index} found ${got}, index held ${[...seen].join(', ')}`);
            restarts += reader.restarts;
            seen = new Set();
          }
          if (rng.chance(0.1)) {
            reader.unlock();
            reader.held = null;
            reader.result = undefined;
          }
        } else if (rng.chance(0.05)) {
          reader.detach();
        }
      }
      heldSnap = reader.held !== null && reader.inside ? { node: reader.held.node, snap: snapshot(reader.held.node) } : undefined;

      // The write.
      const r = rng();
      let first = key();
      let last = first;
      const width = rng.chance(0.2) ? rng.int(400) : rng.int(12);
      last = first + b(width) > MAX64 ? MAX64 : first + b(width);
      if (rng.chance(0.01)) { first = b(rng.int(span)); last = MAX64; }
      const entry = rng.int(1_000_000);
      const wasWaiting = pool.stats().nodesWaiting;
      const heldWasDead = heldSnap !== undefined && isDead(heldSnap.node);
      try {
        if (r < 0.6) {
          mt.storeRange(arg(first), arg(last), entry);
          model.store(first, last, entry);
        } else if (r < 0.8) {
          mt.storeRange(arg(first), arg(last), null);
          model.store(first, last, null);
        } else {
          const got = mt.erase(arg(first)) ?? null;
          expect(got).toBe(model.erase(first) ?? null);
        }
      } catch (e) {
        if (!(faults && e instanceof MapleError && e.code === 'ENOMEM')) throw e;
        enomem++;
        // Unchanged (the model was not written: expectSame below), and nothing new waits.
        expect(pool.stats().nodesWaiting).toBe(wasWaiting);
        if (heldSnap !== undefined) {
          expect(isDead(heldSnap.node)).toBe(heldWasDead);
          expect(sameBody(heldSnap.node, heldSnap.snap)).toBe(true);
        }
      }
      if (reader.inside && reader.result === undefined && reader.held !== null) seen.add(model.load(reader.index) ?? null);
      if (heldSnap !== undefined) {
        expect(onFreeList(pool.ptr, heldSnap.node)).toBe(false);
        if (isDead(heldSnap.node) && !sameBody(heldSnap.node, heldSnap.snap)) {
          throw new Error(`seed ${seed} op ${op}: node 0x${heldSnap.node.toString(16)} the reader holds changed after it died`);
        }
      }
      mt.validate();
      expectSame(mt, model, `seed ${seed} op ${op}`);
      maxHeight = Math.max(maxHeight, mt.height);
      if (!reader.inside && rng.chance(0.1)) {
        mt.synchronize();
        expect(pool.stats().nodesWaiting).toBe(0);
      }
    }
    pool.faults.off();
    pool.faults.failReserve(false);
    if (reader.inside) reader.unlock();
    mt.synchronize();
    expect(pool.stats().nodesWaiting).toBe(0);
    mt.validate();
    const st = pool.stats();
    expect(st.pagesInUse * 16).toBe(st.nodesInUse + st.nodesFree + st.nodesEmergency);
    return { enomem, restarts, walks, maxHeight };
  } finally {
    pool.faults.off();
    reader.unlock();
    reader.detach();
    mt.free();
    pool.free();
  }
}

describe('random writes in RCU mode with a simulated reader', () => {
  for (const [seed, alloc] of [[1, false], [2, true], [3, false], [4, true]] as const) {
    test(`seed ${seed}, allocRange ${alloc}: 3,000 writes`, () => {
      const r = randomRun(seed, alloc, 3000, false);
      console.log(`seed ${seed}: ${r.walks} walks, ${r.restarts} restarts from a dead node, max height ${r.maxHeight}`);
      expect(r.walks).toBeGreaterThan(100);
      expect(r.restarts).toBeGreaterThan(0);
    });
  }
  for (const [seed, alloc, faults] of [[11, false, 'normal'], [12, true, 'normal'], [13, false, 'reserve too'], [14, true, 'reserve too']] as const) {
    test(`seed ${seed}, allocRange ${alloc}: 2,000 writes with allocations failing (8%, ${faults === 'normal' ? 'emergency reserve spared' : 'emergency reserve failing too'})`, () => {
      const r = randomRun(seed, alloc, 2000, faults);
      console.log(`seed ${seed}: ${r.enomem} writes failed with ENOMEM, ${r.walks} walks, ${r.restarts} restarts, max height ${r.maxHeight}`);
      expect(r.enomem).toBeGreaterThan(10);
    });
  }
});
