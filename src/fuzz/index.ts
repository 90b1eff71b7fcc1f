/**
 * maple-wasm/fuzz: the allocation-failure fuzzer the project tests itself with, for anyone who
 * wants to run it or replay an operation sequence of their own. It drives its own trees (in its
 * own copy of the core, built with assertions on) with random operations while allocations fail
 * on purpose, and checks after every operation that the tree agrees with a reference model, that
 * a failed operation (MapleError ENOMEM) changed nothing, that every tree validates
 * (mt_validate) and that the node pool's accounting is exact.
 *
 * Operations (`Op`) are plain JSON with keys as decimal strings, e.g.
 * `{ t: 'store', tr: 0, api: 'storeRange', a: '10', b: '20', e: 1 }`; a failure throws a
 * `FuzzFailure` whose message holds the seed and the shrunk, replayable list.
 *
 * @example
 * import { fuzzSeed, replay, exhaustive } from 'maple-wasm/fuzz';
 * fuzzSeed({ seed: 1, ops: 500 });                       // random ops, faults armed
 * replay(myOps, { entries: 'number' });                  // one run of a sequence, checked
 * exhaustive(myOps);                                     // ... with each allocation failed in turn
 */
export {
  fuzzSeed, replay, exhaustive, generateOps, defaultMode, mulberry32, FuzzFailure, FAULT_MODES,
} from './engine';
export type {
  Op, Gfp, FaultMode, Entries, RunConfig, RunResult, FuzzOptions, ExhaustiveResult,
} from './engine';
