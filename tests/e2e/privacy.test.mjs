// Privacy, proven end to end: pages full of private content, each piece carrying a unique
// canary, are recorded by the real agent in headless Chromium and stored by the real
// collector. No canary may appear, in any encoding (plain, UTF-16LE, base64, URL-encoded), in
//   * any request body the page sent (captured on the wire, gunzipped when enc=gzip),
//   * the collector's SQLite files (database, WAL),
//   * the API's answers (/api/sessions/{id}, /events, /rrweb, /html),
// while whitelisted content must appear. Replay shows placeholders and masks (the /html
// answer, and a Chromium screenshot of it for a visual check). Opt-out (per site, global),
// Global Privacy Control and consent are proven by counting the requests a page makes to
// /i/v1 besides the settings request: none.
//
// Pages: tests/e2e/fixtures/privacy.html, and pages of the shared corpus
// (tests/e2e/fixtures/corpus/, MIT) served with Inspectlet's classes and canaries added.
// Build first: bash scripts/build-dist.sh && cargo build --release -p insp-server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { API_KEY, ROOT, openBrowser, poll, sleep, snippet, startCollector, startPageServer, waitForAgent } from './lib.mjs';

const FIX = path.join(ROOT, 'tests', 'e2e', 'fixtures');
const run = promisify(execFile);

let collector;
let srv;
const sites = {}; // name -> wid

