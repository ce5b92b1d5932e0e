// Shared helpers of the end-to-end tests (node --test tests/e2e/).
//
//   startCollector()   the real `insp` binary on a free port, with a fresh data dir and site
//   startPageServer()  a tiny HTTP server on another free port (another origin) for test pages,
//                      with arbitrary response headers (CSP, Trusted Types)
//   openBrowser()      headless Debian Chromium via playwright-core, with a fresh profile,
//                      collecting console messages, page errors, requests and CSP violations
//   poll()             retry until a condition holds or a deadline passes
//   snippet()          the exact Inspectlet snippet, with only the host changed
//
// Environment: INSP_BIN (default target/release/insp), CHROMIUM (default /usr/bin/chromium),
// INSP_E2E_DEBUG=1 to echo collector output and browser console to stderr.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const API_KEY = 'testkey';
export const DEBUG = !!process.env.INSP_E2E_DEBUG;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * Calls `fn` until it returns a truthy value (which is returned), or throws after `timeoutMs`
 * with `what` and the last error or value in the message.
 */
export async function poll(fn, { timeoutMs = 10_000, intervalMs = 150, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.stack || last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await sleep(intervalMs);
  }
}

function tmpdir(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

function run(bin, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${bin} ${args.join(' ')} exited ${code}\n${stdout}\n${stderr}`));
    });
  });
}

export function collectorBin() {
  const bin = path.resolve(ROOT, process.env.INSP_BIN || 'target/release/insp');
  if (!existsSync(bin)) {
    throw new Error(
      `collector binary ${bin} not found: build it with \`cargo build --release -p insp-server\` ` +
        '(and `bash scripts/build-dist.sh` for the agent), or set INSP_BIN',
    );
  }
  return bin;
}

/**
 * Starts the collector: `insp site add` (one site, whose wid is returned), then
 * `insp serve --addr 127.0.0.1:<port> --data <tmp> --api-key testkey [...extraArgs]`.
 * Resolves once it answers HTTP. `stop()` ends it and removes the data dir.
 */
