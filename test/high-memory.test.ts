// Addresses above 2 GiB and a 4 GiB memory. Linear memory is grown from JS before anything is
// allocated (each test file gets its own core instance), so every header, state, batch page and
// node this file makes lies above 2^31: the low 2 GiB are reserved, not filled, and since no
// page of them is touched they cost address space only.
import { describe, expect, test } from 'vitest';
import { MapleTree, NodePool, linearMemoryBytes } from '../src/index';
import { core } from '../src/wasm';
import { checkStructure } from './support/structure';

const WASM_PAGE = 65536;
const TWO_GIB = 2 ** 31;

describe('past 2 GiB of linear memory', () => {
  test('trees, walks, dumps and validation work at addresses above 2^31', () => {
    const pages = core.memory.buffer.byteLength / WASM_PAGE;
    core.memory.grow(TWO_GIB / WASM_PAGE + 16 - pages);
    expect(linearMemoryBytes()).toBe(TWO_GIB + 16 * WASM_PAGE);

    const pool = new NodePool();
    expect(pool.ptr).toBeGreaterThanOrEqual(TWO_GIB);
    const mt = new MapleTree<string>({ pool });
    expect(mt.ptr).toBeGreaterThanOrEqual(TWO_GIB);
    mt.storeRange(2n ** 60n, 2n ** 60n + 5n, 'high');
    expect([...mt]).toEqual([{ index: 2n ** 60n, last: 2n ** 60n + 5n, entry: 'high' }]);
    expect(mt.dump()).toContain('1152921504606846976-1152921504606846981');

    const nt = new MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 5000; i++) nt.storeRange(16 * i, 16 * i + 9, i);
    nt.validate();
    checkStructure(nt as MapleTree<unknown>);
    let n = 0;
    nt.forEach((v, index, last) => {
      expect(index).toBe(16 * v);
      expect(last).toBe(16 * v + 9);
      n++;
    });
    expect(n).toBe(5000);
    let m = 0;
    for (const e of nt.entries(16 * 100, 16 * 199)) expect(e.entry).toBe(100 + m++);
    expect(m).toBe(100);
    expect(nt.find(16 * 4000 + 12)).toEqual({ index: 16 * 4001, last: 16 * 4001 + 9, entry: 4001 });
    for (let i = 0; i < 5000; i += 2) expect(nt.erase(16 * i)).toBe(i);
    nt.validate();
    expect(nt.dump().split('\n').filter((l) => l.endsWith(': 0x1')).length).toBe(0);
    mt.free();
    nt.free();
  });

  test('linearMemoryBytes() reads 4 GiB at 65,536 pages, not 0', () => {
    const pages = core.memory.buffer.byteLength / WASM_PAGE;
    core.memory.grow(65536 - pages);
    expect(linearMemoryBytes()).toBe(2 ** 32);
  });
});
