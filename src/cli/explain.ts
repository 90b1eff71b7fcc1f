// The explain CLI: build a tree (a workload shape or an op log), then explain each write given on
// the command line, apply it, and write an HTML page with the tree before and after each write.
//
//   npm run explain -- --build w1:1000 'clear 4000 4200'
//   npm run explain -- --log ops.txt --out page.html 'store 5 9 1 nowait' 'erase 7'
//
// Not part of the library bundle (it uses node:fs and node:util); scripts/explain.mjs bundles
// and runs it. main() takes its arguments and I/O so that tests can call it directly.

import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { MapleTree, MapleError } from '../index';
import type { Gfp, Index, WriteExplanation } from '../index';

export const USAGE = 'usage: npm run explain -- [--build w1:N | --log FILE] [--alloc] [--out FILE.html] [--pair FILE.svg] ' +
  "[--max-nodes N] 'store A B V [gfp]' | 'clear A B [gfp]' | 'insert A B V [gfp]' | 'erase X' ...";

export interface Io {
  out(line: string): void;
  err(line: string): void;
  readFile(path: string): string;
  writeFile(path: string, data: string): void;
}

export const nodeIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  readFile: (p) => readFileSync(p, 'utf8'),
  writeFile: (p, d) => writeFileSync(p, d),
};

/** A write in the CLI's syntax. */
export interface Op {
  kind: 'store' | 'clear' | 'insert' | 'erase';
  first: Index;
  last: Index;
  value: number | null;
  gfp: Gfp;
  text: string;
}

class UsageError extends Error {}

