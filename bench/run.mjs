// npm run bench: maple-wasm (release build, public API) against what a user would use instead,
// on the workloads W1..W8 (bench/README.md), plus store/clear cost microbenchmarks.
//
//   node bench/run.mjs [--full] [--quick] [--samples=N] [--only=W1,W3] [--sizes=N,..] [--no-micro]
//                      [--save]
//
//   default   N = 1,000 and 100,000          --full    adds N = 1,000,000
//   --quick   N = 1,000 only, 3 samples (a smoke test of the suite itself)
//   --save    write the results into bench/results/ (tracked); without it they go to
//             <os tmpdir>/maple-wasm-bench/, so a run leaves the work tree as it was
//
// Each implementation measures each workload in a process of its own (the script again, with
// --child), so the peers share no inline caches or garbage collection; so does each group of
// microbenchmarks. Its first run's checksum
// is compared with maple-wasm's; a disagreement aborts the run. Ratios come from one run.
import { writeFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MapleTree, NodePool, MaState, linearMemoryBytes } from '../dist/index.js';
import { MapleImpl, BTreeImpl, SortedArrayImpl, IntervalTreeImpl } from './lib/impls.mjs';
import { WORKLOADS, W3_MANY, W4_MAS, W4_ITER, W4_CURSOR, inputs } from './lib/workloads.mjs';
import { MICRO_GROUPS, runMicroGroup, microLine } from './lib/micro.mjs';
import { TARGETS, renderMarkdown, renderSvg } from './lib/report.mjs';
import { appSizes } from './lib/size.mjs';
import { join } from 'node:path';

const argv = process.argv.slice(2);

