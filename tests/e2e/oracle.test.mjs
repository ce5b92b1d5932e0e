// The fidelity oracle: a recorded page replays exactly.
//
// Every page of the corpus (/work/shared/corpus, or INSP_CORPUS) and the generated pages of
// tests/e2e/oracle/pages.mjs is served over HTTP with the loader injected (the Inspectlet
// snippet; a static <script async src=COLLECTOR/inspectlet.js> for one generated page) and
// recorded in headless Chromium by the real agent and collector, while a seeded mutator
// (oracle/mutator.js) makes random changes of every kind. After each phase of changes the
// page takes a checkpoint: the live document in canonical form (oracle/canon.js) and
// `Date.now()`, with 80 ms of quiet on both sides, so that every event recorded before the
// checkpoint is older than it and every later one is newer. At the end a sentinel comment is
// added, the agent is flushed (pagehide) and the collector polled until every batch, up to
// the sentinel, is stored. Then, at each checkpoint:
//
//   * the Rust engine (`insp replay SID --at MS --format canonical`) must give exactly the
//     live canonical text (src/dom/mirror.rs, canonical());
//   * rrweb's own Replayer (npm rrweb, UMD bundle) playing the collector's `/rrweb` export,
//     seeked with `pause(offset)`, and played in real time to the end, must give the live
//     document in the rrweb form of oracle/canon.js, whose header lists everything that form
//     normalises (absolute URLs, replayer-injected nodes and attributes, sheets as CSS text,
//     form state instead of value attributes, neutralised scripts and frames).
//
// A failure names the page, the checkpoint, the engine, and the first differing line with its
// node path and context; the full texts are written to INSP_ORACLE_OUT (default: a temp dir).
//
// Environment: INSP_ORACLE_STEPS (mutation steps per page, default 1200), INSP_ORACLE_CHECKPOINTS
// (default 4), INSP_ORACLE_SEED (default 1), INSP_ORACLE_PAGES (regex over page paths),
// INSP_ORACLE_CSSDECL=1 (also change rules through CSSStyleDeclaration), INSP_ORACLE_NO_RRWEB=1.
// Build first: bash scripts/build-dist.sh && cargo build --release -p insp-server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { collectorBin, openBrowser, poll, startCollector } from './lib.mjs';
import { corpusPages, firstDiff, keep, recordPage, replayerTab, rustCanonical, startSite } from './oracle/harness.mjs';

const STEPS = Number(process.env.INSP_ORACLE_STEPS || 1200);
const PHASES = Math.max(1, Number(process.env.INSP_ORACLE_CHECKPOINTS || 4));
const SEED = Number(process.env.INSP_ORACLE_SEED || 1);
const ONLY = process.env.INSP_ORACLE_PAGES ? new RegExp(process.env.INSP_ORACLE_PAGES) : null;
const CSSDECL = process.env.INSP_ORACLE_CSSDECL === '1';
const RRWEB = process.env.INSP_ORACLE_NO_RRWEB !== '1';
const CORPUS = path.resolve(process.env.INSP_CORPUS || '/work/shared/corpus');
const OUT = process.env.INSP_ORACLE_OUT || path.join(os.tmpdir(), `insp-oracle-${process.pid}`);

let collector;
let site;
let browser;
let replayer;
const results = [];
const runId = Date.now().toString(36);

function seedFor(page) {
  let h = SEED >>> 0;
  for (const c of page) h = (Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0) || 1;
  return h;
}

const corpus = existsSync(CORPUS) ? corpusPages(CORPUS) : [];
const PAGES = [
  ...corpus,
  // Generated pages are listed by the site; their paths are known statically.
  '/gen/kitchen-sink.html',
  '/gen/with-base.html',
  '/gen/quirks.html',
  '/gen/large.html',
  '/gen/nested-frames.html',
  '/gen/xhtml.xhtml',
].filter((p) => !ONLY || ONLY.test(p));

before(async () => {
  collectorBin(); // throws with build instructions when missing
  collector = await startCollector({ extraArgs: ['--rate-per-s', '100000', '--rate-burst', '100000'] });
  site = await startSite({ collector, corpusDir: CORPUS });
  browser = await openBrowser();
  if (RRWEB) replayer = await replayerTab(browser, site);
});

