// rrweb's own Replayer plays insp's rrweb export.
//
// The fixture is `fixture_session()` of tests/native_replay.rs, exported by `insp_agent::rrweb`
// and written by the ignored test `write_rrweb_fixture` (run here through cargo, unless
// INSP_RRWEB_FIXTURE_JSON names an existing file) together with the Rust engine's canonical
// form of the document at the end and in the middle. rrweb 2.x (node_modules/rrweb/dist, UMD)
// is inlined into a blank page in Chromium; the test plays to the end (real-time path on the
// real DOM) and seeks (fast-forward path through rrweb's virtual DOM), then compares the
// replayed document with the Rust engine's, and checks what the canonical form does not
// show: styles from _cssText / adopted sheets, form state, blocked boxes, absolute URLs,
// scroll. A last test records a live page with the real agent and collector
// (target/release/insp or INSP_BIN) and replays its /api/sessions/{id}/rrweb export the same
// way, against `insp replay --format canonical` of the same session.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  API_KEY,
  ROOT,
  collectorBin,
  openBrowser,
  poll,
  sleep,
  snippet,
  startCollector,
  startPageServer,
  waitForSession,
} from './lib.mjs';

let fixture;
let browser;
let tmp;

function loadFixture() {
  const given = process.env.INSP_RRWEB_FIXTURE_JSON;
  if (given && existsSync(given)) return JSON.parse(readFileSync(given, 'utf8'));
  tmp = mkdtempSync(path.join(os.tmpdir(), 'insp-rrweb-'));
  const out = path.join(tmp, 'fixture.json');
  const r = spawnSync(
    'cargo',
    ['test', '-q', '-p', 'insp-agent', '--test', 'native_replay', 'write_rrweb_fixture', '--', '--ignored', '--exact'],
    { cwd: ROOT, env: { ...process.env, INSP_RRWEB_FIXTURE: out }, encoding: 'utf8', timeout: 15 * 60_000 },
  );
  if (r.status !== 0) throw new Error(`writing the fixture failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

before(async () => {
  fixture = loadFixture();
  browser = await openBrowser();
  // The recording's absolute URLs point at hosts that do not exist here: answer nothing.
  await browser.context.route(/^https?:/, (route) => route.abort());
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const RRWEB_JS = () => readFileSync(path.join(ROOT, 'node_modules/rrweb/dist/rrweb.umd.cjs'), 'utf8');
const RRWEB_CSS = () => readFileSync(path.join(ROOT, 'node_modules/rrweb/dist/style.css'), 'utf8');

/** A page with rrweb loaded and a Replayer over the fixture's events (`window.replayer`). */
async function replayerPage(config = {}, events = fixture.events) {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><head></head><body><div id="root"></div></body></html>');
  await page.addStyleTag({ content: RRWEB_CSS() });
  await page.addScriptTag({ content: RRWEB_JS() });
  await page.evaluate(
    ({ events, config }) => {
      window.__warnings = [];
      window.replayer = new rrweb.Replayer(events, {
        root: document.getElementById('root'),
        showWarning: true,
        // Nodes missing for scroll / input events are only reported at debug level.
        showDebug: true,
        mouseTail: false,
        logger: {
          log: (...a) => {
            const s = a.map(String).join(' ');
            if (/not found/i.test(s)) window.__warnings.push(s);
          },
          warn: (...a) => window.__warnings.push(a.map(String).join(' ')),
        },
        ...config,
      });
      window.__finished = false;
      window.replayer.on('finish', () => (window.__finished = true));
    },
    { events, config },
  );
  return page;
}

// In the page: the replayed document in the mirror's canonical form without attributes
// (rrweb adds and renames some), skipping nodes rrweb created itself (not in its mirror:
// its injected <style> rules, the text of _cssText). CDATA is text in both (see rrweb.rs).
const SKELETON = () => {
  const mirror = window.replayer.getMirror();
  const doc = window.replayer.iframe.contentDocument;
  const SVG = 'http://www.w3.org/2000/svg';
  const lines = [];
  const walk = (n, depth) => {
    const pad = '  '.repeat(depth);
    if (n.nodeType !== 11 && !(mirror.getId(n) > 0)) return;
    switch (n.nodeType) {
      case 9:
        lines.push(pad + '#document');
        break;
      case 11:
        lines.push(pad + '#shadow-root');
        break;
      case 3:
      case 4:
        lines.push(pad + '#text ' + JSON.stringify(n.data));
        break;
      case 8:
        lines.push(pad + '#comment ' + JSON.stringify(n.data));
        break;
      case 1: {
        let tag = n.namespaceURI === SVG ? 'svg:' + n.localName : n.localName.toLowerCase();
        // rrweb builds recorded scripts as inert <noscript> elements.
        if (tag === 'noscript' && mirror.getMeta(n)?.tagName === 'script') tag = 'script';
        lines.push(pad + '<' + tag + '>');
        break;
      }
      default:
        return;
    }
    if (n.nodeType === 1 && n.localName === 'script') return;
    if (n.nodeType === 1 && n.shadowRoot) walk(n.shadowRoot, depth + 1);
    if (n.nodeType === 1 && n.localName === 'iframe' && n.contentDocument) walk(n.contentDocument, depth + 1);
    for (const c of n.childNodes) walk(c, depth + 1);
  };
  walk(doc.body, 2);
  return lines.join('\n') + '\n';
};

/**
 * The Rust canonical form, body only, without attributes, CDATA as text, and without the
 * children of a textarea (rrweb gets its value instead; see rrweb.rs).
 */
function expectedSkeleton(canonical) {
  const lines = canonical.split('\n');
  const start = lines.findIndex((l) => /^    <body[ >]/.test(l));
  assert.ok(start >= 0, 'canonical form has a body');
  const out = [];
  let skipDeeperThan = -1;
  for (const l of lines.slice(start)) {
    if (out.length && !l.startsWith('     ')) break;
    const m = /^(\s*)(.*)$/.exec(l);
    if (skipDeeperThan >= 0) {
      if (m[1].length > skipDeeperThan) continue;
      skipDeeperThan = -1;
    }
    if (m[2].startsWith('<textarea')) skipDeeperThan = m[1].length;
    let s = m[2];
    if (s.startsWith('<')) s = '<' + /^<([^ >]+)/.exec(s)[1] + '>';
    else if (s.startsWith('#cdata ')) s = '#text ' + s.slice(7);
    out.push(m[1] + s);
  }
  return out.join('\n') + '\n';
}

async function inspect(page) {
  return page.evaluate(() => {
    const doc = window.replayer.iframe.contentDocument;
    const win = doc.defaultView;
    const $ = (s) => doc.querySelector(s);
    const frameDoc = $('#frame')?.contentDocument;
    return {
      title: $('#title')?.textContent,
      titleClass: $('#title')?.className,
      bodyColor: win.getComputedStyle(doc.body).color,
      h1Color: win.getComputedStyle($('#title')).color,
      pMargin: $('#a') ? win.getComputedStyle($('#a')).marginTop : null,
      targetBg: win.getComputedStyle($('#target')).backgroundImage,
      name: $('#name')?.value,
      ta: $('#ta')?.value,
      agree: $('#agree')?.checked,
      ad: $('#ad') ? [$('#ad').offsetWidth, $('#ad').offsetHeight, $('#ad').childNodes.length] : null,
      logo: $('#logo')?.getAttribute('src'),
      srcset: $('#logo')?.getAttribute('srcset'),
      frameText: frameDoc?.querySelector('#in-frame')?.textContent,
      shadow: $('#host')?.shadowRoot ? Array.from($('#host').shadowRoot.children, (e) => e.id) : null,
      target: Array.from($('#target')?.children || [], (e) => e.id),
      list: Array.from($('#list')?.children || [], (e) => e.id),
      hasB: !!$('#b'),
      svgNs: $('#pic')?.namespaceURI,
      scrollTop: $('#scroller')?.scrollTop,
      warnings: window.__warnings.slice(),
    };
  });
}

test('the fixture is an rrweb event list', () => {
  const { events } = fixture;
  assert.ok(Array.isArray(events) && events.length > 5);
  assert.equal(events[0].type, 4);
  assert.equal(events[1].type, 2);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].timestamp >= events[i - 1].timestamp);
});

test('rrweb Replayer plays the export to the end', async () => {
  const page = await replayerPage({ speed: 4 });
  browser.reset();
  await page.evaluate(() => window.replayer.play(0));
  await poll(() => page.evaluate(() => window.__finished), { timeoutMs: 20_000, what: 'the replay to finish' });
  // Smooth scrolling may still be running.
  await poll(async () => (await inspect(page)).scrollTop === 120, { timeoutMs: 5_000, what: 'the scroll event' });
  const got = await inspect(page);

  assert.equal(got.title, 'Hello, world');
  assert.equal(got.titleClass, 'big');
  assert.deepEqual(got.list, [], '#list is empty: p#a moved, p#b removed, p#c moved');
  assert.deepEqual(got.target, ['c', 'a', 'after-checkout']);
  assert.equal(got.hasB, false);
  assert.deepEqual(got.shadow, ['inner', 'bold']);
  assert.equal(got.frameText, 'frame updated');
  // Styles: _cssText on <style>, a <link> turned into <style> (both changed at the end), an
  // adopted sheet.
  assert.equal(got.bodyColor, 'rgb(4, 5, 6)');
  assert.equal(got.h1Color, 'rgb(0, 0, 255)');
  assert.equal(got.pMargin, '3px');
  assert.equal(got.targetBg, 'none', 'the new <style> text has no .bg rule');
  // Form state after Input events.
  assert.equal(got.name, 'Grace');
  assert.equal(got.agree, false);
  assert.equal(got.ta, 'edited text');
  // Blocked box, URLs, SVG.
  assert.deepEqual(got.ad, [300, 250, 0]);
  assert.equal(got.logo, 'https://shop.example/app/img/logo.png');
  assert.equal(got.srcset, 'https://shop.example/app/img/a.png 1x, https://shop.example/img/b.png 2x');
  assert.equal(got.svgNs, 'http://www.w3.org/2000/svg');
  // rrweb found every node it was told about.
  assert.deepEqual(got.warnings, []);
  assert.deepEqual(browser.errors, []);

  assert.equal(await page.evaluate(SKELETON), expectedSkeleton(fixture.canonical_end));
  await page.close();
});

test('seeking (fast-forward through the virtual DOM) gives the same documents', async () => {
  const page = await replayerPage();
  browser.reset();
  const first = fixture.events[0].timestamp;
  const mid = fixture.start_ms + fixture.mid_offset_ms - first;
  await page.evaluate((t) => window.replayer.pause(t), mid);
  const atMid = await inspect(page);
  assert.equal(atMid.title, 'Hello, world');
  assert.deepEqual(atMid.list, ['c']);
  assert.deepEqual(atMid.target, ['a']);
  assert.equal(atMid.hasB, false);
  assert.equal(atMid.name, 'Ada');
  assert.equal(atMid.agree, true);
  assert.equal(atMid.ta, 'typed text');
  assert.equal(atMid.bodyColor, 'rgb(1, 2, 3)');
  assert.equal(atMid.h1Color, 'rgb(0, 128, 0)');
  assert.match(atMid.targetBg, /url\("https:\/\/shop\.example\/app\/img\/bg\.png"\)/);
  assert.equal(await page.evaluate(SKELETON), expectedSkeleton(fixture.canonical_mid));

  // rrweb's pause(t) applies the events strictly before t.
  const end = fixture.events.at(-1).timestamp - first + 1;
  await page.evaluate((t) => window.replayer.pause(t), end);
  const atEnd = await inspect(page);
  assert.deepEqual(atEnd.target, ['c', 'a', 'after-checkout']);
  assert.deepEqual(atEnd.shadow, ['inner', 'bold']);
  assert.equal(atEnd.frameText, 'frame updated');
  assert.equal(atEnd.pMargin, '3px');
  assert.equal(atEnd.bodyColor, 'rgb(4, 5, 6)');
  assert.equal(atEnd.h1Color, 'rgb(0, 0, 255)');
  assert.equal(atEnd.ta, 'edited text');
  assert.deepEqual(atEnd.warnings, []);
  assert.deepEqual(browser.errors, []);
  assert.equal(await page.evaluate(SKELETON), expectedSkeleton(fixture.canonical_end));
  await page.close();
});

test('a reference rrweb cannot resolve is reported (the warning checks above can fail)', async () => {
  const last = fixture.events.at(-1).timestamp;
  const bogus = {
    type: 3,
    timestamp: last + 10,
    data: { source: 0, texts: [{ id: 999999, value: 'x' }], attributes: [], removes: [], adds: [] },
  };
  const page = await replayerPage({}, [...fixture.events, bogus]);
  await page.evaluate((t) => window.replayer.pause(t), last + 11 - fixture.events[0].timestamp);
  const { warnings } = await inspect(page);
  assert.ok(warnings.some((w) => w.includes("'999999' not found")), JSON.stringify(warnings));
  await page.close();
});

// The whole chain on a live page: agent -> collector -> /rrweb -> rrweb's Replayer, compared
// with the collector's own engine (`insp replay --format canonical`) on the same recording.
// Skipped while the agent does not record the DOM (no snapshot reaches the collector).
test('a live recording: rrweb replays what the Rust engine rebuilds', async (t) => {
  try {
    collectorBin();
  } catch (e) {
    t.skip(e.message);
    return;
  }
  const collector = await startCollector();
  const pages = await startPageServer();
  const live = await openBrowser();
  try {
    pages.page(
      '/live.html',
      `<!doctype html><html><head><title>live</title><style>h1 { color: rgb(9, 8, 7) }</style></head>
<body><h1 id="t">Hi</h1><ul id="l"><li id="one">1</li><li id="two">2</li></ul>
<div id="host"></div><input id="i"><script>${snippet(collector.host, collector.wid)}</script></body></html>`,
    );
    const tab = await live.newPage();
    await tab.goto(`${pages.base}/live.html`);
    await sleep(1000);
    await tab.evaluate(() => {
      document.getElementById('t').textContent = 'Changed';
      const l = document.getElementById('l');
      const li = document.createElement('li');
      li.id = 'three';
      li.textContent = '3';
      l.appendChild(li);
      l.insertBefore(document.getElementById('two'), document.getElementById('one'));
      const root = document.getElementById('host').attachShadow({ mode: 'open' });
      root.innerHTML = '<b id="sb">shadow</b>';
    });
    await tab.fill('#i', 'typed');
    await sleep(500);
    await tab.goto('about:blank');
    const s = await waitForSession(collector, () => true);
    const sid = s.id;
    let rec;
    try {
      rec = await poll(
        async () => {
          const ev = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/events`);
          const has = ev.page_loads.some((l) => l.events.some((e) => e.data && e.data.FullSnapshot));
          return has && ev;
        },
        { timeoutMs: 8_000, what: 'a DOM snapshot from the agent' },
      );
    } catch (e) {
      t.skip('the agent does not record the DOM yet (no snapshot reached the collector)');
      return;
    }
    const canonical = execFileSync(
      collector.bin,
      ['replay', sid, '--format', 'canonical', '--data', collector.dataDir],
      { encoding: 'utf8' },
    );
    const html = await (
      await fetch(`${collector.base}/api/sessions/${encodeURIComponent(sid)}/html?at=${rec.duration_ms}`, {
        headers: { Authorization: `Bearer ${API_KEY}` },
      })
    ).text();
    assert.match(html, /Changed/);

    const events = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/rrweb`);
    const page = await replayerPage({}, events);
    browser.reset();
    await page.evaluate((t) => window.replayer.pause(t), events.at(-1).timestamp - events[0].timestamp + 1);
    const got = await page.evaluate(() => {
      const d = window.replayer.iframe.contentDocument;
      return {
        title: d.getElementById('t')?.textContent,
        color: d.getElementById('t') && d.defaultView.getComputedStyle(d.getElementById('t')).color,
        warnings: window.__warnings.slice(),
      };
    });
    assert.equal(got.title, 'Changed');
    assert.equal(got.color, 'rgb(9, 8, 7)');
    assert.deepEqual(got.warnings, []);
    assert.deepEqual(browser.errors, []);
    assert.equal(await page.evaluate(SKELETON), expectedSkeleton(canonical));
    await page.close();
  } finally {
    await live.close();
    await pages.stop();
    await collector.stop();
  }
});
