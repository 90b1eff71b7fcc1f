/**
 * maple-wasm/shared: the same API as maple-wasm, over a core whose memory is a shared
 * WebAssembly.Memory, so that trees can be read and written from Workers.
 *
 * In the thread that makes the tree: `mt.share()` gives a structured-clonable handle (the tree
 * is put in RCU mode). In a Worker: `MapleTree.attach(handle)` gives a tree object over the same
 * tree; `detach()` it when done. Reads in any thread never block and never see a freed node;
 * writes from any thread take the core's write lock. Only numeric-entry trees are shared.
 *
 * @example
 * // main thread
 * import { MapleTree } from 'maple-wasm/shared';
 * const mt = new MapleTree({ entries: 'number', rcu: true });
 * mt.storeRange(0, 9, 1);
 * new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).postMessage(mt.share());
 * // worker.js
 * import { MapleTree } from 'maple-wasm/shared';
 * self.onmessage = ({ data }) => { const t = MapleTree.attach(data); t.load(5); t.detach(); };
 */
export * from './index';
export type { SharedTreeHandle } from './tree';
