// The exact Inspectlet snippet, on a page of another origin than the collector, records a
// session whose identity and tags the API returns exactly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  listSessions,
  openBrowser,
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

function page(head, body = '') {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>snippet test</title>
${head}
</head><body><h1>insp snippet test</h1><p>Some text to record.</p>${body}</body></html>`;
}

const identityOf = (s) => s.identity ?? s.identify ?? s.user ?? null;
const idOf = (s) => s.sid ?? s.id ?? s.session_id;

describe('the Inspectlet snippet', () => {
  test('identity and tags pushed before and after the agent loads reach the API exactly', async () => {
    const b = await openBrowser();
    try {
      pages.page(
        '/shop',
        page(`<script>
window.__insp = window.__insp || [];
__insp.push(['identify', 'guest-4711']);
__insp.push(['tagSession', {user: {plan: 'pro'}, price: 149.99, ok: true, n: 1258}]);
__insp.push(['tagSession', {converted: false}]);
</script>
<script type="text/javascript">${snippet(collector.host, collector.wid)}</script>`),
      );
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/shop`);
      await waitForAgent(tab);
      // Once the agent has taken the queue over: a new identity replaces the first one.
      await tab.evaluate(() => {
        window.__insp.push(['identify', 'alice@example.com']);
        window.__insp.push(['tagSession', 'viewed checkout']);
        window.__insp.push(['tagSession', { converted: true }]);
      });

      const q = `tag=${encodeURIComponent('user.plan=pro')}`;
      const s = await waitForSession(
        collector,
        (x) => identityOf(x) === 'alice@example.com' && tagsOf(x).converted === 'true' && 'viewed checkout' in tagsOf(x),
        { query: q, what: 'the tagged session (GET /api/sites/1/sessions?tag=user.plan=pro)' },
      );
      assert.deepEqual(tagsOf(s), {
        'user.plan': 'pro',
        price: '149.99',
        ok: 'true',
        n: '1258',
        converted: 'true',
        'viewed checkout': null,
      });
      assert.equal(identityOf(s), 'alice@example.com');
      // The filter as written by hand, without encoding the second '='.
      const raw = await listSessions(collector, 'tag=user.plan=pro');
      assert.ok(raw.some((x) => idOf(x) === idOf(s)), 'found with ?tag=user.plan=pro');

      // The tag filter is a filter: another value finds nothing.
      const none = await listSessions(collector, `tag=${encodeURIComponent('user.plan=free')}`);
      assert.equal(none.filter((x) => identityOf(x) === 'alice@example.com').length, 0);

      assert.deepEqual(b.errors, [], 'page errors');
      assert.deepEqual(b.inspWarnings(), [], 'insp console warnings');

      // A new session in the same browser: the identity comes back from the agent's cookie.
      // (Drop the session cookie so the next load starts a new session; keep the visitor's.)
      const first = idOf(s);
      const cookies = await b.context.cookies(pages.base);
      const sessionCookies = cookies.filter((c) => /ses/i.test(c.name)).map((c) => c.name);
      assert.ok(cookies.length > 0, 'the agent set first-party cookies');
      for (const name of sessionCookies) await b.context.clearCookies({ name });
      pages.page('/second', page(`<script>${snippet(collector.host, collector.wid)}</script>`));
      await tab.goto(`${pages.base}/second`);
      await waitForAgent(tab);
      const second = await waitForSession(
        collector,
        (x) => idOf(x) !== first && identityOf(x) === 'alice@example.com',
        { what: 'a second session identified by cookie as alice@example.com' },
      );
      // Tags are per session; identity is per visitor.
      assert.equal(tagsOf(second)['user.plan'], undefined);
      assert.deepEqual(b.errors, [], 'page errors');
      assert.deepEqual(b.inspWarnings(), [], 'insp console warnings');
    } finally {
      await b.close();
    }
  });

  test('a second page load in the same session keeps the identity', async () => {
    const b = await openBrowser();
    try {
      pages.page(
        '/p1',
        page(`<script>window.__insp = window.__insp || []; __insp.push(['identify', 'bob@example.com']);</script>
<script>${snippet(collector.host, collector.wid)}</script>`),
      );
      pages.page('/p2', page(`<script>${snippet(collector.host, collector.wid)}</script>`));
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/p1`);
      await waitForAgent(tab);
      const s1 = await waitForSession(collector, (x) => identityOf(x) === 'bob@example.com');
      await tab.goto(`${pages.base}/p2`);
      await waitForAgent(tab);
      await tab.evaluate(() => window.__insp.push(['tagSession', 'second page']));
      const s2 = await waitForSession(collector, (x) => 'second page' in tagsOf(x), {
        what: 'the tag pushed on the second page',
      });
      assert.equal(identityOf(s2), 'bob@example.com');
      assert.equal(idOf(s2), idOf(s1), 'same session across page loads');
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });

  test('a same-origin frame carrying the snippet is recorded by its parent, not by an agent of its own', async () => {
    const b = await openBrowser();
    try {
      const code = `<script>${snippet(collector.host, collector.wid)}</script>`;
      pages.page('/framed-child', page(code, '<p id="inner">framed content</p>'));
      pages.page(
        '/framed',
        page(`<script>window.__insp = window.__insp || []; __insp.push(['identify', 'frank@example.com']);</script>${code}`,
          '<iframe id="f" src="/framed-child"></iframe>'),
      );
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/framed`);
      await waitForAgent(tab);
      const s = await waitForSession(collector, (x) => identityOf(x) === 'frank@example.com');
      await sleep(2000); // time for a second agent, if any, to show itself
      const wasm = b.requests.filter((u) => new URL(u).pathname.endsWith('.wasm'));
      const loaders = b.requests.filter((u) => u.includes('/inspectlet.js'));
      assert.equal(loaders.length, 2, `both snippets load the loader: ${loaders}`);
      assert.equal(wasm.length, 1, `one wasm fetch (the parent's): ${wasm}`);
      const inFrame = await tab.frames()[1].evaluate(() => window.__inspAgent === undefined);
      assert.ok(inFrame, 'no agent inside the frame');
      const detail = await collector.api(`/api/sessions/${encodeURIComponent(idOf(s))}`);
      assert.deepEqual([...new Set(detail.pages.map((p) => p.pid))].length, 1, JSON.stringify(detail.pages));
      assert.ok(detail.pages.every((p) => new URL(p.url).pathname === '/framed'), JSON.stringify(detail.pages));
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });

  test('loading inspectlet.js twice on one page starts one agent', async () => {
    const b = await openBrowser();
    try {
      const src = `http://${collector.host}/inspectlet.js?wid=${collector.wid}`;
      pages.page(
        '/twice',
        page(`<script>window.__insp = window.__insp || []; __insp.push(['identify', 'carol@example.com']);</script>
<script>${snippet(collector.host, collector.wid)}</script>
<script async src="${src}&twice=1"></script>`,
        `<script src="${src}&twice=2"></script>`),
      );
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/twice`);
      await waitForAgent(tab);
      await tab.evaluate(() => window.__insp.push(['tagSession', 'twice']));
      await waitForSession(collector, (x) => identityOf(x) === 'carol@example.com' && 'twice' in tagsOf(x));
      await sleep(1500); // time for a second agent, if any, to show itself
      const loaders = b.requests.filter((u) => u.includes('/inspectlet.js'));
      const wasm = b.requests.filter((u) => new URL(u).pathname.endsWith('.wasm'));
      assert.equal(loaders.length, 3, `three script tags load the loader: ${loaders}`);
      assert.equal(wasm.length, 1, `one wasm fetch: ${wasm}`);
      const mine = (await listSessions(collector)).filter((x) => identityOf(x) === 'carol@example.com');
      assert.equal(mine.length, 1, 'one session');
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });
});
