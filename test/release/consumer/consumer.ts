// Compiled by package.test.ts against the installed tarball under each moduleResolution.
import { MapleTree, MapleError, NodePool, ULONG_MAX, type MapleEntry, type Index } from 'maple-wasm';

const mt = new MapleTree<string>({ pool: new NodePool() });
mt.storeRange(0x1000, 0x1fff, 'text');
const s: string | undefined = mt.load(0x1800);
const f: MapleEntry<string> | undefined = mt.find(0);
const i: Index | undefined = f?.index;
const top: bigint = ULONG_MAX;
const err: MapleError | undefined = undefined;
// @ts-expect-error: load returns string | undefined, never a number
const wrong: number = mt.load(1);
export { s, i, top, err, wrong };

// Key types follow the tree: `keys: 'number'` makes every result a number.
const small = new MapleTree<string, number>({ keys: 'number' });
small.storeRange(10, 19, 'x');
const hit = small.find(0);
const width: number = hit ? hit.last - hit.index : 0;
const starts: number[] = [...small.keys()];
small.forEach((_e, index, last) => void (last - index));
const ids = new MapleTree<string, number>({ keys: 'number', allocRange: true });
const at: number = ids.allocRange(4, 'a');
const next: number = ids.allocCyclic('b', 0, 100, 0).next;
const built: MapleTree<string, number> = MapleTree.from<string, number>([[0, 9, 'a']], { keys: 'number' });
// @ts-expect-error: a tree typed with number keys must be made with keys: 'number'
const unchecked = new MapleTree<string, number>();
const any = mt.find(0);
// @ts-expect-error: by default keys are number | bigint, which `-` does not take
const lossy = any ? any.last - any.index : 0;
export { width, starts, at, next, built, unchecked, lossy };

// The fuzzer ships as maple-wasm/fuzz.
import { replay, exhaustive, FuzzFailure, type Op, type RunResult } from 'maple-wasm/fuzz';
const ops: Op[] = [{ t: 'store', tr: 0, api: 'storeRange', a: '10', b: '20', e: 1 }];
const result: RunResult = replay(ops, { entries: 'number' });
const turns: number = exhaustive(ops).runs;
export { result, turns, FuzzFailure };

// Trees shared with Workers: maple-wasm/shared (the same API, over a shared memory).
import { MapleTree as SharedMapleTree, type SharedTreeHandle } from 'maple-wasm/shared';
const shared = new SharedMapleTree<number, number>({ entries: 'number', keys: 'number', rcu: true });
const handle: SharedTreeHandle<number> = shared.share();
const reader: SharedMapleTree<number, number> = SharedMapleTree.attach(handle);
const seen: number | undefined = reader.load(1);
reader.detach();
export { seen };
