// Command-line fuzzer (bundled and run by scripts/fuzz.mjs against build/debug.wasm).
//
//   npm run fuzz -- [--seed S] [--ops N] [--time T] [--exhaustive] [--mode M] [--entries E]
//                   [--tall] [--deep] [--replay '<ops json>'] [--shrink-ms MS]
//
// Runs seeds S, S+1, ... (N operations each) until T seconds have passed, printing a progress
// line at most once a second; exits 1 with the seed and a replayable (shrunk) op list on failure.
// Every fifth seed (or every seed with --deep) is deep: its tree is grown to height 5 before the
// failures start, and it runs at most 300 operations (each is checked against a tree of some
// 20,000 ranges); the heights deep seeds reached are printed.
// --exhaustive: for each seed, a fault-free sequence of N ops (default 40) is re-run with every
// failNth(k) and failAfter(k - 1) over the allocations it asks for.

import { fuzzSeed, exhaustive, generateOps, replay, FuzzFailure, FAULT_MODES, type FaultMode, type Entries, type Op } from './engine';

function parse(argv: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.slice(2).split('=', 2);
    if (v !== undefined) out[k] = v;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}

function num(v: string | boolean | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${String(v)}`);
  return n;
}

function main(): number {
  const args = parse(process.argv.slice(2));
  if (args.help) {
    console.log('usage: npm run fuzz -- [--seed S] [--ops N] [--time T] [--exhaustive] [--mode nth|after|rate|budget|off] [--entries number|object] [--tall] [--deep] [--replay JSON] [--shrink-ms MS]');
    return 0;
  }
  const exh = args.exhaustive === true;
  const seed0 = Math.floor(num(args.seed, Date.now() % 1_000_000, 'seed'));
  const ops = Math.floor(num(args.ops, exh ? 40 : 2000, 'ops'));
  const time = num(args.time, 10, 'time');
  const shrinkMs = num(args['shrink-ms'], 60_000, 'shrink-ms');
  const mode = args.mode as FaultMode | undefined;
  if (mode !== undefined && !FAULT_MODES.includes(mode)) throw new Error(`--mode must be one of ${FAULT_MODES.join(', ')}`);
  const entries = args.entries as Entries | undefined;
  if (entries !== undefined && entries !== 'number' && entries !== 'object') throw new Error('--entries must be number or object');

  if (typeof args.replay === 'string') {
    const list = JSON.parse(args.replay) as Op[];
    try {
      const r = replay(list, { entries: entries ?? 'number' }, shrinkMs);
      console.log(`replay passed: ${r.ops} ops, ${r.asked} allocations asked, ${r.failedAllocs} failed, ${r.enomem} ENOMEM`);
      return 0;
    } catch (e) {
      console.error(e instanceof FuzzFailure ? e.message : e);
      return 1;
    }
  }

  console.log(`maple fuzz: ${exh ? 'exhaustive, ' : ''}seeds from ${seed0}, ${ops} ops each, ${time}s`);
  const start = Date.now();
  let lastPrint = 0;
  let seeds = 0;
  let totalOps = 0;
  let failedAllocs = 0;
  let runs = 0;
  let maxHeight = 0;
  const deepHeights = new Map<number, number>(); // height when the failures started -> seeds
  const progress = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastPrint < 1000) return;
    lastPrint = now;
    const el = ((now - start) / 1000).toFixed(1);
    const deep = [...deepHeights].sort((x, y) => x[0] - y[0]).map(([h, n]) => `${n} at height ${h}`).join(', ');
    console.log(`  seeds ${seeds}  ops ${totalOps}  ${exh ? `runs ${runs}  ` : ''}allocations failed ${failedAllocs}  max height ${maxHeight}` +
      `${deep ? `  deep seeds: ${deep}` : ''}  elapsed ${el}s`);
  };
  for (let seed = seed0; ; seed++) {
    if ((Date.now() - start) / 1000 >= time && seeds > 0) break;
    try {
      if (exh) {
        const list = generateOps(seed, ops, entries ?? (seed % 2 ? 'object' : 'number'));
        const r = exhaustive(list, entries ?? (seed % 2 ? 'object' : 'number'), shrinkMs);
        runs += r.runs;
        totalOps += r.runs * list.length;
        failedAllocs += r.runs - 1;
      } else {
        const deep = args.deep === true || seed % 5 === 2;
        const tall = !deep && (args.tall === true || seed % 7 === 3);
        const r = fuzzSeed({ seed, ops: deep ? Math.min(ops, 300) : ops, mode, entries, tall, deep, shrinkMs });
        totalOps += r.ops;
        failedAllocs += r.failedAllocs;
        maxHeight = Math.max(maxHeight, r.maxHeight);
        if (r.grown) deepHeights.set(r.grown.height, (deepHeights.get(r.grown.height) ?? 0) + 1);
      }
    } catch (e) {
      progress(true);
      console.error(`\nFAILED at seed ${seed}${exh ? ' (exhaustive)' : ''}`);
      console.error(e instanceof FuzzFailure ? e.message : (e as Error)?.stack ?? e);
      return 1;
    }
    seeds++;
    progress();
  }
  progress(true);
  console.log('maple fuzz: no failures');
  return 0;
}

process.exitCode = main();
