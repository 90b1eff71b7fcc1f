// The bundle's short-lived objects keep their V8 hidden classes across full GCs (src/shapes.ts):
// a loop making a range cursor, a MaState, a VmaIterator or an entries() iterator per pass, with
// full GCs between rounds, is not deoptimized by them. Runs shapes-child.mjs under
// --trace-deopt; the control runs the same loop with the idle instances let go, and shows that
// they are what keeps the deopts away, and that this node's trace reports them.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./shapes-child.mjs', import.meta.url));

/** The deopts a full GC caused (V8: "reason: weak objects") in one run of the child. */
function gcDeopts(which: 'control' | 'library'): string[] {
  const r = spawnSync(process.execPath, ['--expose-gc', '--trace-deopt', child, which], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/checksum \d+/);
  return r.stdout.split('\n').filter((l) => l.includes('reason: weak objects'));
}

describe('hidden classes kept across full GCs', () => {
  test('control: without the idle instances, the same loop is deoptimized after full GCs', () => {
    expect(gcDeopts('control').length).toBeGreaterThan(0);
  });

  test('cursor(), MaState, VmaIterator and entries() made per pass: no deopt from a GC', () => {
    expect(gcDeopts('library')).toEqual([]);
  });
});
