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
//     form state instead of value attributes, neutralised scripts and frames), and rrweb must
//     not warn. Differences in options' selectedness alone (not resolved, see RRWEB_TODO) are
//     reported as TODO; INSP_ORACLE_RRWEB_STRICT=1 fails on it too.
//
// A failure names the page, the checkpoint, the engine, and the first differing line with its
// node path and context; the full texts are written to INSP_ORACLE_OUT (default: a temp dir).
//
// Environment: INSP_ORACLE_STEPS (mutation steps per page, default 3000), INSP_ORACLE_CHECKPOINTS
// (default 4), INSP_ORACLE_SEED (default 1), INSP_ORACLE_PAGES (regex over page paths),
// INSP_ORACLE_CSSDECL=1 (also change rules through CSSStyleDeclaration), INSP_ORACLE_NO_RRWEB=1,
// INSP_ORACLE_AVOID=camel,subdir (steer the mutator clear of known bugs to look for others).
// Build first: bash scripts/build-dist.sh && cargo build --release -p insp-server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { collectorBin, openBrowser, startCollector } from './lib.mjs';
import { OPTION_SELECTION_ONLY, corpusPages, recordPage, replayerTab, startSite, verifyRecording } from './oracle/harness.mjs';

// 3000 steps: the whole run took 370 s on the shared 2-core machine (CI allows 90 min).
const STEPS = Number(process.env.INSP_ORACLE_STEPS || 3000);
const PHASES = Math.max(1, Number(process.env.INSP_ORACLE_CHECKPOINTS || 4));
const SEED = Number(process.env.INSP_ORACLE_SEED || 1);
const ONLY = process.env.INSP_ORACLE_PAGES ? new RegExp(process.env.INSP_ORACLE_PAGES) : null;
const CSSDECL = process.env.INSP_ORACLE_CSSDECL === '1';
const RRWEB = process.env.INSP_ORACLE_NO_RRWEB !== '1';
// Comma-separated: camel, subdir (see oracle/mutator.js, OPTIONS): steer clear of known bugs.
const AVOID = Object.fromEntries((process.env.INSP_ORACLE_AVOID || '').split(',').filter(Boolean).map((k) => [k, true]));
const CORPUS = path.resolve(process.env.INSP_CORPUS || '/work/shared/corpus');
const OUT = process.env.INSP_ORACLE_OUT || path.join(os.tmpdir(), `insp-oracle-${process.pid}`);

let collector;
let site;
let browser;
let replayer;
const results = [];
const runId = Date.now().toString(36);

// rrweb differences fail the run, but for one kind not yet resolved: a checkpoint whose texts
// differ in options' selectedness alone is reported as TODO (unless
// INSP_ORACLE_RRWEB_STRICT=1). The export carries a select's selection as its options'
// `selected` attributes (rrweb has no other way but `select.value = text`, see
// src/rrweb.rs select_input); a selection the page made by script (dirty options, options
// nested in options, options moved between selects) still comes out differently in rrweb now
// and then, mostly when seeking (rrweb's virtual DOM diff reuses and reorders elements and
// applies a select's last Input event after every later change), rarely when playing.
const RRWEB_STRICT = process.env.INSP_ORACLE_RRWEB_STRICT === '1';
const RRWEB_TODO = "rrweb: options' selectedness differs (not resolved, see README)";

// Pages rrweb's Replayer cannot play (its own bugs; the Rust engine is still compared).
const RRWEB_SKIP = {
  '/html/form-fields.html':
    "a form with an <input name=\"tagName\"> breaks rrweb's virtual DOM (rrdom sameNodeType() calls " +
    'form.tagName.toUpperCase(), which is the input): every later mutation throws ' +
    '("Exception in mutation element.tagName.toUpperCase is not a function")',
};

/** An rrweb difference of the known kind (see RRWEB_TODO), when not strict. */
function knownRrweb(f) {
  const head = f.split('\n')[0];
  return !RRWEB_STRICT && / rrweb-(seek|play): /.test(head) && head.includes(OPTION_SELECTION_ONLY);
}

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
  const extraArgs = ['--rate-per-s', '100000', '--rate-burst', '100000'];
  // Input censoring (on by default) masks every form value and textarea text: the oracle
  // compares content, so it records with censoring off; secret fields stay masked (canon.js).
  collector = await startCollector({ extraArgs, siteArgs: ['--censor-inputs', 'false'] }).catch(() =>
    startCollector({ extraArgs }),
  );
  site = await startSite({ collector, corpusDir: CORPUS });
  browser = await openBrowser();
  if (RRWEB) replayer = await replayerTab(browser, site);
});

