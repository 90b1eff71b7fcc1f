// Structured node lists for explain() and toSVG(): every node with its range, fill, type and a
// hash of its contents (from a core export, fast for large trees), and for small trees the
// slots of each node (parsed from mt_dump's text).

import { core, mem, readU64 } from './wasm';
import type { Index } from './keys';
import type { MapleTree } from './tree';

/** The two core exports this module adds (assembly/explain.ts); not in the shared Core type. */
interface RecordsCore {
  nodeRecords(tree: number): number;
  nodeRecordsPtr(): number;
}
const rc = core as unknown as RecordsCore;
const RECORD = 48;

/** A node's type as the kernel's enum maple_type names it. */
export type NodeType = 'leaf_64' | 'range_64' | 'arange_64';
const NODE_TYPES: NodeType[] = ['leaf_64', 'leaf_64', 'range_64', 'arange_64'];

/** One node of a tree, as read by treeNodes(). */
export interface NodeInfo {
  /** The node's address in the core's linear memory (stable while the node lives). */
  address: number;
  /** 0 for the root, height - 1 for leaves. */
  depth: number;
  type: NodeType;
  /** Offset of the last used slot (the kernel's data end): the node holds end + 1 slots of 16 (10 for arange_64). */
  end: number;
  /** Leaves: slots holding an entry (not NULL); internal nodes: 0. */
  entries: number;
  /** First index the node covers. */
  min: Index;
  /** Last index the node covers (inclusive). */
  max: Index;
  /** Hash of the node's type, range, slots, pivots (and gaps): the low 53 bits of a 64-bit FNV-1a over its words. */
  hash: number;
  /** arange_64: the largest free range below it, as recorded; leaf: its largest NULL range; else 0. */
  maxGap: Index;
  /** Address of the parent node; 0 for the root. */
  parent: number;
  /** Slot of this node in its parent. */
  parentSlot: number;
}

/**
 * Every node of a tree in depth-first order (as mt_dump prints them), read from a structured
 * core export rather than dump text, so it stays fast for large trees (about 0.3 s for the 134,000
 * nodes of a million ranges). An empty tree or a lone root entry has no nodes.
 */
export function treeNodes(mt: MapleTree<unknown>): NodeInfo[] {
  const n = rc.nodeRecords(mt.ptr);
  const base = rc.nodeRecordsPtr();
  const u32 = new Uint32Array(mem().buffer);
  const u8 = new Uint8Array(mem().buffer);
  const u64 = (at: number): Index => {
    const lo = u32[at >>> 2];
    const hi = u32[(at >>> 2) + 1];
    return hi < 0x200000 ? hi * 0x1_0000_0000 + lo : readU64(at);
  };
  const nodes: NodeInfo[] = [];
  for (let i = 0, at = base; i < n; i++, at += RECORD) {
    const w = at >>> 2;
    nodes.push({
      address: u32[w],
      depth: u8[at + 4],
      type: NODE_TYPES[u8[at + 5]] ?? 'leaf_64',
      end: u8[at + 6],
      entries: u8[at + 7],
      min: u64(at + 8),
      max: u64(at + 16),
      hash: (u32[w + 7] & 0x1f_ffff) * 0x1_0000_0000 + u32[w + 6],
      maxGap: u64(at + 32),
      parent: u32[w + 10],
      parentSlot: u8[at + 44],
    });
  }
  return nodes;
}

/** One slot of a node, from mt_dump. */
export interface SlotInfo {
  /** First and last index of the slot's range. */
  min: Index;
  max: Index;
  /** Leaves: the entry's word in the core (0 for NULL; equal words are the same entry). */
  word: number;
  /** Children of arange_64 nodes: the largest free range below that child. */
  gap?: Index;
}

/** A node with its slots (only filled in for trees of at most DETAIL_LIMIT nodes). */
export interface DetailedNode extends NodeInfo {
  slots?: SlotInfo[];
}

/** Trees with more nodes than this get no slot detail (mt_dump text would be too large). */
export const DETAIL_LIMIT = 2000;

const NODE_LINE = /^( *)\d+-\d+: (?:leaf_64|range_64|arange_64) 0x([0-9a-f]+) /;
const SLOT_LINE = /^( *)(\d+)-(\d+): (\(nil\)|0x[0-9a-f]+)$/;
const GAP_LINE = /^( *)gap (\d+)$/;

function index(text: string): Index {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/**
 * Fill in the slots of every node of `nodes` (read from mt now) from mt_dump's text. Leaves get
 * their ranges and entry words, internal nodes their children's ranges and (arange_64) gaps.
 */
export function attachDetail(mt: MapleTree<unknown>, nodes: DetailedNode[]): DetailedNode[] {
  const byAddress = new Map<number, DetailedNode>();
  for (const n of nodes) {
    n.slots = [];
    byAddress.set(n.address, n);
  }
  const atDepth: (DetailedNode | undefined)[] = [];
  let pendingGap: Index | undefined;
  for (const line of mt.dump().split('\n').slice(1)) {
    const g = GAP_LINE.exec(line);
    if (g) {
      pendingGap = index(g[2]);
      continue;
    }
    const m = NODE_LINE.exec(line);
    if (m) {
      const depth = m[1].length / 2;
      const node = byAddress.get(parseInt(m[2], 16));
      atDepth[depth] = node;
      const parent = depth > 0 ? atDepth[depth - 1] : undefined;
      if (node && parent?.slots) {
        parent.slots.push({ min: node.min, max: node.max, word: 0, ...(pendingGap !== undefined ? { gap: pendingGap } : {}) });
      }
      pendingGap = undefined;
      continue;
    }
    const s = SLOT_LINE.exec(line);
    if (s) {
      const leaf = atDepth[s[1].length / 2 - 1];
      leaf?.slots?.push({ min: index(s[2]), max: index(s[3]), word: s[4] === '(nil)' ? 0 : parseInt(s[4], 16) });
    }
  }
  return nodes;
}
