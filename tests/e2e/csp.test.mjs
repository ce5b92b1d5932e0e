// Content-Security-Policy matrix. The page server (one origin) sends the policy; the collector
// (another origin) serves the loader and the wasm. Every row states what must happen:
//
//   records         the agent runs and the session reaches the API
//   script-blocked  the page's policy refuses the collector's script: the loader never runs,
//                   so insp says nothing (the browser reports the refusal itself)
//   wasm-blocked    the loader runs but may not compile WebAssembly (no 'wasm-unsafe-eval'):
//                   one `insp:` warning, and the next page load of the tab does not try again
//                   (no second wasm-eval violation, no wasm download)
//   fetch-blocked   connect-src refuses the wasm download: the same as wasm-blocked
//
// In every row: no page errors (uncaught exceptions or unhandled rejections).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  isWasmViolation,
  listSessions,
  openBrowser,
  poll,
  sleep,
  snippet,
  startCollector,
  startPageServer,
  waitForSession,
} from './lib.mjs';

let collector;
let pages;

before(async () => {
  collector = await startCollector();
  pages = await startPageServer();
  const C = collector.base;
  // The snippet as a same-origin file, for policies without 'unsafe-inline'.
  pages.page('/snippet.js', snippet(collector.host, collector.wid));
  // The queue, as a same-origin file: identifies the session by the row's id.
  pages.route('/queue.js', (req, res) => {
    const id = new URL(req.url, 'http://x').searchParams.get('id');
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    res.end(`window.__insp = window.__insp || []; __insp.push(['identify', ${JSON.stringify(id)}]);`);
  });
  // An ES-module app that starts insp with init() from the collector's insp.mjs.
  pages.page(
    '/app.mjs',
    `import { init, insp } from '${C}/insp.mjs';
init({ wid: ${collector.wid}, collector: '${C}' });
insp.tagSession('esm');`,
  );
});

after(async () => {
  await pages?.stop();
  await collector?.stop();
});

const identityOf = (s) => s.identity ?? s.identify ?? s.user ?? null;

// `csp(C)` builds the policy for the collector origin C.
const ALLOW = (C) => `script-src 'self' 'wasm-unsafe-eval' ${C}; connect-src ${C}`;
const ROWS = [
  { name: 'no policy, inline snippet', csp: null, load: 'inline', expect: 'records' },
  { name: "script-src 'self'", csp: () => "script-src 'self'", load: 'external', expect: 'script-blocked' },
  { name: "script-src 'self' <collector>", csp: (C) => `script-src 'self' ${C}`, load: 'external', expect: 'wasm-blocked' },
  { name: "default-src 'self'", csp: () => "default-src 'self'", load: 'external', expect: 'script-blocked' },
  { name: "default-src 'self' <collector>", csp: (C) => `default-src 'self' ${C}`, load: 'external', expect: 'wasm-blocked' },
  {
    name: "default-src 'self' 'wasm-unsafe-eval' <collector>",
    csp: (C) => `default-src 'self' 'wasm-unsafe-eval' ${C}`,
    load: 'external',
    expect: 'records',
  },
  {
    name: "script-src 'self' 'wasm-unsafe-eval' <collector>; connect-src <collector>",
    csp: ALLOW,
    load: 'external',
    expect: 'records',
  },
  {
    name: "script-src 'self' 'wasm-unsafe-eval' <collector>; connect-src 'self'",
    csp: (C) => `script-src 'self' 'wasm-unsafe-eval' ${C}; connect-src 'self'`,
    load: 'external',
    expect: 'fetch-blocked',
  },
  {
    name: "the same as recording + require-trusted-types-for 'script', static <script async src>",
    csp: (C) => `${ALLOW(C)}; require-trusted-types-for 'script'`,
    load: 'static',
    expect: 'records',
  },
  {
    name: "the same + trusted-types insp, ESM init() from the collector's insp.mjs",
    csp: (C) => `${ALLOW(C)}; require-trusted-types-for 'script'; trusted-types insp`,
    load: 'esm',
    expect: 'records',
  },
];

