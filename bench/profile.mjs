#!/usr/bin/env node
// Where the recorder's main-thread time goes: a DevTools CPU profile (Profiler domain, sampling
// every 100 µs) of the 10k-element snapshot and of the mutation storm, summarised as self time by
// category: js/reader.mjs, js/hooks.mjs, js/loader.js and wasm-bindgen glue (by function), wasm
// functions (by crate/module, bench/lib/wasm-groups.mjs), GC, browser-native functions, the
// page's own work. Uses the same pages, sink and start-up path as bench/run.mjs.
//
//   INSP_WASM_NAMES=1 INSP_MINIFY=0 INSP_DIST_DIR=/tmp/prof-cpu bash scripts/build-dist.sh
//   node bench/profile.mjs [--dist /tmp/prof-cpu] [--only static,storm] [--n 10000]
//                          [--rate 1000] [--storm-seconds 5] [--reps 2] [--recorder insp|rrweb|baseline]
//                          [--save DIR] [--top 25] [--json FILE]
//
// The build must keep names: INSP_WASM_NAMES=1 for the wasm functions, INSP_MINIFY=0 for the JS
// ones. A sampling profile slows the page a little and its shares are estimates (samples x
// interval); the absolute CPU figures belong to bench/run.mjs, this tool says where they go.
// --save DIR writes each .cpuprofile (loadable in DevTools' Performance panel). `(program)` is
// native browser work outside any script (style, layout, paint, task scheduling, the
// MutationObserver machinery): compare it with `--recorder baseline` on the same workload.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PageServer, Sink } from './lib/servers.mjs';
import { group as wasmGroup, strip } from './lib/wasm-groups.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const o = { dist: '/tmp/prof-cpu', only: ['static', 'storm'], n: 10000, rate: 1000, stormMs: 5000, reps: 2, recorder: 'insp', top: 25, save: null, json: null };
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const v = () => a[++i];
    if (a[i] === '--dist') o.dist = v();
    else if (a[i] === '--only') o.only = v().split(',');
    else if (a[i] === '--n') o.n = Number(v());
    else if (a[i] === '--rate') o.rate = Number(v());
    else if (a[i] === '--storm-seconds') o.stormMs = Number(v()) * 1000;
    else if (a[i] === '--reps') o.reps = Number(v());
    else if (a[i] === '--recorder') o.recorder = v();
    else if (a[i] === '--top') o.top = Number(v());
    else if (a[i] === '--save') o.save = v();
    else if (a[i] === '--json') o.json = v();
    else throw new Error(`unknown argument ${a[i]}`);
  }
}
const log = (...x) => console.error(`[profile ${new Date().toISOString().slice(11, 19)}]`, ...x);

const distDir = path.resolve(ROOT, o.dist);
const assets = {
  js: fs.readFileSync(path.join(distDir, 'inspectlet.js')),
  wasm: fs.readFileSync(path.join(distDir, 'insp.wasm')),
  info: { dir: distDir },
};

// Line ranges of the parts of an unminified dist/inspectlet.js (0-based, as the profiler gives).
const jsText = assets.js.toString('utf8').split('\n');
const lineOf = (re) => jsText.findIndex((l) => re.test(l));
// Each part: [source file, its first line in inspectlet.js, the same line's number in the source].
const partAt = (file, re) => {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const inSrc = src.findIndex((l) => re.test(l.replace(/^export /, '')));
  const inJs = jsText.findIndex((l) => re.test(l));
  return [file, inJs, inSrc + 1];
};
const parts = [
  partAt('js/reader.mjs', /^function createReader\b/),
  partAt('js/hooks.mjs', /^function createHooks\b/),
  (() => {
    const first = fs.readFileSync(path.join(ROOT, 'js/loader.js'), 'utf8').split('\n').findIndex((l) => l.trim());
    const line = fs.readFileSync(path.join(ROOT, 'js/loader.js'), 'utf8').split('\n')[first];
    return ['js/loader.js', jsText.findIndex((l) => l === line), first + 1];
  })(),
].filter(([, l]) => l >= 0).sort((a, b) => a[1] - b[1]);
if (jsText.length < 50) log('warning: inspectlet.js looks minified (build with INSP_MINIFY=0 for function names)');

/** [part, line within that source file (1-based)] of a 0-based line of inspectlet.js. */
function jsPart(line) {
  let part = ['wasm-bindgen glue (of the build)', 0, 1];
  for (const p of parts) if (line >= p[1]) part = p;
  return [part[0], part[2] + line - part[1]];
}

