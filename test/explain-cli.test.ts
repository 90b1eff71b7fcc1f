// The explain CLI (src/cli/explain.ts): usage errors exit 2 with one line, a run prints each
// explanation and writes a page with a before and an after picture per write; the npm script
// (scripts/explain.mjs, which bundles the CLI against the release core) runs from the shell.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseOp } from '../src/cli/explain';
import type { Io } from '../src/cli/explain';

function fakeIo(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const written: Record<string, string> = {};
  const io: Io = {
    out: (l) => out.push(...l.split('\n')),
    err: (l) => err.push(...l.split('\n')),
    readFile: (p) => {
      if (!(p in files)) throw new Error('ENOENT');
      return files[p];
    },
    writeFile: (p, d) => { written[p] = d; },
  };
  return { io, out, err, written };
}

describe('explain CLI', () => {
  test.each([
    [['--bogus', 'clear 1 2'], /Unknown option '--bogus'/],
    [['--build'], /argument missing|--build/],
    [['--build', 'w9:10', 'clear 1 2'], /--build must be w1:N/],
    [['--build', 'w1:10'], /at least one write/],
    [['--build', 'w1:10', '--log', 'x', 'clear 1 2'], /not both/],
    [['--log', 'missing.txt', 'clear 1 2'], /cannot read missing.txt/],
    [['--max-nodes', 'many', 'clear 1 2'], /--max-nodes/],
    [['shred 1 2'], /starts with store, clear, insert or erase/],
    [['clear 5 1'], /A must not be greater than B/],
    [['store 1 2'], /wrong number of words/],
    [['store 1 2 x'], /the value must be/],
    [['clear 1 2 atomic'], /gfp must be kernel or nowait/],
    [['erase 1 nowait'], /wrong number of words/],
  ])('usage error %j: one line, exit 2', (argv, message) => {
    const { io, out, err, written } = fakeIo();
    expect(main(argv as string[], io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
    expect(err[0]).toContain('usage: npm run explain');
    expect(out).toHaveLength(0);
    expect(Object.keys(written)).toHaveLength(0);
  });

  test('parseOp reads the small syntax, bigint indices included', () => {
    expect(parseOp('store 5 9 3 nowait')).toMatchObject({ kind: 'store', first: 5, last: 9, value: 3, gfp: 'nowait' });
    expect(parseOp('  clear 0x10 0x20 ')).toMatchObject({ kind: 'clear', first: 16, last: 32, value: null, gfp: 'kernel' });
    expect(parseOp('erase 18446744073709551615')).toMatchObject({ kind: 'erase', first: 0xffff_ffff_ffff_ffffn });
  });

  test('a run on w1:1000 prints each explanation and writes the pictures', () => {
    const { io, out, err, written } = fakeIo();
    expect(main(['--build', 'w1:1000', '--out', 'page.html', 'clear 4000 4200', 'insert 10 15 7', 'erase 16'], io)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe('Starting tree: w1:1000 (ranges [16i, 16i + 9] for i < 1000, entry i): height 3, 136 nodes.');
    expect(out).toContain('clear [4000, 4200]');
    expect(out).toContain('  store type  spanning_store');
    expect(out).toContain('insert [10, 15]');
    expect(out).toContain('erase [16, 25]');
    expect(out[out.length - 1]).toBe('wrote page.html');
    const html = written['page.html'];
    expect((html.match(/<svg /g) ?? []).length).toBe(6);
    expect((html.match(/<pre>/g) ?? []).length).toBe(3);
    expect(html).toContain('data-mark="replaced"');
  });

  test('--alloc: an allocation-range tree, its gaps in the pictures', () => {
    const { io, out, written } = fakeIo();
    expect(main(['--build', 'w1:300', '--alloc', 'clear 1000 2000'], io)).toBe(0);
    expect(out[0]).toContain(', an allocation-range tree: height');
    expect(written['explain.html']).toContain('arange_64');
    expect(written['explain.html']).toMatch(/–\d+ gap \d+</);
  });

  test('--pair writes the first write before and after as one SVG', () => {
    const { io, out, written } = fakeIo();
    expect(main(['--build', 'w1:120', '--pair', 'p.svg', 'clear 400 1000', 'erase 16'], io)).toBe(0);
    expect(out[out.length - 1]).toBe('wrote p.svg (the first write, before and after)');
    const svg = written['p.svg'];
    expect((svg.match(/<svg /g) ?? []).length).toBe(3);
    expect((svg.match(/<\/svg>/g) ?? []).length).toBe(3);
    expect(svg).toContain('before: clear [400, 1000]');
    expect(svg).toContain('after: clear [400, 1000]');
    expect(svg).toMatch(/<svg x="\d+" y="0" xmlns/);
  });

  test('a write that fails (insert over an entry) is reported, the rest still run; exit 1', () => {
    const { io, out, err, written } = fakeIo({ 'ops.txt': '# a log\nstore 0 9 1\nstore 20 29 2\n\nerase 20\n' });
    expect(main(['--log', 'ops.txt', 'insert 5 6 3', 'store 40 49 4'], io)).toBe(1);
    expect(out[0]).toBe('Starting tree: the 3 ops of ops.txt: height 1, 1 nodes.');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^insert 5 6 3: .*EEXIST/);
    expect(out).toContain('store [40, 49]');
    expect((written['explain.html'].match(/<svg /g) ?? []).length).toBe(2);
  });

  test('npm run explain from the shell: bad flag exits 2, a run writes the page where it was asked', () => {
    const root = join(__dirname, '..');
    const bad = spawnSync(process.execPath, [join(root, 'scripts/explain.mjs'), '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'explain-'));
    const ok = spawnSync(process.execPath, [join(root, 'scripts/explain.mjs'), '--build', 'w1:200', 'clear 100 900'],
      { encoding: 'utf8', env: { ...process.env, INIT_CWD: dir } });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('store type  spanning_store');
    expect(existsSync(join(dir, 'explain.html'))).toBe(true);
    expect(readFileSync(join(dir, 'explain.html'), 'utf8')).toContain('<svg ');
  });
});
