// npm run demo: the README example, run against the built package, each result labelled.
import { MapleTree } from '../dist/index.js';

const show = (label, value) => console.log(`${label.padEnd(40)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

const mt = new MapleTree();
console.log("mt.storeRange(0x1000, 0x1fff, 'text'); mt.storeRange(0x3000, 0x3fff, 'data')\n");
mt.storeRange(0x1000, 0x1fff, 'text');
mt.storeRange(0x3000, 0x3fff, 'data');
show('mt.load(0x1800)', mt.load(0x1800));
show('mt.find(0x2000)', mt.find(0x2000));
show('mt.size', mt.size);
show('mt.height', mt.height);
mt.store(0x1800, null);
show('after mt.store(0x1800, null): ranges', [...mt].map((r) => `[0x${r.index.toString(16)}, 0x${r.last.toString(16)}] ${r.entry}`));
mt.validate();
show('mt.validate()', 'passed');
console.log('\nmt.dump():');
console.log(mt.dump());
