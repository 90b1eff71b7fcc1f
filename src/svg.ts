// toSVG(): a tree drawn as nodes by level, as plain SVG text (no dependency).
//
// Up to `maxNodes` nodes (default 300) every node is a box: its type, fill (end + 1 of the
// node's slots), range, and one row per slot: a leaf's ranges with their entries coloured (the
// same entry, the same colour; NULL ranges grey), an internal node's children's ranges and, in
// arange_64 nodes, the gap recorded for each child. Edges join each child to its parent's slot.
// Above `maxNodes` each level is summarised in one row (node count, fill histogram, entries,
// largest gap), and only the nodes a write marked are drawn, as small boxes, up to 40 a level.

import { ULONG_MAX } from './keys';
import type { Index } from './keys';
import type { MapleTree } from './tree';
import { DetailedNode, treeNodes, attachDetail, DETAIL_LIMIT } from './nodes';
import type { NodeMark } from './explain';

/** Options of toSVG(). */
export interface SvgOptions {
  /**
   * Draw every node while the tree has at most this many (default 300, at most 2000); above it,
   * one summary row per level.
   */
  maxNodes?: number;
  /** A title line at the top (default: the tree's height and node count). */
  title?: string;
}

type Node = DetailedNode & { mark?: NodeMark };

const BOX_W = 118;
const GAP_X = 10;
const HEAD_H = 30;
const ROW_H = 11;
const GAP_Y = 46;
const MARGIN = 16;
const TOP = 64;
const MARKED_PER_LEVEL = 40;

const MARK_STYLE: Record<NodeMark, { stroke: string; fill: string; dash?: string; label: string }> = {
  allocated: { stroke: '#2e7d32', fill: '#e8f5e9', label: 'allocated by the write' },
  rewritten: { stroke: '#ef6c00', fill: '#fff3e0', label: 'rewritten in place' },
  replaced: { stroke: '#c62828', fill: '#ffebee', dash: '5 3', label: 'replaced (freed) by the write' },
};

/** Escape text for SVG/XML. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An index as short text: decimal up to 2^32, hex above, ULONG_MAX as 'max'. */
function short(x: Index): string {
  if (x === ULONG_MAX) return 'max';
  if (typeof x === 'bigint' || x > 0xffff_ffff) return `0x${x.toString(16)}`;
  return String(x);
}

/** A colour per entry word: hues spread by the golden angle. */
function entryColour(word: number): string {
  const hue = Math.round((word * 137.508) % 360);
  return `hsl(${hue},65%,62%)`;
}

function slotsOf(type: string): number {
  return type === 'arange_64' ? 10 : 16;
}

function boxHeight(n: Node): number {
  return HEAD_H + (n.slots ? n.slots.length * ROW_H + 4 : 0);
}

function checkOptions(o: unknown): Required<Pick<SvgOptions, 'maxNodes'>> & SvgOptions {
  if (o === undefined) return { maxNodes: 300 };
  if (typeof o !== 'object' || o === null) throw new TypeError('toSVG: options must be an object');
  const opts = o as SvgOptions;
  const maxNodes = opts.maxNodes ?? 300;
  if (typeof maxNodes !== 'number' || !Number.isInteger(maxNodes) || maxNodes < 0 || maxNodes > DETAIL_LIMIT) {
    throw new RangeError(`toSVG: options.maxNodes must be an integer in 0..${DETAIL_LIMIT}, got ${String(maxNodes)}`);
  }
  if (opts.title !== undefined && typeof opts.title !== 'string') throw new TypeError('toSVG: options.title must be a string');
  return { ...opts, maxNodes };
}

function legend(marks: Set<NodeMark>, y: number): string {
  let x = MARGIN;
  let s = '';
  for (const m of ['allocated', 'rewritten', 'replaced'] as NodeMark[]) {
    if (!marks.has(m)) continue;
    const st = MARK_STYLE[m];
    s += `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${st.fill}" stroke="${st.stroke}" stroke-width="2"` +
      `${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`;
    s += `<text x="${x + 18}" y="${y}" class="t">${st.label}</text>`;
    x += 30 + st.label.length * 6;
  }
  return s;
}

