// The Worker side of test/shared.test.ts: attaches to trees the test's thread shares (through
// dist/shared.js, as a user's Worker would) and runs the command it is posted, replying with what
// it saw. Commands: { op, ... } -> { ok: true, ... } or { ok: false, error, name }.
import { parentPort } from 'node:worker_threads';
import { MapleTree, MaState, UseAfterFreeError } from '../../dist/shared.js';

const trees = new Map();
let nextId = 1;

/** Every read of the attached tree `t`, summarised so the test can compare it with its own. */
function readAll(t, probes) {
  const r = {};
  r.size = t.size;
  r.height = t.height;
  r.load = probes.map((i) => t.load(i) ?? null);
  r.has = probes.map((i) => t.has(i));
  r.loadMany = Array.from(t.loadMany(probes), (x) => (Number.isNaN(x) ? null : x));
  r.find = probes.map((i) => t.find(i) ?? null);
  r.next = probes.map((i) => t.next(i) ?? null);
  r.prev = probes.map((i) => t.prev(i) ?? null);
  let n = 0, sum = 0;
  for (const { index, last, entry } of t.entries()) { n++; sum += entry + index - last; }
  r.entries = [n, sum];
  r.keys = [...t.keys(0, 5000)];
  r.values = [...t.values(0, 5000)];
  let each = 0;
  t.forEach((e, i, l) => { each += e * 3 + i - l; });
  r.forEach = each;
  const c = t.cursor();
  let cs = 0, cn = 0;
  for (let k = c.next(); k > 0; k = c.next()) for (let j = 0; j < k; j++) { cs += c.entry[j]; cn++; }
  r.cursor = [cn, cs];
  const mas = new MaState(t, 1000);
  const walk = [mas.walk() ?? null, mas.next() ?? null, mas.next() ?? null, mas.prev() ?? null, mas.status];
  mas.set(50_000);
  walk.push(mas.findRev(0) ?? null, Number(mas.index), Number(mas.last));
  r.mas = walk;
  if (t.isAlloc) {
    const a = new MaState(t);
    a.emptyArea(0, 1e9, 7);
    const lo = [a.index, a.last];
    a.reset();
    a.emptyAreaRev(0, 1e6, 7);
    r.emptyArea = [lo, [a.index, a.last]];
    a.free();
  }
  mas.free();
  return r;
}

const ops = {
  attach({ handle }) {
    const t = MapleTree.attach(handle);
    const id = nextId++;
    trees.set(id, t);
    return { id, isAlloc: t.isAlloc, keyMode: t.keyMode, entryMode: t.entryMode, inRcu: t.inRcu };
  },
  readAll({ id, probes }) {
    return readAll(trees.get(id), probes);
  },
  /** Load random indices of ranges whose entries describe them until stop[0] is set. */
  readLoop({ id, stop, n }) {
    const t = trees.get(id);
    let reads = 0, bad = 0, walked = 0, missing = 0;
    const out = new Float64Array(64);
    const keys = new Float64Array(64);
    while (Atomics.load(stop, 0) === 0) {
      const i = Math.floor(Math.random() * n);
      // Range i is [10i, 10i + 5] holding i, or empty while the writer moves it.
      const e = t.load(10 * i + 3);
      reads++;
      if (e === undefined) missing++;
      else if (e !== i) bad++;
      if ((reads & 63) === 0) {
        for (let k = 0; k < 64; k++) keys[k] = 10 * ((i + k) % n) + 5;
        t.loadMany(keys, out);
        for (let k = 0; k < 64; k++) if (!Number.isNaN(out[k]) && out[k] !== (i + k) % n) bad++;
      }
      if ((reads & 1023) === 0) {
        let prev = -1;
        for (const r of t.entries(10 * i, 10 * i + 3000)) {
          walked++;
          if (r.index <= prev || r.entry * 10 !== r.index || r.last !== r.index + 5) bad++;
          prev = r.last;
        }
      }
    }
    return { reads, bad, walked, missing };
  },
  /** Store [first + 10k, first + 10k + 5] = first/10 + k for k < count (through the lock). */
  write({ id, first, count, rounds = 1 }) {
    const t = trees.get(id);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < count; k++) {
        const a = first + 10 * k;
        t.storeRange(a, a + 5, r === rounds - 1 ? a / 10 : null);
      }
    }
    return { size: t.size };
  },
  /** Store new ranges [base + 10k, base + 10k + 5] = k until the memory has grown; how many. */
  grow({ id, handle, base }) {
    const t = trees.get(id);
    const before = handle.memory.buffer.byteLength;
    let k = 0;
    while (handle.memory.buffer.byteLength === before) {
      t.storeRange(base + 10 * k, base + 10 * k + 5, k);
      k++;
    }
    // Then grow it again with cursors' pages (objects, not nodes) and give them back, so that
    // the next page the test's thread takes lies where its old views do not reach.
    const cursors = [];
    const grown = handle.memory.buffer.byteLength;
    while (handle.memory.buffer.byteLength === grown) cursors.push(t.cursor());
    for (let i = 0; i < 16; i++) cursors.push(t.cursor());
    for (const c of cursors) c.close();
    return { count: k, bytes: handle.memory.buffer.byteLength };
  },
  detach({ id }) {
    const t = trees.get(id);
    t.detach();
    t.detach(); // a second call does nothing
    const errors = [];
    for (const f of [() => t.load(1), () => t.size, () => t.storeRange(1, 2, 3), () => new MaState(t)]) {
      try { f(); errors.push(null); } catch (e) { errors.push([e.name, e instanceof UseAfterFreeError, e.message]); }
    }
    trees.delete(id);
    return { errors };
  },
  /** What an attached tree refuses. */
  refusals({ id }) {
    const t = trees.get(id);
    const out = {};
    for (const [name, f] of [['free', () => t.free()], ['poolFree', () => t.pool.free()],
      ['clearInRcu', () => t.clearInRcu()]]) {
      try { f(); out[name] = null; } catch (e) { out[name] = [e.name, e.code ?? null, e.message]; }
    }
    return out;
  },
  /** A tree of this thread's own first, then an attach: refused (another memory). */
  ownFirst({ handle }) {
    const own = new MapleTree({ entries: 'number' });
    own.store(1, 1);
    try {
      MapleTree.attach(handle);
      return { attached: true };
    } catch (e) {
      return { attached: false, name: e.name, message: e.message };
    }
  },
  /** Instantiate the raw module over the memory (no instanceInit, no facade): the data-segment trap. */
  rawInstance({ handle }) {
    const inst = new WebAssembly.Instance(handle.module, {
      env: { memory: handle.memory, abort() { throw new Error('abort'); } },
    });
    return { readers: inst.exports.rcuReaders() };
  },
  /** Use of anything over the memory once the thread's last attached tree detached. */
  afterLeave({ handle }) {
    try {
      new MapleTree({ entries: 'number' });
      return { threw: false };
    } catch (e) {
      return { threw: true, message: e.message, handle: !!handle };
    }
  },
};

parentPort.on('message', (msg) => {
  try {
    parentPort.postMessage({ ok: true, ...ops[msg.op](msg) });
  } catch (e) {
    parentPort.postMessage({ ok: false, name: e?.name, error: String(e?.stack ?? e) });
  }
});
