// The package as a user gets it: `npm pack`, install the tarball into a fresh project, then
// compile consumers with tsc under node16, nodenext and bundler resolution (skipLibCheck off),
// and run it with plain node through `import` and `require`. Needs `npm run build` first
// (npm test does it); packs with --ignore-scripts so prepack does not build a second time.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('./consumer/', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let dir = '';

function run(cmd: string, args: string[], cwd = dir): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'maple-consumer-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts',
    '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as { filename: string }[];
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts',
    join(dir, packed[0].filename)]);
  expect(install.code, install.out).toBe(0);
  for (const f of ['consumer.ts', 'consumer.cts']) copyFileSync(join(here, f), join(dir, f));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('packed tarball', () => {
  test('ships dist, LICENSE and package.json only, and builds before packing', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    expect(pkg.license).toBe('GPL-2.0-only');
    const license = readFileSync(join(dir, 'node_modules/maple-wasm/LICENSE'), 'utf8');
    expect(license).toMatch(/GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991/);
    const installed = join(dir, 'node_modules/maple-wasm');
    const files = run('find', ['.', '-type', 'f'], installed).out.split('\n').filter(Boolean).sort();
    expect(files).toContain('./LICENSE');
    expect(files).toContain('./dist/index.js');
    expect(files).toContain('./dist/index.cjs');
    expect(files).toContain('./dist/types/index.d.cts');
    expect(files).toContain('./dist/types/fuzz/index.d.cts');
    expect(files).toContain('./dist/shared.js');
    expect(files).toContain('./dist/shared.cjs');
    expect(files).toContain('./dist/types/shared.d.ts');
    expect(files).toContain('./dist/types/shared.d.cts');
    expect(files).toContain('./dist/maple-fuzz.mjs');
    expect(files).toContain('./dist/maple-explain.mjs');
    expect(files).toContain('./dist/maple-munmap.mjs');
    expect(files.filter((f) => !f.startsWith('./dist/') && f !== './LICENSE' &&
      f !== './package.json' && f !== './README.md')).toEqual([]);
  });

  const resolutions = [
    { name: 'node16', module: 'node16', files: ['consumer.ts', 'consumer.cts'] },
    { name: 'nodenext', module: 'nodenext', files: ['consumer.ts', 'consumer.cts'] },
    { name: 'bundler', module: 'esnext', files: ['consumer.ts'] },
  ];
  for (const r of resolutions) {
    test(`types resolve under moduleResolution ${r.name}, skipLibCheck off`, () => {
      const config = join(dir, `tsconfig.${r.name}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: {
          module: r.module, moduleResolution: r.name, target: 'es2022', lib: ['es2022'],
          types: [], strict: true, skipLibCheck: false, noEmit: true,
          // A resolution that lost the types would make every export `any`: forbid that too.
          noImplicitAny: true,
        },
        files: r.files,
      }));
      const result = run(process.execPath, [tsc, '-p', config]);
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    }, 60_000);
  }

  test('the @ts-expect-error lines are errors (the check can fail)', () => {
    // Without the directives those lines must not compile: the types are real, not `any`.
    const bad = readFileSync(join(here, 'consumer.ts'), 'utf8').replace(/\/\/ @ts-expect-error.*\n/g, '');
    writeFileSync(join(dir, 'bad.ts'), bad);
    writeFileSync(join(dir, 'tsconfig.bad.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022',
        lib: ['es2022'], types: [], strict: true, skipLibCheck: false, noEmit: true },
      files: ['bad.ts'],
    }));
    const result = run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.bad.json')]);
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/bad\.ts\(11,\d+\): error TS2322: Type 'string \| undefined' is not assignable to type 'number'/);
    // new MapleTree<string, number>() without { keys: 'number' }
    expect(result.out).toMatch(/bad\.ts\(25,\d+\): error TS2554/);
    // last - index on a default (number | bigint) tree
    expect(result.out).toMatch(/bad\.ts\(27,\d+\): error TS2365/);
    expect(result.out.match(/error TS/g)).toHaveLength(3);
  }, 60_000);

  test('the wasm is compiled on first use, not at import', () => {
    const count = 'let compiled = 0; const Module = WebAssembly.Module; ' +
      'WebAssembly.Module = function (bytes) { compiled++; return new Module(bytes); }; ';
    const body = 'const before = compiled; const t = new m.MapleTree(); t.store(1, 2); new m.MapleTree(); ' +
      'console.log(before, compiled, t.load(1));';
    const esm = run(process.execPath, ['--input-type=module', '-e',
      `${count} const m = await import('maple-wasm'); ${body}`]);
    const cjs = run(process.execPath, ['-e', `${count} const m = require('maple-wasm'); ${body}`]);
    expect(esm.out.trim()).toBe('0 1 2');
    expect(cjs.out.trim()).toBe('0 1 2');
  });

  test("README's example compiles (node16) and runs as written", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = readme.match(/## Example\n\n```ts\n([\s\S]*?)```/)?.[1];
    expect(example).toBeDefined();
    // console is the one global the example needs beyond es2022 (no DOM or Node types here).
    writeFileSync(join(dir, 'example.mts'), 'declare const console: { log(...args: unknown[]): void };\n' +
      `${example}\nconsole.log(JSON.stringify([mt.size, r.last - r.index]));\n`);
    writeFileSync(join(dir, 'tsconfig.example.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022'],
        types: [], strict: true, skipLibCheck: false, outDir: 'out' },
      files: ['example.mts'],
    }));
    const compiled = run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.example.json')]);
    expect(compiled.out).toBe('');
    const ran = run(process.execPath, [join(dir, 'out/example.mjs')]);
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out.trim().split('\n').at(-1)).toBe('[3,9]');
  }, 60_000);

  test("README's fuzzer example compiles and runs", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = readme.match(/From code:\n\n```ts\n([\s\S]*?)```/)?.[1];
    expect(example).toMatch(/from 'maple-wasm\/fuzz'/);
    writeFileSync(join(dir, 'fuzz-example.mts'), `${example}\nexport {};\n`);
    writeFileSync(join(dir, 'tsconfig.fuzz-example.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022'],
        types: [], strict: true, skipLibCheck: false, outDir: 'out' },
      files: ['fuzz-example.mts'],
    }));
    const compiled = run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.fuzz-example.json')]);
    expect(compiled.out).toBe('');
    const ran = run(process.execPath, [join(dir, 'out/fuzz-example.mjs')]);
    expect(ran.code, ran.out).toBe(0);
  }, 60_000);

  test('the fuzzer ships: maple-wasm/fuzz (import and require) and the maple-fuzz bin', () => {
    // A user's own sequence, replayed once and then with each of its allocations failed in turn.
    const ops = JSON.stringify([
      { t: 'store', tr: 0, api: 'storeRange', a: '0', b: '5', e: 1 },
      ...Array.from({ length: 40 }, (_, i) => ({ t: 'store', tr: 0, api: 'storeRange', a: String(10 * i + 10), b: String(10 * i + 14), e: i })),
      { t: 'erase', tr: 0, api: 'mt', i: '12' },
    ]);
    const body = `const once = f.replay(${ops}, { entries: 'number' }); const all = f.exhaustive(${ops}); ` +
      'console.log(JSON.stringify([once.ops, all.asked > 0, all.runs === 2 * all.asked + 1, all.stopped, ' +
      'typeof f.fuzzSeed({ seed: 3, ops: 100 }).ops]));';
    const esm = run(process.execPath, ['--input-type=module', '-e', `import * as f from 'maple-wasm/fuzz'; ${body}`]);
    const cjs = run(process.execPath, ['-e', `const f = require('maple-wasm/fuzz'); ${body}`]);
    expect(esm.out.trim()).toBe('[42,true,true,false,"number"]');
    expect(cjs.out.trim()).toBe('[42,true,true,false,"number"]');
    const bin = join(dir, 'node_modules/.bin/maple-fuzz');
    const fuzzed = run(bin, ['--seed', '7', '--ops', '100', '--time', '1']);
    expect(fuzzed.code, fuzzed.out).toBe(0);
    expect(fuzzed.out).toMatch(/maple fuzz: no failures/);
    const replayed = run(bin, ['--replay', ops, '--exhaustive']);
    expect(replayed.code, replayed.out).toBe(0);
    expect(replayed.out).toMatch(/^replay passed with each allocation failed in turn: [1-9]\d* allocations asked/);
    const bad = run(bin, ['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.out.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  test('maple-wasm/shared (import and require): a Worker attaches to a tree and reads it', () => {
    // This thread shares an RCU tree; a Worker (loading the other module format) attaches, reads
    // and writes, detaches; this thread then sees the Worker's write and validates.
    const main = (load: string, workerLoad: string): string =>
      `${load} const { Worker } = require('node:worker_threads'); ` +
      "const mt = new MapleTree({ entries: 'number', keys: 'number', rcu: true }); " +
      'for (let i = 0; i < 5000; i++) mt.storeRange(10 * i, 10 * i + 5, i); ' +
      'const w = new Worker(' + JSON.stringify(`(async () => { ${workerLoad} ` +
        "const { workerData, parentPort } = await import('node:worker_threads'); " +
        'const t = MapleTree.attach(workerData); const seen = [t.load(12), t.size, t.find(49_990).entry]; ' +
        't.storeRange(100_000, 100_009, 77); t.detach(); parentPort.postMessage(seen); })();') +
      ', { eval: true, workerData: mt.share() }); ' +
      "w.once('message', (seen) => { mt.synchronize(); mt.validate(); " +
      'console.log(JSON.stringify([seen, mt.load(100_005), mt.pool.stats().nodesWaiting])); w.terminate(); });';
    const want = JSON.stringify([[1, 5000, 4999], 77, 0]);
    // Each Worker loads the other format (an eval'd Worker runs as its parent's -e does).
    const esm = run(process.execPath, ['--input-type=module', '-e',
      main("import { MapleTree } from 'maple-wasm/shared'; import { createRequire } from 'node:module'; " +
        'const require = createRequire(import.meta.url);',
      "const require = (await import('node:module')).createRequire(process.cwd() + '/'); " +
        "const { MapleTree } = require('maple-wasm/shared');")]);
    expect(esm.out.trim()).toBe(want);
    const cjs = run(process.execPath, ['-e',
      main("const { MapleTree } = require('maple-wasm/shared');", "const { MapleTree } = await import('maple-wasm/shared');")]);
    expect(cjs.out.trim()).toBe(want);
    // The default entry has no shared memory.
    const plain = run(process.execPath, ['-e', "const { MapleTree } = require('maple-wasm'); " +
      "try { new MapleTree({ entries: 'number' }).share(); } catch (e) { console.log(e.name, e.message); }"]);
    expect(plain.out.trim()).toBe('TypeError share: needs maple-wasm/shared (this memory is not shared)');
  }, 60_000);

  test('the explain and munmap CLIs run from an install (maple-explain, maple-munmap)', () => {
    const explained = run(join(dir, 'node_modules/.bin/maple-explain'), ['--build', 'w1:200', 'clear 400 1200']);
    expect(explained.code, explained.out).toBe(0);
    expect(explained.out).toMatch(/store type +spanning_store/);
    const munmap = run(join(dir, 'node_modules/.bin/maple-munmap'), ['--help']);
    expect(munmap.code, munmap.out).toBe(0);
    expect(run(join(dir, 'node_modules/.bin/maple-explain'), ['--bogus']).code).toBe(2);
  }, 60_000);

  test('plain node: import (ESM) and require (CommonJS)', () => {
    const body = "const t = new m.MapleTree(); t.storeRange(10, 19, 'x'); " +
      'console.log(JSON.stringify([t.load(15), t.find(0), t.constructor.name, typeof m.MapleError, ' +
      "require('node:util').inspect(t), String(t), [m.MapleTree, m.NodePool, m.MaState, m.VmaIterator, " +
      'm.MapleError, m.FaultControls].map((c) => c.name).join()]));';
    const esm = run(process.execPath, ['--input-type=module', '-e',
      `import * as m from 'maple-wasm'; import { createRequire } from 'node:module'; ` +
      `const require = createRequire(import.meta.url); ${body}`]);
    const cjs = run(process.execPath, ['-e', `const m = require('maple-wasm'); ${body}`]);
    const want = JSON.stringify(['x', { index: 10, last: 19, entry: 'x' }, 'MapleTree', 'function',
      "MapleTree(1) { height: 1, [10, 19] => 'x' }", '[object MapleTree]',
      'MapleTree,NodePool,MaState,VmaIterator,MapleError,FaultControls']);
    expect(esm.out.trim()).toBe(want);
    expect(cjs.out.trim()).toBe(want);
  });
});
