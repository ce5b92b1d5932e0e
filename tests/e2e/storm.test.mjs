// Storm guard-rails, end to end: the real agent in Chromium on a page that
//   (a) inserts 20,000 nodes at once, twice (20,000 siblings, then one 20,000-node subtree),
//   (b) runs a 60 fps ticker (a text and a style attribute, every 16 ms) for 4 seconds,
//   (c) sets a 3 MB data: URL, a 2 MB text, a 2 MB <style> and a CSSOM-built 60,000-rule sheet.
// Asserted: no task over 50 ms is caused by the recorder, the degrade reasons are in the stored
// recording (/api/sessions/{id}/events), the page keeps working (clicks counted during and
// after), and the Rust replay (/html) rebuilds a valid document at the end (it resumes at the
// replacement snapshot: the 40,000 inserted nodes and the ticker's final text are in it).
//
// How "caused by the recorder" is measured: a DevTools-protocol trace (devtools.timeline) of
// the whole scenario. For every main-thread task (RunTask) the recorder's own time is the sum
// of the top-level script entries (FunctionCall, EvaluateScript, TimerFire, ...) whose script
// is the agent's (inspectlet.js; its wasm runs inside those calls, so it counts too), as main-
// thread CPU time (the trace's `tdur`): the test machine is shared, and wall time there also
// counts the time the thread waited for a core (both are printed; with other builds running,
// load average 6 to 7 on 2 cores, one recorder call took 14.8 ms wall for 3.8 ms CPU). A task
// the page starts (its 20,000 appendChild calls) may be long on its own: the recorder's share
// of it (its MutationObserver callback) is what must stay under 50 ms, as must every task the
// recorder starts (snapshot slices, batch flushes, timers). INSP_STORM_DEBUG=1 prints every
// task over 40 ms or with over 10 ms of recorder work, with the phase it fell in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_KEY, openBrowser, poll, sessionEvents, sleep, snippet, startCollector, startPageServer, waitForAgent } from './lib.mjs';

let collector;
let pages;

before(async () => {
  collector = await startCollector();
  pages = await startPageServer();
  pages.page('/storm', page());
});

after(async () => {
  await pages?.stop();
  await collector?.stop();
});

