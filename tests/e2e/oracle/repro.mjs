// Runs one minimal repro through the oracle's whole chain (agent -> collector -> Rust engine and
// rrweb) and prints the differences:
//
//   node tests/e2e/oracle/repro.mjs tests/e2e/oracle/repros/NAME.mjs
//
// A repro module exports `html` (the page, without the loader) and `phases`: functions run in
// the page one after the other (each is followed by a checkpoint); they must not close over
// anything (they are sent as source text).
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBrowser, startCollector } from '../lib.mjs';
import { recordPage, replayerTab, startSite, verifyRecording } from './harness.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/e2e/oracle/repro.mjs REPRO.mjs');
  process.exit(2);
}
const repro = await import(pathToFileURL(path.resolve(file)).href);
const extraArgs = ['--rate-per-s', '100000', '--rate-burst', '100000'];
// INSP_REPRO_CENSOR=1: with the site's default input censoring.
const collector =
  process.env.INSP_REPRO_CENSOR === '1'
    ? await startCollector({ extraArgs })
    : await startCollector({ extraArgs, siteArgs: ['--censor-inputs', 'false'] }).catch(() => startCollector({ extraArgs }));
const site = await startSite({ collector, corpusDir: '/nonexistent', extraPages: { '/repro.html': { body: repro.html } } });
const browser = await openBrowser();
const out = path.join(os.tmpdir(), `insp-repro-${process.pid}`);
let code = 0;
try {
  const replayer = process.env.INSP_ORACLE_NO_RRWEB === '1' ? null : await replayerTab(browser, site);
  const rec = await recordPage({
    browser,
    site,
    collector,
    pagePath: '/repro.html',
    tag: `repro-${Date.now().toString(36)}`,
    seed: 1,
    steps: 0,
    phases: 0,
    phaseFns: repro.phases.map((f) => f.toString()),
  });
  const failures = await verifyRecording({ collector, replayer, rec, page: path.basename(file), slug: 'repro', out });
  if (process.env.INSP_REPRO_SHOW) {
    for (const cp of [...rec.checkpoints, rec.final]) console.log(`--- ${cp.label}\n${cp.exact}`);
  }
  if (failures.length) {
    code = 1;
    console.log(failures.join('\n\n'));
  } else console.log('no difference');
} finally {
  await browser.close();
  await site.stop();
  await collector.stop();
}
process.exit(code);
