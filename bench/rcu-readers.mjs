// RCU readers beside a writer (maple-wasm/shared): reads per second of one reader Worker while
// the main thread churns the tree (W7's clear + restore of three ranges), against the same
// reader with the writer idle; and the writer's churn rate with and without the reader, and with
// the reader attached but idle (grace periods without read traffic).
//
//   node bench/rcu-readers.mjs [N] [seconds] [rounds]   (default 1,000,000 ranges, 3 s, 3 rounds)
//
// Needs a built dist/ (npm run build). Each configuration runs in a process of its own, three
// rounds alternating (more on a noisy machine). The tree is W1's ([16i, 16i + 9] holds i + 1) in RCU mode; the churn
// restores what it clears, so every load can be checked against its index, and is.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const self = fileURLToPath(import.meta.url);

if (!isMainThread) {
  // The reader: attach, load random indices until told to stop, check every answer.
  const { MapleTree } = await import('../dist/shared.js');
  const { handle, flags, N, idle } = workerData;
  const t = MapleTree.attach(handle);
  let seed = 12345;
  let loads = 0;
  let sum = 0;
  let wrong = 0;
  parentPort.postMessage('ready');
  while (Atomics.load(flags, 0) === 0) { /* wait for the start */ }
  while (idle && Atomics.load(flags, 0) === 1) Atomics.wait(flags, 0, 1, 50);
  while (Atomics.load(flags, 0) === 1) {
    for (let k = 0; k < 1024; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const x = seed % (16 * N);
      const e = t.load(x);
      if (e !== undefined) {
        sum += e;
        if (x < 16 * (e - 1) || x > 16 * (e - 1) + 9) wrong++;
      } else if (x % 16 < 10) {
        // a W7 clear in flight may hide an entry: allowed
      }
    }
    loads += 1024;
  }
  t.detach();
  parentPort.postMessage({ loads, sum, wrong });
} else if (process.argv[2]?.startsWith('--mode=')) {
  const mode = process.argv[2].slice(7);
  const N = Number(process.argv[3]);
  const seconds = Number(process.argv[4]);
  const { MapleTree } = await import('../dist/shared.js');
  const mt = new MapleTree({ entries: 'number', rcu: true });
  for (let i = 0; i < N; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
  const flags = new Int32Array(new SharedArrayBuffer(4));
  let reader;
  let done;
  if (mode !== 'churn') {
    reader = new Worker(self, { workerData: { handle: mt.share(), flags, N, idle: mode === 'idle' } });
    await new Promise((r) => reader.once('message', r));
    done = new Promise((r) => reader.once('message', r));
  }
  Atomics.store(flags, 0, 1);
  const t0 = performance.now();
  let churns = 0;
  let seed = 777;
  if (mode === 'read') {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } else {
    while (performance.now() - t0 < seconds * 1000) {
      for (let k = 0; k < 256; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const i = seed % (N - 3);
        mt.storeRange(16 * i, 16 * i + 47, null);
        mt.storeRange(16 * i, 16 * i + 9, i + 1);
        mt.storeRange(16 * i + 16, 16 * i + 25, i + 2);
        mt.storeRange(16 * i + 32, 16 * i + 41, i + 3);
      }
      churns += 256;
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  Atomics.store(flags, 0, 2);
  const r = reader ? await done : { loads: 0, sum: 0, wrong: 0 };
  mt.synchronize();
  mt.validate();
  const st = mt.pool.stats();
  process.stdout.write(JSON.stringify({
    mode, readsPerSec: r.loads / elapsed, churnPerSec: churns / elapsed, wrong: r.wrong, sum: r.sum,
    waiting: st.nodesWaiting, lost: st.pagesInUse * 16 - st.nodesInUse - st.nodesFree - st.nodesEmergency,
  }));
} else {
  const N = Number(process.argv[2] ?? 1_000_000);
  const seconds = Number(process.argv[3] ?? 3);
  const ROUNDS = Number(process.argv[4] ?? 3);
  const best = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['read', 'churn', 'both', 'idle']) {
      const r = spawnSync(process.execPath, [self, `--mode=${mode}`, String(N), String(seconds)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      if (j.wrong !== 0 || j.waiting !== 0 || j.lost !== 0) throw new Error(`${mode}: ${r.stdout}`);
      const b = (best[mode] ??= { readsPerSec: 0, churnPerSec: 0 });
      b.readsPerSec = Math.max(b.readsPerSec, j.readsPerSec);
      b.churnPerSec = Math.max(b.churnPerSec, j.churnPerSec);
    }
  }
  const M = (x) => (x / 1e6).toFixed(2).padStart(6);
  console.log(`N = ${N}, ${seconds} s a run, best of ${ROUNDS} rounds, each configuration in its own process`);
  console.log(`reader alone:          ${M(best.read.readsPerSec)} M loads/s`);
  console.log(`reader while churning: ${M(best.both.readsPerSec)} M loads/s  (${(best.both.readsPerSec / best.read.readsPerSec).toFixed(2)}x alone)`);
  console.log(`churn alone:           ${M(best.churn.churnPerSec)} M churns/s (4 writes each)`);
  console.log(`churn beside reader:   ${M(best.both.churnPerSec)} M churns/s  (${(best.both.churnPerSec / best.churn.churnPerSec).toFixed(2)}x alone)`);
  console.log(`churn, reader idle:    ${M(best.idle.churnPerSec)} M churns/s  (${(best.idle.churnPerSec / best.churn.churnPerSec).toFixed(2)}x alone: the grace periods' share, no read traffic)`);
  console.log('every load checked against its index: 0 wrong; after synchronize nothing waits and no node is lost');
}
