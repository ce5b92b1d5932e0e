// The rest of a visit, end to end: a page carrying the Inspectlet snippet (on another origin
// than the collector) is clicked, typed into, scrolled, resized, navigated with pushState and a
// hash, throws, rejects, fetches, pushes to dataLayer and gtag, then loads a second page of the
// site. The collector's API must show each kind: interaction, navigation, error, network,
// device and visibility events, page views of the History navigations, `GA: ` tags, one
// session across both page loads, and an rrweb export carrying them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  API_KEY,
  openBrowser,
  poll,
  sessionEvents,
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
  const body = JSON.stringify({ items: [1, 2, 3], note: 'e2e data' });
  pages.route('/api/data', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  pages.page('/app', page('app', '<button id="buy">Buy</button><input id="name"><div id="tall" style="height:4000px">tall</div>'));
  pages.page('/second', page('second', '<p id="second">Second page</p>'));
});

after(async () => {
  await pages?.stop();
  await collector?.stop();
});

function page(title, body) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<script>
window.dataLayer = window.dataLayer || [];
dataLayer.push({event: 'page_ready', pageType: '${title}'});
function gtag(){ dataLayer.push(arguments); }
</script>
<script>${snippet(collector.host, collector.wid)}</script>
</head><body style="margin:0"><h1>${title}</h1>${body}</body></html>`;
}

/** Every event of the session, `[kind, payload, pid]`, from the replay API. */
const eventsOf = async (sid) => (await sessionEvents(collector, sid)).out;

const of = (events, kind) => events.filter((e) => e[0] === kind).map((e) => e[1]);

describe('the rest of a visit', () => {
  test('interactions, navigation, errors, requests, dataLayer and a second page load reach the API', async () => {
    const b = await openBrowser({ contextOptions: { viewport: { width: 1000, height: 700 } } });
    try {
      const tab = await b.newPage();
      await tab.goto(`${pages.base}/app?utm_source=e2e`);
      await waitForAgent(tab);
      // The recording starts once the site settings arrived, and the snapshot is taken.
      await sleep(1500);

      await tab.mouse.move(10, 10);
      await tab.mouse.move(300, 200, { steps: 12 });
      await tab.click('#buy');
      await tab.dblclick('#buy');
      await tab.click('#name');
      await tab.keyboard.type('Ada Lovelace');
      await tab.evaluate(() => window.scrollTo(0, 1200));
      await sleep(300);
      await tab.evaluate(() => window.scrollTo(0, 600));
      await tab.setViewportSize({ width: 900, height: 650 });
      await sleep(300);

      await tab.evaluate(() => history.pushState({ step: 1 }, '', '/app/cart'));
      await tab.evaluate(() => {
        location.hash = 'pay';
      });
      await sleep(100);
      const fetched = await tab.evaluate(async () => {
        const r = await fetch('/api/data?q=1');
        return [r.status, (await r.json()).note];
      });
      assert.deepEqual(fetched, [200, 'e2e data'], 'the page sees its response unchanged');
      await tab.evaluate(() => {
        setTimeout(() => {
          throw new Error('e2e boom');
        }, 0);
        Promise.reject(new Error('e2e rejection'));
      });
      const pushed = await tab.evaluate(() => {
        const n = window.dataLayer.push({ event: 'purchase', value: 42 });
        window.gtag('event', 'login', { method: 'e2e' });
        return n === window.dataLayer.length - 1;
      });
      assert.ok(pushed, "dataLayer.push returns Array push's result");
      await sleep(600);

      // A full page load of the same site: the same session continues.
      const sid1 = await tab.evaluate(() => /(?:^|; )__insp_ses=([^.;]*)/.exec(document.cookie)?.[1]);
      await tab.goto(`${pages.base}/second`);
      await waitForAgent(tab);
      await sleep(1500);
      const sid2 = await tab.evaluate(() => /(?:^|; )__insp_ses=([^.;]*)/.exec(document.cookie)?.[1]);
      assert.ok(sid1, 'a session cookie');
      assert.equal(sid2, sid1, 'the second page load continues the session');
      await tab.goto('about:blank');

      // The page saw its own two errors, nothing of the agent's.
      assert.equal(b.errors.length, 2, JSON.stringify(b.errors));
      assert.ok(b.errors.some((e) => /e2e boom/.test(e)));
      assert.ok(b.errors.some((e) => /e2e rejection/.test(e)));
      assert.deepEqual(b.inspWarnings(), []);

      const s = await waitForSession(collector, (x) => x.id === sid1 && 'GA: login' in tagsOf(x), {
        timeoutMs: 20_000,
        what: 'the session with its GA tags',
      });
      const tags = tagsOf(s);
      assert.equal(tags['GA: page_ready'], null);
      assert.equal(tags['GA: pageType'], 'second', 'a later value replaces an earlier one');
      assert.equal(tags['GA: purchase'], null);
      assert.equal(tags['GA: value'], '42');
      assert.equal(tags['GA: login'], null);
      assert.equal(tags['GA: method'], 'e2e');

      const detail = await poll(
        async () => {
          const d = await collector.api(`/api/sessions/${encodeURIComponent(sid1)}`);
          return d.pages.length >= 4 && d;
        },
        { timeoutMs: 15_000, what: 'four page views' },
      );
      const views = detail.pages.map((p) => [new URL(p.url).pathname + new URL(p.url).search + new URL(p.url).hash, p.virtual]);
      assert.deepEqual(views, [
        ['/app?utm_source=e2e', false],
        ['/app/cart', true],
        ['/app/cart#pay', true],
        ['/second', false],
      ]);
      assert.equal(detail.page_count, 4);
      const pids = new Set(detail.pages.map((p) => p.pid));
      assert.equal(pids.size, 2, 'two page loads in one session');

      const events = await poll(
        async () => {
          const ev = await eventsOf(sid1);
          const starts = of(ev, 'Start');
          return starts.length >= 2 && of(ev, 'Network').length > 0 && of(ev, 'Error').length >= 2 && ev;
        },
        { timeoutMs: 20_000, what: 'both page loads recorded' },
      );
      const kinds = new Set(events.map((e) => e[0]));
      for (const k of ['Start', 'FullSnapshot', 'Device', 'MouseMove', 'Mouse', 'Scroll', 'Viewport', 'Navigation', 'Error', 'Network', 'Mutation']) {
        assert.ok(kinds.has(k), `a ${k} event (have ${[...kinds].join(', ')})`);
      }
      const starts = of(events, 'Start');
      assert.match(starts[0].url, /\/app\?utm_source=e2e$/, 'the start URL keeps its query string');
      assert.match(starts[1].url, /\/second$/);
      assert.equal(of(events, 'Device').length, 2, 'one Device event per page load');
      const dev = of(events, 'Device')[0];
      assert.match(dev.user_agent, /Chrome/);
      assert.ok(dev.time_zone.length > 0 && dev.language.length > 0);

      const positions = of(events, 'MouseMove').flatMap((m) => m.positions);
      assert.ok(positions.length >= 2 && positions.length <= 40, `sampled positions: ${positions.length}`);
      const mice = of(events, 'Mouse');
      const clicks = mice.filter((m) => m.kind === 'Click');
      assert.ok(clicks.length >= 3, JSON.stringify(mice));
      assert.ok(clicks.every((c) => c.id > 0), 'clicks name their node');
      assert.ok(mice.some((m) => m.kind === 'DblClick'));
      assert.ok(mice.some((m) => m.kind === 'Down') && mice.some((m) => m.kind === 'Up'));
      // The replay at a click shows the pointer there and the click (the viewer draws both).
      const [, click, , clickAt] = events.find((e) => e[0] === 'Mouse' && e[1].kind === 'Click');
      const shot = await fetch(`${collector.base}/api/sessions/${encodeURIComponent(sid1)}/html?at=${clickAt}`, {
        headers: { Authorization: `Bearer ${API_KEY}` },
      });
      assert.equal(shot.status, 200);
      assert.equal(shot.headers.get('x-insp-pointer'), `${click.x},${click.y}`);
      assert.ok((shot.headers.get('x-insp-clicks') || '').split(';').includes(`${click.x},${click.y},0`), shot.headers.get('x-insp-clicks'));
      assert.ok(of(events, 'Focus').some((f) => f.focused));
      const scrolls = of(events, 'Scroll');
      assert.deepEqual([scrolls.at(-1).x, scrolls.at(-1).y], [0, 600], 'ends at the final scroll position');
      assert.ok(of(events, 'Viewport').some((v) => v.width === 900 && v.height === 650));

      const navs = of(events, 'Navigation').map((n) => [new URL(n.url).pathname + new URL(n.url).hash, n.kind]);
      assert.deepEqual(navs, [
        ['/app/cart', 'Push'],
        ['/app/cart#pay', 'Hash'],
      ]);

      const errors = of(events, 'Error');
      const boom = errors.find((e) => e.message.includes('e2e boom'));
      assert.ok(boom && !boom.rejection && boom.line > 0 && boom.stack.includes('e2e boom'), JSON.stringify(errors));
      const rej = errors.find((e) => e.message.includes('e2e rejection'));
      assert.ok(rej && rej.rejection, JSON.stringify(errors));
      assert.equal(errors.length, 2, 'no error of the agent itself');

      const net = of(events, 'Network');
      const data = net.find((n) => n.url.includes('/api/data'));
      assert.ok(data, JSON.stringify(net));
      assert.equal(data.method, 'GET');
      assert.equal(data.status, 200);
      assert.equal(data.fetch, true);
      assert.ok(data.response_bytes > 0);
      assert.ok(!net.some((n) => n.url.startsWith(collector.base)), "the agent's own requests are not the page's");

      // Typed text arrives as form value changes through the reader (masked by the default
      // site settings: the clear text never leaves the browser).
      const values = of(events, 'Mutation').flatMap((m) => m.props).filter((p) => p[1] && p[1].Value !== undefined);
      assert.ok(values.length > 0, 'value changes of the input');
      assert.ok(!JSON.stringify(events).includes('Ada Lovelace'));

      // The rrweb export carries them.
      const rr = await collector.api(`/api/sessions/${encodeURIComponent(sid1)}/rrweb`);
      const sources = new Set(rr.filter((e) => e.type === 3).map((e) => e.data.source));
      for (const src of [1, 2, 3, 4]) assert.ok(sources.has(src), `rrweb incremental source ${src} (have ${[...sources]})`);
      const customs = new Set(rr.filter((e) => e.type === 5).map((e) => e.data.tag));
      for (const tag of ['insp-navigation', 'insp-error', 'insp-network', 'insp-device']) {
        assert.ok(customs.has(tag), `rrweb custom ${tag} (have ${[...customs]})`);
      }
    } finally {
      await b.close();
    }
  });
});
