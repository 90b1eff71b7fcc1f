// munmap's gather/complete path (do_vmi_align_munmap) in both variants of test/mm/mm.ts, with
// every allocation the call makes failed in turn. For random address spaces (10 to 2500 VMAs)
// and random ranges (inside one VMA, exactly one, across many, edge to edge, around gaps, in a
// gap, everything), on a fresh copy of the same tree each time: failNth(k) for every k (a failed
// 'nowait' attempt then falls back to 'kernel', as mas_nomem does) and failAfter(k) for every k
// (every allocation from the k+1-th fails). Each run either
//   - throws ENOMEM: every address maps what it mapped before (the same VMA or a split piece of
//     it), no VMA is left detached, validate passes, no node leaked, the side tree is freed; or
//   - succeeds: exactly [start, end) is unmapped, the gathered VMAs are detached.
// The prealloc variant never allocates after its point of no return (the pool's allocation
// counter does not move); the gfp variant's clear does fail after gathering, and the unwind
// restores everything. Allocations per munmap are tabulated at the end.
//
// The whole sweep runs twice: on trees in normal mode, and in RCU mode (the kernel's mm tree
// flags, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU), where node stores take a new node and splits
// never push into a sibling; the allocations per munmap of both modes are printed side by side.
import { afterAll, describe, expect, test } from 'vitest';
import { NodePool } from '../src/index';
import { mulberry32 } from './support/rng';
import { Mm, MunmapResult, MunmapVariant, Segment, unmapped } from './mm/mm';
import { Kind, KINDS, pick, template } from './mm/scenarios';

interface Tally {
  runs: number;
  enomem: number;
  failedAt: Record<string, number>;
  /** Allocations asked by each fault-free munmap. */
  allocs: number[];
  /** Failed runs that had already split a VMA (the pieces stay, as in the kernel). */
  keptSplits: number;
  /** gfp variant: munmaps whose clear failed after every VMA was gathered. */
  clearAfterGather: number;
  /** Runs that passed the point of no return, and the allocations asked after it (summed). */
  pastPonr: number;
  askedAfterPonr: number;
}

type Mode = 'normal' | 'rcu';
const MODES: Mode[] = ['normal', 'rcu'];
const tally = (): Tally => ({ runs: 0, enomem: 0, failedAt: {}, allocs: [], keptSplits: 0, clearAfterGather: 0, pastPonr: 0, askedAfterPonr: 0 });
const tallies: Record<Mode, Record<MunmapVariant, Tally>> = {
  normal: { gfp: tally(), prealloc: tally() },
  rcu: { gfp: tally(), prealloc: tally() },
};
const perKind: Record<Mode, Record<string, { gfp: number[]; prealloc: number[] }>> = { normal: {}, rcu: {} };

/** Run one munmap on a fresh copy of tpl under the armed fault, and check everything. */
function runOnce(tpl: Mm, start: number, end: number, variant: MunmapVariant, before: Segment[],
                 after: Segment[], arm: (pool: NodePool) => void): MunmapResult {
  const pool = tpl.pool;
  const mm = tpl.clone();
  expect(mm.rcu).toBe(tpl.rcu);
  const inUse = pool.stats().nodesInUse;
  const nodes = mm.mt.nodeCount;
  arm(pool);
  let r: MunmapResult;
  try {
    r = mm.munmap(start, end - start, variant);
  } finally {
    pool.faults.off();
  }
  const t = tallies[tpl.rcu ? 'rcu' : 'normal'][variant];
  t.runs++;
  mm.check();
  expect(pool.stats().nodesReserved).toBe(0);
  // nothing leaked: the pool holds exactly the nodes the tree gained or lost (side tree freed)
  expect(pool.stats().nodesInUse - inUse).toBe(mm.mt.nodeCount - nodes);
  expect(pool.stats().nodesInUse).toBe(pool.treeNodes());
  if (r.sideTree) expect(() => r.sideTree!.ptr).toThrow(/after free/);
  if (r.passedPonr) {
    t.pastPonr++;
    t.askedAfterPonr += r.askedAtEnd - r.askedAtPonr!;
    if (variant === 'prealloc') expect(r.askedAtEnd).toBe(r.askedAtPonr); // no allocation after it
  }
  if (r.ok) {
    expect(r.passedPonr).toBe(true);
    expect(mm.segments()).toEqual(after);
    for (const v of r.removed) {
      expect(v.detached).toBe(true);
      expect(v.vmStart >= start && v.vmEnd <= end).toBe(true);
    }
  } else {
    t.enomem++;
    t.failedAt[r.failedAt!] = (t.failedAt[r.failedAt!] ?? 0) + 1;
    expect(r.error!.code).toBe('ENOMEM');
    expect(r.passedPonr).toBe(false);
    expect(mm.segments()).toEqual(before); // every address maps what it mapped before
    for (const v of r.removed) expect(v.detached).toBe(false);
    if (r.splits > 0) t.keptSplits++;
    if (r.failedAt === 'clear') {
      expect(variant).toBe('gfp');
      t.clearAfterGather++;
    }
  }
  mm.free();
  return r;
}

