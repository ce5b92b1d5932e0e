// Delivery without loss, end to end: the real agent in Chromium, the real collector, and a
// fault-injecting proxy between them (tests/e2e/faulty.mjs). The agent's collector is the
// proxy (it is where the page loads inspectlet.js from).
//
//   * collector down for a while, then back: every batch arrives exactly once, seqs contiguous
//   * 500s then 200: retried with growing delays, then delivered
//   * 429 with Retry-After: nothing is sent before it has passed
//   * 400: dropped, never retried, one console warning, a gap marker
//   * navigation mid-batch: the tail (tags, last page view) arrives
//   * navigation while the collector is down: the next page load re-sends the stored requests
//   * page close mid-batch: tags pushed just before close arrive
//   * memory stays bounded while the collector is down (outbox counters and the JS heap), and
//     what was dropped is marked by gap markers, followed by a new full snapshot
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultyProxy } from './faulty.mjs';
import { openBrowser, poll, sleep, snippet, startCollector, startPageServer, tagsOf, waitForAgent } from './lib.mjs';

let collector;
let pages;
let proxy;

before(async () => {
  collector = await startCollector();
  proxy = await startFaultyProxy(collector.base);
  pages = await startPageServer();
  for (const p of ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h', '/mem']) pages.page(p, page(p));
});

after(async () => {
  await pages?.stop();
  await proxy?.stop();
  await collector?.stop();
});

function page(title) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>delivery ${title}</title>
<script>${snippet(proxy.host, collector.wid)}</script>
</head><body><h1>delivery test ${title}</h1><div id="box">start</div>
<script>
  // Replaces the box's text with about n bytes of hard-to-compress text: one mutation event.
  window.gen = function (n) {
    var s = '';
    while (s.length < n) s += Math.random().toString(36).slice(2);
    document.getElementById('box').textContent = s.slice(0, n);
  };
</script></body></html>`;
}

// ----------------------------------------------------------------------------- helpers

async function openTab(b, path) {
  const tab = await b.newPage();
  await tab.goto(pages.base + path);
  await waitForAgent(tab);
  await tab.waitForFunction(() => typeof window.__inspAgent.outbox === 'function', null, { timeout: 10_000 });
  return tab;
}

const outbox = (tab) => tab.evaluate(() => window.__inspAgent.outbox());

/** Waits until everything the tab's agent sealed was delivered (at least the first meta delta
 * and the first batch, sealed 5 s after start). */
async function idle(tab, timeoutMs = 30_000) {
  await poll(async () => (await outbox(tab)).items === 0 && (await outbox(tab)).delivered >= 2, {
    timeoutMs,
    what: 'the outbox to empty',
  });
}

/** Waits until everything the tab's agent recorded so far reached the collector: nothing
 * undelivered and nothing recorded but not sealed yet. Gap markers are recorded when batches
 * are dropped and leave with the next batch (sealed up to 5 s later), so an empty outbox alone
 * does not mean the markers for the latest drops have arrived. */
async function flushed(tab, timeoutMs = 30_000) {
  let box = null;
  try {
    await poll(
      async () => {
        box = await outbox(tab);
        return box.items === 0 && box.unsealed === 0 && box.delivered >= 2;
      },
      { timeoutMs, what: 'everything recorded to be sealed and delivered' },
    );
  } catch (e) {
    e.message += `\noutbox: ${JSON.stringify(box)}`;
    throw e;
  }
}

const sidOf = (tab) =>
  tab.evaluate(() => {
    const m = /(?:^|; )__insp_ses=([^;]*)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]).split('.')[0] : null;
  });

const session = (sid) => collector.api(`/api/sessions/${encodeURIComponent(sid)}`);

/** The pid of the page load whose page views include a URL ending in `suffix`. */
async function pidOf(sid, suffix) {
  return poll(
    async () => {
      const s = await session(sid);
      const p = s.pages.find((x) => x.url.endsWith(suffix));
      return p ? p.pid : null;
    },
    { timeoutMs: 20_000, what: `a page view ending ${suffix}` },
  );
}

/** The delivery record of one page load, once `pred` holds for it. */
async function deliveryWhen(sid, pid, pred, what, timeoutMs = 40_000) {
  let last = null;
  try {
    return await poll(
      async () => {
        const s = await session(sid);
        const d = s.delivery.find((x) => x.pid === pid);
        last = { pid, delivery: s.delivery, tags: s.tags };
        return d && pred(d, s) ? d : null;
      },
      { timeoutMs, what },
    );
  } catch (e) {
    const log = proxy.log.filter((x) => x.sid === sid).map((x) => [x.kind, x.pid, x.seq, x.gzip, x.action, x.status]);
    e.message += `\nsession: ${JSON.stringify(last)}\nproxy log: ${JSON.stringify(log)}`;
    throw e;
  }
}

const contiguous = (d) => d.missing.length === 0 && d.last_seq !== null && d.batches === d.last_seq + 1;

/** Seqs stored with a 2xx through the proxy, per seq: how many times. */
function acceptedCounts(pid) {
  const n = new Map();
  for (const e of proxy.batchesOf(pid)) if (e.status === 200) n.set(e.seq, (n.get(e.seq) || 0) + 1);
  return n;
}

/** The decoded events of one page load (replay API). */
async function eventsOf(sid, pid) {
  const rec = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/events`);
  const load = rec.page_loads.find((l) => l.pid === pid);
  return load ? load.events : [];
}