function categorize(cf, variant) {
  const fn = cf.functionName || '(anonymous)';
  if (fn === '(idle)') return ['(idle)', fn];
  if (fn === '(program)') return ['(program: browser work outside JS)', fn];
  if (fn === '(garbage collector)') return ['GC', fn];
  if (fn === '(root)') return ['(root)', fn];
  const url = cf.url || '';
  if (url.startsWith('wasm://') || /\.wasm(\?|$)/.test(url)) return [`wasm: ${wasmGroup(fn)}`, strip(fn)];
  if (/\/inspectlet\.js/.test(url)) {
    const [part, line] = jsPart(cf.lineNumber);
    return [`js: ${part}`, `${fn} (${part}:${line})`];
  }
  if (/rrweb/.test(url)) return ['js: rrweb', `${fn} (rrweb:${cf.lineNumber + 1})`];
  if (/harness\.js/.test(url)) return ['page: harness (workload, rrweb driver)', `${fn} (harness.js:${cf.lineNumber + 1})`];
  if (url) return ['page: other scripts', `${fn} (${url.replace(/^https?:\/\/[^/]+/, '')}:${cf.lineNumber + 1})`];
  return ['native (DOM API, builtins)', fn];
}

/** Self time per category and per function, in ms. */
function summarise(profile, variant) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + dt);
  }
  // A native node takes the category of the nearest JS/wasm caller's side when it has one:
  // the DOM calls the reader makes are the reader's cost, those of the page script the page's.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const cats = new Map();
  const fns = new Map();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    let [cat, name] = categorize(n.callFrame, variant);
    if (cat === 'native (DOM API, builtins)') {
      let p = parent.get(id);
      while (p != null) {
        const [pc] = categorize(byId.get(p).callFrame, variant);
        if (pc !== 'native (DOM API, builtins)' && pc !== '(root)') {
          cat = `native, called from ${pc.replace(/^(js|wasm|page): /, '')}`;
          break;
        }
        p = parent.get(p);
      }
    }
    cats.set(cat, (cats.get(cat) || 0) + ms);
    const k = `${cat}\u0000${name}`;
    fns.set(k, (fns.get(k) || 0) + ms);
  }
  return { cats, fns, totalMs: (profile.endTime - profile.startTime) / 1000 };
}

const isRecorder = (cat) =>
  cat.startsWith('js: ') && cat !== 'js: rrweb' ? true : cat.startsWith('wasm: ') || cat === 'js: rrweb' || /called from (reader|hooks|loader|glue|wasm-bindgen|insp_agent|rrweb|core|alloc|exports)/.test(cat);

function merge(sums) {
  const cats = new Map();
  const fns = new Map();
  for (const s of sums) {
    for (const [k, v] of s.cats) cats.set(k, (cats.get(k) || 0) + v / sums.length);
    for (const [k, v] of s.fns) fns.set(k, (fns.get(k) || 0) + v / sums.length);
  }
  return { cats, fns, totalMs: sums.reduce((a, s) => a + s.totalMs, 0) / sums.length };
}

function print(title, s) {
  const rows = [...s.cats].sort((a, b) => b[1] - a[1]);
  const rec = rows.filter(([c]) => isRecorder(c)).reduce((a, [, v]) => a + v, 0);
  const busy = rows.filter(([c]) => c !== '(idle)' && c !== '(root)').reduce((a, [, v]) => a + v, 0);
  console.log(`\n## ${title}\n`);
  console.log(`profiled window ${s.totalMs.toFixed(0)} ms; busy (not idle) ${busy.toFixed(1)} ms; recorder code and the native calls it makes ${rec.toFixed(1)} ms; mean of ${o.reps} profile(s)\n`);
  console.log('| category (self time) | ms | % of busy |\n|---|---:|---:|');
  for (const [c, v] of rows) if (c !== '(idle)' && c !== '(root)' && v >= 0.05) console.log(`| ${c} | ${v.toFixed(1)} | ${((100 * v) / busy).toFixed(1)}% |`);
  console.log(`\ntop ${o.top} functions by self time:\n\n| ms | category | function |\n|---:|---|---|`);
  for (const [k, v] of [...s.fns].sort((a, b) => b[1] - a[1]).filter(([k]) => !/^\((idle|root)\)/.test(k)).slice(0, o.top)) {
    const [c, n] = k.split('\u0000');
    console.log(`| ${v.toFixed(1)} | ${c} | \`${n.slice(0, 110).replace(/\|/g, '\\|')}\` |`);
  }
}

