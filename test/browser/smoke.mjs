// Browser smoke test: the shipped bundle (dist/index.js) in headless Chromium. A page served
// from 127.0.0.1 imports the bundle, builds a tree, reads it every way, explains a clear and
// draws it as SVG, and writes its findings into the page; Chromium's --dump-dom prints the page
// and this script checks it. Run by `npm run test:browser` (needs Debian's chromium:
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
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack || e);
}
document.getElementById('out').textContent = 'RESULT ' + JSON.stringify(out) + ' END';
</script>`;

const server = createServer((req, res) => {
  if (req.url === '/' || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  } else if (req.url === '/index.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(readFileSync(`${root}dist/index.js`));
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
  ['svg in the page', r.svgLength > 1000 && /<svg[^>]*>/.test(dom) && dom.includes('</svg>')],
];
const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`browser smoke (${browser}): ${JSON.stringify(r)}`.slice(0, 400));
console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