async function withBrowser(fn) {
  const b = await openBrowser();
  try {
    await fn(b);
  } finally {
    proxy.clearFaults();
    await b.close();
  }
}

// ----------------------------------------------------------------------------- tests

describe('delivery without loss', () => {
  test('collector down for a while, then back: every batch arrives exactly once, in order', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/a');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/a');
      proxy.down = true;
      const t0 = Date.now();
      // ~12 s of changes: several batches sealed while nothing gets through.
      while (Date.now() - t0 < 12_000) {
        await tab.evaluate(() => window.gen(3000));
        await sleep(400);
      }
      await tab.evaluate(() => window.__insp.push(['tagSession', { outage: 'survived' }]));
      const during = await outbox(tab);
      assert.ok(during.failures > 0, `the agent saw the failures: ${JSON.stringify(during)}`);
      assert.ok(during.items >= 2, `batches wait in the outbox: ${JSON.stringify(during)}`);
      const resets = proxy.log.filter((e) => e.action === 'reset' && e.t >= t0);
      // Backoff: far fewer attempts than ticks (48 ticks of 250 ms), and one at a time.
      assert.ok(resets.length >= 3 && resets.length <= 12, `attempts while down: ${resets.length}`);
      proxy.down = false;
      const tBack = Date.now();

      const sealed = during.items;
      const d = await deliveryWhen(
        sid,
        pid,
        (x, s) => contiguous(x) && x.batches >= 3 && tagsOf(s).outage === 'survived',
        'all batches, contiguous, and the tag',
      );
      await idle(tab);
      const final = await deliveryWhen(sid, pid, (x) => contiguous(x), 'contiguous');
      assert.equal(final.gaps.length, 0, 'nothing dropped');
      // Exactly once: each seq was accepted by the collector once.
      const counts = acceptedCounts(pid);
      for (let s = 0; s <= final.last_seq; s++) assert.equal(counts.get(s), 1, `seq ${s} accepted ${counts.get(s)} times`);
      // The first request after the outage was the head of the outbox, alone: the meta delta
      // with the tag (meta goes before batches), then the batches.
      const back = proxy.log.filter((e) => e.t >= tBack);
      assert.equal(back[0].kind, 'meta', JSON.stringify(back[0]));
      assert.ok(back.length >= 2 && back[1].t >= back[0].tDone, 'the probe alone, the rest after its answer');
      assert.ok(d.batches >= 3 && sealed >= 2);
      for (const e of proxy.log) if (e.status === 200) assert.ok(e.crcOk, `crc parameter matches: ${e.url}`);
      assert.deepEqual(b.errors, []);
    });
  });

  test('500s then 200: retried with growing delays, then delivered once', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/b');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/b');
      const n0 = proxy.log.length;
      proxy.fail(3, 500);
      await tab.evaluate(() => window.__insp.push(['tagSession', { five: 'hundred' }]));
      await poll(async () => tagsOf(await session(sid)).five === 'hundred', { timeoutMs: 30_000, what: 'the tag after 500s' });
      const tries = proxy.log.slice(n0).filter((e) => e.kind === 'meta');
      assert.deepEqual(
        tries.slice(0, 4).map((e) => e.action),
        [500, 500, 500, 'pass'],
        JSON.stringify(tries.map((e) => [e.action, e.t])),
      );
      assert.ok(tries.slice(0, 4).every((e) => e.crc === tries[0].crc), 'the same request each time');
      const gaps = [1, 2, 3].map((i) => tries[i].t - tries[i - 1].t);
      // Backoff 1 s, 2 s, 4 s, each shortened by up to half at random (plus the 250 ms tick).
      assert.ok(gaps[0] >= 450 && gaps[0] <= 1_600, `first retry after ${gaps[0]} ms`);
      assert.ok(gaps[1] >= 950 && gaps[1] <= 2_600, `second retry after ${gaps[1]} ms`);
      assert.ok(gaps[2] >= 1_950 && gaps[2] <= 4_600, `third retry after ${gaps[2]} ms`);
      assert.equal(tries.filter((e) => e.status === 200 && e.crc === tries[0].crc).length, 1);
      await idle(tab);
      const d = await deliveryWhen(sid, pid, contiguous, 'contiguous batches');
      assert.equal(d.gaps.length, 0);
    });
  });

  test('429 with Retry-After: nothing is sent before it has passed', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/c');
      await idle(tab);
      const sid = await sidOf(tab);
      const n0 = proxy.log.length;
      proxy.fail(1, 429, { retryAfter: 3 });
      await tab.evaluate(() => window.__insp.push(['tagSession', { limited: 'yes' }]));
      const limited = await poll(() => proxy.log.slice(n0).find((e) => e.action === 429), { what: 'the 429' });
      // Meanwhile more to send: a batch gets sealed during the wait.
      await tab.evaluate(() => window.gen(2000));
      await poll(async () => tagsOf(await session(sid)).limited === 'yes', { timeoutMs: 20_000, what: 'the tag after the 429' });
      const later = proxy.log.filter((e) => e.t > limited.t);
      assert.ok(later.length >= 1);
      for (const e of later) {
        assert.ok(e.t - limited.t >= 2_990, `a request ${e.t - limited.t} ms after the 429 (Retry-After: 3)`);
      }
      assert.equal(later[0].crc, limited.crc, 'the refused request goes first');
      assert.ok(later[0].t - limited.t <= 3_300 + 500, `and not much later: ${later[0].t - limited.t} ms`);
    });
  });

  test('400: dropped, never retried, warned once, marked as a gap', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/d');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/d');
      let rejected = null;
      proxy.rule = (info) => {
        if (!rejected && info.kind === 'events' && info.pid === pid) {
          rejected = info;
          return { status: 400 };
        }
        return undefined;
      };
      await tab.evaluate(() => window.gen(1500));
      await poll(() => rejected, { timeoutMs: 15_000, what: 'a batch to refuse' });
      // Two more batches go through after it.
      for (let i = 0; i < 2; i++) {
        await tab.evaluate(() => window.gen(1500));
        await sleep(5_300);
      }
      const d = await deliveryWhen(
        sid,
        pid,
        (x) => x.last_seq > rejected.seq && x.gaps.length > 0,
        'a later batch with the gap marker',
      );
      assert.equal(proxy.log.filter((e) => e.crc === rejected.crc).length, 1, 'never retried');
      assert.deepEqual(d.missing, [{ first_seq: rejected.seq, last_seq: rejected.seq }]);
      assert.equal(d.gaps[0].reason, 'rejected');
      assert.equal(d.gaps[0].status, 400);
      assert.equal(d.gaps[0].from_seq, rejected.seq);
      assert.equal(d.gaps[0].to_seq, rejected.seq);
      const warnings = b.inspWarnings();
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0].text, /HTTP 400/);
    });
  });

  test('navigation mid-batch: the tail arrives', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/e');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/e');
      await tab.evaluate(() => {
        window.gen(4000);
        window.__insp.push(['tagSession', { leaving: 'e' }]);
        window.__insp.push(['virtualPage', '/e-last-view']);
        location.href = '/f';
      });
      await tab.waitForURL(/\/f$/);
      await waitForAgent(tab);
      await poll(async () => tagsOf(await session(sid)).leaving === 'e', { timeoutMs: 20_000, what: 'the tag pushed before leaving' });
      const d = await deliveryWhen(sid, pid, (x) => contiguous(x) && x.batches >= 2, 'the tail batch');
      const events = await eventsOf(sid, pid);
      assert.ok(
        events.some((e) => e.data.Page && e.data.Page.url === '/e-last-view'),
        'the page view recorded just before navigating',
      );
      assert.equal(d.gaps.length, 0);
      // The tail left uncompressed with keepalive at page hide.
      const tail = proxy.batchesOf(pid).filter((e) => e.seq === d.last_seq);
      assert.ok(tail.some((e) => !e.gzip && e.status === 200), JSON.stringify(tail));
    });
  });

  test('navigation while the collector is down: the next page load re-sends what was stored', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/g');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/g');
      proxy.down = true;
      for (let i = 0; i < 14; i++) {
        await tab.evaluate(() => window.gen(2000));
        await sleep(500);
      }
      await tab.evaluate(() => {
        window.__insp.push(['tagSession', { offline: 'stored' }]);
        window.__insp.push(['virtualPage', '/g-offline-view']);
        location.href = '/h';
      });
      await tab.waitForURL(/\/h$/);
      await waitForAgent(tab);
      await tab.waitForFunction(() => typeof window.__inspAgent.outbox === 'function');
      const restored = (await outbox(tab)).restored;
      assert.ok(restored >= 3, `the new page load took the stored requests: ${restored}`);
      await sleep(500);
      proxy.down = false;
      const tUp = Date.now();
      await poll(async () => tagsOf(await session(sid)).offline === 'stored', { timeoutMs: 30_000, what: 'the stored tag' });
      const d = await deliveryWhen(sid, pid, (x) => contiguous(x) && x.batches >= 3, 'every batch of /g');
      const events = await eventsOf(sid, pid);
      assert.ok(events.some((e) => e.data.Page && e.data.Page.url === '/g-offline-view'), 'the tail');
      assert.equal(d.gaps.length, 0);
      // The stored requests went first, and the storage key is gone once they were delivered.
      const firstUp = proxy.log.find((e) => e.t >= tUp && e.status === 200);
      assert.equal(firstUp.pid, pid, "restored requests before the new page load's own");
      await idle(tab);
      await poll(() => tab.evaluate(() => sessionStorage.getItem('__insp_outbox') === null), { what: 'storage cleared' });
    });
  });

  test('page close mid-batch: tags pushed just before close arrive', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/a');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/a');
      await tab.evaluate(() => {
        window.gen(3000);
        window.__insp.push(['tagSession', { closing: 'yes' }]);
        window.__insp.push(['virtualPage', '/closing-view']);
      });
      await tab.close();
      await poll(async () => tagsOf(await session(sid)).closing === 'yes', { timeoutMs: 15_000, what: 'the tag pushed before close' });
      await deliveryWhen(sid, pid, (x) => contiguous(x) && x.batches >= 2, 'the tail batch');
      const events = await eventsOf(sid, pid);
      assert.ok(events.some((e) => e.data.Page && e.data.Page.url === '/closing-view'));
    });
  });

  test('memory stays bounded while the collector is down; drops are marked and re-snapshotted', async () => {
    await withBrowser(async (b) => {
      const tab = await openTab(b, '/mem');
      await idle(tab);
      const sid = await sidOf(tab);
      const pid = await pidOf(sid, '/mem');
      const cdp = await b.context.newCDPSession(tab);
      await cdp.send('Performance.enable');
      const heap = async () => {
        await cdp.send('HeapProfiler.collectGarbage');
        const { metrics } = await cdp.send('Performance.getMetrics');
        return metrics.find((m) => m.name === 'JSHeapUsedSize').value;
      };
      proxy.down = true;
      // ~400 kB/s of recorded changes (20 kB of new text every 50 ms), DOM size constant.
      await tab.evaluate(() => {
        window.__genTimer = setInterval(() => window.gen(20_000), 50);
      });
      const samples = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 16_000) {
        await sleep(1_000);
        samples.push({ t: Date.now() - t0, box: await outbox(tab), heap: await heap() });
      }
      await tab.evaluate(() => clearInterval(window.__genTimer));
      const max = samples[0].box.maxBytes;
      const worst = Math.max(...samples.map((s) => s.box.bytes), samples.at(-1).box.peakBytes);
      const last = samples.at(-1).box;
      assert.ok(last.droppedItems > 0, `over 6 MB recorded with a 2 MiB bound: ${JSON.stringify(last)}`);
      // Bound plus at most the newest batch (256 kB) and the meta requests.
      assert.ok(worst <= max + 300 * 1024, `outbox peak ${worst} B (bound ${max} B)`);
      const heaps = samples.map((s) => s.heap);
      const growth = heaps.at(-1) - Math.min(...heaps.slice(0, 4));
      assert.ok(growth < 8 * 1024 * 1024, `JS heap grew ${growth} B: ${heaps.join(', ')}`);

      proxy.down = false;
      // Not just an empty outbox: the markers for the latest drops may still be in the open
      // batch (see `flushed`).
      await flushed(tab, 60_000);
      const d = await deliveryWhen(sid, pid, (x) => x.gaps.length > 0 && x.missing.length > 0, 'gap markers', 60_000);
      // Every missing seq is explained by a gap marker the agent recorded.
      const covered = (s) => d.gaps.some((g) => g.from_seq <= s && s <= g.to_seq);
      for (const m of d.missing) {
        for (let s = m.first_seq; s <= m.last_seq; s++) assert.ok(covered(s), `seq ${s} missing without a marker: ${JSON.stringify(d)}`);
      }
      assert.ok(d.gaps.every((g) => g.reason === 'memory_bound'));
      // After the last hole, a new full snapshot makes the rest playable.
      const lastHole = d.missing.at(-1).last_seq;
      const snapshots = async () =>
        (await eventsOf(sid, pid)).filter((e) => e.data.FullSnapshot).map((e) => e.seq);
      await poll(async () => (await snapshots()).some((seq) => seq > lastHole), {
        timeoutMs: 20_000,
        what: `a full snapshot after the gap ending at seq ${lastHole} (${JSON.stringify(d)})`,
      });
      await cdp.detach();
    });
  });
});
