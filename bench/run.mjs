#!/usr/bin/env node
// insp vs rrweb benchmark: both recorders and a no-recorder baseline in the same headless
// Chromium run, on the same pages, in alternating order. See bench/README.md for the method.
//
//   node bench/run.mjs [--quick] [--out FILE.json] [--reps N] [--print]
//                      [--only startup,static,storm,visit] [--sizes 1000,10000,100000]
//                      [--rates 100,1000,10000] [--storm-seconds S] [--visit-seconds S]
//                      [--visit-reps N] [--verbose]
//
// Environment: CHROMIUM (default /usr/bin/chromium), INSP_DIST (default dist/).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { rng } from './lib/pages.mjs';
import { markdown } from './lib/report.mjs';
import { PageServer, Sink, rrwebFiles } from './lib/servers.mjs';
import { median, ratios, round, summary } from './lib/stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- options ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { quick: false, out: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = val();
    else if (a === '--reps') o.reps = Number(val());
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--sizes') o.sizes = val().split(',').map(Number);
    else if (a === '--rates') o.rates = val().split(',').map(Number);
    else if (a === '--storm-seconds') o.stormMs = Number(val()) * 1000;
    else if (a === '--visit-seconds') o.visitMs = Number(val()) * 1000;
    else if (a === '--visit-reps') o.visitReps = Number(val());
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--print') o.print = true;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 10).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const d = o.quick
    ? { reps: 2, sizes: [1000, 10000], rates: [100, 1000], stormMs: 3000, visitMs: 10000, visitReps: 1 }
    : { reps: 3, sizes: [1000, 10000, 100000], rates: [100, 1000, 10000], stormMs: 10000, visitMs: 60000, visitReps: 1 };
  for (const k of Object.keys(d)) if (o[k] == null) o[k] = d[k];
  // A quick run never overwrites the committed full results.
  if (o.out == null) o.out = o.quick ? 'bench/results/quick.json' : 'bench/results/latest.json';
  o.only = o.only || ['startup', 'static', 'storm', 'visit'];
  const bad = o.only.filter((x) => !['startup', 'static', 'storm', 'visit'].includes(x));
  if (bad.length) throw new Error(`--only: unknown section ${bad.join(', ')} (startup, static, storm, visit)`);
  for (const k of ['reps', 'stormMs', 'visitMs', 'visitReps']) if (!(o[k] > 0)) throw new Error(`bad value for ${k}`);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const vlog = (...a) => opts.verbose && log(...a);