function page() {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>storm</title>
<script>${snippet(collector.host, collector.wid)}</script>
</head><body><h1>storm</h1><button id="b">0</button><p id="tick" style="position:relative">ready</p>
<div id="box"></div><div id="giant"></div>
<script>
  document.getElementById('b').addEventListener('click', function (e) {
    e.target.textContent = String(Number(e.target.textContent) + 1);
  });
  window.storm = {
    siblings: function (n) {
      var box = document.getElementById('box');
      for (var i = 0; i < n; i++) box.appendChild(document.createElement('div')).textContent = 'n' + i;
    },
    subtree: function (n) {
      var d = document.createElement('section');
      d.id = 'subtree';
      for (var i = 0; i < n; i++) d.appendChild(document.createElement('span')).textContent = 's' + i;
      document.body.appendChild(d);
    },
    ticker: function (ms) {
      var p = document.getElementById('tick');
      var n = 0;
      return new Promise(function (resolve) {
        var t = setInterval(function () {
          n++;
          p.textContent = 'tick ' + n;
          p.style.left = (n % 100) + 'px';
        }, 16);
        setTimeout(function () {
          clearInterval(t);
          resolve(n);
        }, ms);
      });
    },
    giant: function () {
      var g = document.getElementById('giant');
      var img = document.createElement('img');
      img.setAttribute('src', 'data:image/png;base64,' + 'iVBORw0KGgo'.repeat(300000));
      g.appendChild(img);
      g.appendChild(document.createElement('p')).textContent = 'lorem ipsum '.repeat(180000);
      var css = '';
      for (var i = 0; i < 60000; i++) css += '.c' + i + ' { color: #' + (i % 4096).toString(16) + '; }\\n';
      g.appendChild(document.createElement('style')).textContent = css;
      var s = g.appendChild(document.createElement('style'));
      for (var j = 0; j < 60000; j++) s.sheet.insertRule('.k' + j + ' { margin: ' + (j % 9) + 'px; }', j);
    },
  };
</script></body></html>`;
}

const eventsOf = (sid) => sessionEvents(collector, sid);

const AGENT_URL = /\/inspectlet\.js/;
const SCRIPT_ENTRIES = new Set([
  'FunctionCall',
  'EvaluateScript',
  'v8.compile',
  'TimerFire',
  'FireAnimationFrame',
  'EventDispatch',
]);

/** Per main-thread task of the trace: duration, the agent's own time, who started it. */
function tasksOf(trace) {
  const mains = new Set();
  for (const e of trace) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') mains.add(`${e.pid}:${e.tid}`);
  }
  const byThread = new Map();
  for (const e of trace) {
    const key = `${e.pid}:${e.tid}`;
    if (!mains.has(key) || e.ph !== 'X' || typeof e.dur !== 'number') continue;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  const tasks = [];
  for (const list of byThread.values()) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    let task = null;
    let agentUntil = -1; // end of the agent script entry being counted (nested ones are inside)
    for (const e of list) {
      if (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') {
        if (!task || e.ts >= task.end) {
          const cpu = (typeof e.tdur === 'number' ? e.tdur : e.dur) / 1000;
          task = { ts: e.ts, end: e.ts + e.dur, ms: e.dur / 1000, cpuMs: cpu, agentMs: 0, agentCpuMs: 0, first: null, entries: [] };
          tasks.push(task);
          agentUntil = -1;
        }
        continue;
      }
      if (!task || e.ts >= task.end || e.ts < agentUntil) continue;
      const url = e.args?.data?.url || e.args?.data?.stackTrace?.[0]?.url || '';
      if (task.entries.length < 40 && e.dur > 2000) task.entries.push(`${e.name} ${(e.dur / 1000).toFixed(1)} ${url.slice(-30)} ${e.args?.data?.functionName || e.args?.data?.type || ''}`);
      if (e.name === 'FunctionCall' || e.name === 'EvaluateScript') {
        if (task.first === null) task.first = url;
        if (AGENT_URL.test(url)) {
          task.agentMs += e.dur / 1000;
          task.agentCpuMs += (typeof e.tdur === 'number' ? e.tdur : e.dur) / 1000;
          agentUntil = e.ts + e.dur;
        }
      } else if (SCRIPT_ENTRIES.has(e.name) && task.first === null && url) task.first = url;
    }
  }
  return tasks;
}

describe('storm guard-rails', () => {
  test('20,000 nodes at once, a 60 fps ticker and giant values: no recorder task over 50 ms, reasons recorded, replay valid', async () => {
    const b = await openBrowser({ contextOptions: { viewport: { width: 1000, height: 700 } } });
    try {
      const tab = await b.newPage();
      const cdp = await b.context.newCDPSession(tab);
      const trace = [];
      cdp.on('Tracing.dataCollected', (m) => trace.push(...m.value));
      await tab.goto(`${pages.base}/storm`);
      await waitForAgent(tab);
      // The recording starts once the site settings arrived and the first snapshot is taken.
      await sleep(1500);
      await cdp.send('Tracing.start', {
        traceConfig: {
          includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'blink.user_timing'],
          recordMode: 'recordAsMuchAsPossible',
        },
        transferMode: 'ReportEvents',
      });

      const mark = (name) => tab.evaluate((n) => performance.mark(n), name);
      // (a) 20,000 siblings at once; the page stays usable while the recorder catches up.
      await mark('siblings');
      await tab.evaluate(() => window.storm.siblings(20000));
      await tab.click('#b');
      await sleep(1500);
      // ... and one 20,000-node subtree (within the replacement-snapshot interval: delayed).
      await mark('subtree');
      await tab.evaluate(() => window.storm.subtree(20000));
      await tab.click('#b');
      await sleep(5500);

      // (b) a 60 fps ticker for 4 s, clicked meanwhile.
      await mark('ticker');
      const ticking = tab.evaluate(() => window.storm.ticker(4000));
      await sleep(1000);
      await tab.click('#b');
      const ticks = await ticking;
      assert.ok(ticks > 100, `the ticker ran (${ticks} ticks)`);
      await sleep(1000);

      // (c) giant values.
      await mark('giant');
      await tab.evaluate(() => window.storm.giant());
      await sleep(2000);
      await tab.click('#b');
      await sleep(500);

      const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
      await cdp.send('Tracing.end');
      await done;

      // The page kept working: every click counted, the content is there.
      const state = await tab.evaluate(() => ({
        clicks: document.getElementById('b').textContent,
        boxes: document.getElementById('box').children.length,
        spans: document.getElementById('subtree').children.length,
        tick: document.getElementById('tick').textContent,
      }));
      assert.deepEqual(state, { clicks: '4', boxes: 20000, spans: 20000, tick: `tick ${ticks}` });
      assert.deepEqual(b.inspWarnings(), [], 'no agent warning');
      assert.deepEqual(b.errors, [], 'no page error');

      // No task over 50 ms is the recorder's doing.
      const tasks = tasksOf(trace);
      assert.ok(tasks.length > 100, `a trace of the main thread (${tasks.length} tasks)`);
      const agentTasks = tasks.filter((t) => t.agentMs > 0);
      assert.ok(agentTasks.length > 20, `the recorder's work is in the trace (${agentTasks.length} tasks)`);
      const worst = agentTasks.reduce((a, t) => (t.agentCpuMs > a.agentCpuMs ? t : a), agentTasks[0]);
      const worstWall = agentTasks.reduce((a, t) => (t.agentMs > a.agentMs ? t : a), agentTasks[0]);
      const long = tasks.filter((t) => t.ms > 50);
      // Started by the recorder: most of the task is its script (a page's task calling one of
      // the reader's CSSOM wrappers first is not).
      const started = agentTasks.filter((t) => t.agentCpuMs >= 0.5 * t.cpuMs);
      const worstStarted = started.reduce((m, t) => Math.max(m, t.cpuMs), 0);
      const report =
        `${tasks.length} tasks, ${agentTasks.length} with recorder work; recorder's longest share ` +
        `${worst.agentCpuMs.toFixed(1)} ms CPU (${worst.agentMs.toFixed(1)} ms wall; longest wall ${worstWall.agentMs.toFixed(1)}); ` +
        `longest task the recorder started ${worstStarted.toFixed(1)} ms CPU; tasks over 50 ms wall: ` +
        `${long.map((t) => `${t.ms.toFixed(0)} (recorder ${t.agentMs.toFixed(1)})`).join(', ') || 'none'}`;
      console.log(`storm trace: ${report}`);
      if (process.env.INSP_STORM_DEBUG) {
        const marks = trace.filter((e) => ['siblings', 'subtree', 'ticker', 'giant'].includes(e.name)).sort((a, b) => a.ts - b.ts);
        const phase = (ts) => marks.filter((m) => m.ts <= ts).map((m) => m.name).pop() || 'start';
        for (const t of tasks.filter((t) => t.ms > 40 || t.agentMs > 10)) {
          console.log(`task ${t.ms.toFixed(1)} agent ${t.agentMs.toFixed(1)} in ${phase(t.ts)} first ${t.first}\n  ${t.entries.filter((x) => !/V8|GC/.test(x)).join('\n  ')}`);
        }
      }
      assert.ok(worst.agentCpuMs < 50, `the recorder spends under 50 ms in any task: ${report}`);
      assert.ok(worstStarted < 50, `no task the recorder starts lasts 50 ms: ${report}`);

      // The degrade reasons are in the stored recording.
      const sid = await tab.evaluate(() => /(?:^|; )__insp_ses=([^.;]*)/.exec(document.cookie)?.[1]);
      await tab.goto('about:blank');
      const want = [
        ['ObserverRecords', 'Snapshot'],
        ['BatchNodes', 'Snapshot'],
        ['BatchesPerSecond', 'Throttle'],
        ['LongAttribute', 'Truncate'],
        ['LongText', 'Truncate'],
        ['LongStylesheet', 'Truncate'],
      ];
      const actionOf = (a) => (typeof a === 'string' ? a : Object.keys(a)[0]);
      const { out: events, rec } = await poll(
        async () => {
          const r = await eventsOf(sid);
          const d = r.out.filter((e) => e[0] === 'Degrade').map((e) => [e[1].reason, actionOf(e[1].action)]);
          const ticked = r.out.some((e) => e[0] === 'Mutation' && JSON.stringify(e[1]).includes(`tick ${ticks}`));
          return want.every(([r0, a0]) => d.some(([r1, a1]) => r0 === r1 && a0 === a1)) && ticked && r;
        },
        { timeoutMs: 30_000, what: 'the degrade events and the last tick' },
      );
      const degrades = events.filter((e) => e[0] === 'Degrade').map((e) => e[1]);
      console.log(`storm degrades: ${JSON.stringify(degrades)}`);
      assert.deepEqual(rec.gaps, [], 'nothing lost in delivery');
      // The two insertions, each a replacement snapshot (the second waited for the interval):
      // 40,000 observer records (20,000 appends and their texts) not even read, then one
      // subtree whose serialization stopped at the node cap.
      const snaps = degrades.filter((d) => d.action === 'Snapshot');
      assert.deepEqual(
        snaps.map((d) => d.reason),
        ['ObserverRecords', 'BatchNodes'],
        JSON.stringify(snaps),
      );
      assert.ok(snaps.every((d) => d.measured > d.limit));
      const fulls = events.filter((e) => e[0] === 'FullSnapshot');
      assert.ok(fulls.length >= 3, `the first snapshot and the replacements (${fulls.length})`);
      // The ticker: throttled, far fewer batches than ticks, its final value recorded.
      const mutations = events.filter((e) => e[0] === 'Mutation').length;
      assert.ok(mutations < ticks * 0.6, `${mutations} batches for ${ticks} ticks`);
      // Nothing giant stored.
      const stored = JSON.stringify(events);
      assert.ok(!stored.includes('iVBORw0KGgo'.repeat(30000)), 'the data: URL is not stored');
      assert.ok(stored.includes('insp:not-recorded;length=3300022'), 'its marker is');
      const largest = Math.max(...events.filter((e) => e[0] === 'Mutation').map((e) => JSON.stringify(e[1]).length));
      assert.ok(largest < 1_500_000, `the largest batch is ${largest} chars (three values at the caps)`);

      // The Rust replay rebuilds the final page from the replacement snapshot on.
      const res = await fetch(`${collector.base}/api/sessions/${encodeURIComponent(sid)}/html?at=${rec.duration_ms}`, {
        headers: { Authorization: `Bearer ${API_KEY}` },
      });
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /^<!DOCTYPE html>/i);
      assert.ok(html.includes(`tick ${ticks}`), 'the final tick');
      assert.equal((html.match(/<div>n\d+<\/div>/g) || []).length, 20000, 'the 20,000 siblings');
      assert.equal((html.match(/<span>s\d+<\/span>/g) || []).length, 20000, 'the 20,000-node subtree');
      assert.ok(html.includes('insp:not-recorded;length='), 'the capped attribute');
      assert.ok(html.includes('characters not recorded]'), 'the capped text');
      assert.ok(html.includes('more rules not read */'), 'the cut stylesheet');
      assert.ok(html.includes('<button id="b">4</button>'), 'the last click');
      await cdp.detach().catch(() => {});
    } finally {
      await b.close();
    }
  });
});
