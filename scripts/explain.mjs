// Bundle a CLI of src/cli/ (default: explain) against build/release.wasm into a temp file and run
// it, forwarding the arguments: npm run explain -- --build w1:1000 'clear 4000 4200'
// (npm run build first: the core must be built).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const name = process.env.MAPLE_CLI ?? 'explain';
const wasm = `${root}build/release.wasm`;
if (!existsSync(wasm)) {
  console.error(`${wasm} is missing: run npm run build first`);
  process.exit(2);
}
const outDir = `${root}node_modules/.cache/maple-cli`;
mkdirSync(outDir, { recursive: true });
const outfile = `${outDir}/${name}.mjs`;

await build({
  stdin: {
    contents: `import { main } from './src/cli/${name}.ts';\nprocess.exitCode = main(process.argv.slice(2));\n`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  loader: { '.wasm': 'binary' },
  plugins: [{
    name: 'maple-core',
    setup(b) {
      b.onResolve({ filter: /^virtual:maple-core$/ }, () => ({ path: wasm }));
    },
  }],
  logLevel: 'warning',
});

// run where npm was invoked, so --out and --log paths are the user's
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: process.env.INIT_CWD ?? process.cwd() });
process.exit(r.status ?? 1);
