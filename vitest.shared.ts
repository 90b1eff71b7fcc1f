import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/** Serve `virtual:maple-core` as the bytes of build/<file> (the bundle embeds release.wasm). */
export function mapleCore(file: 'debug.wasm' | 'release.wasm'): Plugin {
  const id = '\0virtual:maple-core';
  return {
    name: 'maple-core',
    enforce: 'pre',
    resolveId: (source) => (source === 'virtual:maple-core' ? id : undefined),
    load(loaded) {
      if (loaded !== id) return undefined;
      const path = fileURLToPath(new URL(`./build/${file}`, import.meta.url));
      const b64 = readFileSync(path).toString('base64');
      return `export default Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));`;
    },
  };
}
