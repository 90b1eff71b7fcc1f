// Report: targets, Markdown tables (terminal + latest.md) and the SVG ratio chart (own code).

const BT = 'sorted-btree';
const M = 'maple-wasm';

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const ratioFmt = (r) => (r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const spread = (r) => `±${((100 * (r.max - r.min)) / 2 / r.opsPerSec).toFixed(0)}%`;

function block(report, mode, N) {
  const bs = report.sizes.filter((b) => b.mode === mode);
  if (N !== undefined) return bs.find((b) => b.N === N);
  return bs.sort((a, b) => b.N - a.N)[0]; // largest N measured
}

function ratioOf(b, wid, peer) {
  const w = b?.workloads.find((x) => x.id === wid);
  if (!w) return undefined;
  const names = Object.keys(w.results);
  const m = w.results[names[0]];
  const p = w.results[peer];
  if (!m || !p || m.skipped || p.skipped) return undefined;
  return m.opsPerSec / p.opsPerSec;
}

function status(ok, N) {
  const s = ok ? 'met' : 'MISSED';
  return N === 1_000_000 ? s : `${s} (provisional: N=${N.toLocaleString('en')}; the target is for N=1,000,000, run --full)`;
}

const ratioTarget = (wid, min, mode = 'number') => ({
  label: `${wid} vs sorted-btree${mode === 'object' ? ' (object entries)' : ''}`, target: `>= ${min}×`,
  evaluate(report) {
    const b = block(report, mode);
    const r = ratioOf(b, wid, mode === 'number' ? BT : `${BT} (object)`);
    if (r === undefined) return { label: this.label, target: this.target, measured: 'n/a', status: 'not measured' };
    return { label: this.label, target: this.target, N: b.N, value: r, measured: ratioFmt(r), status: status(r >= min, b.N) };
  },
});

export const TARGETS = [
  ratioTarget('W1', 3), ratioTarget('W2', 3), ratioTarget('W3', 4.5), ratioTarget('W4', 1.2),
  ratioTarget('W5', 5), ratioTarget('W6', 2), ratioTarget('W7', 3.5), ratioTarget('W8', 4),
  {
    label: 'memory, maple-wasm bytes/range (nodes × 256 / N)', target: '<= 36 B',
    evaluate(report) {
      const b = block(report, 'number');
      const r = b?.memory?.[M];
      if (!r) return { label: this.label, target: this.target, measured: 'n/a', status: 'not measured' };
      return { label: this.label, target: this.target, N: b.N, value: r.nodeBytesPerRange,
        measured: `${r.nodeBytesPerRange.toFixed(1)} B (pages: ${r.pageBytesPerRange.toFixed(1)} B)`,
        status: status(r.nodeBytesPerRange <= 36, b.N) };
    },
  },
  ratioTarget('W3', 3, 'object'),
  // Reads at memory speed (W3b, W4c) and the advanced API at the normal API's speed
  {
    label: 'W3b (loadMany) vs W3 (load), maple-wasm', target: '>= 4×',
    evaluate(report) {
      const b = block(report, 'number');
      const many = rateOf(b, 'W3b');
      const one = rateOf(b, 'W3');
      return ratioResult(this, b, many && one ? many / one : undefined, (r) => r >= 4);
    },
  },
  {
    label: "W4c (cursor) vs sorted-btree's W4", target: '>= 2×',
    evaluate(report) {
      const b = block(report, 'number');
      const cursor = rateOf(b, 'W4c');
      const peer = b?.workloads.find((x) => x.id === 'W4')?.results[BT];
      return ratioResult(this, b, cursor && peer && !peer.skipped ? cursor / peer.opsPerSec : undefined, (r) => r >= 2);
    },
  },
  microTarget('MaState.store vs mt.storeRange (ns/op)', 'mas.setRange(a, b); mas.store(e)'),
  microTarget('preallocate + storePrealloc vs mt.storeRange (ns/op)', 'mas.setRange; preallocate(e); storePrealloc(e)'),
];

/** maple-wasm's ops/s on a workload of a block (the first implementation of its cell). */
function rateOf(b, wid) {
  const w = b?.workloads.find((x) => x.id === wid);
  const m = w && Object.values(w.results)[0];
  return m && !m.skipped ? m.opsPerSec : undefined;
}

function ratioResult(t, b, r, ok) {
  if (r === undefined) return { label: t.label, target: t.target, measured: 'n/a', status: 'not measured' };
  return { label: t.label, target: t.target, N: b.N, value: r, measured: ratioFmt(r), status: status(ok(r), b.N) };
}

/** A 'store vs prealloc' micro row's median ns/op over mt.storeRange's, at most 1.2. */
function microTarget(label, row) {
  return {
    label, target: '<= 1.2×',
    evaluate(report) {
      const group = (report.micro ?? []).filter((r) => r.group === 'store vs prealloc');
      const base = group.find((r) => r.label === 'mt.storeRange(a, b, e)');
      const it = group.find((r) => r.label === row);
      if (!base || !it) return { label: this.label, target: this.target, measured: 'n/a', status: 'not measured' };
      const r = it.median / base.median;
      return { label: this.label, target: this.target, value: r, measured: `${ratioFmt(r)} (${it.median.toFixed(0)} / ${base.median.toFixed(0)} ns)`,
        status: r <= 1.2 ? 'met' : 'MISSED' };
    },
  };
}

/** Ratio targets by workload id (for the chart). */
const TARGET_RATIO = { W1: 3, W2: 3, W3: 4.5, W4: 1.2, W5: 5, W6: 2, W7: 3.5, W8: 4 };

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

export function renderMarkdown(report) {
  const { meta } = report;
  const L = [];
  L.push(`# maple-wasm benchmark (${meta.mode} run)`);
  L.push('');
  L.push(`${meta.date} · node ${meta.node} · ${meta.platform} · ${meta.cpus} cpus (${meta.cpu}) · ` +
    `${meta.samples} samples per cell (median; spread = ±half of min–max range) · ${meta.seconds?.toFixed(0)} s` +
    (meta.v8Flags?.length ? ` · node flags ${meta.v8Flags.join(' ')}` : ''));
  const bi = meta.build ?? {};
  L.push('');
  L.push(`maple-wasm measured: dist/index.js sha256 ${bi.dist} (built ${bi.distBuilt}), commit ${bi.commit ?? '?'}` +
    (bi.uncommitted?.length ? ` + uncommitted changes in ${bi.uncommitted.join(', ')}` : ''));
  L.push('');
  L.push('Ops/s are medians; `maple/X` is maple-wasm ops/s ÷ X ops/s from the same run (above 1: maple-wasm faster). ' +
    'Workloads as bench/README.md describes them (ranges [16i, 16i+9], mulberry32 seed 1). Each cell was checked for identical ' +
    'checksums across all implementations before timing.');
  for (const b of report.sizes) {
    L.push('');
    L.push(`## N = ${b.N.toLocaleString('en')}, ${b.mode === 'number' ? 'numeric' : 'object'} entries`);
    L.push('');
    const [main, ...peers] = b.implementations;
    const header = ['Workload', 'ops', `${main} ops/s`];
    for (const p of peers) header.push(`${p} ops/s`, `maple/${p.replace(' (object)', '')}`);
    header.push('checksum');
    const rows = b.workloads.map((w) => {
      const m = w.results[main];
      const row = [`${w.id} ${w.name}`, fmt(w.ops), m?.skipped ? 'n/a' : `${fmt(m.opsPerSec)} ${spread(m)}`];
      for (const p of peers) {
        const r = w.results[p];
        if (!r) row.push('', '');
        else if (r.skipped) row.push(`n/a (${r.note})`, '—');
        else row.push(`${fmt(r.opsPerSec)} ${spread(r)}${r.samples < meta.samples ? ` (n=${r.samples})` : ''}`,
          m && !m.skipped ? ratioFmt(m.opsPerSec / r.opsPerSec) : '—');
      }
      row.push(`\`${w.checksum}\``);
      return row;
    });
    L.push(table(header, rows));
    if (b.memory) {
      L.push('');
      L.push(`Memory after the W1 build (N = ${b.N.toLocaleString('en')}):`);
      L.push('');
      const mrows = Object.entries(b.memory).map(([name, r]) => r.nodes !== undefined
        ? [name, `${r.nodeBytesPerRange.toFixed(1)}`, `nodes × 256 / N (${r.nodes} nodes, height ${r.height}); pages × 4096 / N = ${r.pageBytesPerRange.toFixed(1)}; JS heap +${r.heapBytesPerRange.toFixed(1)}`]
        : [name, `${r.heapBytesPerRange.toFixed(1)}`, 'JS heap delta (heapUsed after gc)']);
      L.push(table(['Implementation', 'bytes/range', 'how'], mrows));
    }
  }
  L.push('');
  L.push('## Targets (N = 1,000,000, numeric entries, vs sorted-btree)');
  L.push('');
  L.push(table(['Target', 'wanted', 'measured', 'status'],
    report.targets.map((t) => [t.label, t.target, t.N ? `${t.measured} (N=${t.N.toLocaleString('en')})` : t.measured, t.status])));
  if (report.micro?.length) {
    L.push('');
    L.push('## maple-wasm write costs (microbenchmarks, numeric entries unless stated)');
    L.push('');
    L.push('Own harness, each group in a process of its own: fresh tree per sample (untimed), one timed batch, warm-up samples dropped; ns/op median (min–max). ' +
      '"paths" is the store type each timed op took, checked with the pool fault controls on a replica ' +
      '("in place" = needed no node: exact fit, append, slot store, node store or a split pushed into a sibling).');
    L.push('');
    L.push(table(['group', 'operation', 'ops/batch', 'ns/op', 'min–max', 'paths'],
      report.micro.map((r) => [r.group, r.label + (r.perRange !== undefined ? ` (${r.perRange.toFixed(1)} ns/range)` : ''),
        r.ops, r.median.toFixed(0), `${r.min.toFixed(0)}–${r.max.toFixed(0)}`, r.paths ?? ''])));
  }
  const notes = new Map();
  for (const b of report.sizes) for (const w of b.workloads) for (const [n, r] of Object.entries(w.results)) if (r.note) notes.set(`${n}, ${w.id}`, r.note);
  if (report.bundle) {
    L.push('');
    L.push('## Size of a one-line app');
    L.push('');
    L.push('Make a structure and store one range; bundled and minified with esbuild, then gzipped (level 9); ' +
      '`node bench/lib/size.mjs` prints the same.');
    L.push('');
    L.push('| library | minified | gzipped |');
    L.push('|---|---|---|');
    for (const [name, s] of Object.entries(report.bundle)) {
      L.push(`| ${name} | ${(s.minified / 1000).toFixed(1)} kB | ${(s.gzipped / 1000).toFixed(1)} kB |`);
    }
  }
  if (notes.size) {
    L.push('');
    L.push('## Notes on peers');
    L.push('');
    for (const [k, v] of notes) L.push(`- ${k}: ${v}`);
  }
  L.push('');
  return L.join('\n');
}

// ───────────────────────────── SVG chart ─────────────────────────────

const COLORS = { 'sorted-btree': '#3b6fb6', 'sorted array': '#e0a030', 'interval-tree': '#4aa36b', 'sorted-btree (object)': '#8a5cb8' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderSvg(report) {
  const panels = report.sizes.filter((b) => b.mode === 'number');
  const groups = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8', 'W3obj'];
  const series = ['sorted-btree', 'sorted array', 'interval-tree'];
  const W = 980, PH = 280, top = 70, left = 70, right = 20, plotH = 190;
  const H = top + panels.length * PH + 30;
  const lo = Math.log10(0.1), hi = Math.log10(100);
  const y = (r) => { const v = Math.min(Math.max(Math.log10(r), lo), hi); return plotH - ((v - lo) / (hi - lo)) * plotH; };
  const groupW = (W - left - right) / groups.length;
  const barW = Math.min(22, (groupW - 16) / series.length);
  const s = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  s.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  s.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">maple-wasm speed ÷ peer speed (same run, medians; log scale; above 1 = maple-wasm faster)</text>`);
  // legend
  let lx = left;
  for (const name of [...series, 'sorted-btree (object)']) {
    s.push(`<rect x="${lx}" y="36" width="12" height="12" fill="${COLORS[name]}"/><text x="${lx + 16}" y="46">${esc(name === 'sorted-btree (object)' ? 'vs sorted-btree, object entries (W3obj)' : 'vs ' + name)}</text>`);
    lx += name === 'sorted-btree (object)' ? 250 : 140;
  }
  s.push(`<line x1="${lx}" y1="42" x2="${lx + 18}" y2="42" stroke="black" stroke-width="2" stroke-dasharray="4 2"/><text x="${lx + 22}" y="46">target vs sorted-btree (N=1M)</text>`);
  panels.forEach((b, pi) => {
    const oy = top + pi * PH + 20;
    const obj = report.sizes.find((x) => x.mode === 'object' && x.N === b.N);
    s.push(`<text x="${left}" y="${oy - 6}" font-size="13" font-weight="bold">N = ${b.N.toLocaleString('en')}</text>`);
    for (const t of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]) {
      const yy = oy + y(t);
      s.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
      s.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end" fill="#444">${t}×</text>`);
    }
    groups.forEach((g, gi) => {
      const gx = left + gi * groupW + 8;
      const bars = g === 'W3obj' ? [['sorted-btree (object)', ratioOf(obj, 'W3', 'sorted-btree (object)')]]
        : series.map((p) => [p, ratioOf(b, g, p)]);
      bars.forEach(([p, r], k) => {
        const bx = gx + k * barW + (g === 'W3obj' ? barW : 0);
        if (r === undefined) {
          s.push(`<text x="${bx + barW / 2}" y="${oy + y(1) - 4}" text-anchor="middle" fill="#999" font-size="9">n/a</text>`);
          return;
        }
        const y1 = oy + y(1), y2 = oy + y(r);
        s.push(`<rect x="${bx}" y="${Math.min(y1, y2)}" width="${barW - 2}" height="${Math.max(1, Math.abs(y2 - y1))}" fill="${COLORS[p]}"><title>${esc(`${g} N=${b.N} maple/${p}: ${r.toFixed(2)}×`)}</title></rect>`);
        s.push(`<text x="${bx + barW / 2 - 1}" y="${r >= 1 ? y2 - 3 : y2 + 10}" text-anchor="middle" font-size="9">${r >= 10 ? r.toFixed(0) : r.toFixed(1)}</text>`);
      });
      const tr = g === 'W3obj' ? 3 : TARGET_RATIO[g];
      if (tr) {
        const bx = gx + (g === 'W3obj' ? barW : 0);
        s.push(`<line x1="${bx - 3}" y1="${oy + y(tr)}" x2="${bx + barW + 1}" y2="${oy + y(tr)}" stroke="black" stroke-width="2" stroke-dasharray="4 2"/>`);
      }
      s.push(`<text x="${gx + (series.length * barW) / 2}" y="${oy + plotH + 16}" text-anchor="middle" font-weight="bold">${g === 'W3obj' ? 'W3 obj' : g}</text>`);
      const wl = b.workloads.find((w) => w.id === g);
      s.push(`<text x="${gx + (series.length * barW) / 2}" y="${oy + plotH + 29}" text-anchor="middle" fill="#555" font-size="9">${esc(g === 'W3obj' ? 'load, objects' : wl?.name ?? '')}</text>`);
    });
  });
  s.push('</svg>');
  return s.join('\n');
}