/** The exhaustive sweep of one munmap: every k of failNth and failAfter. Returns K. */
function sweep(tpl: Mm, start: number, end: number, variant: MunmapVariant, kind: string): number {
  const before = tpl.segments();
  const after = unmapped(before, start, end);
  const base = runOnce(tpl, start, end, variant, before, after, () => {});
  expect(base.ok).toBe(true);
  const K = base.askedAtEnd - base.askedAtStart;
  const mode: Mode = tpl.rcu ? 'rcu' : 'normal';
  tallies[mode][variant].allocs.push(K);
  (perKind[mode][kind] ??= { gfp: [], prealloc: [] })[variant].push(K);
  for (let k = 1; k <= K + 1; k++) runOnce(tpl, start, end, variant, before, after, (p) => p.faults.failNth(k));
  for (let k = 0; k <= K; k++) {
    const r = runOnce(tpl, start, end, variant, before, after, (p) => p.faults.failAfter(k));
    if (k < K) expect(r.ok).toBe(false); // every allocation the call makes is needed
    else expect(r.ok).toBe(true);
  }
  return K;
}

describe.each([
  { n: 10, seed: 1, reps: 3, style: 'bulk' },
  { n: 40, seed: 2, reps: 3, style: 'bulk' },
  { n: 150, seed: 3, reps: 2, style: 'bulk' },
  { n: 600, seed: 4, reps: 2, style: 'bulk' },
  { n: 2500, seed: 5, reps: 1, style: 'bulk' },
  { n: 30, seed: 6, reps: 3, style: 'random' },
  { n: 300, seed: 7, reps: 3, style: 'random' },
  { n: 1500, seed: 8, reps: 2, style: 'random' },
  { n: 200, seed: 9, reps: 4, style: 'dense' },
  { n: 1000, seed: 10, reps: 3, style: 'dense' },
] as const)('address space of $n VMAs ($style, seed $seed)', ({ n, seed, reps, style }) => {
  test.each(MODES.flatMap((mode) => (['gfp', 'prealloc'] as MunmapVariant[]).map((variant) => [mode, variant] as const)))(
    '%s mode, %s variant: every allocation failed in turn', (mode, variant) => {
    const pool = new NodePool();
    // The sweep is of the kernel's failure semantics, where the clear (a NULL store) can fail
    // after gathering: the armed faults fail the pool's emergency reserve too, which would
    // otherwise let every clear succeed (test/limits.test.ts tests the reserve).
    pool.faults.failReserve(true);
    const rng = mulberry32(seed * 1000); // the same address space and ranges for both variants
    const tpl = template(pool, rng, n, style, mode === 'rcu');
    expect(tpl.rcu).toBe(mode === 'rcu');
    const vmas = tpl.vmas();
    const kinds: Kind[] = n <= 150 ? [...KINDS, 'all'] : KINDS;
    for (let rep = 0; rep < reps; rep++) {
      for (const kind of kinds) {
        const range = pick(vmas, rng, kind);
        if (range === undefined) continue;
        sweep(tpl, range[0], range[1], variant, kind);
      }
    }
    tpl.check();
    tpl.free();
    expect(pool.stats().nodesInUse).toBe(0);
  });
});