// ---- environment -----------------------------------------------------------------------------

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function machine() {
  let cpu = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    cpu = os.cpus()[0]?.model || 'unknown';
  }
  let nproc = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  return {
    cpu,
    cores: nproc,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function compressed(buf) {
  return {
    raw: buf.length,
    gzip9: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}
const addSizes = (a, b) => ({ raw: a.raw + b.raw, gzip9: a.gzip9 + b.gzip9, brotli: a.brotli + b.brotli });

function inspAssets() {
  const dir = path.resolve(ROOT, process.env.INSP_DIST || 'dist');
  const js = path.join(dir, 'inspectlet.js');
  const wasm = path.join(dir, 'insp.wasm');
  if (!fs.existsSync(js) || !fs.existsSync(wasm)) return null;
  return {
    js: fs.readFileSync(js),
    wasm: fs.readFileSync(wasm),
    info: {
      dir: path.relative(ROOT, dir) || '.',
      builtAt: fs.statSync(wasm).mtime.toISOString(),
      git: git(['describe', '--always', '--dirty']),
    },
  };
}

// ---- browser helpers -------------------------------------------------------------------------

let browser;
let pages;
let assets;
const notes = [];
let currentCase = '';
const note = (text) => {
  const s = currentCase ? `[${currentCase}] ${text}` : text;
  if (!notes.includes(s)) {
    notes.push(s);
    log('note:', s);
  }
};

async function withPage(fn) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const consoleLines = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') consoleLines.push(`${m.type()}: ${m.text()}`.slice(0, 300));
  });
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`.slice(0, 300)));
  const sink = await new Sink(assets).start();
  try {
    return await fn({ page, cdp, sink, consoleLines });
  } finally {
    await ctx.close().catch(() => {});
    await sink.stop();
  }
}

async function metrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const o = {};
  for (const m of metrics) o[m.name] = m.value;
  return o;
}

/**
 * Memory of the page: V8 heap used, ArrayBuffer backing stores, and WebAssembly memories (which
 * DevTools counts in neither; harness.js notes each memory an instantiation exports).
 */
async function heapNow(cdp, page) {
  const h = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => window.__bench.wasmBytes()).catch(() => 0);
  return { usedSize: h.usedSize, backingStorageSize: h.backingStorageSize ?? 0, wasmBytes: wasm, all: h.usedSize + (h.backingStorageSize ?? 0) + wasm };
}

/** heapNow after a full garbage collection. */
async function heapAfterGc(cdp, page) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  return heapNow(cdp, page);
}

/** Main-thread figures between two Performance.getMetrics samples, in ms. */
function cpuDelta(m0, m1) {
  const d = (k) => ((m1[k] ?? 0) - (m0[k] ?? 0)) * 1000;
  return {
    taskMs: d('TaskDuration'),
    scriptMs: d('ScriptDuration'),
    threadMs: d('ThreadTime'),
    layoutStyleMs: d('LayoutDuration') + d('RecalcStyleDuration'),
  };
}

/** Waits until the page's main thread is idle: TaskDuration grows < 5 ms over 300 ms. */
async function settle(cdp, maxMs = 8000) {
  const t0 = Date.now();
  let last = (await metrics(cdp)).TaskDuration;
  for (;;) {
    await sleep(300);
    const now = (await metrics(cdp)).TaskDuration;
    if ((now - last) * 1000 < 5 || Date.now() - t0 > maxMs) return;
    last = now;
  }
}

async function load(page, cdp, url) {
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await settle(cdp);
}

async function startRecorder(page, variant, sink) {
  if (variant === 'insp') await page.evaluate((s) => window.__bench.startInsp(s), sink.base);
  else if (variant === 'rrweb') await page.evaluate(([s, b]) => window.__bench.startRrweb(s, b), [sink.base, `${pages.base}/rrweb.js`]);
  else await page.evaluate(() => {
    window.__bench.t0 = performance.now();
    window.__bench.t0Epoch = performance.timeOrigin + window.__bench.t0;
  });
  return page.evaluate(() => window.__bench.t0Epoch);
}

/** Waits until the recorder is running (insp: __inspAgent.state, rrweb: record() returned). */
async function waitRunning(page, variant, timeoutMs = 15000) {
  if (variant === 'baseline') return true;
  const t0 = Date.now();
  for (;;) {
    const s = await page.evaluate(() => window.__bench.state());
    if (variant === 'insp' && s.insp === 'running') return true;
    if (variant === 'insp' && s.insp === 'disabled') return false;
    if (variant === 'rrweb' && s.rrweb) return true;
    if (Date.now() - t0 > timeoutMs) return false;
    await sleep(50);
  }
}

/** Waits until the sink has had no request for `quietMs` (at most `maxMs`). */
async function sinkQuiet(sink, quietMs = 800, maxMs = 6000) {
  const t0 = Date.now();
  for (;;) {
    const last = Math.max(t0, sink.requests.length ? sink.requests[sink.requests.length - 1].tEnd : 0);
    if (Date.now() - last >= quietMs || Date.now() - t0 > maxMs) return;
    await sleep(100);
  }
}

function refusedSends(state, variant) {
  const bad = state.sends.filter((s) => typeof s.status === 'string');
  if (bad.length) {
    note(
      `${variant}: ${bad.length} of ${state.sends.length} requests to the collector failed in the browser ` +
        `(${bad.map((b) => `${b.size} B${b.keepalive ? ' keepalive' : ''}: ${b.status}`).slice(0, 3).join('; ')})`,
    );
  }
  return bad.length;
}

function consoleNotes(variant, lines) {
  for (const l of lines.slice(0, 5)) note(`${variant} console: ${l}`);
}

/** After a measurement: failed sends, console lines, the agent's own Note events, decode issues. */
function afterRun(variant, sink, st, consoleLines, { decode = true } = {}) {
  if (variant === 'baseline') return;
  refusedSends(st, variant);
  consoleNotes(variant, consoleLines);
  if (variant !== 'insp' || !decode) return;
  for (const q of sink.requests) {
    const d = sink.decode(q, { full: true });
    if (d.partial) note(`insp decode: ${d.partial}`);
    for (const e of d.events) if (e.kind === 'Note') note(`insp agent note: ${String(e.text).slice(0, 200)}`);
  }
}

// ---- the order of variants -------------------------------------------------------------------

const RECORDERS = ['insp', 'rrweb'];
/** baseline, insp, rrweb, baseline, rrweb, insp, ... */
function order(rep) {
  return rep % 2 ? ['baseline', 'rrweb', 'insp'] : ['baseline', 'insp', 'rrweb'];
}

// ---- 1 + 5: big static page and floor ---------------------------------------------------------

async function staticRun(variant, n) {
  return withPage(async ({ page, cdp, sink, consoleLines }) => {
    await load(page, cdp, `${pages.base}/static?n=${n}`);
    const h0 = await heapAfterGc(cdp, page);
    const m0 = await metrics(cdp);
    const t0 = await startRecorder(page, variant, sink);
    let snapReq = null;
    let running = true;
    let refused = false;
    if (variant === 'baseline') {
      await sleep(2000);
    } else {
      // insp sends a batch at the latest 5 s after its first event; big pages take longer.
      const deadline = Date.now() + 9000 + n / 10;
      for (let k = 0; ; k++) {
        snapReq = sink.snapshotRequest();
        if (snapReq) break;
        if (Date.now() > deadline) break;
        if (k % 5 === 4) {
          // A request the browser refused ends the window too (its body is decoded below).
          const s = await page.evaluate(() => ({ insp: window.__bench.state().insp, failed: window.__bench.anyFailed() }));
          if (s.failed) {
            refused = true;
            break;
          }
          if (variant === 'insp' && s.insp === 'disabled') {
            running = false;
            break;
          }
        }
        await sleep(100);
      }
      await sleep(200);
    }
    const m1 = await metrics(cdp);
    const tEnd = Date.now();
    const h1 = await heapAfterGc(cdp, page);
    const st = await page.evaluate(() => window.__bench.state());
    const lt = await page.evaluate(() => window.__bench.longtasksSince(window.__bench.t0));
    const r = {
      variant,
      n,
      windowMs: tEnd - t0,
      ...cpuDelta(m0, m1),
      longtasks: lt.count,
      longtaskMaxMs: lt.max,
      heapDeltaBytes: h1.all - h0.all,
      wasmBytes: h1.wasmBytes,
    };
    if (variant === 'baseline') {
      r.floor = await page.evaluate(() => window.__bench.floorWalk());
      r.floorWarm = await page.evaluate(() => [1, 2, 3].map(() => window.__bench.floorWalk().ms));
      r.page = await page.evaluate(() => window.__bench.counts());
      return r;
    }
    afterRun(variant, sink, st, consoleLines);
    r.refused = st.sends.filter((x) => typeof x.status === 'string').length;
    r.sends = st.sends;
    const tot = sink.totals();
    r.bodyBytes = tot.bodyBytes;
    r.wireBytes = tot.wireBytes;
    r.requests = tot.requests;
    r.firstRequestMs = sink.requests.length ? sink.requests[0].tEnd - t0 : null;
    // Full decode, now that the measurement is over.
    const decoded = sink.requests.map((q) => sink.decode(q, { full: true }));
    const firstBatch = sink.requests.find((q, i) => decoded[i].body === 'events');
    r.firstBatchMs = firstBatch ? firstBatch.tEnd - t0 : null;
    if (!snapReq && refused) {
      // The snapshot may be in a request the browser refused: decode what was attempted.
      const bodies = await page.evaluate(() => window.__bench.failedBodies());
      for (const f of bodies) {
        const u = new URL(f.url);
        const body = Buffer.from(f.b64, 'base64');
        const q = { t: null, tEnd: null, rec: u.searchParams.get('rec') || 'insp', gzip: u.searchParams.get('enc') === 'gzip', bodyBytes: body.length, body, decoded: null };
        if (sink.decode(q, { full: true }).fullSnapshot) {
          snapReq = q;
          note(`${variant}: the full snapshot (${body.length} B request) was refused by the browser; its figures stop at the refused send`);
          break;
        }
      }
    }
    if (snapReq) {
      const d = sink.decode(snapReq, { full: true });
      r.snapshotDelivered = snapReq.t != null;
      r.snapshotSentMs = snapReq.tEnd != null ? snapReq.tEnd - t0 : null;
      r.snapshotBatchBytes = snapReq.bodyBytes;
      r.snapshotBatchRawBytes = d.rawBytes ?? null;
      r.snapshotNodes = d.fullSnapshot?.nodes ?? null;
      r.snapshotElements = d.fullSnapshot?.elements ?? null;
      r.snapshotReadyMs = variant === 'insp' ? d.fullSnapshot.t_ms - t0 : st.rrweb?.fullSnapshots[0]?.t ?? null;
      if (!r.snapshotDelivered) decoded.push(d);
    } else {
      // Without a snapshot the window has no defined end: keep the figures out of the tables.
      for (const k of ['taskMs', 'scriptMs', 'threadMs', 'layoutStyleMs', 'heapDeltaBytes']) {
        r[`${k}NoSnapshot`] = r[k];
        r[k] = null;
      }
      r.snapshotReadyMs = variant === 'rrweb' ? st.rrweb?.fullSnapshots[0]?.t ?? null : null;
      note(`${variant}: no full snapshot reached the collector within the time limit (static ${n}${running ? '' : '; agent disabled'})`);
    }
    if (variant === 'insp') {
      const start = decoded.flatMap((d) => d.events).find((e) => e.kind === 'Start');
      r.recorderStartMs = start ? start.t_ms - t0 : null;
    } else {
      r.recorderStartMs = st.rrweb ? st.rrweb.started : null;
    }
    return r;
  });
}

// ---- 2: mutation storm -----------------------------------------------------------------------

async function stormRun(variant, rate, rep) {
  return withPage(async ({ page, cdp, sink, consoleLines }) => {
    await load(page, cdp, `${pages.base}/storm`);
    await startRecorder(page, variant, sink);
    const running = await waitRunning(page, variant);
    if (!running) note(`${variant}: recorder not running on the storm page`);
    await sleep(500);
    await settle(cdp, 6000);
    // Send what the start produced (snapshot) so the storm's bytes are the storm's own.
    await page.evaluate(() => window.__bench.flush());
    await sinkQuiet(sink, 600, 8000);
    await settle(cdp, 3000);
    const before = sink.totals();
    const m0 = await metrics(cdp);
    const tStart = await page.evaluate(() => {
      window.__bench.rafStart();
      return performance.now();
    });
    const storm = await page.evaluate(([rt, ms, seed]) => window.__bench.storm(rt, ms, seed), [rate, opts.stormMs, 1000 + rep]);
    await sleep(500);
    const raf = await page.evaluate(() => window.__bench.rafStop());
    const m1 = await metrics(cdp);
    const lt = await page.evaluate((t) => window.__bench.longtasksSince(t), tStart);
    await page.evaluate(() => window.__bench.flush());
    await sinkQuiet(sink, 800, 8000);
    const after = sink.totals();
    const st = await page.evaluate(() => window.__bench.state());
    afterRun(variant, sink, st, consoleLines);
    const bytes = after.bodyBytes - before.bodyBytes;
    const s = storm.ms / 1000;
    // Count mutation events that reached the sink during the storm (sanity).
    let events = 0;
    for (const q of sink.requests.slice(before.requests)) {
      const d = sink.decode(q, {});
      events += (d.kinds?.Mutation || 0) + (d.kinds?.Incremental || 0);
    }
    return {
      variant,
      rate,
      ...cpuDelta(m0, m1),
      ops: storm.done,
      opsPerS: storm.done / s,
      stormMs: storm.ms,
      framesDropped: raf?.dropped ?? null,
      frames: raf?.frames ?? null,
      maxFrameGapMs: raf?.maxGapMs ?? null,
      longtasks: lt.count,
      longtaskMaxMs: lt.max,
      longtaskTotalMs: lt.total,
      bodyBytes: variant === 'baseline' ? null : bytes,
      bytesPerS: variant === 'baseline' ? null : bytes / s,
      requests: variant === 'baseline' ? null : after.requests - before.requests,
      events: variant === 'baseline' ? null : events,
      stormStartMs: round(tStart - (await page.evaluate(() => window.__bench.t0))),
      sends: variant === 'baseline' ? null : st.sends,
    };
  });
}

// ---- 3: typical visit ------------------------------------------------------------------------

function visitSchedule(ms, seed) {
  const r = rng(seed);
  const int = (a, b) => a + Math.floor(r() * (b - a + 1));
  const words = ['red shoes', 'hello there', 'order 4412', 'need help with delivery', 'Berlin', 'size 42 blue'];
  const routes = ['products', 'deals', 'blog', 'contact', 'home'];
  const out = [];
  let t = 800;
  let nav = 0;
  while (t < ms) {
    const x = r();
    let a;
    if (x < 0.5) {
      const pts = [];
      for (let i = 0, n = int(3, 6); i < n; i++) pts.push([int(20, 1260), int(20, 780)]);
      a = { type: 'move', pts };
    } else if (x < 0.7) a = { type: 'wheel', dy: (r() < 0.7 ? 1 : -1) * int(200, 900) };
    else if (x < 0.82) a = { type: 'type', sel: ['#search', '#f-name', '#f-email', '#chatbox', '#pw'][int(0, 4)], text: words[int(0, words.length - 1)] };
    else if (x < 0.9) a = { type: 'nav', route: routes[nav++ % routes.length] };
    else a = { type: 'click', pt: [int(40, 1200), int(80, 760)] };
    a.at = t;
    out.push(a);
    t += int(400, 1400);
  }
  return out;
}

async function act(page, a) {
  switch (a.type) {
    case 'move':
      for (const [x, y] of a.pts) await page.mouse.move(x, y, { steps: 8 });
      break;
    case 'wheel':
      await page.mouse.wheel(0, a.dy);
      break;
    case 'type':
      await page.click(a.sel, { timeout: 2000 });
      await page.keyboard.type(a.text, { delay: 35 });
      break;
    case 'nav':
      await page.click(`header a[data-route="${a.route}"]`, { timeout: 2000 });
      break;
    case 'click':
      await page.mouse.click(a.pt[0], a.pt[1]);
      break;
  }
}

async function visitRun(variant, rep) {
  return withPage(async ({ page, cdp, sink, consoleLines }) => {
    await load(page, cdp, `${pages.base}/visit`);
    const t0 = await startRecorder(page, variant, sink);
    if (!(await waitRunning(page, variant))) note(`${variant}: recorder not running on the visit page`);
    await sleep(500);
    const m0 = await metrics(cdp);
    const schedule = visitSchedule(opts.visitMs, 77 + rep);
    let peak = 0;
    let peakAll = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const h = await heapNow(cdp, page);
          peak = Math.max(peak, h.usedSize);
          peakAll = Math.max(peakAll, h.all);
        } catch {
          /* page closing */
        }
        await sleep(500);
      }
    })();
    const tv = Date.now();
    let failed = 0;
    for (const a of schedule) {
      const wait = tv + a.at - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        await act(page, a);
      } catch (e) {
        failed++;
        vlog(`visit action ${a.type} failed: ${e.message.split('\n')[0]}`);
      }
    }
    const rest = tv + opts.visitMs - Date.now();
    if (rest > 0) await sleep(rest);
    const m1 = await metrics(cdp);
    const tEnd = Date.now();
    sampling = false;
    await sampler;
    const retained = await heapAfterGc(cdp, page);
    await page.evaluate(() => window.__bench.flush());
    await sinkQuiet(sink, 800, 8000);
    const st = await page.evaluate(() => window.__bench.state());
    const lt = await page.evaluate(() => window.__bench.longtasksSince(window.__bench.t0));
    const tot = sink.totals();
    afterRun(variant, sink, st, consoleLines);
    if (failed) note(`visit: ${failed} of ${schedule.length} scripted actions failed (${variant})`);
    const minutes = (tEnd - t0) / 60000;
    const rec = variant !== 'baseline';
    return {
      variant,
      ...cpuDelta(m0, m1),
      actions: schedule.length,
      durationMs: tEnd - t0,
      bodyBytes: rec ? tot.bodyBytes : null,
      wireBytes: rec ? tot.wireBytes : null,
      bytesPerMin: rec ? tot.bodyBytes / minutes : null,
      wireBytesPerMin: rec ? tot.wireBytes / minutes : null,
      requests: rec ? tot.requests : null,
      requestsPerMin: rec ? tot.requests / minutes : null,
      peakHeapBytes: peak,
      peakHeapAllBytes: peakAll,
      retainedHeapAllBytes: retained.all,
      wasmBytes: retained.wasmBytes,
      longtasks: lt.count,
      sends: rec ? st.sends : null,
    };
  });
}

// ---- aggregation -----------------------------------------------------------------------------

/**
 * One table row: per-variant summaries of `get(run)` and the pairwise insp/rrweb ratio.
 * `overhead`: subtract the same round's baseline figure first (`sub(run, baselineRun)`).
 */
function row(label, unit, rounds, get, { baseline = true, sub = null, ratio = true, help = null } = {}) {
  const val = (v) =>
    rounds.map((rd) => {
      const run = rd[v];
      if (!run || run.error) return null;
      const x = sub ? sub(run, rd.baseline) : get(run);
      return typeof x === 'number' && Number.isFinite(x) ? x : null;
    });
  const out = { metric: label, unit, help };
  if (baseline) out.baseline = summary(val('baseline'));
  for (const v of RECORDERS) out[v] = summary(val(v));
  if (ratio) out.ratio = summary(ratios(val('insp'), val('rrweb')));
  return out;
}

/** TaskDuration-like figure minus the baseline's idle rate over the same window. */
const idleAdjusted = (k) => (run, base) =>
  run[k] != null && base && base[k] != null && base.windowMs ? run[k] - (base[k] / base.windowMs) * run.windowMs : null;
const minusBase = (k) => (run, base) => (base && base[k] != null && run[k] != null ? run[k] - base[k] : null);

async function rounds(label, reps, fn) {
  const out = [];
  for (let rep = 0; rep < reps; rep++) {
    const rd = {};
    for (const v of order(rep)) {
      if (v === 'insp' && !assets) {
        rd[v] = null;
        continue;
      }
      const t = Date.now();
      currentCase = `${label} rep ${rep}`;
      try {
        rd[v] = await fn(v, rep);
      } catch (e) {
        note(`${v} failed: ${e.message.split('\n')[0]}`);
        rd[v] = { error: e.message };
      }
      vlog(`${label} rep ${rep} ${v}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    out.push(rd);
  }
  currentCase = '';
  return out;
}

