// An independent check of the kernel's structural invariants, read off mt.dump() (so a bug in
// the core's own validate() cannot hide a broken shape):
//   - every leaf at depth height - 1, node count as reported, node ranges nested and contiguous;
//   - a non-root node has at least 7 slots (end >= 6, mt_min_slots), at most 16 (end <= 15);
//   - no two adjacent NULL ranges anywhere (mt_validate_nulls);
//   - a leaf other than the rightmost does not end with NULL;
//   - the leaves' non-NULL slots are exactly the ranges entries() returns.

import type { MapleTree } from '../../src/index';

export interface DumpNode {
  depth: number;
  min: bigint;
  max: bigint;
  end: number;
  leaf: boolean;
  slots: { min: bigint; max: bigint; nil: boolean }[];
}

export interface Shape {
  height: number;
  nodes: DumpNode[];
  /** true when the tree is a lone root entry (no node) or empty. */
  rootOnly: boolean;
}

const NODE = /^(\s*)(\d+)-(\d+): (leaf_64|range_64|arange_64) 0x[0-9a-f]+ parent 0x[0-9a-f]+ end (\d+)/;
const SLOT = /^\s*(\d+)-(\d+): (\(nil\)|0x[0-9a-f]+)$/;
const HEAD = /^maple_tree 0x[0-9a-f]+ flags \d+ height (\d+) root/;

export function parseDump(mt: MapleTree<unknown>): Shape {
  const lines = mt.dump().split('\n');
  const head = HEAD.exec(lines[0]);
  if (!head) throw new Error(`dump: unexpected header ${lines[0]}`);
  const nodes: DumpNode[] = [];
  for (const line of lines.slice(1)) {
    const m = NODE.exec(line);
    if (m) {
      nodes.push({ depth: m[1].length / 2, min: BigInt(m[2]), max: BigInt(m[3]), end: Number(m[5]),
        leaf: m[4] === 'leaf_64', slots: [] });
      continue;
    }
    const s = SLOT.exec(line);
    const last = nodes[nodes.length - 1];
    if (s && last?.leaf) last.slots.push({ min: BigInt(s[1]), max: BigInt(s[2]), nil: s[3] === '(nil)' });
  }
  return { height: Number(head[1]), nodes, rootOnly: nodes.length === 0 };
}

const MAX = 0xffff_ffff_ffff_ffffn;

/** Throws an Error naming the first broken invariant; returns the parsed shape. */
export function checkStructure(mt: MapleTree<unknown>): Shape {
  const shape = parseDump(mt);
  const { nodes, height } = shape;
  const fail = (msg: string, n?: DumpNode): never => {
    throw new Error(`structure: ${msg}${n ? ` (node ${n.min}-${n.max} depth ${n.depth})` : ''}`);
  };
  if (height !== mt.height) fail(`dump height ${height} != mt.height ${mt.height}`);
  if (nodes.length !== mt.nodeCount) fail(`dump shows ${nodes.length} nodes, nodeCount is ${mt.nodeCount}`);
  if (nodes.length === 0) {
    if (height !== 0) fail(`no nodes but height ${height}`);
    return shape;
  }
  const root = nodes[0];
  if (root.depth !== 0 || root.min !== 0n || root.max !== MAX) fail('root does not span 0..ULONG_MAX', root);
  // Nodes come in depth-first order: the children of a node are the following nodes one level
  // deeper, up to the next node at its depth or above.
  const ranges: { first: bigint; last: bigint }[] = [];
  let prevNil = false;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.end > 15) fail(`end ${n.end} > 15`, n);
    if (i > 0 && n.end < 6) fail(`non-root node with end ${n.end} < 6 (fewer than 7 slots)`, n);
    if (n.leaf !== (n.depth === height - 1)) fail(`${n.leaf ? 'leaf' : 'internal node'} at depth ${n.depth}, height ${height}`, n);
    if (n.leaf) {
      if (n.slots.length !== n.end + 1) fail(`leaf lists ${n.slots.length} slots, end ${n.end}`, n);
      let at = n.min;
      for (const s of n.slots) {
        if (s.min !== at || s.max < s.min) fail(`slot ${s.min}-${s.max} does not continue at ${at}`, n);
        if (s.nil && prevNil) fail(`two adjacent NULL ranges at ${s.min}`, n);
        prevNil = s.nil;
        if (!s.nil) ranges.push({ first: s.min, last: s.max });
        at = s.max + 1n;
      }
      if (at !== n.max + 1n) fail(`slots end at ${at - 1n}, node max ${n.max}`, n);
      if (n.max !== MAX && n.slots[n.slots.length - 1].nil) fail('a leaf other than the last ends with NULL', n);
    } else {
      const kids: DumpNode[] = [];
      for (let j = i + 1; j < nodes.length && nodes[j].depth > n.depth; j++) {
        if (nodes[j].depth === n.depth + 1) kids.push(nodes[j]);
      }
      if (kids.length !== n.end + 1) fail(`${kids.length} children, end ${n.end}`, n);
      let at = n.min;
      for (const k of kids) {
        if (k.min !== at) fail(`child ${k.min}-${k.max} does not continue at ${at}`, n);
        at = k.max + 1n;
      }
      if (at !== n.max + 1n) fail(`children end at ${at - 1n}, node max ${n.max}`, n);
    }
  }
  let i = 0;
  for (const e of mt.entries()) {
    const r = ranges[i++];
    if (!r || r.first !== BigInt(e.index) || r.last !== BigInt(e.last)) {
      fail(`leaf slot ${i - 1} is ${r ? `${r.first}-${r.last}` : 'missing'} but entries() gives ${e.index}-${e.last}`);
    }
  }
  if (i !== ranges.length) fail(`leaves hold ${ranges.length} ranges, entries() gives ${i}`);
  return shape;
}
