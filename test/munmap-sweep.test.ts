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

const tallies: Record<MunmapVariant, Tally> = {
  gfp: { runs: 0, enomem: 0, failedAt: {}, allocs: [], keptSplits: 0, clearAfterGather: 0, pastPonr: 0, askedAfterPonr: 0 },
  prealloc: { runs: 0, enomem: 0, failedAt: {}, allocs: [], keptSplits: 0, clearAfterGather: 0, pastPonr: 0, askedAfterPonr: 0 },
};
const perKind: Record<string, { gfp: number[]; prealloc: number[] }> = {};

/** Run one munmap on a fresh copy of tpl under the armed fault, and check everything. */
function runOnce(tpl: Mm, start: number, end: number, variant: MunmapVariant, before: Segment[],
                 after: Segment[], arm: (pool: NodePool) => void): MunmapResult {
  const pool = tpl.pool;
  const mm = tpl.clone();
  const inUse = pool.stats().nodesInUse;
  const nodes = mm.mt.nodeCount;
  arm(pool);
  let r: MunmapResult;
  try {
    r = mm.munmap(start, end - start, variant);
  } finally {
    pool.faults.off();
  }
  const t = tallies[variant];
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
  tallies[variant].allocs.push(K);
  (perKind[kind] ??= { gfp: [], prealloc: [] })[variant].push(K);
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
  test.each(['gfp', 'prealloc'] as MunmapVariant[])('%s variant: every allocation failed in turn', (variant) => {
    const pool = new NodePool();
    // The sweep is of the kernel's failure semantics, where the clear (a NULL store) can fail
    // after gathering: the armed faults fail the pool's emergency reserve too, which would
    // otherwise let every clear succeed (test/limits.test.ts tests the reserve).
    pool.faults.failReserve(true);
    const rng = mulberry32(seed * 1000); // the same address space and ranges for both variants
    const tpl = template(pool, rng, n, style);
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

describe('the same ranges, both variants', () => {
  test('the gfp variant fails after gathering; the prealloc variant never does', () => {
    expect(tallies.gfp.clearAfterGather).toBeGreaterThan(0);
    for (const v of ['gfp', 'prealloc'] as const) {
      // each step that allocates was made to fail somewhere in the sweep
      expect(tallies[v].failedAt.split).toBeGreaterThan(0);
      expect(tallies[v].failedAt.gather).toBeGreaterThan(0);
      expect(tallies[v].keptSplits).toBeGreaterThan(0);
    }
    expect(tallies.prealloc.failedAt.prealloc).toBeGreaterThan(0);
    expect(tallies.prealloc.failedAt.clear ?? 0).toBe(0);
    expect(tallies.prealloc.askedAfterPonr).toBe(0);
  });
});

afterAll(() => {
  const stat = (xs: number[]): string => {
    if (xs.length === 0) return '-';
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `mean ${mean.toFixed(1)}, max ${Math.max(...xs)} (${xs.length} munmaps)`;
  };
  const lines = ['', 'munmap fault sweep: allocations asked per fault-free munmap'];
  for (const v of ['gfp', 'prealloc'] as MunmapVariant[]) {
    const t = tallies[v];
    lines.push(`  ${v}: ${stat(t.allocs)}; runs ${t.runs}, ENOMEM ${t.enomem} ${JSON.stringify(t.failedAt)}, ` +
      `clear failed after gathering ${t.clearAfterGather}, failed with splits kept ${t.keptSplits}, allocations after the point of no return ${t.askedAfterPonr} in ${t.pastPonr} runs`);
  }
  const a = tallies.gfp.allocs;
  const b = tallies.prealloc.allocs;
  const same = a.filter((x, i) => x === b[i]).length;
  lines.push(`  same count in both variants for ${same} of ${a.length} munmaps`);
  for (const [kind, { gfp, prealloc }] of Object.entries(perKind)) {
    lines.push(`  ${kind.padEnd(7)} gfp ${stat(gfp)} | prealloc ${stat(prealloc)}`);
  }
  console.log(lines.join('\n'));
});
