// Browser smoke test: the shipped bundle (dist/index.js) in headless Chromium. A page served
// from 127.0.0.1 imports the bundle, builds a tree, reads it every way, explains a clear and
// draws it as SVG, and writes its findings into the page; Chromium's --dump-dom prints the page
// and this script checks it. A second page, cross-origin isolated, runs maple-wasm/shared
// (dist/shared.js) with a module Worker reading a tree the page writes. Run by `npm run test:browser` (needs Debian's chromium:
// `apt-get install chromium`; .ci/run installs it).
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
if (!browser) {
  console.error('test:browser: no chromium found (apt-get install chromium)');
  process.exit(1);
}

const page = `<!doctype html><meta charset="utf-8"><title>maple-wasm smoke</title><body>
<pre id="out">running</pre><div id="svg"></div>
<script type="module">
import { MapleTree, MaState } from './index.js';
const out = {};
try {
  const mt = new MapleTree({ entries: 'number' });
  for (let i = 0; i < 2000; i++) mt.storeRange(16 * i, 16 * i + 9, i + 1);
  mt.validate();
  out.size = mt.size;
  out.height = mt.height;
  out.load = mt.load(16 * 700 + 3);
  out.loadMany = Array.from(mt.loadMany([0, 10, 16 * 1999 + 9])).map(String);
  let sum = 0;
  const c = mt.cursor();
  for (let n = c.next(); n > 0; n = c.next()) for (let k = 0; k < n; k++) sum += c.entry[k];
  out.cursorSum = sum;
  let each = 0;
  mt.forEach((e) => { each += e; });
  out.forEachSum = each;
  const mas = new MaState(mt, 100);
  mas.walk();
  out.next20 = [mas.next(20) ?? null, mas.status, mas.next() ?? null];
  const x = mt.explain(16 * 100, 16 * 300 + 9, null, { keepNodes: true });
  out.explain = { storeType: x.storeType, nodeRequest: x.nodeRequest };
  const svg = x.toSVG('after');
  out.svgLength = svg.length;
  document.getElementById('svg').innerHTML = svg;
  // maple-wasm/shared on a page that is not cross-origin isolated: share() says what is missing.
  const shared = await import('./shared.js');
  try {
    new shared.MapleTree({ entries: 'number' }).share();
  } catch (e) {
    out.notIsolated = [self.crossOriginIsolated, e.message];
  }
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack || e);
}
document.getElementById('out').textContent = 'RESULT ' + JSON.stringify(out) + ' END';
</script>`;

// The second page: maple-wasm/shared (dist/shared.js) under cross-origin isolation, which
// SharedArrayBuffer needs: every response carries COOP same-origin and COEP require-corp. The
// page builds an RCU tree whose range i is [10i, 10i + 5] holding i, starts a module Worker that
// attaches to it and reads (checking each entry against its range) while the page rewrites
// ranges and adds new ones, then reports both sides' counts by POSTing them to /result.
const N = 20000;
const sharedPage = `<!doctype html><meta charset="utf-8"><title>maple-wasm shared</title><body>
<script type="module">
import { MapleTree } from './shared.js';
const out = { isolated: self.crossOriginIsolated };
const report = () => fetch('/result', { method: 'POST', body: JSON.stringify(out) });
try {
  const mt = new MapleTree({ entries: 'number', keys: 'number', rcu: true });
  for (let i = 0; i < ${N}; i++) mt.storeRange(10 * i, 10 * i + 5, i);
  const worker = new Worker('./shared-worker.js', { type: 'module' });
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const message = () => new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error('worker: ' + e.message));
  });
  let reply = message();
  worker.postMessage({ handle: mt.share(), stop });
  out.attached = await reply;
  reply = message();
  let writes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000 || writes < 20000) {
    const i = (writes * 7919) % ${N};
    mt.storeRange(10 * i, 10 * i + 5, null);
    mt.storeRange(10 * i, 10 * i + 5, i);
    mt.storeRange(1e9 + 10 * writes, 1e9 + 10 * writes + 5, writes);
    writes += 3;
  }
  Atomics.store(stop, 0, 1);
  out.worker = await reply;
  mt.synchronize();
  mt.validate();
  out.writes = writes;
  out.size = mt.size;
  out.waiting = mt.pool.stats().nodesWaiting;
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack || e);
}
report();
</script>`;
const sharedWorker = `import { MapleTree } from './shared.js';
self.onmessage = ({ data: { handle, stop } }) => {
  const t = MapleTree.attach(handle);
  self.postMessage({ size: t.size, load: t.load(15) });
  let reads = 0, bad = 0, walked = 0;
  while (Atomics.load(stop, 0) === 0) {
    const i = Math.floor(Math.random() * ${N});
    const e = t.load(10 * i + 3);
    reads++;
    if (e !== undefined && e !== i) bad++;
    if ((reads & 1023) === 0) {
      for (const r of t.entries(10 * i, 10 * i + 2000)) {
        walked++;
        if (r.entry * 10 !== r.index || r.last !== r.index + 5) bad++;
      }
    }
  }
  t.detach();
  self.postMessage({ reads, bad, walked });
};
`;