// The harness runs full GCs between samples so one sample's garbage is not charged to the next.
// V8 sweeps after a full GC on helper threads and finishes lazily on the main thread, inside the
// next timed region, at the first allocation: with 1M-range structures alive that added ~60 ns per
// entry to W4 for whichever implementation allocated (the closure's running sum boxes a double),
// and made the result depend on which peers were in the run. Synchronous sweeping keeps that work
// inside gc(). Without these flags the script restarts itself with them.
const V8_FLAGS = ['--expose-gc', '--no-concurrent-sweeping'];
const missing = V8_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missing.length) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...argv],
    { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const flag = (f) => argv.includes(f);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const FULL = flag('--full');
const QUICK = flag('--quick');
const SAMPLES = Number(opt('samples') ?? (QUICK ? 3 : 5));
const ONLY = opt('only')?.split(',');
const SIZES_ARG = opt('sizes');
/** A run narrowed by --only or --sizes: it writes latest.* but not its mode's files. */
const PARTIAL = ONLY !== undefined || SIZES_ARG !== undefined;
const SIZES = SIZES_ARG?.split(',').map(Number) ??
  (QUICK ? [1_000] : FULL ? [1_000, 100_000, 1_000_000] : [1_000, 100_000]);
const SLOW_MS = 4000; // a cell whose check run took longer than this gets 3 samples
const SAVE = flag('--save');
const outDir = SAVE ? fileURLToPath(new URL('./results/', import.meta.url)) : join(os.tmpdir(), 'maple-wasm-bench/');

const gc = globalThis.gc; // there: the script restarts itself with --expose-gc above
const collect = () => { gc(); gc(); };

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
const log = (s) => console.log(`[${elapsed()}] ${s}`);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const allowed = (impl, w, N) => { const c = impl.can[w.id.slice(0, 2)]; return typeof c === 'function' ? c(N) : !!c; };

class Mismatch extends Error {}

/**
 * One timed sample of workload w on impl: `reps` passes (so small N still times >= MIN_OPS ops),
 * each on its own freshly prepared input (or the shared one for read-only workloads).
 * Returns { ms per pass, checksum of the first pass }.
 */
const MIN_OPS = 100_000;
function sample(impl, w, I, shared, N) {
  const reps = Math.max(1, Math.ceil(MIN_OPS / w.ops(N)));
  const ms = shared ? [shared] : Array.from({ length: reps }, () => w.prep(impl, I));
  collect();
  const raws = new Array(reps);
  const a = performance.now();
  for (let r = 0; r < reps; r++) raws[r] = w.run(impl, shared ?? ms[r], I);
  const t = (performance.now() - a) / reps;
  const checksum = w.check(impl, shared ?? ms[0], raws[0]);
  if (!shared) for (const m of ms) impl.dispose(m);
  return { ms: t, checksum };
}

/**
 * The implementations of a (size, entry mode) block, in report order; a child process builds the
 * same list to find its own by position.
 */
function implsFor(mode, pool) {
  return mode === 'number'
    ? [new MapleImpl('number', pool), new BTreeImpl('number'), new SortedArrayImpl(), new IntervalTreeImpl()]
    : [new MapleImpl('object', pool), new BTreeImpl('object')];
}

/**
 * One implementation's part of a cell, in the process that runs it: the agreement run (also the
 * warm-up), then the timed samples. Returns { checksum, times } (ms per pass).
 */
function measureCell(impl, w, I, N) {
  const shared = w.readOnly ? w.prep(impl, I) : undefined;
  const first = sample(impl, w, I, shared, N);
  const times = [];
  const n = first.ms > SLOW_MS ? Math.min(3, SAMPLES) : SAMPLES;
  for (let s = 0; s < n; s++) {
    const r = sample(impl, w, I, shared, N);
    if (r.checksum !== first.checksum) {
      throw new Mismatch(`${impl.name}: ${w.id} checksum changed between runs: ${r.checksum} vs ${first.checksum}`);
    }
    times.push(r.ms);
  }
  if (shared) impl.dispose(shared);
  return { checksum: first.checksum, times };
}

/**
 * A cell: every implementation measured in a process of its own (this script again, with
 * --child), so that none shares inline caches or garbage collection with a peer. Checksums are
 * compared across the processes; a disagreement aborts before any timing is reported.
 */
function runCell(N, mode, impls, w) {
  const all = implsFor(mode, undefined).map((impl) => impl.name);
  const active = impls.filter((impl) => allowed(impl, w, N));
  const skipped = impls.filter((impl) => !allowed(impl, w, N));
  const measured = new Map();
  for (const impl of active) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv,
      `--child=${N},${mode},${w.id},${all.indexOf(impl.name)}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status === 2) throw new Mismatch(child.stderr.trim());
    if (child.status !== 0) throw new Error(`${impl.name} ${w.id} at N=${N}: child exited ${child.status}\n${child.stderr}`);
    measured.set(impl, JSON.parse(child.stdout.trim().split('\n').pop()));
  }
  const ref = measured.get(active[0]).checksum;
  const bad = active.filter((impl) => measured.get(impl).checksum !== ref);
  if (bad.length) {
    const lines = active.map((impl) => `    ${impl.name.padEnd(22)} ${measured.get(impl).checksum}`).join('\n');
    const peersAgree = new Set(active.slice(1).map((impl) => measured.get(impl).checksum)).size === 1;
    throw new Mismatch(`CHECKSUM MISMATCH at N=${N} (${mode} entries), ${w.id} ${w.name}:\n${lines}\n` +
      (peersAgree && active.length > 2 ? `  -> every peer agrees; ${active[0].name} differs\n` : ''));
  }
  const ops = w.ops(N);
  const results = {};
  for (const impl of active) {
    const t = stats(measured.get(impl).times);
    results[impl.name] = {
      opsPerSec: ops / (t.median / 1000), min: ops / (t.max / 1000), max: ops / (t.min / 1000),
      medianMs: t.median, samples: measured.get(impl).times.length, passesPerSample: Math.max(1, Math.ceil(MIN_OPS / ops)), note: impl.notes[w.id.slice(0, 2)],
    };
  }
  for (const impl of skipped) results[impl.name] = { skipped: true, note: impl.notes[w.id.slice(0, 2)] ?? 'not supported' };
  return { id: w.id, name: w.name, ops, checksum: ref, results };
}

/**
 * The microbenchmarks, each group in a process of its own (--child=micro,<group>) for the same
 * reason as the cells: in one process a group ran on the call sites and garbage the groups before
 * it left. Returns the rows in group order.
 */
function runMicro() {
  const rows = [];
  for (const group of MICRO_GROUPS) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv,
      `--child=micro,${group}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`micro group ${group}: child exited ${child.status}\n${child.stderr}`);
    for (const r of JSON.parse(child.stdout.trim().split('\n').pop())) {
      rows.push(r);
      log(microLine(r));
    }
  }
  return rows;
}

