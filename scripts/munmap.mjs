// npm run munmap -- ...: the munmap scenario CLI (src/cli/munmap.ts), bundled and run as
// scripts/explain.mjs does for the explain CLI.
process.env.MAPLE_CLI = 'munmap';
await import('./explain.mjs');
