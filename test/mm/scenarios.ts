// Random address spaces and munmap ranges for the mm model's tests.
import { expect } from 'vitest';
import type { NodePool } from '../../src/index';
import type { Rng } from '../support/rng';
import { Mm, MmVma, PAGE } from './mm';

export const BASE = 0x400000;

export type Style = 'bulk' | 'random' | 'dense';
export type Kind = 'inside' | 'exact' | 'span' | 'edges' | 'around' | 'gap' | 'all';

/**
 * An address space of n VMAs of 1 to 16 pages: 'bulk' (random gaps, vma_iter_bulk_store in
 * address order), 'random' (random gaps, inserted in random order: fuller leaves) or 'dense'
 * (no gaps, inserted in order: full leaves, so splits need nodes); the first two then churned
 * by random munmaps and mmaps. With rcu, the tree is in RCU mode from the start (the kernel's
 * MM_MT_FLAGS).
 */
export function template(pool: NodePool, rng: Rng, n: number, style: Style, rcu = false): Mm {
  const mm = new Mm(pool, undefined, undefined, { rcu });
  const ranges: [number, number][] = [];
  let at = BASE;
  for (let i = 0; i < n; i++) {
    at += style === 'dense' || rng.chance(0.3) ? 0 : rng.range(1, 8) * PAGE;
    const size = rng.range(1, 16) * PAGE;
    ranges.push([at, at + size]);
    at += size;
  }
  if (style === 'bulk') mm.bulkLoad(ranges);
  else if (style === 'dense') for (const [s, e] of ranges) mm.mapAt(s, e - s);
  else {
    for (let i = ranges.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ranges[i], ranges[j]] = [ranges[j], ranges[i]];
    }
    for (const [s, e] of ranges) mm.mapAt(s, e - s);
  }
  // churn, so the tree is not just the shape of a bulk load
  for (let i = 0; style !== 'dense' && i < n / 4; i++) {
    const vmas = mm.vmas();
    const v = vmas[rng.int(vmas.length)];
    if (rng.chance(0.5)) {
      const pages = (v.vmEnd - v.vmStart) / PAGE;
      const s = v.vmStart + rng.int(pages) * PAGE;
      const r = mm.munmap(s, rng.range(1, 3) * PAGE, 'prealloc');
      expect(r.ok).toBe(true);
    } else {
      mm.mmap(rng.range(1, 8) * PAGE);
    }
  }
  mm.check();
  return mm;
}

/** A random munmap range of the given kind over vmas, or undefined if the kind does not apply. */
export function pick(vmas: MmVma[], rng: Rng, kind: Kind): [number, number] | undefined {
  const n = vmas.length;
  const at = (i: number): MmVma => vmas[Math.min(n - 1, Math.max(0, i))];
  const pageIn = (v: MmVma, lo = 0, hiInset = 0): number =>
    v.vmStart + (lo + rng.int((v.vmEnd - v.vmStart) / PAGE - lo - hiInset + 1)) * PAGE;
  switch (kind) {
    case 'inside': {
      const big = vmas.filter((v) => v.vmEnd - v.vmStart >= 3 * PAGE);
      if (big.length === 0) return undefined;
      const v = big[rng.int(big.length)];
      const s = pageIn(v, 1, 2);
      return [s, s + PAGE * rng.range(1, (v.vmEnd - PAGE - s) / PAGE)];
    }
    case 'exact': {
      const v = vmas[rng.int(n)];
      return [v.vmStart, v.vmEnd];
    }
    case 'span': {
      const i = rng.int(n);
      const j = Math.min(n - 1, i + rng.range(1, Math.min(120, n)));
      const a = at(i);
      const b = at(j);
      const s = pageIn(a, 0, 1);
      const e = pageIn(b, 1, 0);
      return e > s ? [s, e] : undefined;
    }
    case 'edges': {
      const i = rng.int(n);
      const j = Math.min(n - 1, i + rng.int(Math.min(60, n)));
      return [at(i).vmStart, at(j).vmEnd];
    }
    case 'around': {
      // from a gap (or the edge of a VMA) before one VMA to a gap after another
      const i = rng.int(n);
      const j = Math.min(n - 1, i + rng.int(Math.min(40, n)));
      const before = i > 0 ? at(i - 1).vmEnd : at(i).vmStart - PAGE;
      const after = j < n - 1 ? at(j + 1).vmStart : at(j).vmEnd + PAGE;
      return [before, after];
    }
    case 'gap': {
      for (let t = 0; t < 20; t++) {
        const i = rng.int(n - 1);
        if (at(i + 1).vmStart > at(i).vmEnd) return [at(i).vmEnd, at(i + 1).vmStart];
      }
      return undefined;
    }
    case 'all':
      return [vmas[0].vmStart - PAGE, vmas[n - 1].vmEnd + PAGE];
  }
}

/** The range kinds every address space supports ('all' only for small ones). */
export const KINDS: Kind[] = ['inside', 'exact', 'span', 'edges', 'around', 'gap'];
