// A tolerant reader of insp request bodies (postcard encoding of `Envelope`, see src/event.rs
// and src/codec.rs), used by the bench sink only to tell which request carried the first full
// snapshot and how many nodes it held. It is NOT the collector's decoder: the schema is being
// extended while this harness exists, so every unknown variant stops the reading of that body
// (what was read so far is kept, `partial` says why it stopped) instead of throwing.
//
// postcard: unsigned integers are LEB128 varints, signed ones zigzag varints, bool one byte,
// String = varint length + UTF-8, Option = 0 | 1 value, Vec = varint length + items,
// enum = varint variant index + fields, struct = fields in order.

import zlib from 'node:zlib';

class Stop extends Error {}

class Reader {
  constructor(buf) {
    this.b = buf;
    this.i = 0;
  }
  // Numbers stay exact up to 2^53 (timestamps and ids are far below that).
  varint() {
    let x = 0;
    let mul = 1;
    for (;;) {
      if (this.i >= this.b.length) throw new Stop('truncated varint');
      const byte = this.b[this.i++];
      x += (byte & 0x7f) * mul;
      if (!(byte & 0x80)) return x;
      mul *= 128;
      if (mul > 2 ** 70) throw new Stop('varint too long');
    }
  }
  u() {
    return this.varint();
  }
  i32() {
    const n = this.varint();
    return n % 2 ? -(n + 1) / 2 : n / 2;
  }
  bool() {
    if (this.i >= this.b.length) throw new Stop('truncated bool');
    return this.b[this.i++] !== 0;
  }
  str() {
    const n = this.u();
    if (this.i + n > this.b.length) throw new Stop('truncated string');
    const s = this.b.toString('utf8', this.i, this.i + n);
    this.i += n;
    return s;
  }
  skipStr() {
    const n = this.u();
    if (this.i + n > this.b.length) throw new Stop('truncated string');
    this.i += n;
    return n;
  }
  opt(f) {
    return this.bool() ? f() : null;
  }
  vec(f) {
    const n = this.u();
    const out = [];
    for (let k = 0; k < n; k++) out.push(f());
    return out;
  }
}

const EVENT_KINDS = [
  'Start', 'Page', 'Note', 'FullSnapshot', 'Mutation', 'AdoptedSheets', 'MouseMove', 'Mouse', 'Scroll',
  'Viewport', 'Focus', 'Media', 'Navigation', 'Error', 'Network', 'Device', 'Visibility', 'Gap',
  'Degrade',
];

/** Reads one `Tree`; returns counts only (nodes, elements, text bytes...). */
function readTree(r, counts) {
  const n = r.u();
  for (let k = 0; k < n; k++) {
    r.u(); // id
    r.u(); // number of children
    const kind = r.u();
    counts.nodes++;
    switch (kind) {
      case 0: // Document { quirks }
        r.bool();
        break;
      case 1: // Doctype
        r.skipStr();
        r.skipStr();
        r.skipStr();
        break;
      case 2: {
        // Element { tag, ns, attrs, props }
        counts.elements++;
        r.skipStr();
        const ns = r.u();
        if (ns === 3) r.skipStr();
        else if (ns > 3) throw new Stop(`unknown Ns variant ${ns}`);
        const na = r.u();
        for (let a = 0; a < na; a++) {
          r.skipStr();
          r.skipStr();
        }
        const np = r.u();
        for (let p = 0; p < np; p++) readProp(r, counts);
        break;
      }
      case 3: // Text
      case 4: // Comment
      case 5: // CData
        counts.textBytes += r.skipStr();
        if (kind === 3) counts.texts++;
        break;
      case 6: // ShadowRoot
        break;
      default:
        throw new Stop(`unknown NodeKind variant ${kind}`);
    }
  }
}

function readProp(r, counts) {
  const p = r.u();
  switch (p) {
    case 0: // Value
      r.skipStr();
      break;
    case 1: // Checked
    case 2: // Selected
      r.bool();
      break;
    case 3: // Css
      counts.cssBytes = (counts.cssBytes || 0) + r.skipStr();
      break;
    case 4: // Scroll
      r.i32();
      r.i32();
      break;
    case 5: // Size
      r.u();
      r.u();
      break;
    case 6: // Opaque
      break;
    case 7: // FrameUrl
      r.skipStr();
      break;
    case 8: // Clear(PropKind)
      r.u();
      break;
    default:
      throw new Stop(`unknown Prop variant ${p}`);
  }
}

