// Run by shapes.test.ts under `node --expose-gc --trace-deopt`: a workload that makes a short-lived
// object per pass with a full GC between rounds, so that no instance is alive at the GC.
// The bundle's range cursor, MaState, VmaIterator and entries() iterator, one of each per pass.
// argv[2] 'control': the bundle's idle instances (src/shapes.ts) let go first. The deopt trace
// goes to stdout, then a checksum.
const mod = await import(new URL('../../dist/index.js', import.meta.url).href);
const { MapleTree, MaState, VmaIterator } = mod;
if (process.argv[2] === 'control') mod._releaseShapes();

const mt = new MapleTree({ entries: 'number' });
for (let i = 0; i < 200; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
const vt = new MapleTree();
for (let i = 0; i < 200; i++) vt.storeRange(4096 * i, 4096 * i + 4095, { vmStart: 4096 * i, vmEnd: 4096 * (i + 1), id: i });
function cursorPass() { let s = 0; const c = mt.cursor(); for (let n = c.next(); n > 0; n = c.next()) for (let k = 0; k < n; k++) s += c.entry[k]; return s; }
function statePass() { let s = 0; const mas = new MaState(mt, 0); for (let e = mas.find(1e9); e !== undefined; e = mas.find(1e9)) s += e; mas.free(); return s; }
function vmaPass() { let s = 0; const vmi = new VmaIterator(vt, 0); for (let v = vmi.next(); v !== undefined; v = vmi.next()) s += v.id; vmi.destroy(); return s; }
function entriesPass() { let s = 0; for (const e of mt.entries()) s += e.entry; return s; }

const passes = [cursorPass, statePass, vmaPass, entriesPass];
let sum = 0;
for (let round = 0; round < 30; round++) {
  globalThis.gc();
  for (let p = 0; p < 300; p++) for (const f of passes) sum += f();
}
console.log(`checksum ${sum}`);
