// The shipped bundle (dist/index.js, release core) explains a write and draws the tree.
import { describe, expect, test } from 'vitest';

describe('release bundle: explain and toSVG', () => {
  test('dist/index.js: explain counts a spanning clear, toSVG and the before/after pictures are SVG', async () => {
    // @ts-ignore -- the bundle's types live in dist/types; check them through the source's
    const mod = (await import('../../dist/index.js')) as typeof import('../../src/index');
    const pool = new mod.NodePool();
    const mt = new mod.MapleTree<number>({ pool, entries: 'number' });
    for (let i = 0; i < 1000; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    const x = mt.explain(4000, 4200, null, { keepNodes: true });
    expect(x.storeType).toBe('spanning_store');
    // Under a root with a free slot and more than three children: 3 a level below it, and 1.
    expect(mt.height).toBe(3);
    expect(x.nodeRequest).toBe(3 * (mt.height - 1) + 1);
    const s0 = pool.stats();
    mt.storeRange(4000, 4200, null);
    const s1 = pool.stats();
    expect(s1.allocations - s0.allocations).toBe(x.allocated);
    expect(s1.frees - s0.frees).toBe(x.freed);
    const svg = mt.toSVG();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect((svg.match(/<g class="node"/g) ?? []).length).toBe(mt.nodeCount);
    expect(x.toSVG!('after')).toContain('data-mark="allocated"');
    mt.free();
  });
});
