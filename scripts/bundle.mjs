// Bundle src/ into dist/index.js (ESM) and dist/index.cjs (CommonJS), the release wasm embedded
// as bytes in each, and src/shared.ts into dist/shared.js / dist/shared.cjs over the shared wasm. Class names survive without keepNames (which costs 2 kB gzipped) as long as
// no class body names its own class: esbuild then keeps `var MapleTree = class { ... }`, whose
// name is 'MapleTree', where a self-reference makes it `class _MapleTree`. package.test.ts checks.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Resolve `virtual:maple-core` to a built wasm file, loaded as a Uint8Array. */
export function mapleCore(wasmFile) {
  return {
    name: 'maple-core',
    setup(b) {
      b.onResolve({ filter: /^virtual:maple-core$/ }, () => ({ path: `${root}build/${wasmFile}` }));
    },
  };
}

const common = {
  entryPoints: [`${root}src/index.ts`],
  bundle: true,
  platform: 'neutral',
  target: 'es2022',
  loader: { '.wasm': 'binary' },
  plugins: [mapleCore('release.wasm')],
  // Statements labelled SHARED serve the shared build only (maple-wasm/shared): dropped here.
  dropLabels: ['SHARED'],
  logLevel: 'warning',
};

// maple-wasm/shared: the same facade, SHARED statements kept, over the core that imports a
// shared memory (build/shared.wasm).
const shared = { ...common, entryPoints: [`${root}src/shared.ts`], plugins: [mapleCore('shared.wasm')], dropLabels: [] };

// Start from an empty dist/ so nothing stale (an old declaration file, say) is ever packed.
rmSync(`${root}dist`, { recursive: true, force: true });

// maple-wasm/fuzz and the maple-fuzz bin: the fuzzer with its own copy of the facade over the
// debug core (assertions on), so its bundle adds nothing to the main entry's.
const fuzz = { ...common, entryPoints: [`${root}src/fuzz/index.ts`], plugins: [mapleCore('debug.wasm')] };

await Promise.all([
  build({ ...common, format: 'esm', outfile: `${root}dist/index.js` }),
  build({ ...common, format: 'cjs', outfile: `${root}dist/index.cjs` }),
  build({ ...shared, format: 'esm', outfile: `${root}dist/shared.js` }),
  build({ ...shared, format: 'cjs', outfile: `${root}dist/shared.cjs` }),
  build({ ...fuzz, format: 'esm', outfile: `${root}dist/fuzz.js` }),
  build({ ...fuzz, format: 'cjs', outfile: `${root}dist/fuzz.cjs` }),
  build({
    ...fuzz, entryPoints: [`${root}src/fuzz/cli.ts`], format: 'esm', platform: 'node', target: 'node20',
    outfile: `${root}dist/maple-fuzz.mjs`, banner: { js: '#!/usr/bin/env node' },
  }),
  // The maple-explain and maple-munmap bins: the CLIs of src/cli over the release core.
  ...['explain', 'munmap'].map((name) => build({
    ...common, entryPoints: undefined, format: 'esm', platform: 'node', target: 'node20',
    stdin: {
      contents: `import { main } from './src/cli/${name}.ts';\nprocess.exitCode = main(process.argv.slice(2));\n`,
      resolveDir: root,
      loader: 'ts',
    },
    outfile: `${root}dist/maple-${name}.mjs`, banner: { js: '#!/usr/bin/env node' },
  })),
]);
