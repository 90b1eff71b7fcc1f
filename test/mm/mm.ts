// The mm model lives in src/mm.ts (the munmap CLI runs it); the tests import it from here.
export * from '../../src/mm';
