// Long random mmap / MAP_FIXED_NOREPLACE / munmap / mprotect sequences on the mm model with
// allocations failing at random (failRate). After every operation, failed or not: validate,
// every range holds the VMA with exactly that range and none is detached, no node leaked or
// left reserved, and the mapping (canonical: split pieces of one mapping merged) is exactly
// what the operation's semantics give: unchanged on ENOMEM (splits may stay made), else the
// range unmapped / reprotected / mapped. The prealloc munmap never allocates after its point
// of no return. The last seeds run on a tree in RCU mode (the kernel's mm tree flags) with a
// simulated reader entering and leaving read sections at random (page faults walking the tree),
// so replaced nodes wait in the limbo across operations; nodes in use still equal the tree's.
import { describe, expect, test } from 'vitest';
import { MapleError, NodePool } from '../src/index';
import { core } from '../src/wasm';
import { mulberry32 } from './support/rng';
import { Mm, MunmapVariant, PAGE, Segment, canonical, reprotected, unmapped } from './mm/mm';
import { BASE, KINDS, pick, template } from './mm/scenarios';

function code(e: unknown): string {
  if (e instanceof MapleError) return e.code;
  throw e;
}

interface Counts {
  [op: string]: { ok: number; enomem: number; other: number };
}

function checkMm(mm: Mm, want: Segment[]): void {
  mm.check();
  const s = mm.pool.stats();
  expect(s.nodesReserved).toBe(0);
  expect(s.nodesInUse).toBe(mm.mt.nodeCount); // this pool holds only mm's tree
  expect(mm.segments()).toEqual(want);
}

function run(seed: number, p: number, ops: number, variant: MunmapVariant | 'mixed', rcu = false): Counts {
  const rng = mulberry32(seed);
  const pool = new NodePool();
  const mm = template(pool, rng, 300, 'random', rcu);
  expect(mm.rcu).toBe(rcu);
  const reader = rcu ? core.rcuReaderAttach() : -1;
  let waited = 0;
  let want = mm.segments();
  const counts: Counts = {};
  const tally = (op: string, what: 'ok' | 'enomem' | 'other'): void => {
    (counts[op] ??= { ok: 0, enomem: 0, other: 0 })[what]++;
  };
  pool.faults.failRate(p, seed);
  try {
    for (let i = 0; i < ops; i++) {
      if (reader >= 0) {
        if (core.rcuReaderInside(reader) === 1) {
          if (rng.chance(0.2)) core.rcuReadUnlock(reader);
        } else if (rng.chance(0.3)) {
          core.rcuReadLock(reader);
        }
        waited = Math.max(waited, pool.stats().nodesWaiting);
      }
      const vmas = mm.vmas();
      const r = rng();
      if (r < 0.3 || vmas.length < 20) {
        // mmap top-down
        const len = rng.range(1, 32) * PAGE;
        try {
          const start = mm.mmap(len, rng.int(4));
          const added = mm.mt.load(start)!;
          want = canonical([...want, { start, end: start + len, orig: added.orig, prot: added.prot }]);
          tally('mmap', 'ok');
        } catch (e) {
          expect(code(e)).toBe('ENOMEM');
          tally('mmap', 'enomem');
        }
      } else if (r < 0.4) {
        // MAP_FIXED_NOREPLACE somewhere near the low mappings: EEXIST if anything is there
        const start = BASE + rng.int(4000) * PAGE;
        const len = rng.range(1, 8) * PAGE;
        const taken = want.some((s) => s.start < start + len && start < s.end);
        try {
          const vma = mm.mapAt(start, len, rng.int(4));
          expect(taken).toBe(false);
          want = canonical([...want, { start, end: start + len, orig: vma.orig, prot: vma.prot }]);
          tally('mapAt', 'ok');
        } catch (e) {
          const c = code(e);
          expect(c).toBe(taken ? 'EEXIST' : 'ENOMEM');
          tally('mapAt', c === 'ENOMEM' ? 'enomem' : 'other');
        }
      } else if (r < 0.75) {
        const range = pick(vmas, rng, KINDS[rng.int(KINDS.length)]);
        if (range === undefined) continue;
        const [start, end] = range;
        const v: MunmapVariant = variant === 'mixed' ? (rng.chance(0.5) ? 'gfp' : 'prealloc') : variant;
        const res = mm.munmap(start, end - start, v);
        if (res.passedPonr && v === 'prealloc') expect(res.askedAtEnd).toBe(res.askedAtPonr);
        if (res.ok) {
          want = unmapped(want, start, end);
          for (const x of res.removed) expect(x.detached).toBe(true);
        } else {
          expect(res.error!.code).toBe('ENOMEM');
          for (const x of res.removed) expect(x.detached).toBe(false);
        }
        tally(`munmap ${v}`, res.ok ? 'ok' : 'enomem');
        if (res.failedAt === 'clear') tally(`munmap ${v}: clear failed after gathering`, 'enomem');
      } else {
        const range = pick(vmas, rng, KINDS[rng.int(KINDS.length)]);
        if (range === undefined) continue;
        const [start, end] = range;
        const prot = rng.int(4);
        try {
          mm.mprotect(start, end - start, prot);
          want = reprotected(want, start, end, prot);
          tally('mprotect', 'ok');
        } catch (e) {
          expect(code(e)).toBe('ENOMEM');
          tally('mprotect', 'enomem');
        }
      }
      checkMm(mm, want);
    }
  } finally {
    pool.faults.off();
    if (reader >= 0) {
      core.rcuReadUnlock(reader);
      core.rcuReaderDetach(reader);
    }
  }
  if (rcu) {
    expect(waited).toBeGreaterThan(0); // replaced nodes did wait for the reader
    mm.mt.synchronize();
    expect(pool.stats().nodesWaiting).toBe(0);
    mm.check();
  }
  mm.free();
  expect(pool.stats().nodesInUse).toBe(0);
  return counts;
}

describe('random mmap/munmap/mprotect sequences under failRate', () => {
  test.each([
    // a write fails only when its 'nowait' try and its 'kernel' fallback both fail: about p^2
    { seed: 11, p: 0.2, ops: 3000, variant: 'gfp', rcu: false },
    { seed: 12, p: 0.2, ops: 3000, variant: 'prealloc', rcu: false },
    { seed: 13, p: 0.35, ops: 3000, variant: 'mixed', rcu: false },
    { seed: 14, p: 0.6, ops: 2000, variant: 'mixed', rcu: false },
    { seed: 15, p: 0.2, ops: 3000, variant: 'mixed', rcu: true },
    { seed: 16, p: 0.35, ops: 3000, variant: 'gfp', rcu: true },
    { seed: 17, p: 0.35, ops: 3000, variant: 'prealloc', rcu: true },
  ] as { seed: number; p: number; ops: number; variant: MunmapVariant | 'mixed'; rcu: boolean }[])(
    'seed $seed, p $p, $variant munmap, RCU mode $rcu', ({ seed, p, ops, variant, rcu }) => {
    const counts = run(seed, p, ops, variant, rcu);
    const enomem = Object.values(counts).reduce((n, c) => n + c.enomem, 0);
    expect(enomem).toBeGreaterThan(0);
    for (const [op, c] of Object.entries(counts)) if (/^munmap \w+$/.test(op)) expect(c.ok).toBeGreaterThan(0);
    console.log(`failRate ${p} seed ${seed}${rcu ? ' (RCU mode, a reader in and out)' : ''}: ${JSON.stringify(counts)}`);
  });
});
