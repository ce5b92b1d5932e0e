#!/usr/bin/env node
// Where the agent's wasm bytes go: parses a names-kept build's sections, name section and code
// section, attributes each function body to a crate/module by its (demangled) name, and prints
// totals per group and the largest functions, raw and as an estimate of the compressed share.
//
//   INSP_WASM_NAMES=1 INSP_DIST_DIR=/tmp/prof bash scripts/build-dist.sh
//   node bench/size-profile.mjs [/tmp/prof/insp.wasm] [--top N] [--json]
//
// The compressed share of a group is "leave one out": gzip -9 (and brotli) of the code section
// with and without that group's bodies; the difference is what the group costs on the wire.
// The shares do not add up exactly (compression shares context between groups).
// Without a name section (a shipped build) every function is "(no names)".

import fs from 'node:fs';
import zlib from 'node:zlib';
import { group, strip } from './lib/wasm-groups.mjs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) || '/tmp/prof/insp.wasm';
const topN = Number(args[args.indexOf('--top') + 1]) || (args.includes('--top') ? 30 : 30);
const asJson = args.includes('--json');

const buf = fs.readFileSync(file);
if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file}: not a wasm module`);

function leb(b, pos) {
  let result = 0, shift = 0, byte;
  do {
    byte = b[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [result, pos];
}
const readName = (b, pos) => {
  const [len, p] = leb(b, pos);
  return [b.toString('utf8', p, p + len), p + len];
};

// ---- sections ----------------------------------------------------------------------------------
const SECTION = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];
const sections = [];
for (let pos = 8; pos < buf.length; ) {
  const id = buf[pos];
  const [size, p] = leb(buf, pos + 1);
  const s = { id, kind: SECTION[id] || `id${id}`, start: p, end: p + size, size: p + size - pos };
  if (id === 0) [s.name] = readName(buf, p);
  sections.push(s);
  pos = p + size;
}

// imported functions come first in the function index space
let importedFns = 0;
const imp = sections.find((s) => s.id === 2);
if (imp) {
  let [n, p] = leb(buf, imp.start);
  for (let i = 0; i < n; i++) {
    let m, f;
    [m, p] = readName(buf, p);
    [f, p] = readName(buf, p);
    const kind = buf[p++];
    if (kind === 0) { importedFns++; [, p] = leb(buf, p); }
    else if (kind === 1) { p++; const [fl, q] = leb(buf, p); p = q; [, p] = leb(buf, p); if (fl & 1) [, p] = leb(buf, p); }
    else if (kind === 2) { const [fl, q] = leb(buf, p); p = q; [, p] = leb(buf, p); if (fl & 1) [, p] = leb(buf, p); }
    else if (kind === 3) p += 2;
    else if (kind === 4) { p++; [, p] = leb(buf, p); }
  }
}

const names = new Map();
const nameSec = sections.find((s) => s.id === 0 && s.name === 'name');
if (nameSec) {
  let [, p] = readName(buf, nameSec.start);
  while (p < nameSec.end) {
    const sub = buf[p++];
    const [len, q] = leb(buf, p);
    if (sub === 1) {
      let [n, r] = leb(buf, q);
      for (let i = 0; i < n; i++) {
        let idx, nm;
        [idx, r] = leb(buf, r);
        [nm, r] = readName(buf, r);
        names.set(idx, nm);
      }
    }
    p = q + len;
  }
}

const code = sections.find((s) => s.id === 10);
const fns = [];
{
  let [n, p] = leb(buf, code.start);
  for (let i = 0; i < n; i++) {
    const [size, q] = leb(buf, p);
    const idx = importedFns + i;
    fns.push({ idx, name: names.get(idx) || (nameSec ? `func${idx}` : '(no names)'), size: q + size - p, body: buf.subarray(p, q + size) });
    p = q + size;
  }
}

const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const br = (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const codeAll = Buffer.concat(fns.map((f) => f.body));
const codeGz = gz(codeAll), codeBr = br(codeAll);

const groups = new Map();
for (const f of fns) {
  f.group = group(f.name);
  const g = groups.get(f.group) || { group: f.group, fns: 0, raw: 0, members: [] };
  g.fns++; g.raw += f.size; g.members.push(f);
  groups.set(f.group, g);
}
for (const g of groups.values()) {
  const rest = Buffer.concat(fns.filter((f) => f.group !== g.group).map((f) => f.body));
  g.gzip = codeGz - gz(rest);
  g.brotli = codeBr - br(rest);
}
const sorted = [...groups.values()].sort((a, b) => b.raw - a.raw);

// data segments: the strings and tables (not attributed to functions)
const dataSec = sections.find((s) => s.id === 11);
const dataBytes = dataSec ? buf.subarray(dataSec.start, dataSec.end) : Buffer.alloc(0);

const total = { raw: buf.length, gzip9: gz(buf), brotli: br(buf) };
const kb = (n) => (n / 1000).toFixed(1).padStart(7);
if (asJson) {
  console.log(JSON.stringify({
    file, total,
    sections: sections.map((s) => ({ kind: s.name ? `custom:${s.name}` : s.kind, raw: s.size })),
    code: { raw: codeAll.length, gzip9: codeGz, brotli: codeBr, functions: fns.length },
    data: { raw: dataBytes.length, gzip9: gz(dataBytes), brotli: br(dataBytes) },
    groups: sorted.map(({ members, ...g }) => g),
    top: [...fns].sort((a, b) => b.size - a.size).slice(0, topN).map((f) => ({ name: strip(f.name), group: f.group, raw: f.size })),
  }, null, 2));
  process.exit(0);
}

console.log(`${file}: ${kb(total.raw)} kB raw, ${kb(total.gzip9)} kB gzip -9, ${kb(total.brotli)} kB brotli (names section included if present)`);
console.log('\nsections (raw kB):');
for (const s of sections) console.log(`  ${(s.name ? 'custom:' + s.name : s.kind).padEnd(22)} ${kb(s.size)}`);
console.log(`\ncode: ${fns.length} functions, ${kb(codeAll.length)} kB raw, ${kb(codeGz)} kB gzip, ${kb(codeBr)} kB brotli`);
console.log(`data: ${kb(dataBytes.length)} kB raw, ${kb(gz(dataBytes))} kB gzip, ${kb(br(dataBytes))} kB brotli`);
console.log('\ngroup                                   fns   raw kB  raw %  gzip kB  brotli kB  (gzip/brotli: leave-one-out share of the code section)');
for (const g of sorted) {
  console.log(`  ${g.group.padEnd(36)} ${String(g.fns).padStart(5)} ${kb(g.raw)} ${((100 * g.raw) / codeAll.length).toFixed(1).padStart(5)}% ${kb(g.gzip)} ${kb(g.brotli)}`);
}
console.log(`\ntop ${topN} functions (raw bytes):`);
for (const f of [...fns].sort((a, b) => b.size - a.size).slice(0, topN)) {
  console.log(`  ${String(f.size).padStart(7)}  ${f.group.padEnd(30)} ${strip(f.name).slice(0, 140)}`);
}