/**
 * --child=N,mode,workload,implementation: measure that one part of a cell, print it as JSON.
 * --child=micro,group: that micro group's rows, as JSON.
 */
function child(spec) {
  if (spec.startsWith('micro,')) {
    console.log(JSON.stringify(runMicroGroup(spec.slice(6), { quick: QUICK, log: () => {} })));
    return;
  }
  const [n, mode, wid, k] = spec.split(',');
  const N = Number(n);
  const impl = implsFor(mode, new NodePool())[Number(k)];
  const w = [...WORKLOADS, W3_MANY, W4_ITER, W4_MAS, W4_CURSOR].find((x) => x.id === wid);
  try {
    console.log(JSON.stringify(measureCell(impl, w, inputs(N, mode), N)));
  } catch (e) {
    console.error(e instanceof Mismatch ? e.message : e);
    process.exit(e instanceof Mismatch ? 2 : 1);
  }
}

/**
 * Bytes per range after the W1 build. Each implementation is built and measured inside its own
 * call so no stale stack slot keeps an earlier structure alive across the GCs.
 */
function memoryOf(impl, N, I) {
  collect();
  const h0 = process.memoryUsage().heapUsed;
  const lm0 = linearMemoryBytes();
  const fresh = impl instanceof MapleImpl ? new MapleImpl(impl.mode, new NodePool()) : impl;
  const m = fresh.base(N, I.E);
  collect();
  const heap = (process.memoryUsage().heapUsed - h0) / N;
  const row = { heapBytesPerRange: heap };
  if (fresh instanceof MapleImpl) {
    const st = fresh.pool.stats();
    row.nodes = m.nodeCount;
    row.nodeBytesPerRange = (m.nodeCount * 256) / N;
    row.pageBytesPerRange = (st.pagesInUse * 4096) / N;
    row.linearMemoryGrowthPerRange = (linearMemoryBytes() - lm0) / N;
    row.height = m.height;
    row.bytesPerRange = row.nodeBytesPerRange;
  } else {
    row.bytesPerRange = heap;
  }
  fresh.dispose(m);
  return row;
}

function memory(N, mode, impls, I) {
  const rows = {};
  for (const impl of impls) rows[impl.name] = memoryOf(impl, N, I);
  collect();
  return rows;
}