function nodeBox(n: Node, x: number, y: number, isAlloc: boolean): string {
  const st = n.mark ? MARK_STYLE[n.mark] : undefined;
  const h = boxHeight(n);
  const fill = `${n.end + 1}/${slotsOf(n.type)}`;
  let s = `<g class="node" data-address="0x${n.address.toString(16)}" data-depth="${n.depth}"` +
    `${n.mark ? ` data-mark="${n.mark}"` : ''}>`;
  s += `<title>${xmlEscape(`${n.type} 0x${n.address.toString(16)} [${n.min}, ${n.max}] end ${n.end}` +
    (n.type !== 'range_64' ? ` largest gap ${n.maxGap}` : '') + (n.mark ? ` (${n.mark})` : ''))}</title>`;
  s += `<rect x="${x}" y="${y}" width="${BOX_W}" height="${h}" rx="3" fill="${st?.fill ?? '#ffffff'}" ` +
    `stroke="${st?.stroke ?? '#455a64'}" stroke-width="${st ? 2.5 : 1}"${st?.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`;
  s += `<text x="${x + 4}" y="${y + 12}" class="h">${n.type} ${fill}` +
    `${n.type === 'arange_64' && isAlloc ? ` gap ${xmlEscape(short(n.maxGap))}` : ''}</text>`;
  s += `<text x="${x + 4}" y="${y + 24}" class="t">${xmlEscape(`${short(n.min)}–${short(n.max)}`)}</text>`;
  if (n.slots) {
    const leaf = n.type === 'leaf_64';
    n.slots.forEach((sl, i) => {
      const ry = y + HEAD_H + i * ROW_H;
      if (leaf) {
        s += `<rect x="${x + 4}" y="${ry + 1}" width="9" height="${ROW_H - 2}" ` +
          `fill="${sl.word === 0 ? '#eceff1' : entryColour(sl.word)}" stroke="#90a4ae" stroke-width="0.5"/>`;
      }
      const text = `${short(sl.min)}–${short(sl.max)}` + (sl.gap !== undefined ? ` gap ${short(sl.gap)}` : '');
      s += `<text x="${x + (leaf ? 16 : 4)}" y="${ry + ROW_H - 2}" class="${leaf && sl.word === 0 ? 'n' : 's'}">` +
        `${xmlEscape(text)}</text>`;
    });
  }
  return s + '</g>';
}

/** Full drawing: every node a box, leaves left to right, parents centred over their children. */
function drawFull(nodes: Node[], height: number, isAlloc: boolean, title: string): string {
  const children = new Map<number, Node[]>();
  for (const n of nodes) {
    if (n.depth > 0) {
      const list = children.get(n.parent) ?? [];
      list.push(n);
      children.set(n.parent, list);
    }
  }
  const levelH: number[] = new Array(height).fill(HEAD_H);
  for (const n of nodes) levelH[n.depth] = Math.max(levelH[n.depth], boxHeight(n));
  const levelY: number[] = [];
  let y = TOP;
  for (let d = 0; d < height; d++) {
    levelY[d] = y;
    y += levelH[d] + GAP_Y;
  }
  const pos = new Map<number, number>();
  let nextLeafX = MARGIN;
  const place = (n: Node): number => {
    const kids = children.get(n.address);
    let x: number;
    if (!kids || kids.length === 0) {
      x = nextLeafX;
      nextLeafX += BOX_W + GAP_X;
    } else {
      const xs = kids.map(place);
      x = (xs[0] + xs[xs.length - 1]) / 2;
    }
    pos.set(n.address, x);
    return x;
  };
  if (nodes.length > 0) place(nodes[0]);
  const width = Math.max(nextLeafX + MARGIN, 720);
  const totalH = y + 10;
  let edges = '';
  let boxes = '';
  const marks = new Set<NodeMark>();
  for (const n of nodes) {
    const x = pos.get(n.address) ?? 0;
    if (n.mark) marks.add(n.mark);
    boxes += nodeBox(n, x, levelY[n.depth], isAlloc);
    for (const [i, k] of (children.get(n.address) ?? []).entries()) {
      const px = x + BOX_W - 6;
      const py = levelY[n.depth] + HEAD_H + i * ROW_H + ROW_H / 2;
      const cx = (pos.get(k.address) ?? 0) + BOX_W / 2;
      const cy = levelY[k.depth];
      edges += `<path d="M${px} ${py} C${px + 30} ${py} ${cx} ${cy - 30} ${cx} ${cy}" class="e"/>`;
    }
  }
  return frame(width, totalH, title, legend(marks, 46), edges + boxes);
}

