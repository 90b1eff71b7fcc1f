// The scripts a user runs from a checkout: npm run bench and npm run demo (against dist/).
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout;

describe('bench', () => {
  test('writes its results outside the tracked tree without --save, and says where', () => {
    const before = git('status', '--porcelain', '--', 'bench');
    const r = node(['bench/run.mjs', '--quick', '--no-micro', '--only=W1']);
    expect(r.status, r.stderr).toBe(0);
    const dir = join(tmpdir(), 'maple-wasm-bench/');
    expect(r.stdout).toContain(`wrote ${dir}latest.{md,json,svg}`);
    expect(git('status', '--porcelain', '--', 'bench')).toBe(before);
    const report = JSON.parse(readFileSync(`${dir}latest.json`, 'utf8'));
    // The one-line app's size is measured with the run.
    expect(report.bundle['maple-wasm'].gzipped).toBeGreaterThan(10_000);
    expect(report.bundle['maple-wasm'].gzipped).toBeLessThan(report.bundle['maple-wasm'].minified);
    expect(report.bundle['sorted-btree'].gzipped).toBeGreaterThan(1000);
    expect(readFileSync(`${dir}latest.md`, 'utf8')).toMatch(/## Size of a one-line app/);
  }, 120_000);
});

describe('demo', () => {
  test('labels every result', () => {
    const r = node(['scripts/demo.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mt\.load\(0x1800\) +text$/m);
    expect(r.stdout).toMatch(/^mt\.find\(0x2000\) +\{"index":12288,"last":16383,"entry":"data"\}$/m);
    expect(r.stdout).toMatch(/^mt\.size +2$/m);
    expect(r.stdout).toMatch(/^mt\.dump\(\):$/m);
  });
});