function num(s: string | undefined, what: string, text: string): Index {
  if (s === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(s)) throw new UsageError(`'${text}': ${what} must be a non-negative integer, got ${s ?? 'nothing'}`);
  const b = BigInt(s);
  if (b > 0xffff_ffff_ffff_ffffn) throw new UsageError(`'${text}': ${what} must be at most 2^64 - 1`);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Parse one write: 'store A B V [gfp]', 'clear A B [gfp]', 'insert A B V [gfp]', 'erase X'. */
export function parseOp(text: string): Op {
  const w = text.trim().split(/\s+/);
  const kind = w[0];
  const gfpOf = (s: string | undefined): Gfp => {
    if (s === undefined || s === 'kernel') return 'kernel';
    if (s === 'nowait') return 'nowait';
    throw new UsageError(`'${text}': gfp must be kernel or nowait, got ${s}`);
  };
  const arity = (n: number): void => {
    if (w.length < n || w.length > n + (kind === 'erase' ? 0 : 1)) throw new UsageError(`'${text}': wrong number of words`);
  };
  let op: Op;
  if (kind === 'store' || kind === 'insert') {
    arity(4);
    const v = num(w[3], 'the value', text);
    if (typeof v !== 'number' || v > Number.MAX_SAFE_INTEGER - 1) throw new UsageError(`'${text}': the value must be below 2^53 - 1`);
    op = { kind, first: num(w[1], 'A', text), last: num(w[2], 'B', text), value: v, gfp: gfpOf(w[4]), text };
  } else if (kind === 'clear') {
    arity(3);
    op = { kind, first: num(w[1], 'A', text), last: num(w[2], 'B', text), value: null, gfp: gfpOf(w[3]), text };
  } else if (kind === 'erase') {
    arity(2);
    const x = num(w[1], 'X', text);
    op = { kind, first: x, last: x, value: null, gfp: 'kernel', text };
  } else {
    throw new UsageError(`'${text}': a write starts with store, clear, insert or erase`);
  }
  if (op.first > op.last) throw new UsageError(`'${text}': A must not be greater than B`);
  return op;
}

function apply(mt: MapleTree<number>, op: Op): void {
  if (op.kind === 'erase') mt.erase(op.first);
  else if (op.kind === 'insert') mt.insertRange(op.first, op.last, op.value, op.gfp);
  else mt.storeRange(op.first, op.last, op.value, op.gfp);
}

function explain(mt: MapleTree<number>, op: Op): WriteExplanation {
  if (op.kind === 'erase') return mt.explainErase(op.first, { keepNodes: true });
  return mt.explain(op.first, op.last, op.value, { gfp: op.gfp, insert: op.kind === 'insert', keepNodes: true });
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The HTML page: per write, its explanation and the tree before and after, side by side. */
export function page(start: string, parts: { x: WriteExplanation; maxNodes: number }[]): string {
  const sections = parts.map(({ x, maxNodes }) =>
    `<section><pre>${esc(String(x))}</pre><div class="pair">` +
    `<div>${x.toSVG!('before', { maxNodes })}</div><div>${x.toSVG!('after', { maxNodes })}</div></div></section>`);
  return '<!doctype html>\n<html><head><meta charset="utf-8"><title>maple-wasm: explain</title><style>' +
    'body{font-family:sans-serif;margin:16px}pre{background:#f5f5f5;padding:8px}' +
    '.pair{display:flex;gap:16px;overflow-x:auto;align-items:flex-start}.pair>div{flex:none}</style></head><body>' +
    `<h1>explain</h1><p>${esc(start)}</p>${sections.join('\n')}</body></html>\n`;
}

/** The before and after pictures of one write side by side, as one SVG. */
export function pair(x: WriteExplanation, maxNodes: number): string {
  const parts = [x.toSVG!('before', { maxNodes }), x.toSVG!('after', { maxNodes })];
  const size = (svg: string): [number, number] => {
    const m = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  const [w0, h0] = size(parts[0]);
  const [w1, h1] = size(parts[1]);
  const w = w0 + 24 + w1;
  const h = Math.max(h0, h1);
  const inner = (svg: string, x: number): string => svg.trim().replace(/^<svg /, `<svg x="${x}" y="0" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>${inner(parts[0], 0)}${inner(parts[1], w0 + 24)}</svg>\n`;
}

/** Run the CLI; returns the exit code (0 ok, 1 a write failed, 2 usage). */
export function main(argv: string[], io: Io = nodeIo): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        build: { type: 'string' },
        log: { type: 'string' },
        alloc: { type: 'boolean', default: false },
        out: { type: 'string', default: 'explain.html' },
        'max-nodes': { type: 'string', default: '300' },
        pair: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`explain: ${(e as Error).message.split('\n')[0]} ${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = args;
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  let ops: Op[];
  let startOps: Op[] = [];
  let shape = 'an empty tree';
  let n = 0;
  const maxNodes = Number(v['max-nodes']);
  try {
    if (v.build !== undefined && v.log !== undefined) throw new UsageError('give --build or --log, not both');
    if (!Number.isInteger(maxNodes) || maxNodes < 0 || maxNodes > 2000) throw new UsageError('--max-nodes must be an integer in 0..2000');
    if (v.build !== undefined) {
      const m = /^w1:(\d+)$/.exec(v.build);
      if (!m || Number(m[1]) > 5_000_000) throw new UsageError(`--build must be w1:N (N ranges [16i, 16i + 9], N up to 5,000,000), got ${v.build}`);
      n = Number(m[1]);
      shape = `w1:${n} (ranges [16i, 16i + 9] for i < ${n}, entry i)`;
    }
    if (v.log !== undefined) {
      let text: string;
      try {
        text = io.readFile(v.log);
      } catch (e) {
        throw new UsageError(`--log: cannot read ${v.log}: ${(e as Error).message}`);
      }
      startOps = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map(parseOp);
      shape = `the ${startOps.length} ops of ${v.log}`;
    }
    if (positionals.length === 0) throw new UsageError('give at least one write');
    ops = positionals.map(parseOp);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`explain: ${e.message}. ${USAGE}`);
    return 2;
  }

  const mt = new MapleTree<number>({ entries: 'number', allocRange: v.alloc });
  try {
    for (let i = 0; i < n; i++) mt.storeRange(16 * i, 16 * i + 9, i);
    for (const op of startOps) apply(mt, op);
    const start = `Starting tree: ${shape}${v.alloc ? ', an allocation-range tree' : ''}: height ${mt.height}, ${mt.nodeCount} nodes.`;
    io.out(start);
    const parts: { x: WriteExplanation; maxNodes: number }[] = [];
    let status = 0;
    for (const op of ops) {
      let x: WriteExplanation;
      try {
        x = explain(mt, op);
      } catch (e) {
        if (!(e instanceof MapleError)) throw e;
        io.err(`${op.text}: ${e.message}`);
        status = 1;
        continue;
      }
      io.out(String(x));
      parts.push({ x, maxNodes });
      apply(mt, op);
    }
    io.writeFile(v.out as string, page(start, parts));
    io.out(`wrote ${v.out}`);
    if (v.pair !== undefined && parts.length > 0) {
      io.writeFile(v.pair, pair(parts[0].x, maxNodes));
      io.out(`wrote ${v.pair} (the first write, before and after)`);
    }
    return status;
  } finally {
    mt.free();
  }
}
