import { MapleTree } from '../dist/index.js';
const mt = new MapleTree();
mt.storeRange(0x1000, 0x1fff, 'text');
mt.storeRange(0x3000, 0x3fff, 'data');
console.log(mt.load(0x1800), mt.find(0x2000), [...mt.entries()].length, mt.height);
mt.validate();
console.log(mt.dump());
