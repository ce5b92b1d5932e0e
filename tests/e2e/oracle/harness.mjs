// Node side of the fidelity oracle (tests/e2e/oracle.test.mjs): serves the corpus and the
// generated pages with the loader injected, records a page while the seeded mutator runs,
// and compares the live canonical text at each checkpoint with the Rust engine's
// (`insp replay --format canonical --at MS`) and with rrweb's Replayer playing `/rrweb`.

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, poll, sleep, snippet } from '../lib.mjs';
import { generatedPages, generatedResources } from './pages.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CANON_JS = readFileSync(path.join(HERE, 'canon.js'), 'utf8');
export const MUTATOR_JS = readFileSync(path.join(HERE, 'mutator.js'), 'utf8');
const RRWEB_JS = () => readFileSync(path.join(ROOT, 'node_modules/rrweb/dist/rrweb.umd.cjs'), 'utf8');
const RRWEB_CSS = () => readFileSync(path.join(ROOT, 'node_modules/rrweb/dist/style.css'), 'utf8');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.xhtml': 'application/xhtml+xml; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
};

/** Every page of the corpus (html files), relative to its root, sorted. */
export function corpusPages(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSorted(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.html')) out.push('/' + path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

function readdirSorted(d) {
  return readdirSync(d).sort();
}

/** The loader put into a recorded page: tags the session, then the snippet (or the static tag). */
function loaderHtml(collector, tag, kind, xml) {
  const code =
    `window.__insp = window.__insp || []; __insp.push(['tagSession', {oracle: ${JSON.stringify(tag)}}]);\n` +
    (kind === 'static' ? '' : snippet(collector.host, collector.wid));
  const wrap = (c) => (xml ? `<script>//<![CDATA[\n${c}\n//]]></script>` : `<script>${c}</script>`);
  let out = wrap(code);
  if (kind === 'static') out += `<script async="async" src="${collector.base}/inspectlet.js?wid=${collector.wid}"></script>`;
  return out;
}

/** Before the last `</body>`, else the last `</html>`, else at the end. */
export function inject(html, code) {
  for (const re of [/<\/body\s*>/gi, /<\/html\s*>/gi]) {
    let last = -1;
    for (const m of html.matchAll(re)) last = m.index;
    if (last >= 0) return html.slice(0, last) + code + html.slice(last);
  }
  return html + code;
}

/**
 * The site: the corpus folder at /, generated pages under /gen/, a blank /replayer.html.
 * A page requested with `?oracle=TAG` gets the loader (and the session tag TAG); anything
 * else (frames, resources) is served as it is.
 */
export async function startSite({ collector, corpusDir, extraPages = {} }) {
  const gen = { ...generatedPages(), ...extraPages };
  const res = generatedResources();
  const server = http.createServer((req, resp) => {
    const url = new URL(req.url, 'http://x');
    const p = decodeURIComponent(url.pathname);
    const tag = url.searchParams.get('oracle');
    const send = (status, type, body) => {
      resp.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      resp.end(body);
    };
    try {
      if (p === '/replayer.html') {
        return send(200, TYPES['.html'], '<!doctype html><html><head></head><body><div id="root"></div></body></html>');
      }
      let body;
      let type;
      let loader = 'snippet';
      if (/\/oracle-frame\.html$/.test(p)) {
        // The frame page, in any directory (see the mutator's avoid.subdir).
        body = res['/gen/frames/frame.html'].body;
        type = TYPES['.html'];
      } else if (gen[p]) {
        body = gen[p].body;
        type = gen[p].type || TYPES['.html'];
        loader = gen[p].loader || 'snippet';
      } else if (res[p]) {
        body = res[p].body;
        type = res[p].type || TYPES[path.extname(p)] || TYPES['.html'];
      } else {
        const file = path.join(corpusDir, path.normalize(p));
        if (!file.startsWith(corpusDir + path.sep)) return send(403, 'text/plain', 'no');
        let st;
        try {
          st = statSync(file);
        } catch {
          return send(404, 'text/plain', 'not found');
        }
        if (!st.isFile()) return send(404, 'text/plain', 'not found');
        body = readFileSync(file);
        type = TYPES[path.extname(file)] || 'application/octet-stream';
      }
      if (tag && /html/.test(type)) {
        body = inject(String(body), loaderHtml(collector, tag, loader, /xhtml/.test(type)));
      }
      return send(200, type, body);
    } catch (e) {
      return send(500, 'text/plain', String(e && e.stack));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    pages: Object.keys(gen),
    async stop() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    },
  };
}

// ---- recording ------------------------------------------------------------------------------

/** Checkpoint in the page: the live canonical forms and the time they hold for. */
const CHECKPOINT = () => {
  const t = Date.now();
  return { t, exact: window.__oracleCanon.exact(document), rr: window.__oracleCanon.rrLive(document) };
};

/**
 * Loads `pagePath` with the loader, runs `steps` mutations split into `phases` phases with a
 * checkpoint after each, then a final checkpoint after a sentinel comment, flushes the agent
 * (pagehide) and waits for every batch. Returns what the verifiers need.
 */
export async function recordPage({ browser, site, collector, pagePath, tag, seed, steps, phases, cssDecl, avoid, phaseFns }) {
  await browser.context.clearCookies();
  const tab = await browser.newPage();
  const t0 = Date.now();
  try {
    await tab.goto(`${site.base}${pagePath}?oracle=${encodeURIComponent(tag)}`, { waitUntil: 'load' });
    // Not page.waitForFunction: Playwright's injected script needs the page's MutationObserver,
    // which a corpus page hijacks.
    await poll(
      () =>
        tab.evaluate(
          () => !!window.__insp && typeof window.__insp.push === 'function' && window.__insp.push !== Array.prototype.push,
        ),
      { timeoutMs: 15_000, intervalMs: 50, what: 'the agent to start' },
    );
    await tab.evaluate(CANON_JS);
    await tab.evaluate(MUTATOR_JS);
    await tab.evaluate(([s, o]) => window.__oracleMut.init(s, o), [seed, { cssDecl, avoid }]);
    const checkpoints = [];
    // A repro replaces the mutator by its own functions, one per phase (as source text).
    for (const [i, fn] of (phaseFns || []).entries()) {
      await tab.evaluate(async (src) => {
        await new Promise((r) => setTimeout(r, 80));
        await (0, eval)(`(${src})`)();
        await window.__oracleMut.settle();
      }, fn);
      checkpoints.push({ label: `repro phase ${i + 1}`, ...(await tab.evaluate(CHECKPOINT)) });
    }
    if (phaseFns) phases = 0;
    const per = Math.max(1, Math.floor(steps / Math.max(1, phases)));
    for (let i = 0; i < phases; i++) {
      const n = i === phases - 1 ? steps - per * (phases - 1) : per;
      await tab.evaluate(async (n) => {
        // Quiet time on both sides of a checkpoint: no event can straddle it.
        await new Promise((r) => setTimeout(r, 80));
        await window.__oracleMut.run(n);
        await window.__oracleMut.settle();
      }, n);
      checkpoints.push({ label: `checkpoint ${i + 1}/${phases} (after ${per * i + n} steps)`, ...(await tab.evaluate(CHECKPOINT)) });
    }
    const nonce = `oracle-end-${tag}`;
    await tab.evaluate(async (nonce) => {
      await new Promise((r) => setTimeout(r, 80));
      document.body.appendChild(document.createComment(nonce));
      await window.__oracleMut.settle();
    }, nonce);
    const final = { label: 'end (after the sentinel)', ...(await tab.evaluate(CHECKPOINT)) };
    const stats = await tab.evaluate(() => window.__oracleMut.stats());
    await tab.evaluate(() => window.dispatchEvent(new Event('pagehide')));

    const session = await poll(
      async () => {
        const list = await collector.api(
          `/api/sites/${collector.wid}/sessions?tag=${encodeURIComponent(`oracle=${tag}`)}`,
        );
        return (Array.isArray(list) ? list : list.sessions || [])[0];
      },
      { timeoutMs: 15_000, what: `the session tagged oracle=${tag}` },
    );
    const sid = session.sid ?? session.id;
    // Every batch up to the sentinel: no gap, and the sentinel's comment stored.
    let events = null;
    let last = null;
    const polled = Date.now();
    for (;;) {
      try {
        last = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/events`);
      } catch (e) {
        last = { error: String(e), gaps: [], page_loads: [] };
      }
      if (!last.error && last.gaps.length === 0 && JSON.stringify(last.page_loads).includes(nonce)) {
        events = last;
        break;
      }
      const waited = Date.now() - polled;
      const loads = (last.page_loads || []).map((l) => ({ pid: l.pid, seqs: l.seqs, events: l.events.length, snapshot: l.shown_ms }));
      if (waited > 5000 && !last.error && !last.page_loads.some((l) => l.shown_ms)) {
        throw new Error(
          `the agent recorded no DOM snapshot of ${pagePath}: the DOM recording never started (stored: ${JSON.stringify(loads)})`,
        );
      }
      if (waited > 20_000) {
        throw new Error(`timed out waiting for every batch of ${pagePath} up to the sentinel; stored: ${JSON.stringify({ gaps: last.gaps, loads, error: last.error })}`);
      }
      await sleep(200);
    }
    return { sid, events, checkpoints, final, stats, nonce, recordMs: Date.now() - t0 };
  } finally {
    await tab.close().catch(() => {});
  }
}

// ---- the Rust engine ------------------------------------------------------------------------

function run(bin, args) {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code ?? 1 : 0, stdout, stderr }),
    );
  });
}

/** The Rust engine's canonical text `offset` ms after the session start (CLI on the data dir). */
export async function rustCanonical(collector, sid, offset) {
  const r = await run(collector.bin, ['replay', sid, '--at', String(offset), '--format', 'canonical', '--data', collector.dataDir]);
  return { text: r.code === 0 ? r.stdout : null, error: r.code === 0 ? null : r.stderr.trim(), note: r.stderr.trim() };
}

// ---- rrweb ----------------------------------------------------------------------------------

/** A tab with rrweb's UMD bundle and the canonicaliser, reused for every session. */
export async function replayerTab(browser, site) {
  const tab = await browser.newPage();
  await tab.goto(`${site.base}/replayer.html`);
  await tab.addStyleTag({ content: RRWEB_CSS() });
  await tab.addScriptTag({ content: RRWEB_JS() });
  await tab.evaluate(CANON_JS);
  await tab.evaluate(() => {
    window.__load = (events) => {
      if (window.replayer) {
        try {
          window.replayer.destroy();
        } catch (e) {
          // gone
        }
      }
      const root = document.getElementById('root');
      root.textContent = '';
      window.__warnings = [];
      window.__finished = false;
      window.replayer = new rrweb.Replayer(events, {
        root,
        showWarning: true,
        showDebug: true,
        mouseTail: false,
        // At most 16: rrweb plays media at this rate times the recorded one, and Chromium
        // refuses playback rates over 16 (a warning per media event).
        speed: 16,
        logger: {
          log: (...a) => {
            const s = a.map(String).join(' ');
            if (/not found/i.test(s)) window.__warnings.push(s);
          },
          warn: (...a) => window.__warnings.push(a.map((x) => (x && x.stack) || String(x)).join(' ')),
        },
      });
      window.replayer.on('finish', () => (window.__finished = true));
    };
    window.__canon = () => {
      const r = window.replayer;
      return window.__oracleCanon.rrReplayed(r.iframe.contentDocument, r.getMirror());
    };
  });
  return tab;
}

// ---- comparing ------------------------------------------------------------------------------

const clip = (s, n = 160) => (s.length > n ? s.slice(0, n) + `… (${s.length} chars)` : s);

/** Where two lines first differ, shown around that column. */
function around(a, b) {
  let c = 0;
  while (c < a.length && c < b.length && a[c] === b[c]) c++;
  if (a.length <= 160 && b.length <= 160) return { a, b, col: c };
  const from = Math.max(0, c - 60);
  const cut = (s) => (from > 0 ? '…' : '') + s.slice(from, from + 140) + (s.length > from + 140 ? '…' : '');
  return { a: cut(a), b: cut(b), col: c };
}

/**
 * The first difference between the live text and a replayed one, with the node's path,
 * both lines, and context; `null` when equal.
 */
export function firstDiff(live, replay, { liveName = 'live', replayName = 'replay', context = 3 } = {}) {
  if (live === replay) return null;
  const a = live.split('\n');
  const b = replay.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const la = a[i];
  const lb = b[i];
  // Node path: the ancestors of the differing line (the nearest lines with less indent).
  const indent = (s) => /^ */.exec(s)[0].length;
  const pathOf = (lines, at) => {
    const out = [];
    let want = at < lines.length ? indent(lines[at]) : 1e9;
    for (let j = Math.min(at, lines.length) - 1; j >= 0 && want > 0; j--) {
      const d = indent(lines[j]);
      if (d < want) {
        out.unshift(clip(lines[j].trim(), 70));
        want = d;
      }
    }
    return out.join(' > ');
  };
  let what;
  if (la === undefined || la === '') what = `the ${replayName} has extra content`;
  else if (lb === undefined || lb === '') what = `the ${replayName} lacks content`;
  else if (b.indexOf(la, i + 1) > i && a.indexOf(lb, i + 1) < 0) what = `the ${replayName} has an extra node here`;
  else if (a.indexOf(lb, i + 1) > i && b.indexOf(la, i + 1) < 0) what = `the ${replayName} lacks a node here`;
  else if (la && lb && indent(la) === indent(lb) && la.trim()[0] === '<' && lb.trim()[0] === '<') {
    what = `element differs (tag/attributes/state)`;
  } else what = 'node differs';
  const shown = around(la ?? '<end>', lb ?? '<end>');
  const ctx = (lines, name) =>
    lines
      .slice(Math.max(0, i - context), i + context + 1)
      .map((l, k) => `    ${Math.max(0, i - context) + k === i ? '>' : ' '} ${clip(l)}`)
      .join('\n');
  return (
    `first difference at line ${i + 1} of ${a.length} (${what})\n` +
    `  node path: ${pathOf(a, i) || '(root)'}\n` +
    `  ${liveName.padEnd(7)}: ${shown.a}\n` +
    `  ${replayName.padEnd(7)}: ${shown.b}\n` +
    `  (first differing column: ${shown.col + 1})\n` +
    `  ${liveName} context:\n${ctx(a, liveName)}\n` +
    `  ${replayName} context:\n${ctx(b, replayName)}`
  );
}

/** Writes `name` under `dir` (created), returns its path. */
export function keep(dir, name, text) {
  mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Marks an rrweb difference in options' selectedness only (see optionFlagsOnly). */
export const OPTION_SELECTION_ONLY = '(option selectedness only)';

/** The two rrweb-form texts are equal but for `{selected}` / `{unselected}` of options. */
export function optionFlagsOnly(a, b) {
  const strip = (t) => t.replace(/^(\s*<option\b.*>) \{(?:un)?selected\}$/gm, '$1');
  return a !== b && strip(a) === strip(b);
}

/**
 * Every difference between the recording's checkpoints and their replays: the Rust engine at
 * each checkpoint, rrweb seeking to each checkpoint and playing to the end (`replayer`: the
 * tab of replayerTab(), or null to skip rrweb). The texts (and on failure the decoded events
 * and the rrweb export) are written under `out`.
 */
export async function verifyRecording({ collector, replayer, rec, page, slug, out }) {
  const failures = [];
  const { events, sid } = rec;
  const points = [...rec.checkpoints, rec.final];
  const report = (engine, cp, offset, diff, liveText, replayText) => {
    const base = `${slug}.${points.indexOf(cp)}`;
    const files = [keep(out, `${base}.${engine}.live.txt`, liveText), keep(out, `${base}.${engine}.txt`, replayText ?? '')];
    // rrweb's known seek artefact (see OPTION_SELECTION_ONLY): the texts differ in options'
    // selectedness alone.
    const known = engine.startsWith('rrweb') && optionFlagsOnly(liveText, replayText ?? '') ? ` ${OPTION_SELECTION_ONLY}` : '';
    failures.push(`[${page}] ${cp.label}, +${offset} ms, ${engine}:${known} ${diff}\n  files: ${files.join(' ')}`);
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
  let rr = null;
  if (replayer) {
    rr = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/rrweb`);
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
    if (nWarn) {
      failures.push(`[${page}] rrweb warned ${nWarn} time(s), first: ${warnings.map((w) => w.slice(0, 300)).join(' | ')}`);
    }
  }
  if (failures.length) {
    // Everything needed to look closer offline: the decoded events, and the rrweb export.
    keep(out, `${slug}.events.json`, JSON.stringify(events));
    if (rr) keep(out, `${slug}.rrweb.json`, JSON.stringify(rr));
    keep(out, `${slug}.checkpoints.json`, JSON.stringify(points.map((p) => ({ label: p.label, t: p.t, offset: p.t - events.start_ms }))));
  }
  return failures;
}

export { sleep };
