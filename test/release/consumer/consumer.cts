// A CommonJS consumer (require), compiled under node16 against the installed tarball.
import maple = require('maple-wasm');

const mt = new maple.MapleTree<string>();
mt.store(1, 'one');
const s: string | undefined = mt.load(1);
// @ts-expect-error: load returns string | undefined, never a number
const wrong: number = mt.load(1);
import fuzz = require('maple-wasm/fuzz');
const replayed: number = fuzz.replay([{ t: 'dup' }], { entries: 'number' }).ops;
import shared = require('maple-wasm/shared');
const handle: shared.SharedTreeHandle = new shared.MapleTree<number>({ entries: 'number' }).share();
export = { s, wrong, replayed, handle };
