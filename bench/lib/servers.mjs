// The two HTTP servers of the bench.
//   PageServer  the site under test (one origin): test pages, /harness.js, the rrweb bundle,
//               /style.css, /img.png. Nothing it serves is counted.
//   Sink        a stand-in collector on another origin, one per run (a fresh port, so a late
//               request of an earlier page can never be counted in the next run): serves
//               /inspectlet.js and /insp.wasm as the real collector does, answers the agent's
//               GET /i/v1/settings with a new site's settings (not counted), accepts
//               POST /i/v1?wid=N[&enc=gzip] (insp) and POST /i/v1?...&rec=rrweb (the bench's rrweb
//               driver), and records every request: arrival time, body bytes, header bytes.
//               Bodies are decoded lazily, after the measurement.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { decodeInsp, decodeRrweb } from './insp-decode.mjs';
import { PNG_1x1, STYLE_CSS, staticPage, stormPage, visitPage } from './pages.mjs';

/** postcard `SettingsReply { v: 1, record: true, settings: SiteSettings::default() }`
 *  (src/settings.rs): what the collector answers for a new site. */
const SETTINGS_REPLY = (() => {
  const deny = ['token', 'code', 'password', 'session', 'auth'];
  const bytes = [1, 1, 1, 1, 0, deny.length];
  for (const d of deny) bytes.push(d.length, ...Buffer.from(d));
  bytes.push(0);
  return Buffer.from(bytes);
})();

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function close(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** The rrweb bundle the bench loads: @rrweb/record's minified UMD + @rrweb/packer's pack. */
export function rrwebFiles(root) {
  const rec = path.join(root, 'node_modules/@rrweb/record/dist/record.umd.min.cjs');
  const base = fs.readdirSync(path.join(root, 'node_modules/@rrweb/packer/dist')).find((f) => /^base-.*\.umd\.min\.cjs$/.test(f));
  if (!base) throw new Error('@rrweb/packer: no dist/base-*.umd.min.cjs');
  const basePath = path.join(root, 'node_modules/@rrweb/packer/dist', base);
  const packPath = path.join(root, 'node_modules/@rrweb/packer/dist/pack.umd.min.cjs');
  const record = fs.readFileSync(rec, 'utf8');
  // pack.umd requires "./base-*.cjs" (CommonJS); in a browser, give it the base UMD's module.
  // Both UMD wrappers fall back to a global (window.rrwebPacker) when there is no module system.
  const packer =
    '(function(){\n' +
    fs.readFileSync(basePath, 'utf8') +
    '\n;var __rrwebPackerBase = window.rrwebPacker;\nvar require = function () { return __rrwebPackerBase; };\n' +
    fs.readFileSync(packPath, 'utf8') +
    '\n}).call(window);\n';
  return {
    record: { path: path.relative(root, rec), text: record },
    packer: { path: `${path.relative(root, basePath)} + ${path.relative(root, packPath)}`, text: packer },
    bundle: record + '\n;' + packer,
  };
}

export class PageServer {
  constructor(root) {
    this.root = root;
    this.harness = fs.readFileSync(new URL('./harness.js', import.meta.url), 'utf8');
    this.rrweb = rrwebFiles(root).bundle;
  }
  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    this.base = await listen(this.server);
    return this;
  }
  handle(req, res) {
    const u = new URL(req.url, 'http://x');
    const send = (type, body, extra = {}) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      res.end(body);
    };
    const p = u.pathname;
    if (p === '/harness.js') return send('text/javascript', this.harness);
    if (p === '/rrweb.js') return send('text/javascript', this.rrweb);
    if (p === '/style.css') return send('text/css', STYLE_CSS);
    if (p === '/img.png') return send('image/png', PNG_1x1, { 'cache-control': 'max-age=3600' });
    if (p === '/static') return send('text/html; charset=utf-8', staticPage(Number(u.searchParams.get('n')) || 1000));
    if (p === '/storm') return send('text/html; charset=utf-8', stormPage());
    if (p === '/visit' || p.startsWith('/visit/')) return send('text/html; charset=utf-8', visitPage());
    if (p === '/blank') return send('text/html; charset=utf-8', '<!doctype html><html><head><script src="/harness.js"></script></head><body><p>blank</p></body></html>');
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
  stop() {
    return close(this.server);
  }
}

