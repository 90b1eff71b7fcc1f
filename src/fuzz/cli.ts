// Command-line fuzzer: the package's `maple-fuzz` bin (dist/maple-fuzz.mjs), and `npm run fuzz`
// in a checkout (scripts/fuzz.mjs bundles this file against build/debug.wasm and runs it).
//
//   maple-fuzz [--seed S] [--ops N] [--time T] [--exhaustive] [--mode M] [--entries E]
//              [--tall] [--deep] [--replay '<ops json>'] [--shrink-ms MS]
//
// Runs seeds S, S+1, ... (N operations each) until T seconds have passed (a seed still running
// then stops where it is), printing a progress line at most once a second; exits 1 with the seed
// and a replayable (shrunk) op list on failure, 2 with a one-line usage error on bad arguments.
// Every fifth seed (or every seed with --deep) is deep: its tree is grown to height 5 before the
// failures start, and it runs at most 300 operations (each is checked against a tree of some
// 20,000 ranges); the heights deep seeds reached are printed.
// --exhaustive: for each seed, a fault-free sequence of N ops (default 40) is re-run with every
// failNth(k) and failAfter(k - 1) over the allocations it asks for; with --replay, the given
// sequence is (a user's own, say).

import { parseArgs } from 'node:util';
import { fuzzSeed, exhaustive, generateOps, replay, FuzzFailure, FAULT_MODES, type FaultMode, type Entries, type Op } from './engine';

const USAGE = 'usage: maple-fuzz (or npm run fuzz --) [--seed S] [--ops N] [--time T] [--exhaustive] ' +
  `[--mode ${FAULT_MODES.join('|')}] [--entries number|object] [--tall] [--deep] [--replay JSON] [--shrink-ms MS]`;

/** A bad command line: reported as one line, exit status 2. */
class UsageError extends Error {}

const OP_TYPES = new Set(['fault', 'store', 'erase', 'pre', 'bulk', 'dup', 'destroy']);

function integer(v: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${v}'`);
  }
  return n;
}

