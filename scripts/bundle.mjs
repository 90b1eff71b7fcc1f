// Bundle src/ into dist/index.js (ESM) with the release wasm embedded as bytes.
import { build } from 'esbuild';
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

await build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${root}dist/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  loader: { '.wasm': 'binary' },
  plugins: [mapleCore('release.wasm')],
  logLevel: 'warning',
});
