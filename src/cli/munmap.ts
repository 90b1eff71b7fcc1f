// The munmap scenario CLI: an address space of VMAs in an allocation-range maple tree (the mm
// model of src/mm.ts), one munmap, run in the two variants the munmap thread discusses, each on
// its own copy of the address space:
//
//   gfp       kernel 6.12: split the edge VMAs, gather the VMAs into a side tree (allocating as
//             it goes, marking them detached), clear the range with vma_iter_clear_gfp; the
//             point of no return comes after the clear, and a failure before it reattaches.
//   prealloc  the fix: split, preallocate the clear (vma_iter_prealloc), gather without
//             detaching, then the point of no return, and the clear from the reserve.
//
// Each step is printed with the allocations asked so far and the nodes in use. With --fail K the
// munmap's K-th allocation and every one after it fail (failAfter(K - 1)), and the output shows
// where and how each variant unwinds; with --fail-once K only the K-th fails (failNth(K)), which
// the retry with the caller's gfp absorbs, as mas_nomem does. With --rcu the tree is in RCU mode,
// as the kernel's mm tree is (MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU).
//
//   npm run munmap -- --vmas 200 --fail 3
//   npm run munmap -- --vmas 50 --pages 8 0x40a000 0x420000
//   npm run munmap -- --vmas 200 --rcu

import { parseArgs } from 'node:util';
import { Mm, MunmapResult, MunmapVariant, PAGE, unmapped } from '../mm';
import { nodeIo } from './explain';
import type { Io } from './explain';

export const USAGE = 'usage: npm run munmap -- [--vmas N] [--pages P] [--gap G] [--fail K | --fail-once K] ' +
  '[--variant gfp|prealloc|both] [--rcu] [START END]  (page-aligned addresses; default: the middle of VMA N/4 to the middle of VMA N/2)';

const BASE = 0x400000;

const VARIANTS: Record<MunmapVariant, string> = {
  gfp: 'gfp (kernel 6.12): gather with allocating side-tree stores, then vma_iter_clear_gfp',
  prealloc: 'prealloc (the fix): preallocate the clear before gathering, clear from the reserve',
};

class UsageError extends Error {}

