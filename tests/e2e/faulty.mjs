// A fault-injecting HTTP proxy in front of the real collector, for the delivery tests.
//
//   const proxy = await startFaultyProxy(collector.base);
//   proxy.down = true;                      // every ingest request: connection reset
//   proxy.fail(3, 500);                     // the next 3 ingest requests: HTTP 500
//   proxy.fail(1, 429, { retryAfter: 2 });  // the next one: 429 with Retry-After: 2
//   proxy.rule = (info) => ...;             // per request: undefined (pass), 'reset', or
//                                           // { status, retryAfter } (answered by the proxy)
//   proxy.log                               // every ingest request, decoded (see below)
//
// Everything that is not `POST /i/v1` (agent script, wasm, API) is passed through untouched.
// Answers made up by the proxy carry the CORS headers the collector would send, so the agent
// can read their status and Retry-After, as it can the collector's own.
//
// Each log entry: { t, url, crc, gzip, kind: 'meta'|'events'|'?', sid, pid, seq (batch seq or
// meta mseq), bytes, action: 'pass'|'reset'|<status>, status (final status, null if reset),
// crcOk (the crc parameter matches the uncompressed body), tDone (when the answer was sent) }.

import http from 'node:http';
import { once } from 'node:events';
import zlib from 'node:zlib';

/** CRC-32 (IEEE), as the agent and gzip compute it. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The head of an envelope (postcard: LEB128 varints, strings as length + UTF-8):
 * v, wid, vid, sid, pid, then the body variant (0 meta, 1 events) and its first field (mseq or
 * seq). Returns null when it cannot be read.
 */
export function envelopeHead(raw) {
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (i >= raw.length) throw new Error('truncated');
      const b = raw[i++];
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return n;
      mul *= 128;
    }
  };
  const str = () => {
    const len = varint();
    const s = raw.subarray(i, i + len).toString('utf8');
    i += len;
    return s;
  };
  try {
    const v = varint();
    const wid = varint();
    const vid = str();
    const sid = str();
    const pid = varint();
    const variant = varint();
    const seq = varint();
    return { v, wid, vid, sid, pid, kind: variant === 0 ? 'meta' : variant === 1 ? 'events' : '?', seq };
  } catch {
    return null;
  }
}

export async function startFaultyProxy(target) {
  const upstream = new URL(target);
  const log = [];
  const queue = []; // pending one-shot failures: { status, retryAfter } or 'reset'
  const proxy = {
    log,
    down: false,
    /** Optional per-request decision: (info) => undefined | 'reset' | { status, retryAfter }. */
    rule: null,
    fail(count, status, { retryAfter } = {}) {
      for (let k = 0; k < count; k++) queue.push(status === 'reset' ? 'reset' : { status, retryAfter });
    },
    clearFaults() {
      queue.length = 0;
      proxy.down = false;
      proxy.rule = null;
    },
    /** Log entries of one page load's event batches. */
    batchesOf(pid) {
      return log.filter((e) => e.kind === 'events' && e.pid === pid);
    },
  };

  const forward = (req, res, body) => {
    const headers = { ...req.headers, host: upstream.host };
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve) => {
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (ures) => {
          res.writeHead(ures.statusCode, ures.headers);
          ures.pipe(res);
          ures.on('end', () => resolve(ures.statusCode));
          ures.on('error', () => resolve(null));
        },
      );
      up.on('error', () => {
        res.destroy();
        resolve(null);
      });
      if (body) up.end(body);
      else req.pipe(up);
    });
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!(req.method === 'POST' && url.pathname === '/i/v1')) {
      forward(req, res, null);
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    try {
      await once(req, 'end');
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    const gzip = url.searchParams.get('enc') === 'gzip';
    let raw = null;
    try {
      raw = gzip ? zlib.gunzipSync(body) : body;
    } catch {
      raw = null;
    }
    const crc = url.searchParams.get('crc');
    const head = raw ? envelopeHead(raw) : null;
    const info = {
      t: Date.now(),
      url: req.url,
      crc,
      gzip,
      kind: head ? head.kind : '?',
      sid: head ? head.sid : null,
      pid: head ? head.pid : null,
      seq: head ? head.seq : null,
      bytes: body.length,
      crcOk: raw != null && crc != null && parseInt(crc, 16) === crc32(raw),
      action: 'pass',
      status: null,
    };
    log.push(info);

    let action = proxy.down ? 'reset' : undefined;
    if (action === undefined && proxy.rule) action = proxy.rule(info);
    if (action === undefined && queue.length) action = queue.shift();
    if (action === 'reset') {
      info.action = 'reset';
      req.socket.destroy();
      return;
    }
    if (action && action.status) {
      info.action = action.status;
      info.status = action.status;
      const h = {
        'content-type': 'application/json',
        vary: 'Origin',
        'access-control-allow-origin': req.headers.origin || '*',
        'access-control-expose-headers': 'Retry-After',
      };
      if (action.retryAfter != null) h['retry-after'] = String(action.retryAfter);
      res.writeHead(action.status, h);
      res.end(JSON.stringify({ error: `injected ${action.status}` }));
      info.tDone = Date.now();
      return;
    }
    info.status = await forward(req, res, body);
    info.tDone = Date.now();
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  proxy.port = port;
  proxy.base = `http://127.0.0.1:${port}`;
  proxy.host = `127.0.0.1:${port}`;
  proxy.stop = async () => {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r()));
  };
  return proxy;
}
