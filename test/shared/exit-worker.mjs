// A Worker of test/shared.test.ts that attaches and then ends without detach(), in one of three
// ways: its loop running dry, process.exit, or an uncaught error.
import { workerData, parentPort } from 'node:worker_threads';
import { MapleTree } from '../../dist/shared.js';

const t = MapleTree.attach(workerData.handle);
parentPort.postMessage(t.load(5));
if (workerData.how === 'exit') process.exit(0);
if (workerData.how === 'throw') throw new Error('the Worker fails');