function int(s: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (s === undefined) return fallback;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(s) || Number(s) < min || Number(s) > max) {
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got ${s}`);
  }
  return Number(s);
}

const hex = (x: number): string => `0x${x.toString(16)}`;

function report(io: Io, variant: MunmapVariant, r: MunmapResult, fail: number | undefined): void {
  io.out(`variant ${VARIANTS[variant]}`);
  io.out(`  ${'step'.padEnd(64)} ${'allocs asked'.padStart(12)} ${'nodes in use'.padStart(12)}`);
  const s0 = r.steps[0];
  for (const s of r.steps) {
    const ponr = s.step === 'point of no return';
    const delta = s.nodesInUse - s0.nodesInUse;
    io.out(`  ${(ponr ? `---- ${s.step} ----` : s.step).padEnd(64)} ${String(s.asked - s0.asked).padStart(12)} ` +
      `${(delta >= 0 ? `+${delta}` : String(delta)).padStart(12)}`);
  }
  const after = r.askedAtPonr === undefined ? 0 : r.askedAtEnd - r.askedAtPonr;
  if (r.ok) {
    io.out(`  result: unmapped; ${r.splits} split(s), ${r.gathered} VMA(s) removed; ` +
      `${after} allocation(s) after the point of no return${after > 0 ? ' (each one could have failed there)' : ''}`);
  } else {
    io.out(`  result: ENOMEM in ${r.failedAt} (allocations failing from ${fail}), before the point of no return; ` +
      `${r.splits} split(s) kept, ${r.gathered} gathered VMA(s) ${variant === 'gfp' ? 'reattached' : 'never detached'}`);
  }
}

/** Run the CLI; returns the exit code (0 ok, 1 the model found a broken invariant, 2 usage). */
export function main(argv: string[], io: Io = nodeIo): number {
  let vmas: number;
  let pages: number;
  let gap: number;
  let fail: number | undefined;
  let once: number | undefined;
  let variants: MunmapVariant[];
  let rcu: boolean;
  let start: number;
  let end: number;
  try {
    let args;
    try {
      args = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: true,
        options: {
          vmas: { type: 'string' },
          pages: { type: 'string' },
          gap: { type: 'string' },
          fail: { type: 'string' },
          'fail-once': { type: 'string' },
          variant: { type: 'string', default: 'both' },
          rcu: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message.split('\n')[0]);
    }
    const { values: v, positionals } = args;
    if (v.help) {
      io.out(USAGE);
      return 0;
    }
    vmas = int(v.vmas, '--vmas', 1, 100_000, 200);
    pages = int(v.pages, '--pages', 1, 4096, 4);
    gap = int(v.gap, '--gap', 0, 4096, 1);
    if (v.fail !== undefined && v['fail-once'] !== undefined) throw new UsageError('give --fail or --fail-once, not both');
    fail = v.fail === undefined ? undefined : int(v.fail, '--fail', 1, 1_000_000, 1);
    once = v['fail-once'] === undefined ? undefined : int(v['fail-once'], '--fail-once', 1, 1_000_000, 1);
    if (v.variant !== 'both' && v.variant !== 'gfp' && v.variant !== 'prealloc') {
      throw new UsageError(`--variant must be gfp, prealloc or both, got ${v.variant}`);
    }
    variants = v.variant === 'both' ? ['gfp', 'prealloc'] : [v.variant];
    rcu = v.rcu;
    const stride = (pages + gap) * PAGE;
    const mid = (i: number): number => BASE + i * stride + Math.floor(pages / 2) * PAGE;
    if (positionals.length === 0) {
      start = mid(Math.floor(vmas / 4));
      end = Math.max(mid(Math.floor(vmas / 2)), start + PAGE);
    } else if (positionals.length === 2) {
      start = int(positionals[0], 'START', 0, 2 ** 47, 0);
      end = int(positionals[1], 'END', 0, 2 ** 47, 0);
      if (start % PAGE || end % PAGE || end <= start) throw new UsageError('START and END must be page-aligned (4096) with START < END');
    } else {
      throw new UsageError('give START and END, or neither');
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`munmap: ${e.message}. ${USAGE}`);
    return 2;
  }

  const mm = new Mm(undefined, undefined, undefined, { rcu });
  try {
    const stride = (pages + gap) * PAGE;
    for (let i = 0; i < vmas; i++) mm.mapAt(BASE + i * stride, pages * PAGE);
    const before = mm.segments();
    io.out(`address space: ${vmas} VMAs of ${pages} page(s) from ${hex(BASE)}, ${gap} page(s) apart: ` +
      `tree height ${mm.mt.height}, ${mm.mt.nodeCount} nodes${rcu ? ', RCU mode (MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU)' : ''}`);
    io.out(`munmap [${hex(start)}, ${hex(end)})` +
      (fail !== undefined ? `, allocation ${fail} of the call and every one after it failing` : '') +
      (once !== undefined ? `, allocation ${once} of the call failing (once)` : ''));
    io.out('the clear alone, on the tree before the splits:');
    for (const line of String(mm.mt.explain(start, end - 1, null)).split('\n').slice(1)) io.out(line);
    let status = 0;
    for (const variant of variants) {
      const copy = mm.clone();
      if (fail !== undefined) copy.pool.faults.failAfter(fail - 1);
      if (once !== undefined) copy.pool.faults.failNth(once);
      let r: MunmapResult;
      try {
        r = copy.munmap(start, end - start, variant);
      } finally {
        copy.pool.faults.off();
      }
      io.out('');
      report(io, variant, r, fail);
      try {
        copy.check();
        const want = r.ok ? unmapped(before, start, end) : before;
        if (JSON.stringify(copy.segments()) !== JSON.stringify(want)) throw new Error('the mapping is not what it should be');
        io.out(`  checked: tree valid, every address maps ${r.ok ? 'what it should after the munmap' : 'what it mapped before'}`);
      } catch (e) {
        io.err(`  CHECK FAILED (${variant}): ${(e as Error).message}`);
        status = 1;
      }
      copy.free();
    }
    return status;
  } finally {
    mm.free();
  }
}
