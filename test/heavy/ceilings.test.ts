// The real ceilings (npm run test:heavy; the release build). Each test prints what it reached.
import { describe, expect, test } from 'vitest';
import { MapleTree, NodePool, MapleError, linearMemoryBytes } from '../../src/index';
import { MAX_HANDLES } from '../../src/handles';
import { mulberry32 } from '../support/rng';

const MiB = 2 ** 20;

describe('heavy: the real ceilings', () => {
  test('an object-entry tree stops at 2^26 handles with ENOMEM, the process alive', () => {
    const mt = new MapleTree<object>({ pool: new NodePool() });
    const o = {};
    let n = 0;
    let error: unknown;
    const t = performance.now();
    for (;; n++) {
      try {
        mt.storeRange(16 * n, 16 * n + 9, o);
      } catch (e) {
        error = e;
        break;
      }
    }
    console.log(`object tree: ${n} ranges, then ${(error as Error).message}; ` +
      `${(linearMemoryBytes() / MiB).toFixed(0)} MiB linear memory, ${((performance.now() - t) / 1000).toFixed(0)} s`);
    expect((error as MapleError).code).toBe('ENOMEM');
    expect(n).toBe(MAX_HANDLES);
    expect(mt.load(16 * (n - 1))).toBe(o);
    expect(mt.load(16 * n)).toBeUndefined();
    mt.free();
  });

  test('at 4 GiB, a scrambled tree is erased down to empty, every erase succeeding', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    // Ranges [16i, 16i + 9] in a scrambled order: a multiplicative permutation of 0..2^27 - 1.
    const N = 2 ** 27;
    const key = (k: number): number => Math.imul(k, 0x9E3779B1) & (N - 1);
    let n = 0;
    let t = performance.now();
    for (; n < N; n++) {
      const i = key(n);
      try {
        mt.storeRange(16 * i, 16 * i + 9, i);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        break;
      }
    }
    console.log(`scrambled build: ${n} ranges, height ${mt.height}, ${(linearMemoryBytes() / MiB).toFixed(0)} MiB, ` +
      `${((performance.now() - t) / 1000).toFixed(0)} s; emergency reserve ${pool.stats().nodesEmergency} nodes`);
    t = performance.now();
    let failed = 0;
    const rng = mulberry32(5);
    const start = rng.int(n);
    for (let k = 0; k < n; k++) {
      const i = key((start + k) % n);
      try {
        if (mt.erase(16 * i) !== i) failed++;
      } catch {
        failed++;
      }
    }
    console.log(`erased ${n} ranges: ${failed} failed, ${((performance.now() - t) / 1000).toFixed(0)} s; ` +
      `nodes taken from the reserve ${pool.stats().emergencyTaken}`);
    expect(failed).toBe(0);
    expect(mt.isEmpty()).toBe(true);
    mt.validate();
    // Memory reused: a tree of half the size again.
    for (let k = 0; k < n / 2; k++) mt.storeRange(16 * k, 16 * k + 9, k);
    mt.free();
  });

  test('at 4 GiB after an ascending build, every read works and the first 1,000 erases succeed', () => {
    const pool = new NodePool();
    const mt = new MapleTree<number>({ pool, entries: 'number' });
    let n = 0;
    for (;; n++) {
      try {
        mt.storeRange(16 * n, 16 * n + 9, n);
      } catch (e) {
        expect((e as MapleError).code).toBe('ENOMEM');
        break;
      }
    }
    console.log(`ascending build: ${n} ranges, height ${mt.height}, ${(linearMemoryBytes() / MiB).toFixed(0)} MiB`);
    let c = 0;
    mt.forEach(() => c++);
    expect(c).toBe(n);
    c = 0;
    for (const _ of mt) c++;
    expect(c).toBe(n);
    expect([...mt.entries(0, 16 * 99)].length).toBe(100);
    // Every seventh range: 125 of these 1,000 failed before the emergency reserve.
    let failed = 0;
    for (let k = 0; k < 7000; k += 7) {
      try {
        expect(mt.erase(16 * k)).toBe(k);
      } catch {
        failed++;
      }
    }
    console.log(`1,000 erases of every seventh range: ${failed} failed`);
    expect(failed).toBe(0);
    mt.free();
  });
});
