// Replay of the kernel transcripts in test/kernel/: op sequences run through one ma_state of the
// kernel's lib/maple_tree.c compiled in userspace, with the kernel's answer after every op. The
// format is described in test/kernel/README.md. A replay drives MapleTree and one MaState with
// the same ops and prints each result in the kernel's line format, so lines compare as text.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MapleTree, MaState, MapleError } from '../../src/index';
import type { Index } from '../../src/index';

export interface Sequence {
  seed: number;
  alloc: boolean;
  rcu?: boolean;
  ops: string[];
  want: string[];
}

/** The sequences of one transcript file under test/kernel/. */
export function readTranscript(file: string, dir = fileURLToPath(new URL('../kernel/', import.meta.url))): Sequence[] {
  const path = `${dir}/${file}`;
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Sequence);
}

/** A u64 decimal as the facade takes it: number up to 2^53 - 1, bigint above. */
export function key(s: string): Index {
  const b = BigInt(s);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** The D digest: FNV-1a over (index, last, entry) of every range, 64-bit. */
export function digest(mt: MapleTree<number>): string {
  const M = (1n << 64n) - 1n;
  let h = 1469598103934665603n;
  let n = 0;
  for (const { index, last, entry } of mt.entries()) {
    for (const x of [BigInt(index), BigInt(last), BigInt(entry)]) h = ((h ^ x) * 1099511628211n) & M;
    n++;
  }
  return `${n}:${h.toString(16).padStart(16, '0')}`;
}

/** Run fn; a MapleError becomes its negative errno, anything else (undefined, null) 0. */
function ret(fn: () => unknown): string {
  try {
    const r = fn();
    return r === undefined || r === null ? '0' : String(r);
  } catch (e) {
    if (e instanceof MapleError) return String(-e.errno);
    throw e;
  }
}

/** One op of the mas-* transcripts against tree and state; returns its result line. */
export function masOp(mt: MapleTree<number>, mas: MaState<number>, op: string): string {
  const [name, ...a] = op.split(' ');
  const k = (i: number): Index => key(a[i]);
  const v = (i: number): number | null => (Number(a[i]) === 0 ? null : Number(a[i]));
  let r: string;
  switch (name) {
    case 'S': r = ret(() => mt.storeRange(k(0), k(1), v(2))); break;
    case 'E': r = ret(() => mt.erase(k(0))); break;
    case 'B': r = ret(() => bulk(mt, a)); break;
    case 'D': r = digest(mt); break;
    case 's': r = ret(() => { mas.set(k(0)); }); break;
    case 'r': r = ret(() => { mas.setRange(k(0), k(1)); }); break;
    case 'x': r = ret(() => { mas.reset(); }); break;
    case 'z': r = ret(() => { mas.pause(); }); break;
    case 'w': r = ret(() => mas.walk()); break;
    case 'f': r = ret(() => mas.find(k(0))); break;
    case 'F': r = ret(() => mas.findRev(k(0))); break;
    case 'fr': r = ret(() => mas.findRange(k(0))); break;
    case 'Fr': r = ret(() => mas.findRangeRev(k(0))); break;
    case 'n': r = ret(() => mas.next(k(0))); break;
    case 'p': r = ret(() => mas.prev(k(0))); break;
    case 'nr': r = ret(() => mas.nextRange(k(0))); break;
    case 'pr': r = ret(() => mas.prevRange(k(0))); break;
    case 'ms': r = ret(() => { mas.store(v(0)); }); break;
    case 'me': r = ret(() => mas.erase()); break;
    case 'ma': r = ret(() => { mas.preallocate(v(0)); mas.storePrealloc(v(0)); }); break;
    case 'ea': r = ret(() => { mas.emptyArea(k(0), k(1), k(2)); }); break;
    case 'er': r = ret(() => { mas.emptyAreaRev(k(0), k(1), k(2)); }); break;
    default: throw new Error(`transcript: unknown op ${op}`);
  }
  return `${r} ${mas.index} ${mas.last} ${mas.status}`;
}

/** B n f st len v: n stores [f + i*st, f + i*st + len - 1] = v + i; the first error stops it. */
function bulk(mt: MapleTree<number>, a: string[]): void {
  const [n, f, st, len, v] = a.map((x) => BigInt(x));
  for (let i = 0n; i < n; i++) {
    const first = f + i * st;
    mt.storeRange(key(String(first)), key(String(first + len - 1n)), Number(v + i));
  }
}

export interface Divergence {
  seed: number;
  step: number;
  op: string;
  got: string;
  want: string;
  /** The ops before it, for a reproduction. */
  before: string[];
}

/** What a judge of a differing line sees: the tree and state after the op, and before it. */
export interface LineContext {
  mt: MapleTree<number>;
  op: string;
  got: string;
  want: string;
  /** index, last and status of the state before the op. */
  prior: { index: Index; last: Index; status: string };
  /** The state's position was last set by a store through it that grew the tree's first leaf. */
  rootExpanded: boolean;
}

export interface Replay {
  /** Lines compared (up to and including the first differing one). */
  lines: number;
  first?: Divergence;
  /** A differing line the judge accepted (the replay stops there: the states part ways). */
  excused?: { step: number; op: string; why: string };
}

/**
 * Replay one mas-* sequence; stops at the first line that differs (later lines of a diverged
 * state say little). validate() runs after every write. A differing line that `judge` accepts
 * (returning why) is recorded as excused rather than as a divergence.
 */
export function replayMas(seq: Sequence, judge?: (c: LineContext) => string | undefined): Replay {
  const mt = new MapleTree<number>({ entries: 'number', allocRange: seq.alloc });
  const mas = new MaState(mt, 0, 0);
  let rootExpanded = false;
  try {
    for (let i = 0; i < seq.ops.length; i++) {
      const op = seq.ops[i];
      const name = op.split(' ')[0];
      const prior = { index: mas.index, last: mas.last, status: mas.status };
      const height = mt.height;
      const got = masOp(mt, mas, op);
      if (['S', 'E', 'B', 'ms', 'me', 'ma'].includes(name)) mt.validate();
      if (got !== seq.want[i]) {
        const why = judge?.({ mt, op, got, want: seq.want[i], prior, rootExpanded });
        if (why !== undefined) return { lines: i + 1, excused: { step: i, op, why } };
        return { lines: i + 1, first: { seed: seq.seed, step: i, op, got, want: seq.want[i], before: seq.ops.slice(Math.max(0, i - 12), i) } };
      }
      if (name === 'ms' || name === 'ma') rootExpanded = height === 0 && mt.height > 0;
      else if (['s', 'r', 'x', 'z', 'w', 'me', 'ea', 'er'].includes(name)) rootExpanded = false;
    }
    return { lines: seq.ops.length };
  } finally {
    mas.free();
    mt.free();
  }
}

/** What a replay of a preallocation transcript shows a test at a Q or H line. */
export interface PreallocHooks {
  /** A Q line: the state is prepared (preallocate done), its store not yet made. */
  store?(mas: MaState<number>, want: string, step: number): void;
  /** A Q line after its storePrealloc (the state not yet freed). */
  stored?(mas: MaState<number>, want: string, step: number): void;
  /** An H line: the tree's height is to be compared with want. */
  height?(mt: MapleTree<number>, want: string, step: number): void;
}

/**
 * Replay one prealloc-* sequence (test/kernel/README.md): B, S and E through the normal API
 * (an E must return the kernel's entry), each Q as preallocate + storePrealloc through a fresh
 * MaState, the hooks called at Q and H lines. validate() runs at the end. A sequence with
 * `"rcu": true` runs on a tree in RCU mode from creation on, as the kernel's did.
 */
export function replayPrealloc(seq: Sequence, hooks: PreallocHooks): void {
  const mt = new MapleTree<number>({ entries: 'number', allocRange: seq.alloc, rcu: seq.rcu === true });
  try {
    seq.ops.forEach((op, i) => {
      const [name, ...a] = op.split(' ');
      const v = (x: string): number | null => (Number(x) === 0 ? null : Number(x));
      if (name === 'B') {
        bulk(mt, a);
      } else if (name === 'S') {
        mt.storeRange(key(a[0]), key(a[1]), v(a[2]));
      } else if (name === 'E') {
        const got = String(mt.erase(key(a[0])) ?? 0);
        if (got !== seq.want[i]) throw new Error(`seed ${seq.seed} step ${i} '${op}': erased ${got}, kernel ${seq.want[i]}`);
      } else if (name === 'Q') {
        const mas = new MaState(mt, key(a[0]), key(a[1]));
        try {
          mas.preallocate(v(a[2]));
          hooks.store?.(mas, seq.want[i], i);
          mas.storePrealloc(v(a[2]));
          hooks.stored?.(mas, seq.want[i], i);
        } finally {
          mas.free();
        }
      } else if (name === 'H') {
        hooks.height?.(mt, seq.want[i], i);
      } else {
        throw new Error(`transcript: unknown op ${op}`);
      }
    });
    mt.validate();
  } finally {
    mt.free();
  }
}