after(async () => {
  if (results.length) {
    const lines = results.map(
      (r) =>
        `${r.ok ? 'pass' : 'FAIL'}  ${r.page.padEnd(44)} steps ${String(r.steps).padStart(5)}  events ${String(r.events).padStart(5)}  ` +
        `${(r.ms / 1000).toFixed(1)} s${r.ok ? '' : `  (${r.failures} difference(s))`}`,
    );
    process.stdout.write(`\n# fidelity oracle (seed ${SEED}, ${STEPS} steps/page, ${PHASES} checkpoints + end)\n`);
    for (const l of lines) process.stdout.write(`# ${l}\n`);
    if (results.some((r) => !r.ok)) process.stdout.write(`# full texts of the differences: ${OUT}\n`);
  }
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

test('the corpus is there', () => {
  assert.ok(corpus.length > 0, `no pages in ${CORPUS} (set INSP_CORPUS)`);
});

for (const page of PAGES) {
  test(`replays exactly: ${page}`, { timeout: 180_000 }, async (t) => {
    const started = Date.now();
    const slug = page.replace(/^\//, '').replace(/[^a-z0-9.-]+/gi, '_');
    const tag = `${runId}-${slug}`;
    const failures = [];
    let rec;
    try {
      rec = await recordPage({
        browser,
        site,
        collector,
        pagePath: page,
        tag,
        seed: seedFor(page),
        steps: STEPS,
        phases: PHASES,
        cssDecl: CSSDECL,
      });
    } catch (e) {
      results.push({ page, ok: false, steps: STEPS, events: 0, ms: Date.now() - started, failures: 1 });
      throw e;
    }
    const { events, sid } = rec;
    const points = [...rec.checkpoints, rec.final];
    const nEvents = events.page_loads.reduce((n, l) => n + l.events.length, 0);
    t.diagnostic(
      `session ${sid}: ${events.page_loads.length} page load(s), ${nEvents} events, recorded in ${rec.recordMs} ms; ` +
        `changes: ${JSON.stringify(rec.stats.counts)}; threw: ${JSON.stringify(rec.stats.threw)}`,
    );
    const report = (engine, cp, offset, diff, liveText, replayText) => {
      const base = `${slug}.${points.indexOf(cp)}`;
      const files = [keep(OUT, `${base}.live.txt`, liveText), keep(OUT, `${base}.${engine}.txt`, replayText ?? '')];
      failures.push(`[${page}] ${cp.label}, +${offset} ms, ${engine}: ${diff}\n  files: ${files.join(' ')}`);
    };

    // The Rust engine.
    for (const cp of points) {
      const offset = cp.t - events.start_ms;
      const r = await rustCanonical(collector, sid, offset);
      if (r.text === null) {
        failures.push(`[${page}] ${cp.label}, +${offset} ms, rust: no document (${r.error})`);
        continue;
      }
      if (r.note) failures.push(`[${page}] ${cp.label}, +${offset} ms, rust: ${r.note}`);
      const d = firstDiff(cp.exact, r.text, { replayName: 'rust' });
      if (d) report('rust', cp, offset, d, cp.exact, r.text);
    }

    // rrweb's Replayer on the export.
    if (RRWEB) {
      const rr = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/rrweb`);
      await replayer.evaluate((ev) => window.__load(ev), rr);
      const first = rr[0].timestamp;
      for (const cp of points) {
        const offset = cp.t - first;
        await replayer.evaluate((o) => window.replayer.pause(o), offset);
        const text = await replayer.evaluate(() => window.__canon());
        const d = firstDiff(cp.rr, text, { replayName: 'rrweb' });
        if (d) report('rrweb-seek', cp, offset, d, cp.rr, text);
      }
      // Real-time play (rrweb's live DOM path rather than its virtual DOM) to the end.
      await replayer.evaluate(() => {
        window.__finished = false;
        window.replayer.play(0);
      });
      try {
        await poll(() => replayer.evaluate(() => window.__finished), {
          timeoutMs: 30_000,
          intervalMs: 100,
          what: 'rrweb to play to the end',
        });
        const text = await replayer.evaluate(() => window.__canon());
        const d = firstDiff(rec.final.rr, text, { replayName: 'rrweb' });
        if (d) report('rrweb-play', rec.final, rr.at(-1).timestamp - first, d, rec.final.rr, text);
      } catch (e) {
        failures.push(`[${page}] rrweb play: ${e.message}`);
      }
      const warnings = await replayer.evaluate(() => window.__warnings.slice(0, 5));
      const nWarn = await replayer.evaluate(() => window.__warnings.length);
      if (nWarn) failures.push(`[${page}] rrweb warned ${nWarn} time(s), first: ${warnings.map((w) => w.slice(0, 300)).join(' | ')}`);
    }

    if (failures.length) {
      // Everything needed to reproduce offline: the decoded events, and the rrweb export.
      keep(OUT, `${slug}.events.json`, JSON.stringify(events));
      if (RRWEB) keep(OUT, `${slug}.rrweb.json`, JSON.stringify(await collector.api(`/api/sessions/${encodeURIComponent(sid)}/rrweb`)));
      keep(OUT, `${slug}.checkpoints.json`, JSON.stringify(points.map((p) => ({ label: p.label, t: p.t, offset: p.t - events.start_ms }))));
    }
    results.push({ page, ok: failures.length === 0, steps: STEPS, events: nEvents, ms: Date.now() - started, failures: failures.length });
    if (failures.length) {
      const shown = failures.slice(0, 4).join('\n\n');
      const more = failures.length > 4 ? `\n\n(${failures.length - 4} more; texts in ${OUT})` : '';
      assert.fail(`${failures.length} difference(s) between the live page and its replay:\n\n${shown}${more}`);
    }
  });
}