/** Results POSTed by the shared page (resolved once). */
let sharedResult;
const sharedDone = new Promise((resolve) => { sharedResult = resolve; });

const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const server = createServer((req, res) => {
  if (req.url === '/' || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  } else if (req.url === '/index.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(readFileSync(`${root}dist/index.js`));
  } else if (req.url === '/shared.html') {
    res.writeHead(200, { 'content-type': 'text/html', ...isolated });
    res.end(sharedPage);
  } else if (req.url === '/shared.js') {
    res.writeHead(200, { 'content-type': 'text/javascript', ...isolated });
    res.end(readFileSync(`${root}dist/shared.js`));
  } else if (req.url === '/shared-worker.js') {
    res.writeHead(200, { 'content-type': 'text/javascript', ...isolated });
    res.end(sharedWorker);
  } else if (req.url === '/result' && req.method === 'POST') {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      res.writeHead(204);
      res.end();
      sharedResult(JSON.parse(body));
    });
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
// Chromium runs asynchronously: a blocking spawn would stall the server the page comes from.
const { code, dom } = await new Promise((resolve) => {
  const p = spawn(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=20000',
    '--dump-dom', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
  p.on('close', (status) => { clearTimeout(timer); resolve({ code: status, dom: out }); });
});

// The shared page reports by POST (it waits on its Worker), so Chromium runs until it has.
const shared = await new Promise((resolve) => {
  const p = spawn(browser, ['--headless', '--no-sandbox', '--disable-gpu', `${url}shared.html`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => resolve({ error: `no result from the shared page in 120 s\n${err.slice(-500)}` }), 120_000);
  sharedDone.then((r) => resolve(r));
  p.on('close', (status) => resolve({ error: `chromium exited (${status}) before the shared page reported\n${err.slice(-500)}` }));
  // Whatever happens, this Chromium is ended once the promise settles.
  const end = () => { clearTimeout(timer); p.kill('SIGKILL'); };
  sharedDone.then(end, end);
  p.on('close', () => clearTimeout(timer));
});
server.close();

const m = /RESULT (\{.*?\}) END/s.exec(dom);
const fail = (why) => { console.error(`test:browser: ${why}\n${dom.slice(0, 500)}`); process.exit(1); };
if (!m) fail(`no result in the page (chromium exit ${code})`);
const r = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
if (!r.ok) fail(`the page failed: ${r.error}`);
const want = {
  size: 2000, load: 701, loadMany: ['1', 'NaN', '2000'], cursorSum: 2001000, forEachSum: 2001000,
  next20: [null, 'overflow', 8], explain: { storeType: 'spanning_store' },
};
const checks = [
  ['size', r.size === want.size], ['load', r.load === want.load],
  ['loadMany', JSON.stringify(r.loadMany) === JSON.stringify(want.loadMany)],
  ['cursor', r.cursorSum === want.cursorSum], ['forEach', r.forEachSum === want.forEachSum],
  ['ma_state limit', JSON.stringify(r.next20) === JSON.stringify(want.next20)],
  ['explain', r.explain.storeType === want.explain.storeType && r.explain.nodeRequest > 0],
  ['shared without isolation: share() names the headers', r.notIsolated?.[0] === false &&
    /Cross-Origin-Opener-Policy: same-origin/.test(r.notIsolated?.[1])],
  ['svg in the page', r.svgLength > 1000 && /<svg[^>]*>/.test(dom) && dom.includes('</svg>')],
];
const w = shared.worker ?? {};
checks.push(
  ['shared: the page ran', shared.ok === true],
  ['shared: crossOriginIsolated', shared.isolated === true],
  ['shared: the Worker attached and read', shared.attached?.size === N && shared.attached?.load === 1],
  ['shared: the Worker read while the page wrote', w.reads > 1000 && w.walked > 0 && shared.writes >= 20000],
  ['shared: no wrong entry read', w.bad === 0],
  ['shared: all written, nothing waiting', shared.size === N + shared.writes / 3 && shared.waiting === 0],
);
const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`browser smoke (${browser}): ${JSON.stringify(r)}`.slice(0, 400));
console.log(`browser shared: ${JSON.stringify(shared)}`.slice(0, 600));
console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