function newCounts() {
  return { nodes: 0, elements: 0, texts: 0, textBytes: 0 };
}

/**
 * Decodes one request body. `gzip`: the `enc=gzip` query flag. `stopAtSnapshot`: stop right
 * after the first FullSnapshot's header (fast detection while a measurement is running).
 * Returns { ok, body: 'meta'|'events'|'?', seq, events: [{kind, dt_ms, ...}], fullSnapshot,
 * partial } and never throws.
 */
export function decodeInsp(raw, { gzip = false, stopAtSnapshot = false } = {}) {
  const out = { ok: false, body: '?', rawBytes: null, events: [], kinds: {}, fullSnapshot: null, partial: null };
  let buf;
  try {
    buf = gzip ? zlib.gunzipSync(raw) : raw;
  } catch (e) {
    out.partial = `gunzip failed: ${e.message}`;
    return out;
  }
  out.rawBytes = buf.length;
  const r = new Reader(buf);
  try {
    out.v = r.u();
    out.wid = r.u();
    r.skipStr(); // vid
    r.skipStr(); // sid
    out.pid = r.u();
    const body = r.u();
    if (body === 0) {
      out.body = 'meta';
      out.ok = true;
      return out;
    }
    if (body !== 1) throw new Stop(`unknown Body variant ${body}`);
    out.body = 'events';
    out.seq = r.u();
    out.t0_ms = r.u();
    out.t1_ms = r.u();
    const n = r.u();
    out.nevents = n;
    for (let k = 0; k < n; k++) {
      const dt = r.u();
      const v = r.u();
      const kind = EVENT_KINDS[v] || `#${v}`;
      const ev = { kind, t_ms: out.t0_ms + dt };
      out.events.push(ev);
      out.kinds[kind] = (out.kinds[kind] || 0) + 1;
      switch (v) {
        case 0: // Start
          ev.url = r.str();
          r.skipStr();
          r.u();
          r.u();
          break;
        case 1: // Page
          ev.url = r.str();
          r.skipStr();
          break;
        case 2: // Note
          ev.text = r.str();
          break;
        case 3: {
          // FullSnapshot { tree, scroll_x, scroll_y, width, height }
          if (!out.fullSnapshot) out.fullSnapshot = ev;
          if (stopAtSnapshot) {
            out.ok = true;
            out.partial = 'stopped at snapshot';
            return out;
          }
          const counts = newCounts();
          readTree(r, counts);
          r.i32();
          r.i32();
          r.u();
          r.u();
          Object.assign(ev, counts);
          break;
        }
        case 4: {
          // Mutation { removes, adds, attrs, texts, props }
          const c = newCounts();
          ev.removes = r.vec(() => r.u()).length;
          ev.adds = r.vec(() => {
            r.u(); // parent
            r.opt(() => r.u()); // next
            const a = r.u();
            if (a === 0) r.u();
            else if (a === 1) readTree(r, c);
            else throw new Stop(`unknown AddNode variant ${a}`);
            return 0;
          }).length;
          ev.addedNodes = c.nodes;
          ev.attrs = r.vec(() => {
            r.u();
            r.skipStr();
            r.opt(() => r.skipStr());
            return 0;
          }).length;
          ev.texts = r.vec(() => {
            r.u();
            r.skipStr();
            return 0;
          }).length;
          ev.props = r.vec(() => {
            r.u();
            readProp(r, c);
            return 0;
          }).length;
          break;
        }
        case 5: // AdoptedSheets { target, sheets }
          r.u();
          r.vec(() => r.skipStr());
          break;
        // Visit recording: read only to reach the events after them.
        case 6: // MouseMove { positions: Vec<(i32, i32, u32)> }
          ev.positions = r.vec(() => [r.i32(), r.i32(), r.u()]).length;
          break;
        case 7: // Mouse { kind, id, x, y }
          r.u();
          r.u();
          r.i32();
          r.i32();
          break;
        case 8: // Scroll { id, x, y }
          r.u();
          r.i32();
          r.i32();
          break;
        case 9: // Viewport { width, height }
          r.u();
          r.u();
          break;
        case 10: // Focus { id, focused }
          r.u();
          r.bool();
          break;
        case 11: // Media { id, playing, time_ms }
          r.u();
          r.bool();
          r.u();
          break;
        case 12: // Navigation { url, kind }
          ev.url = r.str();
          r.u();
          break;
        case 13: // Error(ErrorInfo { message, source, line, column, stack, rejection })
          r.skipStr();
          r.skipStr();
          r.u();
          r.u();
          r.skipStr();
          r.bool();
          break;
        case 14: // Network(NetworkInfo { method, url, status, duration_ms, request_bytes, response_bytes, fetch })
          r.skipStr();
          r.skipStr();
          for (let q = 0; q < 4; q++) r.u();
          r.bool();
          break;
        case 15: // Device(DeviceInfo { user_agent, screen_width, screen_height, pixel_ratio_pct, language, time_zone, referrer })
          r.skipStr();
          r.u();
          r.u();
          r.u();
          r.skipStr();
          r.skipStr();
          r.skipStr();
          break;
        case 16: // Visibility { hidden }
          r.bool();
          break;
        case 17: {
          // Gap { from_seq, to_seq, dropped_bytes, reason: MemoryBound | Rejected { status } }
          r.u();
          r.u();
          r.u();
          const g = r.u();
          if (g === 1) r.u();
          else if (g !== 0) throw new Stop(`unknown GapReason variant ${g}`);
          break;
        }
        case 18: {
          // Degrade { reason, measured, limit, action: Snapshot | Throttle { interval_ms } | Resume | Truncate { count } }
          ev.reason = r.u();
          ev.measured = r.u();
          ev.limit = r.u();
          const a = r.u();
          ev.action = a;
          if (a === 1 || a === 3) r.u();
          else if (a !== 0 && a !== 2) throw new Stop(`unknown DegradeAction variant ${a}`);
          break;
        }
        default:
          throw new Stop(`unknown EventData variant ${v} (event ${k} of ${n})`);
      }
    }
    out.ok = true;
    if (r.i !== buf.length) out.partial = `${buf.length - r.i} trailing bytes`;
  } catch (e) {
    out.partial = e instanceof Stop ? e.message : `decode error: ${e.message}`;
  }
  return out;
}

