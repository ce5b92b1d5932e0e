// The demo pages in examples/, served by the collector at /examples/, clicked through as a
// visitor would. Their snippet names the demo address 127.0.0.1:8080; the browser's requests
// for that address are forwarded to the test collector's own port, so nothing needs port 8080.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, openBrowser, poll, startCollector, tagsOf, waitForAgent, waitForSession } from './lib.mjs';

const DEMO = 'http://127.0.0.1:8080';
let collector;

before(async () => {
  collector = await startCollector({ extraArgs: ['--examples', path.join(ROOT, 'examples')] });
  assert.equal(collector.wid, 1, 'the examples are written for site 1');
});

after(async () => {
  await collector?.stop();
});

const identityOf = (s) => s.identity ?? s.identify ?? s.user ?? null;

async function demoBrowser() {
  const b = await openBrowser();
  await b.context.route(`${DEMO}/**`, async (route) => {
    const url = route.request().url().replace(DEMO, collector.base);
    try {
      const response = await route.fetch({ url });
      await route.fulfill({ response });
    } catch (e) {
      await route.abort('connectionrefused').catch(() => {});
    }
  });
  return b;
}

describe('examples', () => {
  test('index.html links to the demos', async () => {
    const b = await demoBrowser();
    try {
      const tab = await b.newPage();
      await tab.goto(`${DEMO}/examples/index.html`);
      const links = await tab.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.includes('shop.html') && links.includes('spa.html'), String(links));
      await waitForAgent(tab);
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });

  test('shop.html: cart tags, checkout and log-in identity', async () => {
    const b = await demoBrowser();
    try {
      const tab = await b.newPage();
      await tab.goto(`${DEMO}/examples/shop.html`);
      await waitForAgent(tab);
      await tab.click('button[data-sku="lamp"]');
      await tab.click('button[data-sku="bulbs"]');
      await tab.click('#checkout');
      await tab.fill('#email', 'shopper@example.com');
      await tab.fill('#password', 'hunter2');
      await tab.click('#login button[type="submit"]');
      const s = await waitForSession(collector, (x) => identityOf(x) === 'shopper@example.com' && tagsOf(x).plan === 'pro');
      const tags = tagsOf(s);
      assert.equal(tags['cart.items'], '2');
      assert.equal(tags['cart.total'], '149.99');
      assert.equal(tags.converted, 'true');
      assert.equal(tags['viewed product'], null);
      assert.ok('added lamp' in tags && 'added bulbs' in tags, JSON.stringify(tags));
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });

  test('spa.html: ESM init, pushState navigation with virtualPage', async () => {
    const b = await demoBrowser();
    try {
      const tab = await b.newPage();
      await tab.goto(`${DEMO}/examples/spa.html`);
      await waitForAgent(tab);
      await tab.click('a[data-route="/pricing"]');
      await tab.click('text=Choose Pro');
      await tab.click('a[data-route="/account"]');
      await tab.click('text=Sign in as Ada');
      assert.equal(new URL(tab.url()).hash, '#/account');
      await tab.goBack();
      assert.equal(await tab.title(), 'Pricing | insp demo app');
      const s = await waitForSession(collector, (x) => identityOf(x) === 'ada@example.com');
      const tags = tagsOf(s);
      assert.equal(tags['spa demo'], null);
      assert.equal(tags.plan, 'pro');
      assert.equal(tags.intent, 'upgrade');
      // Two pushState navigations and one Back: three virtual page views after the load.
      const detail = await poll(
        async () => {
          const d = await collector.api(`/api/sessions/${encodeURIComponent(s.id)}`);
          return d.pages.filter((p) => p.virtual).length >= 3 && d;
        },
        { what: 'three virtual page views' },
      );
      assert.equal(detail.pages.filter((p) => !p.virtual).length, 1, JSON.stringify(detail.pages));
      // virtualPage() without a name records the URL in place after each navigation.
      assert.deepEqual(
        detail.pages.filter((p) => p.virtual).map((p) => new URL(p.url, DEMO).hash),
        ['#/pricing', '#/account', '#/pricing'],
        JSON.stringify(detail.pages),
      );
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.inspWarnings(), []);
    } finally {
      await b.close();
    }
  });
});