function html(row, id) {
  const C = collector.base;
  const queue = `<script src="/queue.js?id=${encodeURIComponent(id)}"></script>`;
  const loaders = {
    inline: `<script>window.__insp = window.__insp || []; __insp.push(['identify', ${JSON.stringify(id)}]);</script>
<script>${snippet(collector.host, collector.wid)}</script>`,
    external: `${queue}\n<script src="/snippet.js"></script>`,
    static: `${queue}\n<script async src="${C}/inspectlet.js?wid=${collector.wid}"></script>`,
    esm: `${queue}\n<script type="module" src="/app.mjs"></script>`,
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>${row.name}</title>
${loaders[row.load]}
</head><body><h1>CSP: ${row.name}</h1><p>Text to record.</p></body></html>`;
}

const isWasmRequest = (u) => new URL(u).pathname.endsWith('.wasm');

describe('Content-Security-Policy matrix', () => {
  ROWS.forEach((row, i) => {
    test(`${i}: ${row.name} -> ${row.expect}`, async () => {
      const id = `csp-row-${i}`;
      const path = `/row/${i}`;
      const csp = row.csp && row.csp(collector.base);
      pages.page(path, html(row, id), csp ? { 'content-security-policy': csp } : {});

      const b = await openBrowser();
      try {
        const tab = await b.newPage();
        await tab.goto(pages.base + path, { waitUntil: 'load' });

        if (row.expect === 'records') {
          const s = await waitForSession(collector, (x) => identityOf(x) === id, {
            what: `the session of row ${i} (${row.name})`,
          });
          assert.ok(s);
          const v = await b.violations(tab);
          assert.deepEqual(v, [], 'no CSP violation at all');
          assert.deepEqual(b.inspWarnings(), [], 'no insp warning');
          assert.equal(await tab.evaluate(() => sessionStorage.getItem('__insp_nowasm')), null);
        } else if (row.expect === 'script-blocked') {
          await poll(async () => (await b.violations(tab)).some((v) => v.blockedURI.includes('/inspectlet.js')), {
            what: 'the script-src violation for inspectlet.js',
          });
          await sleep(500);
          assert.equal(await tab.evaluate(() => typeof window.__inspAgent), 'undefined', 'the loader never ran');
          assert.deepEqual(b.inspWarnings(), [], 'no insp warning (insp never ran)');
          assert.equal(b.requests.filter(isWasmRequest).length, 0, 'no wasm download');
        } else {
          // wasm-blocked / fetch-blocked
          await poll(() => b.inspWarnings().length > 0, { what: 'the insp warning' });
          await sleep(300);
          const warnings = b.inspWarnings();
          assert.equal(warnings.length, 1, `exactly one insp warning: ${JSON.stringify(warnings)}`);
          assert.match(warnings[0].text, /^insp: recording disabled: .*Content-Security-Policy/);
          const v = await b.violations(tab);
          if (row.expect === 'wasm-blocked') {
            assert.ok(v.some(isWasmViolation), `a wasm-eval violation: ${JSON.stringify(v)}`);
          } else {
            assert.ok(v.some((x) => x.effectiveDirective === 'connect-src'), `a connect-src violation: ${JSON.stringify(v)}`);
          }
          assert.equal(await tab.evaluate(() => sessionStorage.getItem('__insp_nowasm')), '1', 'remembered for the tab');
        }
        assert.deepEqual(b.errors, [], 'no page errors on the first load');

        // Second load in the same tab.
        b.reset();
        await tab.goto(pages.base + path, { waitUntil: 'load' });
        if (row.expect === 'script-blocked') {
          await poll(async () => (await b.violations(tab)).some((v) => v.blockedURI.includes('/inspectlet.js')), {
            what: 'the script-src violation for inspectlet.js (second load)',
          });
        } else {
          await poll(() => tab.evaluate(() => typeof window.__inspAgent !== 'undefined'), {
            what: 'the loader to run on the second load',
          });
        }
        await sleep(800);
        const v2 = await b.violations(tab);
        assert.deepEqual(v2.filter(isWasmViolation), [], 'no wasm-eval violation on the second load');
        if (row.expect !== 'records') {
          assert.deepEqual(
            v2.filter((x) => x.blockedURI.startsWith(collector.base) && !x.blockedURI.includes('/inspectlet.js')),
            [],
            'no further violation for the collector on the second load',
          );
          assert.equal(b.requests.filter(isWasmRequest).length, 0, 'no wasm download on the second load');
          const mine = (await listSessions(collector)).filter((x) => identityOf(x) === id);
          assert.deepEqual(mine, [], 'nothing recorded');
        }
        assert.deepEqual(b.inspWarnings(), [], 'no insp warning on the second load');
        assert.deepEqual(b.errors, [], 'no page errors on the second load');
      } finally {
        await b.close();
      }
    });
  });
});
