// The munmap scenario CLI (src/cli/munmap.ts over the mm model of src/mm.ts): usage errors exit
// 2 with one line; a run shows both variants step by step with the point of no return; with
// allocations failing from the k-th on, each variant fails before its point of no return and
// leaves the address space mapping what it did; a single failure is absorbed by the retry.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../src/cli/munmap';
import type { Io } from '../src/cli/explain';

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(...l.split('\n')),
    err: (l) => err.push(...l.split('\n')),
    readFile: () => { throw new Error('no files'); },
    writeFile: () => { throw new Error('no files'); },
  };
  const code = main(argv, io);
  return { code, out, err };
}

/** The report lines of one variant. */
function section(out: string[], variant: 'gfp' | 'prealloc'): string[] {
  const at = out.findIndex((l) => l.startsWith(`variant ${variant}`));
  expect(at).toBeGreaterThanOrEqual(0);
  const next = out.findIndex((l, i) => i > at && l === '');
  return out.slice(at, next < 0 ? out.length : next);
}

describe('munmap CLI', () => {
  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--vmas', '0'], /--vmas must be an integer/],
    [['--variant', 'rcu'], /--variant must be gfp, prealloc or both/],
    [['--fail', '1', '--fail-once', '1'], /not both/],
    [['0x400000'], /START and END, or neither/],
    [['0x400100', '0x500000'], /page-aligned/],
    [['--fail', 'x'], /--fail must be an integer/],
  ])('usage error %j: one line, exit 2', (argv, message) => {
    const r = run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
    expect(r.err[0]).toContain('usage: npm run munmap');
  });

  test('a run: both variants, each step, the point of no return, the clear explained', () => {
    const r = run(['--vmas', '200']);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out[0]).toMatch(/^address space: 200 VMAs of 4 page\(s\)/);
    expect(r.out).toContain('  store type  spanning_store');
    for (const v of ['gfp', 'prealloc'] as const) {
      const s = section(r.out, v);
      expect(s.some((l) => l.includes('---- point of no return ----'))).toBe(true);
      expect(s.some((l) => l.startsWith('  result: unmapped; 2 split(s), 51 VMA(s) removed'))).toBe(true);
      expect(s).toContain('  checked: tree valid, every address maps what it should after the munmap');
    }
    // the fix: the clear is preallocated before gathering, and nothing is allocated after the point of no return
    const p = section(r.out, 'prealloc');
    const ponr = p.findIndex((l) => l.includes('point of no return ----'));
    const pre = p.findIndex((l) => l.includes('preallocate the clear (vma_iter_prealloc)'));
    expect(pre).toBeGreaterThan(0);
    expect(pre).toBeLessThan(ponr);
    const asked = (l: string): number => Number(l.slice(66).trim().split(/\s+/)[0]);
    expect(asked(p[p.length - 3])).toBe(asked(p[ponr]));
  });

  test('allocations failing from the k-th on: every variant fails before its point of no return and unwinds', () => {
    let failures = 0;
    for (let k = 1; k <= 20; k++) {
      const r = run(['--vmas', '200', '--fail', String(k)]);
      expect(r.code, r.err.join('\n')).toBe(0);
      for (const v of ['gfp', 'prealloc'] as const) {
        const s = section(r.out, v);
        const failed = s.some((l) => l.startsWith('  result: ENOMEM'));
        if (failed) {
          failures++;
          expect(s.some((l) => l.includes('point of no return ----'))).toBe(false);
          expect(s).toContain('  checked: tree valid, every address maps what it mapped before');
        } else {
          expect(s).toContain('  checked: tree valid, every address maps what it should after the munmap');
        }
      }
    }
    expect(failures).toBeGreaterThan(20);
  });

  test('--rcu: the tree in RCU mode, both variants still unmap and check; splits ask more nodes', () => {
    const normal = run(['--vmas', '200']);
    const r = run(['--vmas', '200', '--rcu']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/RCU mode \(MT_FLAGS_ALLOC_RANGE \| MT_FLAGS_USE_RCU\)$/);
    expect(normal.out[0]).not.toMatch(/RCU/);
    const asked = (s: string[]): number => {
      const end = s.find((l) => l.startsWith('  end (side tree freed'))!;
      return Number(end.slice(66).trim().split(/\s+/)[0]);
    };
    for (const v of ['gfp', 'prealloc'] as const) {
      const s = section(r.out, v);
      expect(s.some((l) => l.startsWith('  result: unmapped; 2 split(s), 51 VMA(s) removed'))).toBe(true);
      expect(s).toContain('  checked: tree valid, every address maps what it should after the munmap');
      expect(asked(s)).toBeGreaterThanOrEqual(asked(section(normal.out, v)));
    }
  });

  test('a single failed allocation is absorbed by the retry with the caller\'s gfp', () => {
    const r = run(['--vmas', '200', '--fail-once', '1']);
    expect(r.code).toBe(0);
    for (const v of ['gfp', 'prealloc'] as const) {
      expect(section(r.out, v).some((l) => l.startsWith('  result: unmapped'))).toBe(true);
    }
  });

  test('npm run munmap from the shell', () => {
    const root = join(__dirname, '..');
    const r = spawnSync(process.execPath, [join(root, 'scripts/munmap.mjs'), '--vmas', '40', '--variant', 'prealloc'],
      { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('variant prealloc');
    expect(r.stdout).not.toContain('variant gfp');
  });
});
