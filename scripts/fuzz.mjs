// npm run fuzz -- --seed S --ops N --time T [--exhaustive] ...: bundle src/fuzz/cli.ts against
// build/debug.wasm (assertions on) and run it, forwarding the arguments. Nothing is rebuilt that
// is current: the debug core is compiled only when an assembly source is newer than it, and the
// CLI is bundled again only when one of the files it was bundled from has changed.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}node_modules/.cache/maple-fuzz`;
const outfile = `${outDir}/cli.mjs`;
const inputsFile = `${outDir}/inputs.json`;
const wasm = `${root}build/debug.wasm`;

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : -Infinity);
const newest = (files) => Math.max(-Infinity, ...files.map(mtime));
const tsFiles = (dir) => readdirSync(dir, { recursive: true })
  .filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));

if (newest([...tsFiles(`${root}assembly`), `${root}asconfig.json`]) > mtime(wasm)) {
  const r = spawnSync('npm', ['run', '--silent', 'asbuild:debug'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const inputs = existsSync(inputsFile) ? JSON.parse(readFileSync(inputsFile, 'utf8')) : [];
if (inputs.length === 0 || newest([...inputs, wasm, fileURLToPath(import.meta.url)]) > mtime(outfile)) {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [`${root}src/fuzz/cli.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    loader: { '.wasm': 'binary' },
    metafile: true,
    plugins: [{
      name: 'maple-core',
      setup(b) {
        b.onResolve({ filter: /^virtual:maple-core$/ }, () => ({ path: wasm }));
      },
    }],
    logLevel: 'warning',
  });
  writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs).map((f) => join(root, f))));
}

const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
