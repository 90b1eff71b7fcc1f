// Bundle test/fuzz/cli.ts against build/debug.wasm (assertions on) into a temp file and run it,
// forwarding the arguments: npm run fuzz -- --seed S --ops N --time T [--exhaustive] ...
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}node_modules/.cache/maple-fuzz`;
mkdirSync(outDir, { recursive: true });
const outfile = `${outDir}/cli.mjs`;

await build({
  entryPoints: [`${root}test/fuzz/cli.ts`],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  loader: { '.wasm': 'binary' },
  plugins: [{
    name: 'maple-core',
    setup(b) {
      b.onResolve({ filter: /^virtual:maple-core$/ }, () => ({ path: `${root}build/debug.wasm` }));
    },
  }],
  logLevel: 'warning',
});

const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