after(async () => {
  if (results.length) {
    const lines = results.map(
      (r) =>
        `${r.ok ? 'pass' : 'FAIL'}  ${r.page.padEnd(44)} steps ${String(r.steps).padStart(5)}  events ${String(r.events).padStart(5)}  ` +
        `${(r.ms / 1000).toFixed(1)} s${r.ok ? '' : `  (${r.failures - (r.known || 0)} difference(s))`}${r.todo ? `  (TODO: ${r.todo})` : ''}`,
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
    const isRust = (f) => / rust: /.test(f.split('\n')[0]);
    const once = async (n) => {
      const tag = `${runId}-${slug}${n ? `-retry${n}` : ''}`;
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
          avoid: AVOID,
        });
      } catch (e) {
        results.push({ page, ok: false, steps: STEPS, events: 0, ms: Date.now() - started, failures: 1 });
        throw e;
      }
      const { events, sid } = rec;
      const nEvents = events.page_loads.reduce((n, l) => n + l.events.length, 0);
      t.diagnostic(
        `session ${sid}: ${events.page_loads.length} page load(s), ${nEvents} events, recorded in ${rec.recordMs} ms; ` +
          `changes: ${JSON.stringify(rec.stats.counts)}; threw: ${JSON.stringify(rec.stats.threw)}`,
      );
      const rrTab = RRWEB_SKIP[page] ? null : replayer;
      const found = await verifyRecording({ collector, replayer: rrTab, rec, page, slug, out: OUT });
      return { nEvents, found };
    };
    if (RRWEB_SKIP[page]) t.diagnostic(`rrweb comparison skipped: ${RRWEB_SKIP[page]}`);
    let { nEvents, found } = await once(0);
    // The mutator's effects depend on task timing; a recording with a difference (either
    // engine, the known rrweb kind aside) is re-recorded once with the same seed. A difference
    // that does not come back is still reported (as TODO) so it stays visible: it is a
    // timing-dependent bug, not noise.
    const hard = (list) => list.filter((f) => !knownRrweb(f));
    let firstOnly = hard(found);
    if (firstOnly.length) {
      ({ nEvents, found } = await once(1));
      if (hard(found).length) firstOnly = [];
    }
    const failures = found;
    const knownRr = failures.filter((f) => knownRrweb(f)).length;
    results.push({
      page,
      ok: failures.length === knownRr,
      known: knownRr,
      todo: knownRr + firstOnly.length,
      steps: STEPS,
      events: nEvents,
      ms: Date.now() - started,
      failures: failures.length,
    });
    const fail = (list) => {
      // Every failure's first line, then the details of the first few.
      const heads = list.map((f) => '  - ' + f.split('\n')[0].slice(0, 300)).join('\n');
      const shown = list.slice(0, 3).join('\n\n');
      assert.fail(`${list.length} difference(s) between the live page and its replay (texts in ${OUT}):\n${heads}\n\n${shown}`);
    };
    // The Rust engine must replay exactly: a difference fails the run.
    await t.test('Rust replay engine', () => {
      const rust = failures.filter(isRust);
      if (rust.length) fail(rust);
    });
    if (firstOnly.length) {
      await t.test('difference seen on the first recording only', { todo: 'timing-dependent bug, see README' }, () => fail(firstOnly));
    }
    // rrweb's Replayer on the export must play it exactly too.
    const rrAll = failures.filter((f) => !isRust(f));
    const isKnown = knownRrweb;
    await t.test('rrweb Replayer on the /rrweb export', () => {
      const rr = rrAll.filter((f) => !isKnown(f));
      if (rr.length) fail(rr);
    });
    const known = rrAll.filter(isKnown);
    if (known.length) {
      await t.test('rrweb Replayer: options\' selectedness', { todo: RRWEB_TODO }, () => fail(known));
    }
  });
}