/** Summary drawing: one row per level, and the marked nodes of each level as small boxes. */
function drawSummary(nodes: Node[], height: number, isAlloc: boolean, title: string): string {
  const ROW = 150;
  const width = 1100;
  let body = '';
  const marks = new Set<NodeMark>();
  const byDepth: Node[][] = Array.from({ length: height }, () => []);
  for (const n of nodes) byDepth[n.depth]?.push(n);
  for (let d = 0; d < height; d++) {
    const level = byDepth[d];
    const y = TOP + d * ROW;
    const hist = new Array(17).fill(0);
    let entries = 0;
    for (const n of level) {
      hist[n.end + 1]++;
      entries += n.entries;
    }
    let sum = 0;
    let lo = Infinity;
    let hi = 0;
    for (const n of level) {
      sum += n.end + 1;
      lo = Math.min(lo, n.end + 1);
      hi = Math.max(hi, n.end + 1);
    }
    const avg = sum / Math.max(1, level.length);
    const types = [...new Set(level.map((n) => n.type))].join('/');  // a few values
    const leaf = d === height - 1;
    body += `<g class="level" data-depth="${d}" data-nodes="${level.length}">`;
    body += `<text x="${MARGIN}" y="${y + 12}" class="h">depth ${d}: ${level.length} ${types} node${level.length === 1 ? '' : 's'}, ` +
      `fill ${avg.toFixed(1)} of ${slotsOf(level[0]?.type ?? 'leaf_64')} on average (${lo}–${hi})` +
      `${leaf ? `, ${entries} entries` : ''}</text>`;
    // fill histogram: one bar per fill 1..16
    const peak = hist.reduce((a: number, b: number) => Math.max(a, b), 1);
    for (let f = 1; f <= 16; f++) {
      const bh = Math.round((hist[f] / peak) * 40);
      body += `<rect x="${MARGIN + (f - 1) * 14}" y="${y + 60 - bh}" width="12" height="${bh}" fill="#78909c"><title>fill ${f}: ${hist[f]} nodes</title></rect>`;
    }
    body += `<text x="${MARGIN}" y="${y + 74}" class="s">fill 1 … 16</text>`;
    const marked = level.filter((n) => n.mark);
    marked.slice(0, MARKED_PER_LEVEL).forEach((n, i) => {
      marks.add(n.mark as NodeMark);
      const col = i % 7;
      const row = Math.floor(i / 7);
      body += nodeBox({ ...n, slots: undefined }, 260 + col * (BOX_W + GAP_X), y + 20 + row * (HEAD_H + 6), isAlloc);
    });
    if (marked.length > MARKED_PER_LEVEL) {
      body += `<text x="260" y="${y + 140}" class="s">… and ${marked.length - MARKED_PER_LEVEL} more marked</text>`;
    }
    body += '</g>';
  }
  return frame(width, TOP + height * ROW + 10, title, legend(marks, 46), body);
}

function frame(width: number, height: number, title: string, legendSvg: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" ` +
    `viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="sans-serif">` +
    `<style>.h{font-size:10px;font-weight:bold;fill:#263238}.t{font-size:10px;fill:#37474f}` +
    `.s{font-size:9px;fill:#37474f}.n{font-size:9px;fill:#9e9e9e}.e{fill:none;stroke:#90a4ae;stroke-width:1}</style>` +
    `<rect width="100%" height="100%" fill="#fafafa"/>` +
    `<text x="${MARGIN}" y="24" font-size="14" font-weight="bold" fill="#263238">${xmlEscape(title)}</text>` +
    legendSvg + body + '</svg>\n';
}

/**
 * Render nodes (as treeNodes / attachDetail give them, optionally marked) as SVG text.
 * Nodes without slot detail are drawn as header-only boxes.
 */
export function renderSVG(nodes: Node[], height: number, isAlloc: boolean, options?: SvgOptions): string {
  const o = checkOptions(options);
  const title = o.title ?? `maple tree: height ${height}, ${nodes.length} node${nodes.length === 1 ? '' : 's'}`;
  if (nodes.length === 0) {
    return frame(720, TOP + 20, title, '', `<text x="${MARGIN}" y="${TOP}" class="t">no nodes (empty, or a lone entry at index 0 in the root)</text>`);
  }
  return nodes.length <= o.maxNodes ? drawFull(nodes, height, isAlloc, title) : drawSummary(nodes, height, isAlloc, title);
}

/** MapleTree.toSVG: see there. */
export function treeSVG(mt: MapleTree<unknown>, options?: SvgOptions): string {
  const o = checkOptions(options);
  const nodes: Node[] = treeNodes(mt);
  if (nodes.length <= o.maxNodes) attachDetail(mt, nodes);
  return renderSVG(nodes, mt.height, mt.isAlloc, o);
}