/**
 * rrweb bodies posted by the bench's rrweb driver: JSON `{ seq, events: [packed...] }`, each
 * packed event being @rrweb/packer's latin1 string of zlib(JSON). Only the event type is read
 * (partial inflate of the first bytes), unless `full` asks for the full-snapshot node count.
 */
export function decodeRrweb(raw, { full = false } = {}) {
  const out = { ok: false, body: 'events', events: [], kinds: {}, fullSnapshot: null, partial: null };
  try {
    const msg = JSON.parse(raw.toString('utf8'));
    out.seq = msg.seq;
    for (const packed of msg.events || []) {
      const bin = Buffer.from(packed, 'latin1');
      let type = null;
      let timestamp = null;
      let nodes = null;
      if (full) {
        const ev = JSON.parse(zlib.inflateSync(bin).toString('utf8'));
        type = ev.type;
        timestamp = ev.timestamp;
        if (type === 2) nodes = countRrwebNodes(ev.data && ev.data.node);
      } else {
        const head = zlib
          .inflateSync(bin.subarray(0, 512), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
          .toString('utf8');
        const m = /^\{"type":(\d+)/.exec(head);
        type = m ? Number(m[1]) : null;
      }
      const kind = RRWEB_TYPES[type] || `#${type}`;
      const ev = { kind, t_ms: timestamp };
      if (nodes) Object.assign(ev, nodes);
      out.events.push(ev);
      out.kinds[kind] = (out.kinds[kind] || 0) + 1;
      if (type === 2 && !out.fullSnapshot) out.fullSnapshot = ev;
    }
    out.ok = true;
  } catch (e) {
    out.partial = `decode error: ${e.message}`;
  }
  return out;
}

const RRWEB_TYPES = {
  0: 'DomContentLoaded',
  1: 'Load',
  2: 'FullSnapshot',
  3: 'Incremental',
  4: 'Meta',
  5: 'Custom',
  6: 'Plugin',
};

function countRrwebNodes(root) {
  const c = { nodes: 0, elements: 0, texts: 0 };
  const stack = root ? [root] : [];
  while (stack.length) {
    const n = stack.pop();
    c.nodes++;
    if (n.type === 2) c.elements++;
    else if (n.type === 3) c.texts++;
    if (n.childNodes) for (const ch of n.childNodes) stack.push(ch);
  }
  return c;
}
