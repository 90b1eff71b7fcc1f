// A reader thread of test/rcu-stress.test.ts: a second instance of the shared core over the
// writer's memory, reading until told to stop, and checking every answer against the entries'
// own description of their range (entry = first * 4096 + length).
import { workerData, parentPort } from 'node:worker_threads';

const { module, memory, tree, keySpace, stop, seed: seed0 } = workerData;
const c = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('core abort'); } } }).exports;
if (c.instanceInit() < 0) throw new Error('no reader slot');
const mas = c.stateNew(tree) >>> 0;
const buf = c.batchNew() >>> 0;
const keys = c.batchNew() >>> 0;
const out = c.batchNew() >>> 0;
const OUT = c.OUT.value >>> 0;
const CAP = c.batchCapacity();
const decode = (e) => [Math.floor(e / 4096), Math.floor(e / 4096) + (e % 4096) - 1];
const view = () => new DataView(memory.buffer); // memory may grow under us: a fresh view each time
let seed = seed0;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const count = { loads: 0, ranges: 0, batches: 0, gaps: 0, violations: 0 };
const examples = [];
const bad = (what) => { count.violations++; if (examples.length < 5) examples.push(what); };

while (Atomics.load(stop, 0) === 0) {
  const x = Math.floor(rnd() * keySpace);
  const op = rnd();
  if (op < 0.45) {
    // mtree_load: an entry found must describe a range holding x
    const e = c.treeLoad(tree, x);
    count.loads++;
    if (e !== 0) { const [a, b] = decode(e); if (x < a || x > b) bad(['load', x, e]); }
  } else if (op < 0.65) {
    // a batch of 64 loads walked together
    let dv = view();
    for (let k = 0; k < 64; k++) dv.setFloat64(keys + 8 * k, Math.floor(rnd() * keySpace), true);
    if (c.treeLoadMany(tree, keys, out, 64, 0, 0) !== -1) bad(['loadMany rejected its keys']);
    dv = view();
    for (let k = 0; k < 64; k++) {
      const key = dv.getFloat64(keys + 8 * k, true);
      const e = dv.getFloat64(out + 8 * k, true);
      count.loads++;
      if (e !== 0) { const [a, b] = decode(e); if (key < a || key > b) bad(['loadMany', key, e]); }
    }
  } else if (op < 0.9) {
    // iteration from x, up to three batches: ascending, non-overlapping, each inside its entry's range
    c.stateSet(mas, x, x);
    c.stateReset(mas);
    let prev = -1;
    for (let round = 0; round < 3; round++) {
      const n = c.stateFindBatch(mas, x + 20000, buf);
      count.batches++;
      const dv = view();
      for (let k = 0; k < n; k++) {
        const i0 = dv.getFloat64(buf + 24 * k, true);
        const l0 = dv.getFloat64(buf + 24 * k + 8, true);
        const e = dv.getFloat64(buf + 24 * k + 16, true);
        const [a, b] = decode(e);
        count.ranges++;
        if (i0 > l0 || i0 <= prev || i0 < a || l0 > b) bad(['iterate', i0, l0, e, prev]);
        prev = l0;
      }
      if (n < CAP) break;
    }
  } else {
    // gap search in a window: the area found lies inside it and has the size asked
    const size = 1 + Math.floor(rnd() * 40);
    const r = c.treeEmptyArea(tree, x, x + 5000, size, rnd() < 0.5 ? 1 : 0);
    count.gaps++;
    if (r === 0) {
      const s = Number(view().getBigUint64(OUT, true));
      if (s < x || s + size - 1 > x + 5000) bad(['emptyArea', x, s, size]);
    } else if (r !== -16) bad(['emptyArea returned', r]);
  }
}
c.instanceDetach();
count.restarts = c.rcuRestarts();
parentPort.postMessage({ ...count, examples });
