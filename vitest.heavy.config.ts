import { defineConfig } from 'vitest/config';
import { mapleCore } from './vitest.shared.ts';

// The heavy suite (npm run test:heavy): the real ceilings, minutes and gigabytes each. Not part
// of npm test; see README, "At the limits".
export default defineConfig({
  plugins: [mapleCore('release.wasm')],
  test: {
    include: ['test/heavy/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 60_000,
  },
});