/** Which maple-wasm was measured: commit, uncommitted core changes, and the bundle's hash. */
function buildInfo() {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const info = {
    dist: createHash('sha256').update(readFileSync(dist)).digest('hex').slice(0, 12),
    distBuilt: statSync(dist).mtime.toISOString(),
  };
  try {
    const git = (...a) => execFileSync('git', a, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
    info.commit = git('rev-parse', '--short', 'HEAD');
    info.uncommitted = git('status', '--porcelain', '--', 'assembly', 'src').split('\n').filter(Boolean).map((l) => l.slice(3));
  } catch { /* not a git checkout */ }
  return info;
}

async function main() {
  log(`maple-wasm bench: sizes ${SIZES.join(', ')}; ${SAMPLES} samples; node ${process.version}; ` +
    `${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'})`);
  if (typeof MaState.prototype.emptyArea !== 'function') log('MaState.emptyArea missing: W8 disabled for maple-wasm');
  const pool = new NodePool();
  const report = {
    meta: {
      date: new Date().toISOString(), node: process.version, platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length, cpu: os.cpus()[0]?.model, mode: PARTIAL ? 'partial' : QUICK ? 'quick' : FULL ? 'full' : 'default',
      samples: SAMPLES, exposeGc: !!gc, build: buildInfo(), harness: 'each implementation measures each cell in a process of its own; per sample: fresh input (shared for read-only workloads), full GC with synchronous sweeping, one timed pass; median over samples; each micro group in a process of its own', v8Flags: process.execArgv,
    },
    sizes: [], micro: [], targets: [],
  };
  for (const N of SIZES) {
    for (const mode of ['number', 'object']) {
      const impls = implsFor(mode, pool);
      const I = inputs(N, mode);
      const block = { N, mode, implementations: impls.map((i) => i.name), workloads: [], memory: null };
      report.sizes.push(block);
      const extra = [W3_MANY, W4_ITER, W4_MAS, W4_CURSOR].filter((w) => !w.modes || w.modes.includes(mode));
      const ws = [...WORKLOADS, ...extra].filter((w) => !ONLY || ONLY.includes(w.id) || ONLY.includes(w.id.slice(0, 2)));
      for (const w of ws) {
        const cellImpls = extra.includes(w) ? impls.slice(0, 1) : impls;
        const cell = runCell(N, mode, cellImpls, w);
        block.workloads.push(cell);
        const mp = cell.results[impls[0].name];
        const parts = Object.entries(cell.results).map(([name, r]) => r.skipped ? `${name} skipped`
          : `${name} ${fmt(r.opsPerSec)}/s` + (name !== impls[0].name && mp?.opsPerSec ? ` (x${(mp.opsPerSec / r.opsPerSec).toFixed(2)})` : ''));
        log(`N=${N} ${mode.padEnd(6)} ${w.id.padEnd(3)} ${w.name.padEnd(22)} ${parts.join(' | ')}  [${cell.checksum}]`);
      }
      block.memory = memory(N, mode, impls, I);
      log(`N=${N} ${mode} memory: ` + Object.entries(block.memory).map(([k, v]) => `${k} ${v.bytesPerRange.toFixed(1)} B/range`).join(' | '));
    }
  }
  if (!flag('--no-micro')) {
    log('microbenchmarks (maple-wasm store/clear costs), each group in a process of its own');
    report.micro = runMicro();
  }
  report.bundle = await appSizes();
  log('one-line app, bundled + minified + gzipped: ' + Object.entries(report.bundle)
    .map(([name, s]) => `${name} ${(s.gzipped / 1000).toFixed(1)} kB`).join(' | '));
  report.targets = TARGETS.map((t) => t.evaluate(report));
  report.meta.seconds = (performance.now() - t0) / 1000;
  const md = renderMarkdown(report);
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(report, null, 2) + '\n';
  const svg = renderSvg(report);
  // latest.* is always the last run; <mode>.* keeps the last complete run of each mode (default,
  // full, quick); a partial run (--only, --sizes) writes latest.* alone
  const mode = report.meta.mode;
  for (const base of mode === 'partial' ? ['latest'] : ['latest', mode]) {
    writeFileSync(`${outDir}${base}.md`, md);
    writeFileSync(`${outDir}${base}.json`, json);
    writeFileSync(`${outDir}${base}.svg`, svg);
  }
  console.log('\n' + md);
  log(`wrote ${outDir}latest.{md,json,svg}${mode === 'partial' ? '' : ` and ${outDir}${mode}.{md,json,svg}`}` +
    (SAVE ? '' : ' (pass --save to write them into bench/results/)'));
}

const CHILD = opt('child');
if (CHILD !== undefined) child(CHILD);
else main().catch((e) => {
  if (e instanceof Mismatch) {
    console.error(`\n${e.message}\nAborted: an implementation disagrees with maple-wasm; nothing was timed for this cell.`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