function seconds(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds, got '${v}'`);
  return n;
}

function opList(v: string): Op[] {
  let list: unknown;
  try {
    list = JSON.parse(v);
  } catch {
    throw new UsageError('--replay must be a JSON array of operations (as a failure prints them), got text that is not JSON');
  }
  if (!Array.isArray(list)) throw new UsageError(`--replay must be a JSON array of operations, got ${typeof list}`);
  list.forEach((op, i) => {
    if (typeof op !== 'object' || op === null || !OP_TYPES.has((op as { t?: unknown }).t as string)) {
      throw new UsageError(`--replay: operation ${i} must be an object whose t is one of ${[...OP_TYPES].join(', ')}, got ${JSON.stringify(op)}`);
    }
  });
  return list as Op[];
}

function parse(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        seed: { type: 'string' },
        ops: { type: 'string' },
        time: { type: 'string' },
        exhaustive: { type: 'boolean' },
        mode: { type: 'string' },
        entries: { type: 'string' },
        tall: { type: 'boolean' },
        deep: { type: 'boolean' },
        replay: { type: 'string' },
        'shrink-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    // parseArgs' messages can run over two lines (a hint after the first): keep the first.
    throw new UsageError(String((e as Error).message).split('\n')[0]);
  }
  const mode = values.mode as FaultMode | undefined;
  if (mode !== undefined && !FAULT_MODES.includes(mode)) {
    throw new UsageError(`--mode must be one of ${FAULT_MODES.join(', ')}, got '${mode}'`);
  }
  const entries = values.entries as Entries | undefined;
  if (entries !== undefined && entries !== 'number' && entries !== 'object') {
    throw new UsageError(`--entries must be number or object, got '${entries}'`);
  }
  const exh = values.exhaustive === true;
  return {
    help: values.help === true,
    exhaustive: exh,
    seed: integer(values.seed, 'seed', 0, 0xffff_ffff) ?? Date.now() % 1_000_000,
    ops: integer(values.ops, 'ops', 1) ?? (exh ? 40 : 2000),
    time: seconds(values.time, 'time') ?? 10,
    shrinkMs: integer(values['shrink-ms'], 'shrink-ms', 0) ?? 60_000,
    mode,
    entries,
    tall: values.tall === true,
    deep: values.deep === true,
    replay: values.replay === undefined ? undefined : opList(values.replay),
  };
}

function main(): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`maple fuzz: ${e.message} (${USAGE})`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const { exhaustive: exh, seed: seed0, ops, time, shrinkMs, mode, entries } = args;

  if (args.replay !== undefined && exh) {
    try {
      const r = exhaustive(args.replay, entries ?? 'number', shrinkMs, Date.now() + time * 1000);
      console.log(`replay passed with each allocation failed in turn: ${r.asked} allocations asked, ` +
        `${r.runs} runs, ${r.runsWithEnomem} with ENOMEM${r.stopped ? ' (time limit reached before the last)' : ''}`);
      return 0;
    } catch (e) {
      console.error(e instanceof FuzzFailure ? e.message : e);
      return 1;
    }
  }
  if (args.replay !== undefined) {
    try {
      const r = replay(args.replay, { entries: entries ?? 'number' }, shrinkMs);
      console.log(`replay passed: ${r.ops} ops, ${r.asked} allocations asked, ${r.failedAllocs} failed, ${r.enomem} ENOMEM`);
      return 0;
    } catch (e) {
      console.error(e instanceof FuzzFailure ? e.message : e);
      return 1;
    }
  }

  console.log(`maple fuzz: ${exh ? 'exhaustive, ' : ''}seeds from ${seed0}, ${ops} ops each, ${time}s`);
  const start = Date.now();
  const deadline = start + time * 1000;
  let lastPrint = 0;
  let seeds = 0;
  let totalOps = 0;
  let failedAllocs = 0;
  let runs = 0;
  let maxHeight = 0;
  const deepHeights = new Map<number, number>(); // height when the failures started -> seeds
  let cut = false;
  const progress = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastPrint < 1000) return;
    lastPrint = now;
    const el = ((now - start) / 1000).toFixed(1);
    const deep = [...deepHeights].sort((x, y) => x[0] - y[0]).map(([h, n]) => `${n} at height ${h}`).join(', ');
    console.log(`  seeds ${seeds}  ops ${totalOps}  ${exh ? `runs ${runs}  ` : ''}allocations failed ${failedAllocs}  max height ${maxHeight}` +
      `${deep ? `  deep seeds: ${deep}` : ''}  elapsed ${el}s`);
  };
  for (let seed = seed0; Date.now() < deadline || seeds === 0; seed++) {
    try {
      if (exh) {
        const list = generateOps(seed, ops, entries ?? (seed % 2 ? 'object' : 'number'));
        const r = exhaustive(list, entries ?? (seed % 2 ? 'object' : 'number'), shrinkMs, deadline);
        runs += r.runs;
        totalOps += r.runs * list.length;
        failedAllocs += r.runs - 1;
        cut = r.stopped;
      } else {
        const deep = args.deep || seed % 5 === 2;
        const tall = !deep && (args.tall || seed % 7 === 3);
        const r = fuzzSeed({ seed, ops: deep ? Math.min(ops, 300) : ops, mode, entries, tall, deep, shrinkMs, deadline });
        totalOps += r.ops;
        failedAllocs += r.failedAllocs;
        maxHeight = Math.max(maxHeight, r.maxHeight);
        if (r.grown) deepHeights.set(r.grown.height, (deepHeights.get(r.grown.height) ?? 0) + 1);
        cut = r.stopped;
      }
    } catch (e) {
      progress(true);
      console.error(`\nFAILED at seed ${seed}${exh ? ' (exhaustive)' : ''}`);
      console.error(e instanceof FuzzFailure ? e.message : (e as Error)?.stack ?? e);
      return 1;
    }
    seeds++;
    if (cut) break;
    progress();
  }
  progress(true);
  console.log(`maple fuzz: no failures${cut ? ` (time limit reached part-way through seed ${seed0 + seeds - 1})` : ''}`);
  return 0;
}

process.exitCode = main();
