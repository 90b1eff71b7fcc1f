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