describe.each(MODES)('the same ranges, both variants (%s mode)', (mode) => {
  test('the gfp variant fails after gathering; the prealloc variant never does', () => {
    const t = tallies[mode];
    expect(t.gfp.clearAfterGather).toBeGreaterThan(0);
    for (const v of ['gfp', 'prealloc'] as const) {
      // each step that allocates was made to fail somewhere in the sweep
      expect(t[v].failedAt.split).toBeGreaterThan(0);
      expect(t[v].failedAt.gather).toBeGreaterThan(0);
      expect(t[v].keptSplits).toBeGreaterThan(0);
    }
    expect(t.prealloc.failedAt.prealloc).toBeGreaterThan(0);
    expect(t.prealloc.failedAt.clear ?? 0).toBe(0);
    expect(t.prealloc.askedAfterPonr).toBe(0);
  });
});

test('RCU mode asks at least as many allocations per munmap as normal mode, on the same ranges', () => {
  // The template's random choices depend only on what the address space maps, so both modes
  // sweep the same address spaces and ranges, munmap by munmap. Normal mode grows nodes in place
  // (appends, slot stores, splits pushing into a sibling) where RCU mode writes new ones.
  for (const v of ['gfp', 'prealloc'] as const) {
    const a = tallies.normal[v].allocs;
    const b = tallies.rcu[v].allocs;
    expect(b.length).toBe(a.length);
    const fewer = b.filter((k, i) => k < a[i]).length;
    const more = b.filter((k, i) => k > a[i]).length;
    console.log(`${v}: RCU mode asked more than normal mode in ${more} of ${a.length} munmaps, fewer in ${fewer}`);
    expect(more).toBeGreaterThan(0);
    expect(fewer).toBe(0);
  }
});

afterAll(() => {
  const stat = (xs: number[]): string => {
    if (xs.length === 0) return '-';
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `mean ${mean.toFixed(1)}, max ${Math.max(...xs)} (${xs.length} munmaps)`;
  };
  const lines = ['', 'munmap fault sweep: allocations asked per fault-free munmap'];
  for (const mode of MODES) {
    lines.push(`${mode} mode${mode === 'rcu' ? ' (MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU, the kernel\'s mm tree)' : ' (MT_FLAGS_ALLOC_RANGE)'}:`);
    for (const v of ['gfp', 'prealloc'] as MunmapVariant[]) {
      const t = tallies[mode][v];
      lines.push(`  ${v}: ${stat(t.allocs)}; runs ${t.runs}, ENOMEM ${t.enomem} ${JSON.stringify(t.failedAt)}, ` +
        `clear failed after gathering ${t.clearAfterGather}, failed with splits kept ${t.keptSplits}, allocations after the point of no return ${t.askedAfterPonr} in ${t.pastPonr} runs`);
    }
    const a = tallies[mode].gfp.allocs;
    const b = tallies[mode].prealloc.allocs;
    const same = a.filter((x, i) => x === b[i]).length;
    lines.push(`  same count in both variants for ${same} of ${a.length} munmaps`);
  }
  lines.push('per range kind, normal mode | RCU mode:');
  for (const kind of Object.keys(perKind.normal)) {
    for (const v of ['gfp', 'prealloc'] as MunmapVariant[]) {
      lines.push(`  ${kind.padEnd(7)} ${v.padEnd(8)} ${stat(perKind.normal[kind][v]).padEnd(36)} | ${stat(perKind.rcu[kind]?.[v] ?? [])}`);
    }
  }
  console.log(lines.join('\n'));
});
