// Standalone (not a repro.mjs module): node tests/e2e/oracle/repros/standalone-rrweb-attr-names.mjs
// rrweb 2.2.2 alone, on hand-written events: a mixed-case attribute name (`dataCamel`) on an
// HTML element is kept (lower-cased) when built from the snapshot or in real-time play, but
// dropped by the virtual DOM (seeking) when it comes with an added node or an attribute
// mutation; and `onload` built as `_onload` is not removed by a later `onload: null`.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const p = await b.newPage();
await p.setContent('<!doctype html><div id=root></div>');
await p.addScriptTag({ content: readFileSync(new URL('../../../../node_modules/rrweb/dist/rrweb.umd.cjs', import.meta.url), 'utf8') });
const t0 = 1000000;
const snap = { type: 0, childNodes: [ { type: 1, name: 'html', publicId: '', systemId: '', id: 2 },
  { type: 2, tagName: 'html', attributes: {}, childNodes: [ { type: 2, tagName: 'head', attributes: {}, childNodes: [], id: 4 },
    { type: 2, tagName: 'body', attributes: {}, childNodes: [ { type: 2, tagName: 'div', attributes: { dataCamel: 'in snapshot' }, childNodes: [], id: 6 } ], id: 5 } ], id: 3 } ], id: 1 };
const events = [
  { type: 4, data: { href: 'http://x/', width: 800, height: 600 }, timestamp: t0 },
  { type: 2, data: { node: snap, initialOffset: { top: 0, left: 0 } }, timestamp: t0 },
  { type: 3, data: { source: 0, texts: [], attributes: [], removes: [], adds: [ { parentId: 5, nextId: null, node: { type: 2, tagName: 'p', attributes: { dataCamel: 'added' }, childNodes: [], id: 7 } } ] }, timestamp: t0 + 100 },
  { type: 3, data: { source: 0, texts: [], attributes: [ { id: 6, attributes: { onload: 'x()' } } ], removes: [], adds: [] }, timestamp: t0 + 200 },
  { type: 3, data: { source: 0, texts: [], attributes: [ { id: 6, attributes: { onload: null } } ], removes: [], adds: [] }, timestamp: t0 + 300 },
];
const r = await p.evaluate(async (events) => {
  const out = {};
  const rep = new rrweb.Replayer(events, { root: document.getElementById('root'), mouseTail: false });
  const show = () => Array.from(rep.iframe.contentDocument.body.children, (e) => e.outerHTML).join(' ');
  rep.pause(150); out.seek150 = show();
  rep.pause(250); out.seek250 = show();
  rep.pause(400); out.seek400 = show();
  const rep2 = new rrweb.Replayer(events, { root: document.getElementById('root'), mouseTail: false });
  rep2.play(0);
  await new Promise((r) => setTimeout(r, 250)); out.play250 = Array.from(rep2.iframe.contentDocument.body.children, (e) => e.outerHTML).join(' ');
  await new Promise((r) => setTimeout(r, 600)); out.play = Array.from(rep2.iframe.contentDocument.body.children, (e) => e.outerHTML).join(' ');
  return out;
}, events);
console.log(r);
await b.close();
