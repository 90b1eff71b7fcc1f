// toSVG(): structure, not pixels. The text must be well-formed XML (a small tag-balance parser
// below), hold one node group per tree node at the right depth, the leaves' slots, the gaps of
// arange_64 nodes, and above maxNodes one summary row per level whose counts add up.
import { describe, expect, test } from 'vitest';
import { MapleTree, NodePool } from '../src/index';
import { renderSVG } from '../src/svg';
import type { NodeInfo } from '../src/nodes';

/** Throws unless s is well-formed XML: balanced, properly nested tags, quoted attributes, known entities. */
function checkXml(s: string): { root: string; elements: number } {
  const stack: string[] = [];
  let root = '';
  let elements = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    const amp = text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '');
    if (amp.includes('&') || amp.includes('>')) throw new Error(`bad text near ${JSON.stringify(text.slice(0, 40))}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(s);
    if (!m) throw new Error(`bad tag at ${lt}: ${JSON.stringify(s.slice(lt, lt + 60))}`);
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element at ${lt}`);
    } else {
      elements++;
      if (stack.length === 0) {
        if (root) throw new Error('more than one root element');
        root = name;
      }
      if (!self) stack.push(name);
    }
    i = tag.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return { root, elements };
}

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

function w1(pool: NodePool, n: number, allocRange = false): MapleTree<number> {
  const mt = new MapleTree<number>({ pool, entries: 'number', allocRange });
  for (let i = 0; i < n; i++) mt.storeRange(16 * i, 16 * i + 9, i);
  return mt;
}

describe('toSVG', () => {
  test('the XML check itself rejects broken text', () => {
    expect(() => checkXml('<svg><g></svg>')).toThrow();
    expect(() => checkXml('<svg><text>a & b</text></svg>')).toThrow();
    expect(checkXml('<svg><g a="1"/><text>a &amp; b</text></svg>')).toEqual({ root: 'svg', elements: 3 });
  });

  test('every node a box at its depth, every leaf slot a row, entries coloured', () => {
    const mt = w1(new NodePool(), 200);
    const svg = mt.toSVG();
    expect(checkXml(svg).root).toBe('svg');
    expect(count(svg, /<g class="node"/g)).toBe(mt.nodeCount);
    for (let d = 0; d < mt.height; d++) expect(svg).toContain(`data-depth="${d}"`);
    expect(svg).not.toContain(`data-depth="${mt.height}"`);
    // leaf rows: one swatch per slot; 200 entries plus the NULL gaps between and after them
    const swatches = count(svg, /<rect x="[\d.]+" y="[\d.]+" width="9"/g);
    expect(swatches).toBe(400);
    expect(count(svg, /fill="hsl\(/g)).toBe(200);
    expect(svg).toContain('16–25');
    expect(svg).toContain('3184–3193');
    expect(count(svg, /<path /g)).toBe(mt.nodeCount - 1); // one edge per non-root node
    mt.free();
  });

  test('arange_64 nodes show the gap recorded for each child', () => {
    const mt = w1(new NodePool(), 200, true);
    mt.storeRange(1600, 1999, null); // a larger gap somewhere
    const svg = mt.toSVG();
    checkXml(svg);
    expect(svg).toContain('arange_64');
    expect(svg).toMatch(/–\d+ gap \d+</);
    mt.free();
  });

  test('above maxNodes: one summary row per level, node counts adding up', () => {
    const mt = w1(new NodePool(), 5000);
    const svg = mt.toSVG({ maxNodes: 50 });
    checkXml(svg);
    expect(count(svg, /<g class="level"/g)).toBe(mt.height);
    const perLevel = [...svg.matchAll(/data-nodes="(\d+)"/g)].map((m) => Number(m[1]));
    expect(perLevel.reduce((a, b) => a + b, 0)).toBe(mt.nodeCount);
    expect(perLevel[0]).toBe(1);
    expect(count(svg, /<g class="node"/g)).toBe(0);
    expect(svg).toContain('5000 entries');
    mt.free();
  });

  test('a summary of 200,000 leaves (no argument-spreading limits)', () => {
    const leaves = 200_000;
    const node = (depth: number, i: number, end: number): NodeInfo => ({
      address: 256 * (i + 1 + depth * leaves), depth, type: depth === 1 ? 'leaf_64' : 'range_64', end, entries: depth === 1 ? 8 : 0,
      min: i * 100, max: i * 100 + 99, hash: i, maxGap: 0, parent: 256, parentSlot: 0,
    });
    const nodes = [node(0, 0, 15), ...Array.from({ length: leaves }, (_, i) => node(1, i, 6 + (i % 10)))];
    const svg = renderSVG(nodes, 2, false, { maxNodes: 300 });
    checkXml(svg);
    expect(svg).toContain('depth 1: 200000 leaf_64 nodes, fill 11.5 of 16 on average (7–16), 1600000 entries');
  });

  test('empty tree and lone root entry: a valid picture saying so', () => {
    const mt = new MapleTree<number>({ entries: 'number' });
    expect(checkXml(mt.toSVG()).root).toBe('svg');
    mt.store(0, 1);
    expect(mt.toSVG()).toContain('no nodes');
    mt.free();
  });

  test('bad options', () => {
    const mt = w1(new NodePool(), 10);
    expect(() => mt.toSVG({ maxNodes: -1 })).toThrow(/maxNodes/);
    expect(() => mt.toSVG({ maxNodes: 1.5 })).toThrow(RangeError);
    expect(() => mt.toSVG({ title: 5 as never })).toThrow(/title/);
    expect(() => mt.toSVG(3 as never)).toThrow(TypeError);
    mt.free();
  });

  test('titles are escaped', () => {
    const mt = w1(new NodePool(), 10);
    const svg = mt.toSVG({ title: 'a <b> & "c"' });
    checkXml(svg);
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    mt.free();
  });
});

describe('explain pictures', () => {
  test('before marks replaced and rewritten nodes, after marks allocated and rewritten ones', () => {
    const mt = w1(new NodePool(), 300);
    const x = mt.explain(4000, 4200, null, { keepNodes: true });
    const before = x.toSVG!('before');
    const after = x.toSVG!('after');
    checkXml(before);
    checkXml(after);
    expect(count(before, /<g class="node"/g)).toBe(x.nodesBefore);
    expect(count(after, /<g class="node"/g)).toBe(x.nodesAfter);
    expect(count(before, /data-mark="replaced"/g)).toBe(x.replaced);
    expect(count(before, /data-mark="rewritten"/g)).toBe(x.rewritten);
    expect(count(after, /data-mark="allocated"/g)).toBe(x.used);
    expect(count(after, /data-mark="rewritten"/g)).toBe(x.rewritten);
    expect(after).toContain('allocated by the write');
    expect(() => x.toSVG!('during' as never)).toThrow(/which/);
    expect(mt.explain(1, 2, 3).toSVG).toBeUndefined();
    mt.free();
  });

  test('summarised pictures still draw the marked nodes', () => {
    const mt = w1(new NodePool(), 20000);
    const x = mt.explain(40000, 90000, null, { keepNodes: true });
    const after = x.toSVG!('after', { maxNodes: 100 });
    checkXml(after);
    expect(count(after, /<g class="level"/g)).toBe(x.heightAfter);
    expect(count(after, /data-mark="allocated"/g)).toBe(x.used);
    mt.free();
  });
});