export class Sink {
  /** `assets`: { js: Buffer, wasm: Buffer } of dist/, or null (insp not built). */
  constructor(assets) {
    this.assets = assets;
    this.requests = [];
    this.other = [];
  }
  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.base = await listen(this.server);
    return this;
  }
  handle(req, res) {
    const t = Date.now();
    const u = new URL(req.url, 'http://x');
    const origin = req.headers.origin;
    const headerBytes =
      `${req.method} ${req.url} HTTP/1.1\r\n`.length + req.rawHeaders.reduce((n, h, i) => n + h.length + (i % 2 ? 2 : 2), 0) + 2;
    if (req.method === 'OPTIONS') {
      this.other.push({ t, method: 'OPTIONS', url: req.url });
      res.writeHead(204, {
        'access-control-allow-origin': origin || '*',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] || 'content-type',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
      return res.end();
    }
    if (req.method === 'GET' && this.assets && (u.pathname === '/inspectlet.js' || u.pathname === '/insp.wasm')) {
      const wasm = u.pathname === '/insp.wasm';
      this.other.push({ t, method: 'GET', url: req.url });
      res.writeHead(200, {
        'content-type': wasm ? 'application/wasm' : 'text/javascript; charset=utf-8',
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      });
      return res.end(wasm ? this.assets.wasm : this.assets.js);
    }
    if (req.method === 'GET' && u.pathname === '/i/v1/settings') {
      // The agent's settings request (server/src/routes/settings.rs): a new site's settings,
      // record = true, as postcard `SettingsReply`; credentialed CORS like the collector.
      this.other.push({ t, method: 'GET', url: req.url });
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'cache-control': 'no-store, private',
        vary: 'Origin, Cookie, Sec-GPC',
        ...(origin ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' } : {}),
      });
      return res.end(SETTINGS_REPLY);
    }
    if (req.method === 'POST' && u.pathname === '/i/v1') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.requests.push({
          t,
          tEnd: Date.now(),
          rec: u.searchParams.get('rec') || 'insp',
          gzip: u.searchParams.get('enc') === 'gzip',
          bodyBytes: body.length,
          headerBytes,
          body,
          decoded: null,
        });
        res.writeHead(200, {
          'content-type': 'application/json',
          'access-control-allow-origin': origin || '*',
          vary: 'Origin',
        });
        res.end('{"ok":true}');
      });
      return;
    }
    this.other.push({ t, method: req.method, url: req.url, status: 404 });
    res.writeHead(404, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end('not found');
  }

  decode(req, opts = {}) {
    if (!req.decoded || (opts.full && !req.decodedFull)) {
      req.decoded = req.rec === 'rrweb' ? decodeRrweb(req.body, opts) : decodeInsp(req.body, { gzip: req.gzip, ...opts });
      req.decodedFull = !!opts.full || (req.rec !== 'rrweb' && !opts.stopAtSnapshot);
    }
    return req.decoded;
  }

  /** The first request carrying a full snapshot (cheap detection), or null. */
  snapshotRequest() {
    for (const r of this.requests) {
      if (r.noSnap) continue;
      const d = r.decoded || this.decode(r, r.rec === 'rrweb' ? {} : { stopAtSnapshot: true });
      if (d.fullSnapshot) return r;
      r.noSnap = true;
    }
    return null;
  }

  totals(sinceMs = 0) {
    let body = 0,
      headers = 0,
      n = 0;
    for (const r of this.requests) {
      if (r.t < sinceMs) continue;
      body += r.bodyBytes;
      headers += r.headerBytes;
      n++;
    }
    return { bodyBytes: body, wireBytes: body + headers, requests: n };
  }

  stop() {
    return close(this.server);
  }
}
