import { defineConfig } from 'vitest/config';
import { mapleCore } from './vitest.shared.ts';

// The main suites run against the debug build: assertions inside the core are live.
export default defineConfig({
  plugins: [mapleCore('debug.wasm')],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/release/**', 'test/heavy/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
