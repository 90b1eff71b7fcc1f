// Make the declarations tsc wrote to dist/types/ resolve under every moduleResolution:
// - relative specifiers gain `.js` (node16/nodenext need the extension; bundler accepts it);
// - each X.d.ts gets an X.d.cts twin importing `./Y.cjs`, the types of the CommonJS entry
//   (under node16 a `require` of this "type": "module" package must see CommonJS types).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../dist/types/', import.meta.url));
const RELATIVE = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+?)(?:\.js)?\2/g;

for (const name of readdirSync(dir, { recursive: true })) {
  if (!name.endsWith('.d.ts')) continue;
  const text = readFileSync(join(dir, name), 'utf8');
  const esm = text.replace(RELATIVE, (_, pre, q, spec) => `${pre}${q}${spec}.js${q}`);
  const cjs = text.replace(RELATIVE, (_, pre, q, spec) => `${pre}${q}${spec}.cjs${q}`);
  writeFileSync(join(dir, name), esm);
  writeFileSync(join(dir, name.replace(/\.d\.ts$/, '.d.cts')), cjs);
}