// ---- main ------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const command = ['node', 'bench/run.mjs', ...process.argv.slice(2)].join(' ');
  assets = inspAssets();
  if (!assets) note('insp: dist/inspectlet.js or dist/insp.wasm missing (bash scripts/build-dist.sh); insp columns are n/a');
  const rr = rrwebFiles(ROOT);
  const rrVersion = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;

  const result = {
    command,
    date: new Date().toISOString(),
    machine: machine(),
    options: { quick: opts.quick, reps: opts.reps, sizes: opts.sizes, rates: opts.rates, stormMs: opts.stormMs, visitMs: opts.visitMs, visitReps: opts.visitReps, only: opts.only },
    versions: {
      insp: assets ? assets.info : null,
      rrweb: { '@rrweb/record': rrVersion('@rrweb/record'), '@rrweb/packer': rrVersion('@rrweb/packer') },
      playwrightCore: rrVersion('playwright-core'),
    },
    sections: {},
    notes,
  };

  // 4 (sizes): what a visitor downloads before anything is recorded.
  if (opts.only.includes('startup')) {
    const sizes = {};
    if (assets) {
      sizes['insp loader (inspectlet.js)'] = compressed(assets.js);
      sizes['insp agent (insp.wasm)'] = compressed(assets.wasm);
      sizes['insp total'] = addSizes(sizes['insp loader (inspectlet.js)'], sizes['insp agent (insp.wasm)']);
    }
    sizes[`rrweb record (${rr.record.path})`] = compressed(Buffer.from(rr.record.text));
    sizes['rrweb packer (@rrweb/packer pack, browser bundle)'] = compressed(Buffer.from(rr.packer.text));
    sizes['rrweb total (record + packer)'] = addSizes(sizes[`rrweb record (${rr.record.path})`], sizes['rrweb packer (@rrweb/packer pack, browser bundle)']);
    const ratio = assets
      ? {
          raw: sizes['insp total'].raw / sizes['rrweb total (record + packer)'].raw,
          gzip9: sizes['insp total'].gzip9 / sizes['rrweb total (record + packer)'].gzip9,
          brotli: sizes['insp total'].brotli / sizes['rrweb total (record + packer)'].brotli,
        }
      : null;
    result.sections.startupBytes = { sizes, ratioInspToRrweb: ratio };
  }

  pages = await new PageServer(ROOT).start();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  result.machine.chromium = browser.version();
  log(`Chromium ${browser.version()}, ${result.machine.cores} cores (${result.machine.cpu}); insp ${assets ? 'from ' + assets.info.dir : 'missing'}`);

  try {
    // Warm-up: the first page of a fresh browser pays one-off costs; keep them out of rep 0.
    await withPage(async ({ page, cdp }) => load(page, cdp, `${pages.base}/static?n=1000`));

    if (opts.only.includes('static') || opts.only.includes('startup')) {
      const cases = [];
      const sizes = opts.only.includes('static') ? opts.sizes : [opts.sizes[0]];
      for (const n of sizes) {
        log(`static page, ${n} elements: ${opts.reps} rounds`);
        const rds = await rounds(`static ${n}`, opts.reps, (v) => staticRun(v, n));
        const base = rds.map((r) => r.baseline).find((b) => b && b.page);
        cases.push({
          case: `${n} elements`,
          page: base ? base.page : null,
          rows: [
            row('main-thread time, script start to snapshot sent (TaskDuration − idle)', 'ms', rds, null, { baseline: false, sub: idleAdjusted('taskMs') }),
            row('main-thread CPU (ThreadTime − idle)', 'ms', rds, null, { baseline: false, sub: idleAdjusted('threadMs') }),
            row('of which script (ScriptDuration − idle)', 'ms', rds, null, { baseline: false, sub: idleAdjusted('scriptMs') }),
            row('longest long task', 'ms', rds, (r) => r.longtaskMaxMs),
            row('long tasks (> 50 ms)', 'count', rds, (r) => r.longtasks, { ratio: false }),
            row('recorder running (after script insert)', 'ms', rds, (r) => r.recorderStartMs, { baseline: false }),
            row('full snapshot taken (after script insert)', 'ms', rds, (r) => r.snapshotReadyMs, { baseline: false }),
            row('full snapshot received by collector', 'ms', rds, (r) => r.snapshotSentMs, { baseline: false }),
            row('bytes sent (bodies, all requests)', 'B', rds, (r) => r.bodyBytes, { baseline: false }),
            row('snapshot request body', 'B', rds, (r) => r.snapshotBatchBytes, { baseline: false }),
            row('snapshot nodes decoded at the sink', 'count', rds, (r) => r.snapshotNodes, { baseline: false, ratio: false }),
            row('retained memory growth after GC (JS heap + ArrayBuffers + wasm)', 'B', rds, (r) => r.heapDeltaBytes, { ratio: false }),
            row('of which wasm memory', 'B', rds, (r) => r.wasmBytes, { baseline: false, ratio: false }),
            row('floor: TreeWalker read of every node (cold)', 'ms', rds, (r) => r.floor?.ms, { baseline: true, ratio: false }),
          ].map((x) => {
            // the floor only exists in the baseline column
            if (x.metric.startsWith('floor')) for (const v of RECORDERS) delete x[v];
            return x;
          }),
          floor: {
            coldMs: summary(rds.map((r) => r.baseline?.floor?.ms ?? null)),
            warmMs: summary(rds.map((r) => median(r.baseline?.floorWarm || []))),
            nodes: base?.floor?.nodes ?? null,
          },
          runs: rds,
        });
        // Ratio of each recorder's snapshot time to the floor, pairwise.
        const last = cases[cases.length - 1];
        for (const v of RECORDERS) {
          last[`${v}OverFloor`] = summary(
            rds.map((rd) => {
              const x = rd[v] && !rd[v].error ? idleAdjusted('taskMs')(rd[v], rd.baseline) : null;
              const f = rd.baseline?.floor?.ms;
              return x != null && f ? x / f : null;
            }),
          );
        }
      }
      result.sections.static = cases;
    }

    if (opts.only.includes('storm')) {
      const cases = [];
      for (const rate of opts.rates) {
        log(`mutation storm, ${rate}/s for ${opts.stormMs / 1000} s: ${opts.reps} rounds`);
        const rds = await rounds(`storm ${rate}`, opts.reps, (v, rep) => stormRun(v, rate, rep));
        cases.push({
          case: `${rate} mutations/s for ${opts.stormMs / 1000} s`,
          rows: [
            row('recorder main-thread time (TaskDuration − baseline)', 'ms', rds, null, { baseline: false, sub: minusBase('taskMs') }),
            row('recorder main-thread CPU (ThreadTime − baseline)', 'ms', rds, null, { baseline: false, sub: minusBase('threadMs') }),
            row('recorder script time (ScriptDuration − baseline)', 'ms', rds, null, { baseline: false, sub: minusBase('scriptMs') }),
            row('total main-thread time (TaskDuration)', 'ms', rds, (r) => r.taskMs),
            row('frames dropped', 'count', rds, (r) => r.framesDropped, { ratio: false }),
            row('longest frame gap', 'ms', rds, (r) => r.maxFrameGapMs),
            row('long tasks (> 50 ms)', 'count', rds, (r) => r.longtasks, { ratio: false }),
            row('longest long task', 'ms', rds, (r) => r.longtaskMaxMs, { ratio: false }),
            row('mutations done', 'count', rds, (r) => r.ops, { ratio: false }),
            row('bytes sent per second of storm', 'B/s', rds, (r) => r.bytesPerS, { baseline: false }),
            row('requests', 'count', rds, (r) => r.requests, { baseline: false }),
          ],
          runs: rds,
        });
      }
      result.sections.storm = cases;
    }

    if (opts.only.includes('visit')) {
      log(`typical visit, ${opts.visitMs / 1000} s: ${opts.visitReps} rounds`);
      const rds = await rounds('visit', opts.visitReps, (v, rep) => visitRun(v, rep));
      result.sections.visit = {
        case: `${opts.visitMs / 1000} s of mouse, scroll, typing and pushState navigation`,
        rows: [
          row('bytes sent per minute (bodies)', 'B/min', rds, (r) => r.bytesPerMin, { baseline: false }),
          row('bytes sent per minute (with request headers)', 'B/min', rds, (r) => r.wireBytesPerMin, { baseline: false }),
          row('requests per minute', 'count', rds, (r) => r.requestsPerMin, { baseline: false }),
          row('peak JS heap', 'B', rds, (r) => r.peakHeapBytes),
          row('peak JS heap + ArrayBuffers + wasm memory', 'B', rds, (r) => r.peakHeapAllBytes),
          row('recorder peak memory over baseline', 'B', rds, null, { baseline: false, sub: minusBase('peakHeapAllBytes') }),
          row('JS heap + ArrayBuffers + wasm after GC at the end', 'B', rds, (r) => r.retainedHeapAllBytes),
          row('recorder retained memory over baseline', 'B', rds, null, { baseline: false, sub: minusBase('retainedHeapAllBytes') }),
          row('of which wasm memory', 'B', rds, (r) => r.wasmBytes, { baseline: false, ratio: false }),
          row('recorder main-thread time (TaskDuration − baseline)', 'ms', rds, null, { baseline: false, sub: minusBase('taskMs') }),
          row('recorder main-thread CPU (ThreadTime − baseline)', 'ms', rds, null, { baseline: false, sub: minusBase('threadMs') }),
          row('long tasks (> 50 ms)', 'count', rds, (r) => r.longtasks, { ratio: false }),
        ],
        runs: rds,
      };
    }

    if (opts.only.includes('startup') && result.sections.static) {
      const first = result.sections.static[0];
      result.sections.startupTiming = {
        case: `static page, ${first.case}`,
        rows: first.rows.filter((x) => /after script insert|received by collector/.test(x.metric)).concat([
          row('first request received by collector (after script insert)', 'ms', first.runs, (r) => r.firstRequestMs, { baseline: false }),
          row('first recording batch received (after script insert)', 'ms', first.runs, (r) => r.firstBatchMs, { baseline: false }),
        ]),
      };
      if (!opts.only.includes('static')) delete result.sections.static;
    }
  } finally {
    await browser.close().catch(() => {});
    await pages.stop();
  }
  return finish(result, t0);
}

function stripBodies(x) {
  // Runs keep their figures only: never a request body (JSON.stringify has already turned a
  // Buffer into { type: 'Buffer', data } when the replacer sees it).
  return JSON.parse(JSON.stringify(x, (k, v) => (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? undefined : v)));
}

function finish(result, t0) {
  result.elapsedS = Math.round((Date.now() - t0) / 1000);
  const out = path.resolve(ROOT, opts.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const json = stripBodies(result);
  fs.writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
  const md = markdown(json);
  const mdPath = out.replace(/\.json$/, '') + '.md';
  fs.writeFileSync(mdPath, md);
  log(`done in ${result.elapsedS} s: ${path.relative(ROOT, out)}, ${path.relative(ROOT, mdPath)}`);
  if (opts.verbose || opts.print) process.stdout.write(md);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
