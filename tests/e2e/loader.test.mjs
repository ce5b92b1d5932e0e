// The loader's own degradations: no WebAssembly at all, and a transient wasm download failure.
// Plus the ESM entry (insp.mjs) used before the DOM is ready.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  openBrowser,
  poll,
  sleep,
  snippet,
  startCollector,
  startPageServer,
  tagsOf,
  waitForAgent,
  waitForSession,
} from './lib.mjs';

let collector;
let pages;

before(async () => {
  collector = await startCollector();
  pages = await startPageServer();
});

after(async () => {
  await pages?.stop();
  await collector?.stop();
});

const identityOf = (s) => s.identity ?? s.identify ?? s.user ?? null;

function page(id) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>loader test</title>
<script>window.__insp = window.__insp || []; __insp.push(['identify', ${JSON.stringify(id)}]);</script>
<script>${snippet(collector.host, collector.wid)}</script>
</head><body><p>loader test</p></body></html>`;
}

describe('loader', () => {
  test('without WebAssembly: one warning, then silence for the rest of the tab session', async () => {
    const b = await openBrowser();
    try {
      pages.page('/nowasm', page('nowasm'));
      const tab = await b.newPage();
      await tab.addInitScript(() => {
        delete window.WebAssembly;
      });
      await tab.goto(`${pages.base}/nowasm`);
      await poll(() => b.inspWarnings().length > 0, { what: 'the insp warning' });
      await sleep(300);
      assert.equal(b.inspWarnings().length, 1);
      assert.match(b.inspWarnings()[0].text, /^insp: recording disabled: WebAssembly is not available/);
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('__insp_nowasm')), '1');
      assert.deepEqual(b.errors, []);

      b.reset();
      await tab.goto(`${pages.base}/nowasm`);
      await poll(() => tab.evaluate(() => typeof window.__inspAgent !== 'undefined'), { what: 'the loader' });
      await sleep(300);
      assert.deepEqual(b.inspWarnings(), []);
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });

  test('a failed wasm download warns once, is not remembered, and the next load records', async () => {
    const b = await openBrowser();
    try {
      pages.page('/flaky', page('flaky-network'));
      const tab = await b.newPage();
      await tab.route('**/insp.wasm*', (r) => r.abort('connectionreset'));
      await tab.goto(`${pages.base}/flaky`);
      await poll(() => b.inspWarnings().length > 0, { what: 'the insp warning' });
      await sleep(300);
      assert.equal(b.inspWarnings().length, 1, JSON.stringify(b.inspWarnings()));
      assert.match(b.inspWarnings()[0].text, /^insp: recording disabled: /);
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('__insp_nowasm')), null, 'not remembered');
      assert.deepEqual(b.errors, []);

      await tab.unroute('**/insp.wasm*');
      b.reset();
      await tab.goto(`${pages.base}/flaky`);
      await waitForAgent(tab);
      await waitForSession(collector, (x) => identityOf(x) === 'flaky-network');
      assert.deepEqual(b.inspWarnings(), []);
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });

  test('an exception inside the agent never reaches the page', async () => {
    const b = await openBrowser();
    try {
      pages.page('/hostile', page('hostile'));
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/hostile`);
      await waitForAgent(tab);
      await waitForSession(collector, (x) => identityOf(x) === 'hostile');
      // Proxies whose traps throw, pushed straight into the agent: whatever the agent makes of
      // them, push must return normally (the loader's guard) and the page sees no error.
      const outcome = await tab.evaluate(() => {
        const boom = () => {
          throw new Error('boom');
        };
        const hostile = [
          new Proxy({}, { ownKeys: boom }),
          new Proxy([], { get: boom }),
          new Proxy({}, { getPrototypeOf: boom, ownKeys: boom, get: boom, has: boom }),
        ];
        const results = [];
        for (const h of hostile) {
          for (const cmd of [h, ['tagSession', h], ['identify', h]]) {
            try {
              window.__insp.push(cmd);
              results.push('ok');
            } catch (e) {
              results.push('threw ' + e);
            }
          }
        }
        return results;
      });
      assert.deepEqual(outcome, Array(9).fill('ok'));
      await sleep(500);
      assert.deepEqual(b.errors, []);
      // Each malformed entry is one warning (at most one per push), and the agent survives
      // them: a later command still reaches the collector.
      const warnings = b.inspWarnings();
      assert.ok(warnings.length <= 9, JSON.stringify(warnings));
      assert.ok(!warnings.some((w) => /recording disabled/.test(w)), JSON.stringify(warnings));
      await tab.evaluate(() => window.__insp.push(['tagSession', 'survived']));
      await waitForSession(collector, (x) => identityOf(x) === 'hostile' && x.tags && 'survived' in x.tags);
    } finally {
      await b.close();
    }
  });

  test('insp.mjs: init() and insp.* work before the DOM is ready, once, in order', async () => {
    const b = await openBrowser();
    try {
      const C = collector.base;
      // The page arrives in two parts, 1.5 s apart: the module is imported (dynamic import() from
      // a classic script) and used while the document has no <body> yet.
      const head = `<!doctype html><html><head><meta charset="utf-8"><title>esm</title>
<script>
  window.__esmReady = import('${C}/insp.mjs').then(({ init, insp }) => {
    window.__bodyAtInit = !!document.body;
    insp.identify('esm-user');
    insp.tagSession({ plan: 'pro', price: 149.99 });
    init({ wid: ${collector.wid}, collector: '${C}/' });
    init({ wid: ${collector.wid}, collector: '${C}' });
    insp.tagSession({ converted: false });
    window.__esm = insp;
  });
</script>
</head>`;
      pages.route('/esm', (req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.write(head);
        setTimeout(() => res.end('<body><p>esm test</p></body></html>'), 1500);
      });
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/esm`);
      await tab.evaluate(() => window.__esmReady);
      await waitForAgent(tab);
      await tab.evaluate(() => {
        window.__esm.tagSession({ converted: true });
        window.__esm.virtualPage();
        window.__esm.push(['tagSession', 'raw push']);
      });
      const s = await waitForSession(
        collector,
        (x) => identityOf(x) === 'esm-user' && tagsOf(x).converted === 'true' && 'raw push' in tagsOf(x),
      );
      assert.deepEqual(tagsOf(s), { plan: 'pro', price: '149.99', converted: 'true', 'raw push': null });
      assert.equal(await tab.evaluate(() => window.__bodyAtInit), false, 'init() ran before <body> existed');
      const scripts = await tab.evaluate(() => document.querySelectorAll('script#inspsync').length);
      assert.equal(scripts, 1, 'init() twice injects one loader');
      assert.equal(b.requests.filter((u) => u.includes('/inspectlet.js')).length, 1);
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });
});
