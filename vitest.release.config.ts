import { defineConfig } from 'vitest/config';
import { mapleCore } from './vitest.shared.ts';

// Smoke suite against the release build (-O3, --noAssert), which is what the bundle ships.
export default defineConfig({
  plugins: [mapleCore('release.wasm')],
  test: {
    include: ['test/release/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
