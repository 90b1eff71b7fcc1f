// What a one-line app costs a user: the app bundled and minified with esbuild, then gzipped
// (level 9), for maple-wasm (dist/index.js, wasm embedded) and for the peers the bench uses.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One-line apps: each makes a structure and stores one range. */
export const APPS = {
  'maple-wasm': `import { MapleTree } from ${JSON.stringify(`${root}dist/index.js`)};\n` +
    "new MapleTree().storeRange(1, 2, 'x');",
  'sorted-btree': "import BTree from 'sorted-btree';\nnew BTree().set(1, 'x');",
  '@flatten-js/interval-tree': "import IntervalTree from '@flatten-js/interval-tree';\nnew IntervalTree().insert([1, 2], 'x');",
};

/** { minified, gzipped } bytes of one app's bundle. */
export async function appSize(source) {
  const r = await build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'neutral', target: 'es2022',
    mainFields: ['module', 'main'], write: false, logLevel: 'silent',
  });
  const bytes = r.outputFiles[0].contents;
  return { minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
}

/** Sizes of every one-line app, by name. */
export async function appSizes() {
  const out = {};
  for (const [name, source] of Object.entries(APPS)) out[name] = await appSize(source);
  return out;
}

// node bench/lib/size.mjs: print them.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, s] of Object.entries(await appSizes())) {
    console.log(`${name.padEnd(26)} ${(s.minified / 1000).toFixed(1).padStart(6)} kB minified, ${(s.gzipped / 1000).toFixed(1).padStart(5)} kB gzipped`);
  }
}
