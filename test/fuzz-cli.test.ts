// npm run fuzz (scripts/fuzz.mjs + src/fuzz/cli.ts): bad command lines give one line and exit
// status 2; --time holds inside a seed; a current build is not rebuilt.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fuzz = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['scripts/fuzz.mjs', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('fuzz CLI', () => {
  const bad: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--seed'], /--seed <value>' argument missing/],
    [['--seed', 'x'], /--seed must be an integer in 0\.\.4294967295, got 'x'/],
    [['--seed', '--ops', '5'], /--seed/],
    [['--ops', '-1'], /Option '--ops' argument is ambiguous/],
    [['--ops=-1'], /--ops must be an integer in 1\.\.9007199254740991, got '-1'/],
    [['--ops', '2.5'], /--ops must be an integer/],
    [['--time', '0'], /--time must be a positive number of seconds, got '0'/],
    [['--time', 'soon'], /--time must be a positive number/],
    [['--shrink-ms', ''], /--shrink-ms must be an integer/],
    [['--mode', 'sometimes'], /--mode must be one of nth, after, rate, budget, off, got 'sometimes'/],
    [['--entries', 'strings'], /--entries must be number or object/],
    [['--replay', '[1,2]'], /--replay: operation 0 must be an object whose t is one of/],
    [['--replay', '{"t":"dup"}'], /--replay must be a JSON array of operations, got object/],
    [['--replay', '[{"t":"dup"'], /--replay must be a JSON array of operations .* not JSON/],
    [['--exhaustive=yes'], /--exhaustive/],
    [['seed=3'], /Unexpected argument 'seed=3'/],
  ];
  for (const [args, message] of bad) {
    test(`${args.join(' ')}: one line, exit 2`, () => {
      const r = fuzz(...args);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/^maple fuzz: .*\(usage: maple-fuzz \(or npm run fuzz --\) \[--seed S\].*\)\n$/);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  test('--help prints the usage and exits 0', () => {
    const r = fuzz('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: maple-fuzz /);
  });

  test('--time holds inside a seed; the build is not redone when current', () => {
    const cli = `${root}node_modules/.cache/maple-fuzz/cli.mjs`;
    fuzz('--replay', '[]'); // bundles the CLI if it is not current
    const bundled = statSync(cli).mtimeMs;
    const wasm = statSync(`${root}build/debug.wasm`).mtimeMs;
    const start = Date.now();
    const r = fuzz('--seed', '5', '--ops', '1000000000', '--time', '1');
    const took = Date.now() - start;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/no failures \(time limit reached part-way through seed 5\)/);
    expect(took).toBeLessThan(30_000); // 1e9 ops would take hours
    expect(statSync(cli).mtimeMs).toBe(bundled);
    expect(statSync(`${root}build/debug.wasm`).mtimeMs).toBe(wasm);
  }, 60_000);

  test('a replayed sequence runs with every check', () => {
    const r = fuzz('--replay', JSON.stringify([
      { t: 'store', tr: 0, api: 'storeRange', a: '10', b: '20', e: 1 },
      { t: 'fault', m: 'after', n: 0 },
      { t: 'store', tr: 0, api: 'storeRange', a: '100', b: '2000', e: 2 },
      { t: 'erase', tr: 0, api: 'mt', i: '15' },
    ]));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^replay passed: 4 ops, \d+ allocations asked, \d+ failed, \d+ ENOMEM$/m);
  });
});