before(async () => {
  collector = await startCollector({ extraArgs: ['--rate-per-s', '1000', '--rate-burst', '1000'] });
  sites.main = collector.wid;
  // More sites on the same data directory (works while the server runs).
  const add = async (...args) => {
    const { stdout } = await run(collector.bin, ['site', 'add', '--data', collector.dataDir, ...args]);
    return Number(/(\d+)\s*$/.exec(stdout.trim())[1]);
  };
  sites.other = await add();
  sites.gpc = await add('--honor-gpc', 'true');
  // Settings through the API: tag keys refused, one more URL parameter redacted.
  await collector.api(`/api/sites/${sites.main}/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ blocked_tag_keys: ['email', 'user'], url_deny_params: ['email'] }),
  });
  srv = await startPageServer();
});

after(async () => {
  await srv?.stop();
  await collector?.stop();
});

// ---- pages -----------------------------------------------------------------------------------

/** `html` with the snippet for site `wid` (and `pre`, script run before it) in place of <!--INSP-->. */
function withSnippet(html, wid, pre = '') {
  const tag = `<script>${pre}${snippet(collector.host, wid)}</script>`;
  return html.includes('<!--INSP-->') ? html.replace('<!--INSP-->', tag) : html.replace(/<head>/i, `<head>${tag}`);
}

function fixture(name) {
  return readFileSync(path.join(FIX, name), 'utf8');
}

/** The corpus pages, with privacy classes and canaries: [path, html, canaries, visible]. */
function corpusPages() {
  const out = [];
  let html = fixture('corpus/mask-text.html')
    .replaceAll('rr-mask', 'inspectlet-sensitive')
    .replace('mask 1', 'CORPUS_MASK_CANARY_1')
    .replace('mask 2', 'CORPUS_MASK_CANARY_2')
    .replace('mask 3', 'CORPUS_MASK_CANARY_3')
    .replace('</body>', '<p>CORPUS_VISIBLE_MASK</p></body>');
  out.push(['/corpus/mask-text.html', html, ['CORPUS_MASK_CANARY_1', 'CORPUS_MASK_CANARY_2', 'CORPUS_MASK_CANARY_3'], ['CORPUS_VISIBLE_MASK']]);
  html = fixture('corpus/block-element.html')
    .replaceAll('rr-block', 'inspectletIgnore')
    .replace('block 1', 'CORPUS_BLOCK_CANARY_1')
    .replace('block 3', 'CORPUS_BLOCK_CANARY_3')
    .replace('block 3', 'CORPUS_BLOCK_CANARY_4')
    .replace('record 2', 'CORPUS_VISIBLE_RECORD');
  out.push(['/corpus/block-element.html', html, ['CORPUS_BLOCK_CANARY_1', 'CORPUS_BLOCK_CANARY_3', 'CORPUS_BLOCK_CANARY_4'], ['CORPUS_VISIBLE_RECORD']]);
  // Its own script sets values after load ('1', '1234'); the visitor then types canaries.
  html = fixture('corpus/form-fields.html').replace('<input name="tagName" />', '<input name="tagName" class="inspectlet-whitelist" />');
  out.push(['/corpus/form-fields.html', html, ['CORPUS_TYPED_CANARY', 'CORPUS_AREA_CANARY'], ['CORPUS_WL_VISIBLE']]);
  html = fixture('corpus/shadow-dom.html')
    .replace('<fancy-tabs background>', '<fancy-tabs background class="inspectlet-sensitive">')
    .replace('content panel 2', 'CORPUS_SHADOW_CANARY')
    .replace('</body>', '<p>CORPUS_VISIBLE_SHADOW</p></body>');
  out.push(['/corpus/shadow-dom.html', html, ['CORPUS_SHADOW_CANARY'], ['CORPUS_VISIBLE_SHADOW']]);
  return out;
}

// ---- capture ---------------------------------------------------------------------------------

/** Records every request to the collector's /i/v1 (bodies gunzipped when enc=gzip). */
async function capture(b) {
  const seen = { ingest: [], settings: [], bodies: [] };
  await b.context.route(
    (url) => url.href.startsWith(`${collector.base}/i/v1`),
    async (route) => {
      const req = route.request();
      const url = req.url();
      if (new URL(url).pathname === '/i/v1/settings') seen.settings.push(url);
      else {
        seen.ingest.push(url);
        const raw = req.postDataBuffer() || Buffer.alloc(0);
        seen.bodies.push(url.includes('enc=gzip') ? zlib.gunzipSync(raw) : raw);
        seen.bodies.push(raw);
      }
      await route.continue().catch(() => {});
    },
  );
  return seen;
}

/** Page hide without leaving: the agent sends everything it holds. */
async function flush(page) {
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    delete document.hidden;
    delete document.visibilityState;
  });
}

async function apiText(p) {
  const res = await fetch(collector.base + p, { headers: { Authorization: `Bearer ${API_KEY}` } });
  const text = await res.text();
  assert.ok(res.ok, `${p}: ${res.status} ${text}`);
  return text;
}

/** The session tagged run=`id` once its events contain `marker`; with its API answers. */
async function recorded(id, marker) {
  const s = await poll(
    async () => {
      const list = JSON.parse(await apiText(`/api/sites/${sites.main}/sessions?tag=run=${id}`));
      return list[0];
    },
    { timeoutMs: 20_000, what: `session run=${id}` },
  );
  const events = await poll(
    async () => {
      const t = await apiText(`/api/sessions/${s.id}/events`);
      return t.includes(marker) && t;
    },
    { timeoutMs: 20_000, what: `${marker} in the events of ${s.id}` },
  );
  return {
    id: s.id,
    events,
    session: await apiText(`/api/sessions/${s.id}`),
    rrweb: await apiText(`/api/sessions/${s.id}/rrweb`),
    html: await apiText(`/api/sessions/${s.id}/html?at=86400000`),
  };
}

function sqliteBytes() {
  return Buffer.concat(
    readdirSync(collector.dataDir)
      .filter((f) => f.startsWith('insp.sqlite'))
      .map((f) => readFileSync(path.join(collector.dataDir, f))),
  );
}

/** Every way a canary could be written. */
function encodings(s) {
  const out = [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le'), Buffer.from(encodeURIComponent(s)), Buffer.from(JSON.stringify(s).slice(1, -1))];
  // base64 at each of the three alignments (the edges depend on neighbours: cut them off).
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x20), Buffer.from(s)]).toString('base64');
    const start = Math.ceil((pad * 4) / 3) + 1;
    const end = b64.length - 4;
    if (end - start >= 8) out.push(Buffer.from(b64.slice(start, end)));
  }
  return out;
}

function assertAbsent(canaries, where) {
  for (const [name, bytes] of where) {
    for (const c of canaries) {
      for (const e of encodings(c)) {
        assert.ok(!bytes.includes(e), `canary ${JSON.stringify(c)} found in ${name} (as ${JSON.stringify(e.toString('latin1').slice(0, 40))})`);
      }
    }
  }
}

function assertPresent(values, where) {
  for (const [name, bytes] of where) {
    for (const v of values) assert.ok(bytes.includes(Buffer.from(v)), `${JSON.stringify(v)} should be in ${name}`);
  }
}

const CANARIES = [
  'IGN_TITLE_CANARY', 'IGN_TEXT_CANARY_1', 'IGN_TEXT_CANARY_2', 'IGN_VALUE_CANARY', 'IGN_INSERTED_CANARY', 'MOVED_IGN_CANARY',
  'LATER_IGN_CANARY', 'SENS_TITLE_CANARY', 'SENS_TEXT_CANARY_1', 'SENS_TEXT_CANARY_2', 'SENS_ALT_CANARY',
  'SENS_PLACEHOLDER_CANARY', 'SENS_LABEL_CANARY', 'SENS_VALUE_CANARY', 'SENS_COMMENT_CANARY', 'SENS_WL_CANARY',
  'SENS_INSERTED_CANARY', 'SENS_INSERTED_TITLE_CANARY', 'LATER_SENS_CANARY', 'MOVED_SENS_CANARY',
  'CENSOR_DEFAULT_CANARY', 'CENSOR_TEXTAREA_CANARY', 'CENSOR_TYPED_CANARY', 'CENSOR_PASTED_CANARY',
  'PW_TYPED_CANARY', 'PW_PASTED_CANARY', 'PW_AUTOFILL_CANARY', 'PW_SHOWN_CANARY', 'PW_HIDDEN_AGAIN_CANARY',
  '4111111111111111', '4111 1111 1111 1111', '5555555555554444', 'CVC_CANARY', '12/29', 'OTP_CANARY', 'HIDDEN_CANARY',
  'FILE_NAME_CANARY', 'HREF_TOKEN_CANARY', 'URL_TOKEN_CANARY', 'URL_EMAIL_CANARY', 'REFERRER_CANARY',
  'TAG_EMAIL_CANARY', 'TAG_USER_CANARY', 'VIRTUAL_CODE_CANARY',
];
const VISIBLE = ['PLAIN_VISIBLE_1', 'PLAIN_VISIBLE_2', 'WL_STATIC_VISIBLE', 'WL_TYPED_VISIBLE', 'END_OF_STEPS'];

// ---- the recording ---------------------------------------------------------------------------

describe('privacy', () => {
  test('no canary leaves the browser, reaches the disk or the API; whitelisted content does', { timeout: 120_000 }, async (t) => {
    const runId = `p${Date.now().toString(36)}`;
    srv.page('/privacy.html', withSnippet(fixture('privacy.html'), sites.main, `window.__insp=[['tagSession',{run:'${runId}'}]];`));
    srv.page('/from.html', '<!doctype html><p>from</p>');
    const b = await openBrowser();
    try {
      const seen = await capture(b);
      const page = await b.newPage();
      await page.goto(`${srv.base}/from.html?session=REFERRER_CANARY`);
      await page.goto(`${srv.base}/privacy.html?token=URL_TOKEN_CANARY&email=URL_EMAIL_CANARY&lang=en`, {
        referer: `${srv.base}/from.html?session=REFERRER_CANARY`,
      });
      await waitForAgent(page);
      await poll(() => seen.ingest.length > 0, { what: 'the first upload (settings applied, recording on)' });
      await sleep(300);

      // Typed, pasted, autofilled by script, shown and hidden.
      await page.type('#name', 'CENSOR_TYPED_CANARY', { delay: 5 });
      await page.focus('#notes');
      await page.keyboard.insertText(' CENSOR_PASTED_CANARY');
      await page.type('#search', ' WL_TYPED_VISIBLE', { delay: 5 });
      await page.type('#pw', 'PW_TYPED_CANARY', { delay: 5 });
      await page.focus('#pw2');
      await page.keyboard.insertText('PW_PASTED_CANARY');
      await page.evaluate(() => {
        const f = document.getElementById('pw3');
        f.value = 'PW_AUTOFILL_CANARY';
        f.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.click('#show');
      await page.type('#pw', 'PW_SHOWN_CANARY', { delay: 5 });
      await sleep(50);
      await page.click('#show');
      await page.type('#pw', 'PW_HIDDEN_AGAIN_CANARY', { delay: 5 });
      // Card fields, and a card number in a field nothing marks (filled at once).
      await page.type('#cc', '4111 1111 1111 1111', { delay: 5 });
      await page.type('#cvc', 'CVC_CANARY', { delay: 5 });
      await page.type('#exp', '12/29', { delay: 5 });
      await page.type('#otp', 'OTP_CANARY', { delay: 5 });
      await page.fill('#gift', '5555555555554444');
      await page.setInputFiles('#file', { name: 'FILE_NAME_CANARY.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
      await page.selectOption('#size', 'm');
      // Commands: blocked tag keys, a virtual page with a deny-listed parameter.
      await page.evaluate(() => {
        window.__insp.push(['tagSession', { email: 'TAG_EMAIL_CANARY', user: { name: 'TAG_USER_CANARY' }, plan: 'pro' }]);
        window.__insp.push(['virtualPage', '/done?code=VIRTUAL_CODE_CANARY']);
      });
      // Changes after load.
      await page.evaluate(() => window.privacySteps());
      await page.waitForSelector('#end');
      await sleep(300);
      await flush(page);
      const rec = await recorded(runId, 'END_OF_STEPS');

      const where = [
        ...seen.bodies.map((body, i) => [`request body ${i} (${seen.ingest[Math.floor(i / 2)]})`, body]),
        ['request URLs', Buffer.from(seen.ingest.join('\n') + seen.settings.join('\n'))],
        ['SQLite files', sqliteBytes()],
        ['/api/sessions/{id}', Buffer.from(rec.session)],
        ['/api/sessions/{id}/events', Buffer.from(rec.events)],
        ['/api/sessions/{id}/rrweb', Buffer.from(rec.rrweb)],
        ['/api/sessions/{id}/html', Buffer.from(rec.html)],
      ];
      t.diagnostic(`session ${rec.id}: ${seen.ingest.length} uploads, ${seen.settings.length} settings request(s)`);
      assertAbsent(CANARIES, where);
      // What must be there: whitelisted values and plain text, on the wire and in the API.
      const wire = Buffer.concat(seen.bodies);
      assertPresent(VISIBLE, [['the uploads', wire], ['/events', Buffer.from(rec.events)]]);
      const session = JSON.parse(rec.session);
      assert.equal(session.tags.plan, 'pro');
      assert.ok(!('email' in session.tags) && !('user.name' in session.tags), JSON.stringify(session.tags));
      assert.ok(session.pages.some((p) => p.url.includes('token=REDACTED') && p.url.includes('email=REDACTED')), rec.session);
      assert.ok(session.pages.some((p) => p.url === '/done?code=REDACTED'), rec.session);
      assert.ok(rec.events.includes('/reset?token=REDACTED'), 'href redacted in the DOM');
      assert.ok(rec.events.includes('session=REDACTED'), 'referrer redacted');
      assert.equal(seen.settings.length, 1, 'one settings request');

      // Replay: placeholders of the ignored elements' size, masks where text was.
      assert.match(rec.html, /<div data-insp-opaque="" style="width:\d+px;height:\d+px;background:#e4e4e4"><\/div>/);
      assert.match(rec.html, /\*{6,}/, 'masked text');
      assert.ok(rec.html.includes('WL_STATIC_VISIBLE'));
      const shot = await screenshot(b, rec.html, 'insp-privacy-replay.png');
      t.diagnostic(`replay screenshot: ${shot}`);
    } finally {
      await b.close();
    }
  });

  test('corpus pages: ignored and sensitive content never recorded', { timeout: 120_000 }, async (t) => {
    const b = await openBrowser();
    try {
      const seen = await capture(b);
      const all = [];
      for (const [p, html, canaries, visible] of corpusPages()) {
        const runId = `c${Date.now().toString(36)}${all.length}`;
        srv.page(p, withSnippet(html, sites.main, `window.__insp=[['tagSession',{run:'${runId}'}]];`));
        const page = await b.newPage();
        await page.goto(srv.base + p);
        await waitForAgent(page);
        await sleep(500);
        if (p.endsWith('form-fields.html')) {
          await page.type('input[type="text"]', 'CORPUS_TYPED_CANARY', { delay: 5 });
          await page.fill('textarea >> nth=0', 'CORPUS_AREA_CANARY');
          await page.type('input[name="tagName"]', 'CORPUS_WL_VISIBLE', { delay: 5 });
        }
        // One browser, one session: each page ends with a marker of its own.
        const marker = `CORPUS_END_${all.length}`;
        await page.evaluate((m) => document.body.appendChild(document.createElement('p')).append(m), marker);
        await sleep(200);
        await flush(page);
        const rec = await recorded(runId, marker);
        all.push([p, rec, canaries, visible]);
        await page.close();
      }
      const db = sqliteBytes();
      const wire = Buffer.concat(seen.bodies);
      for (const [p, rec, canaries, visible] of all) {
        assertAbsent(canaries, [
          ['the uploads', wire],
          ['SQLite files', db],
          [`${p} /events`, Buffer.from(rec.events)],
          [`${p} /rrweb`, Buffer.from(rec.rrweb)],
          [`${p} /html`, Buffer.from(rec.html)],
        ]);
        assertPresent(visible, [[`${p} /events`, Buffer.from(rec.events)]]);
        t.diagnostic(`${p}: session ${rec.id}`);
      }
      const block = all.find(([p]) => p.endsWith('block-element.html'))[1];
      assert.equal((block.html.match(/data-insp-opaque/g) || []).length, 3, 'three ignored blocks, three boxes');
    } finally {
      await b.close();
    }
  });

  // ---- whether to record at all --------------------------------------------------------------

  /** Opens `p` and lets the agent run; returns the requests made to /i/v1 besides settings. */
  async function visit(b, seen, p, { ms = 2500 } = {}) {
    const page = await b.newPage();
    await page.goto(srv.base + p);
    await waitForAgent(page);
    await page.evaluate(() => window.__insp.push(['tagSession', 'visited']));
    await sleep(ms);
    await flush(page);
    await sleep(800);
    return page;
  }

  function pageFor(wid, pre = '') {
    return withSnippet('<!doctype html><html><head><title>t</title></head><body><p>hello</p><input value="x"></body></html>', wid, pre);
  }

  test('an opted-out browser sends nothing at all; undo records again', { timeout: 120_000 }, async () => {
    srv.page('/optout-main.html', pageFor(sites.main));
    srv.page('/optout-other.html', pageFor(sites.other));
    const b = await openBrowser();
    try {
      const seen = await capture(b);
      const tab = await b.newPage();
      // Per site: the collector's own page sets its cookie.
      let res = await tab.goto(`${collector.base}/exclude/${sites.main}`);
      assert.equal(res.status(), 200);
      assert.match(await tab.content(), /opted out/);
      await visit(b, seen, '/optout-main.html');
      assert.equal(seen.settings.length, 1, 'the settings request is the only one');
      assert.deepEqual(seen.ingest, [], 'nothing else was sent');
      const cookies = (await b.context.cookies(srv.base)).map((c) => c.name);
      assert.ok(!cookies.includes('__insp_vid') && !cookies.includes('__insp_ses'), `no agent cookie: ${cookies}`);
      // Other sites are still recorded.
      await visit(b, seen, '/optout-other.html');
      await poll(() => seen.ingest.length > 0, { what: 'uploads of the other site' });
      // Every site.
      seen.ingest.length = 0;
      res = await tab.goto(`${collector.base}/optout`);
      assert.equal(res.status(), 200);
      await visit(b, seen, '/optout-other.html');
      assert.deepEqual(seen.ingest, [], 'global opt-out');
      // Undo both: recorded again.
      await tab.goto(`${collector.base}/optout?undo=1`);
      await tab.goto(`${collector.base}/exclude/${sites.main}?undo=1`);
      await visit(b, seen, '/optout-main.html');
      await poll(() => seen.ingest.length > 0, { what: 'uploads after undo' });
    } finally {
      await b.close();
    }
  });

  test('Global Privacy Control is an opt-out where the site honours it', { timeout: 60_000 }, async () => {
    srv.page('/gpc.html', pageFor(sites.gpc));
    srv.page('/gpc-main.html', pageFor(sites.main));
    const b = await openBrowser();
    try {
      await b.context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });" });
      const seen = await capture(b);
      await visit(b, seen, '/gpc.html');
      assert.equal(seen.settings.length, 1);
      assert.deepEqual(seen.ingest, [], 'nothing sent with GPC on a site honouring it');
      await visit(b, seen, '/gpc-main.html');
      await poll(() => seen.ingest.length > 0, { what: 'uploads of a site not honouring GPC' });
    } finally {
      await b.close();
    }
  });

  test("['consent', false] holds recording, cookies and sending until ['consent', true]", { timeout: 60_000 }, async () => {
    const runId = `k${Date.now().toString(36)}`;
    srv.page('/consent.html', pageFor(sites.main, `window.__insp=[['consent',false],['tagSession',{run:'${runId}'}],['identify','before-consent']];`));
    const b = await openBrowser();
    try {
      const seen = await capture(b);
      const page = await visit(b, seen, '/consent.html');
      assert.deepEqual(seen.ingest, [], 'nothing sent before consent');
      const cookies = (await b.context.cookies(srv.base)).map((c) => c.name);
      assert.ok(!cookies.some((c) => c.startsWith('__insp_')), `nothing stored before consent: ${cookies}`);
      await page.evaluate(() => {
        document.body.appendChild(document.createElement('p')).append('AFTER_CONSENT');
        window.__insp.push(['consent', true]);
      });
      await sleep(500);
      await flush(page);
      const rec = await recorded(runId, 'AFTER_CONSENT');
      const session = JSON.parse(rec.session);
      assert.equal(session.identity, 'before-consent', 'identity pushed before consent is sent after it');
      const after = (await b.context.cookies(srv.base)).map((c) => c.name);
      assert.ok(after.includes('__insp_vid'), `cookies after consent: ${after}`);
    } finally {
      await b.close();
    }
  });
});

/** Renders the replay HTML in Chromium and saves a screenshot; returns its path. */
async function screenshot(b, html, name) {
  const page = await b.newPage();
  await page.setContent(html, { waitUntil: 'load' });
  const file = path.join(process.env.INSP_E2E_OUT || os.tmpdir(), name);
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(file, png);
  assert.ok(png.length > 1000, 'a screenshot');
  // The ignored #account box is drawn at its size, empty.
  const box = await page.evaluate(() => {
    const el = document.querySelector('[data-insp-opaque]');
    const r = el && el.getBoundingClientRect();
    return r && { w: Math.round(r.width), h: Math.round(r.height), text: el.textContent };
  });
  assert.ok(box && box.w > 0 && box.h > 0 && box.text === '', `placeholder box: ${JSON.stringify(box)}`);
  await page.close();
  return file;
}