export async function startCollector({ extraArgs = [], siteArgs = [] } = {}) {
  const bin = collectorBin();
  const dataDir = tmpdir('insp-e2e-data-');
  const added = await run(bin, ['site', 'add', '--data', dataDir, ...siteArgs]);
  const m = /(\d+)\s*$/.exec(added.stdout.trim()) || /\b(\d+)\b/.exec(added.stdout);
  if (!m) throw new Error(`cannot read the wid from \`insp site add\` output: ${JSON.stringify(added.stdout)}`);
  const wid = Number(m[1]);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    ['serve', '--addr', `127.0.0.1:${port}`, '--data', dataDir, '--api-key', API_KEY, ...extraArgs],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_BACKTRACE: '1' } },
  );
  let output = '';
  const keep = (d) => {
    output += d;
    if (output.length > 200_000) output = output.slice(-100_000);
    if (DEBUG) process.stderr.write(`[insp] ${d}`);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      if (!exited) await once(child, 'exit').catch(() => {});
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await poll(
      async () => {
        if (exited) throw new Error(`collector exited early (${JSON.stringify(exited)}):\n${output}`);
        const res = await fetch(`${base}/inspectlet.js`);
        await res.arrayBuffer();
        return true;
      },
      { timeoutMs: 15_000, what: `the collector on ${base}` },
    );
  } catch (e) {
    await stop();
    throw e;
  }

  /** GET (or `init`) on the collector API with the test key; returns parsed JSON. */
  const api = async (p, init = {}) => {
    const res = await fetch(base + p, {
      ...init,
      headers: { Authorization: `Bearer ${API_KEY}`, ...(init.headers || {}) },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method || 'GET'} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  return { bin, base, port, host: `127.0.0.1:${port}`, wid, dataDir, api, stop, output: () => output };
}

/** The list of sessions in an API answer, whatever its envelope. */
export function sessionsOf(answer) {
  if (Array.isArray(answer)) return answer;
  if (answer && Array.isArray(answer.sessions)) return answer.sessions;
  if (answer && Array.isArray(answer.items)) return answer.items;
  if (answer && Array.isArray(answer.data)) return answer.data;
  throw new Error(`unexpected sessions answer: ${JSON.stringify(answer).slice(0, 500)}`);
}

/** A session's tags as a plain `{key: value|null}` map, whatever their wire shape. */
export function tagsOf(session) {
  const t = session.tags;
  if (!t) return {};
  if (Array.isArray(t)) {
    const out = {};
    for (const x of t) {
      if (Array.isArray(x)) out[x[0]] = x[1] ?? null;
      else out[x.key] = x.value ?? null;
    }
    return out;
  }
  return { ...t };
}

/** `GET /api/sites/{wid}/sessions[?query]` as an array. */
export async function listSessions(collector, query = '') {
  const q = query ? `?${query}` : '';
  return sessionsOf(await collector.api(`/api/sites/${collector.wid}/sessions${q}`));
}

/** Polls until some session matches `pred`; returns it. */
export async function waitForSession(collector, pred, { query = '', timeoutMs = 10_000, what } = {}) {
  return poll(
    async () => {
      const list = await listSessions(collector, query);
      return list.find(pred);
    },
    { timeoutMs, what: what || `a session matching ${pred} (query ${query || 'none'})` },
  );
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/**
 * A page server on its own free port (so another origin than the collector).
 *   srv.page(path, html, headers?)         serve a string (type from the path, default html)
 *   srv.file(path, file, headers?)         serve a file
 *   srv.route(path, (req, res) => {...})   anything else
 * Paths match without the query string. `srv.requests` lists every request path+query.
 */
export async function startPageServer() {
  const routes = new Map();
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    const p = new URL(req.url, 'http://x').pathname;
    const h = routes.get(p);
    if (!h) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    try {
      h(req, res);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  const typeOf = (p) => TYPES[path.extname(p)] || 'text/html; charset=utf-8';
  return {
    port,
    base,
    host: `127.0.0.1:${port}`,
    requests,
    route(p, handler) {
      routes.set(p, handler);
    },
    page(p, body, headers = {}) {
      routes.set(p, (req, res) => {
        res.writeHead(200, { 'content-type': typeOf(p), 'cache-control': 'no-store', ...headers });
        res.end(body);
      });
    },
    file(p, file, headers = {}) {
      routes.set(p, (req, res) => {
        res.writeHead(200, {
          'content-type': typeOf(file),
          'content-length': statSync(file).size,
          'cache-control': 'no-store',
          ...headers,
        });
        createReadStream(file).pipe(res);
      });
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    },
  };
}

// Runs in every document before its own scripts: records CSP violations where tests can read
// them (window.__e2eViolations), since they are events, not console messages.
const INIT_SCRIPT = `(() => {
  const list = [];
  Object.defineProperty(window, '__e2eViolations', { value: list });
  window.addEventListener('securitypolicyviolation', (e) => {
    list.push({ effectiveDirective: e.effectiveDirective, violatedDirective: e.violatedDirective,
                blockedURI: e.blockedURI, disposition: e.disposition, sample: e.sample });
  }, true);
})();`;

/** Is this violation the browser refusing to compile WebAssembly? */
export const isWasmViolation = (v) =>
  v.blockedURI === 'wasm-eval' || /wasm/i.test(v.effectiveDirective || '') || /wasm/i.test(v.sample || '');

/**
 * Launches Chromium with a fresh profile (one persistent context). Everything the pages say is
 * collected on the returned object:
 *   console   [{type, text, url}]   every console message of every page
 *   errors    [String]               every uncaught exception / unhandled rejection (pageerror)
 *   requests  [url]                  every request any page made
 * `reset()` empties them; `inspWarnings()` = console warnings/errors whose text starts `insp:`.
 */
export async function openBrowser({ contextOptions = {} } = {}) {
  const userDataDir = tmpdir('insp-e2e-profile-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    ...contextOptions,
  });
  const b = {
    context,
    console: [],
    errors: [],
    requests: [],
    reset() {
      b.console.length = 0;
      b.errors.length = 0;
      b.requests.length = 0;
    },
    inspWarnings() {
      return b.console.filter((m) => /^insp:/.test(m.text));
    },
    async newPage() {
      return context.newPage();
    },
    /** The page's CSP violations so far (this document only). */
    async violations(page) {
      return page.evaluate(() => (window.__e2eViolations || []).slice());
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  const attach = (page) => {
    page.on('console', (m) => {
      const entry = { type: m.type(), text: m.text(), url: page.url() };
      b.console.push(entry);
      if (DEBUG) process.stderr.write(`[console.${entry.type}] ${entry.text}\n`);
    });
    page.on('pageerror', (e) => {
      b.errors.push(String(e && e.stack ? e.stack : e));
      if (DEBUG) process.stderr.write(`[pageerror] ${e}\n`);
    });
    page.on('request', (r) => b.requests.push(r.url()));
  };
  context.on('page', attach);
  for (const p of context.pages()) attach(p);
  await context.addInitScript({ content: INIT_SCRIPT });
  return b;
}

/**
 * The exact Inspectlet snippet (without <script> tags) with `cdn.inspectlet.com` replaced by
 * `host` and YOUR_SITE_ID by `wid`. Nothing else differs from what Inspectlet customers paste.
 */
export function snippet(host, wid) {
  return `(function() {
window.__insp = window.__insp || [];
__insp.push(['wid', ${wid}]);
var ldinsp = function(){
if(typeof window.__inspld != "undefined") return;
window.__inspld = 1;
var insp = document.createElement('script');
insp.type = 'text/javascript';
insp.async = true;
insp.id = "inspsync";
insp.src = ('https:' == document.location.protocol ? 'https' : 'http')
+ '://${host}/inspectlet.js?wid='
+ ${wid} + '&r=' + Math.floor(new Date().getTime()/3600000);
var x = document.getElementsByTagName('script')[0];
x.parentNode.insertBefore(insp, x);
};
setTimeout(ldinsp, 0);
document.readyState == "complete"
? ldinsp()
: window.addEventListener
? window.addEventListener("load", ldinsp, false)
: window.attachEvent("onload", ldinsp);
})();`;
}

/** True once the agent has taken over `window.__insp` (its push is no longer Array's). */
export async function waitForAgent(page, timeoutMs = 10_000) {
  await page.waitForFunction(
    () => window.__insp && typeof window.__insp.push === 'function' && window.__insp.push !== Array.prototype.push,
    null,
    { timeout: timeoutMs, polling: 50 },
  );
}

/** Every event of a session from the replay API: `[kind, payload, pid, offset_ms]`, and the raw answer. */
export async function sessionEvents(collector, sid) {
  const rec = await collector.api(`/api/sessions/${encodeURIComponent(sid)}/events`);
  const out = [];
  for (const l of rec.page_loads) {
    for (const e of l.events) {
      const d = e.data;
      const kind = typeof d === 'string' ? d : Object.keys(d)[0];
      out.push([kind, typeof d === 'string' ? null : d[kind], l.pid, e.offset_ms]);
    }
  }
  return { out, rec };
}