async function withPage(browser, fn) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  const sink = await new Sink(assets).start();
  try {
    return await fn({ page, cdp, sink });
  } finally {
    await ctx.close().catch(() => {});
    await sink.stop();
  }
}

async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await sleep(800);
}

async function start(page, sink, base) {
  if (o.recorder === 'baseline') return;
  if (o.recorder === 'insp') await page.evaluate((s) => window.__bench.startInsp(s), sink.base);
  else await page.evaluate(([s, b]) => window.__bench.startRrweb(s, b), [sink.base, `${base}/rrweb.js`]);
}

async function profiled(cdp, fn) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await fn();
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  return profile;
}

function save(name, profile) {
  if (!o.save) return;
  fs.mkdirSync(o.save, { recursive: true });
  fs.writeFileSync(path.join(o.save, name), JSON.stringify(profile));
}

async function main() {
  const pages = await new PageServer(ROOT).start();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = {};
  try {
    await withPage(browser, async ({ page }) => page.goto(`${pages.base}/static?n=1000`, { waitUntil: 'load' }));
    if (o.only.includes('static')) {
      const sums = [];
      for (let rep = 0; rep < o.reps; rep++) {
        log(`static ${o.n}, ${o.recorder}, rep ${rep}`);
        await withPage(browser, async ({ page, cdp, sink }) => {
          await page.goto(`${pages.base}/static?n=${o.n}`, { waitUntil: 'load', timeout: 120_000 });
          await settle(page);
          const profile = await profiled(cdp, async () => {
            await start(page, sink, pages.base);
            if (o.recorder === 'baseline') return sleep(1000);
            const deadline = Date.now() + 9000 + o.n / 10;
            while (!sink.snapshotRequest() && Date.now() < deadline) await sleep(50);
            await sleep(200);
          });
          if (o.recorder !== 'baseline' && !sink.snapshotRequest()) log('warning: no snapshot reached the sink');
          save(`static-${o.n}-${o.recorder}-${rep}.cpuprofile`, profile);
          sums.push(summarise(profile, o.recorder));
        });
      }
      out.static = merge(sums);
      print(`${o.recorder}: ${o.n}-element page, script insert to snapshot at the sink + 200 ms`, out.static);
    }
    if (o.only.includes('storm')) {
      const sums = [];
      for (let rep = 0; rep < o.reps; rep++) {
        log(`storm ${o.rate}/s × ${o.stormMs / 1000} s, ${o.recorder}, rep ${rep}`);
        await withPage(browser, async ({ page, cdp, sink }) => {
          await page.goto(`${pages.base}/storm`, { waitUntil: 'load', timeout: 120_000 });
          await settle(page);
          await start(page, sink, pages.base);
          for (let t = Date.now(); Date.now() - t < 15000; ) {
            const s = await page.evaluate(() => window.__bench.state());
            if ((o.recorder === 'insp' && s.insp === 'running') || (o.recorder === 'rrweb' && s.rrweb) || o.recorder === 'baseline') break;
            await sleep(50);
          }
          await sleep(1500);
          await page.evaluate(() => window.__bench.flush());
          await sleep(1500);
          const profile = await profiled(cdp, async () => {
            await page.evaluate(([rt, ms, seed]) => window.__bench.storm(rt, ms, seed), [o.rate, o.stormMs, 1000 + rep]);
            await sleep(500);
          });
          save(`storm-${o.rate}-${o.recorder}-${rep}.cpuprofile`, profile);
          sums.push(summarise(profile, o.recorder));
        });
      }
      out.storm = merge(sums);
      print(`${o.recorder}: mutation storm ${o.rate}/s for ${o.stormMs / 1000} s (+500 ms)`, out.storm);
    }
  } finally {
    await browser.close().catch(() => {});
    await pages.stop();
  }
  if (o.json) {
    const j = {};
    for (const [k, s] of Object.entries(out)) j[k] = { totalMs: s.totalMs, categories: Object.fromEntries(s.cats), top: [...s.fns].sort((a, b) => b[1] - a[1]).slice(0, 60) };
    fs.writeFileSync(o.json, JSON.stringify({ options: o, ...j }, null, 2));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
