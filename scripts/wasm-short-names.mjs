#!/usr/bin/env node
// Shortens the names that tie the wasm-bindgen glue to the module, in both files at once:
//   node scripts/wasm-short-names.mjs IN.wasm IN.js OUT.wasm OUT.js
// wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` and several exports
// `wasm_bindgen__convert__closures_____invoke__h<16 hex digits>`: about 200 names of ~45 bytes,
// written once in the wasm (import/export sections) and once in the glue, and the hashes do not
// compress. They are only keys: the module refers to imports and exports by index, and the glue
// refers to them as `NAME: function(...)` keys of its import object and as `wasm.NAME`. Both are
// renamed to short identifiers; nothing else in either file changes.
//
// Refuses (exit 1, nothing written) when an import key is not found exactly once in the glue,
// or an export name appears in the glue other than as `wasm.NAME`: a newer wasm-bindgen that
// writes its glue differently must not yield a module whose imports no longer match.
import fs from 'node:fs';

const [inWasm, inJs, outWasm, outJs] = process.argv.slice(2);
if (!outJs) {
  console.error('usage: wasm-short-names.mjs IN.wasm IN.js OUT.wasm OUT.js');
  process.exit(2);
}
const die = (msg) => {
  console.error(`wasm-short-names: ${msg}`);
  process.exit(1);
};

const buf = fs.readFileSync(inWasm);
let js = fs.readFileSync(inJs, 'utf8');
const dec = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) die(`${inWasm} is not a wasm module`);

function leb(b, pos) {
  let r = 0, shift = 0, x;
  do {
    x = b[pos.i++];
    r += (x & 0x7f) * 2 ** shift;
    shift += 7;
  } while (x & 0x80);
  return r;
}
function uleb(n) {
  const out = [];
  do {
    let x = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) x |= 0x80;
    out.push(x);
  } while (n);
  return Buffer.from(out);
}
const nameBytes = (s) => {
  const b = Buffer.from(enc.encode(s));
  return Buffer.concat([uleb(b.length), b]);
};
function readName(b, pos) {
  const n = leb(b, pos);
  const s = dec.decode(b.subarray(pos.i, pos.i + n));
  pos.i += n;
  return s;
}

// Short identifiers: a..z A..Z _ $, then two characters, and so on. Never a JS keyword or a
// name the glue already uses as a key or property (checked below).
const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
const REST = FIRST + '0123456789';
function* shortNames() {
  for (let len = 1; ; len++) {
    const idx = new Array(len).fill(0);
    for (;;) {
      let s = FIRST[idx[0]];
      for (let k = 1; k < len; k++) s += REST[idx[k]];
      yield s;
      let k = len - 1;
      for (; k >= 0; k--) {
        idx[k]++;
        if (idx[k] < (k === 0 ? FIRST : REST).length) break;
        idx[k] = 0;
      }
      if (k < 0) break;
    }
  }
}
const RESERVED = new Set(['do', 'if', 'in', 'for', 'let', 'new', 'try', 'var', 'case', 'else', 'enum', 'null', 'this', 'true', 'void', 'with']);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const countOf = (re) => (js.match(re) || []).length;

// Sections, as [id, payload] pairs.
const sections = [];
for (const pos = { i: 8 }; pos.i < buf.length; ) {
  const id = buf[pos.i++];
  const size = leb(buf, pos);
  sections.push([id, buf.subarray(pos.i, pos.i + size)]);
  pos.i += size;
}

// Every export name of the module: a new export name must not repeat one that stays.
const exportNames = new Set();
for (const [id, body] of sections) {
  if (id !== 7) continue;
  const pos = { i: 0 };
  for (let n = leb(body, pos); n > 0; n--) {
    exportNames.add(readName(body, pos));
    pos.i++;
    leb(body, pos);
  }
}
const gen = shortNames();
const fresh = () => {
  for (;;) {
    const s = gen.next().value;
    if (RESERVED.has(s) || exportNames.has(s)) continue;
    // Not already an object key or a `wasm.` property in the glue.
    if (new RegExp(`(?<![\\w$.])${escapeRe(s)}: function\\b|wasm\\.${escapeRe(s)}(?![\\w$])`).test(js)) continue;
    return s;
  }
};

let renamedImports = 0, renamedExports = 0, saved = 0;
const out = [];
for (const [id, body] of sections) {
  if (id === 2) {
    // Imports: (module, field, desc)*. Every import of the glue's module gets a short field name.
    const pos = { i: 0 };
    const n = leb(body, pos);
    const parts = [uleb(n)];
    const moduleNames = new Set();
    for (let k = 0; k < n; k++) {
      const mod = readName(body, pos);
      const field = readName(body, pos);
      const descStart = pos.i;
      const kind = body[pos.i++];
      if (kind === 0) leb(body, pos);
      else if (kind === 1) { pos.i++; const fl = leb(body, pos); leb(body, pos); if (fl & 1) leb(body, pos); }
      else if (kind === 2) { const fl = leb(body, pos); leb(body, pos); if (fl & 1) leb(body, pos); }
      else if (kind === 3) pos.i += 2;
      else if (kind === 4) { pos.i++; leb(body, pos); }
      else die(`unknown import kind ${kind}`);
      const desc = body.subarray(descStart, pos.i);
      let newField = field;
      if (field.length > 2 && /^[A-Za-z_$][\w$]*$/.test(field)) {
        moduleNames.add(mod);
        const keyRe = new RegExp(`(?<![\\w$.])${escapeRe(field)}(?=: function\\b)`, 'g');
        if (countOf(keyRe) !== 1 || countOf(new RegExp(`(?<![\\w$])${escapeRe(field)}(?![\\w$])`, 'g')) !== 1) {
          die(`import ${mod}.${field} is not exactly one 'NAME: function' key of the glue`);
        }
        newField = fresh();
        js = js.replace(keyRe, newField);
        renamedImports++;
        saved += field.length - newField.length;
      }
      parts.push(nameBytes(mod), nameBytes(newField), desc);
    }
    out.push([id, Buffer.concat(parts)]);
  } else if (id === 7) {
    // Exports: (name, desc)*. Renamed when the glue uses the name only as `wasm.NAME`.
    const pos = { i: 0 };
    const n = leb(body, pos);
    const parts = [uleb(n)];
    for (let k = 0; k < n; k++) {
      const name = readName(body, pos);
      const descStart = pos.i;
      pos.i++;
      leb(body, pos);
      const desc = body.subarray(descStart, pos.i);
      let newName = name;
      if (name.length > 3 && name !== 'memory' && /^[A-Za-z_$][\w$]*$/.test(name)) {
        const prop = new RegExp(`(?<![\\w$])wasm\\.${escapeRe(name)}(?![\\w$])`, 'g');
        const uses = countOf(prop);
        const quoted = countOf(new RegExp(`['"\`]${escapeRe(name)}['"\`]`, 'g'));
        if (uses > 0 && quoted === 0) {
          newName = fresh();
          js = js.replace(prop, `wasm.${newName}`);
          renamedExports++;
          saved += (name.length - newName.length) * (uses + 1);
        }
      }
      parts.push(nameBytes(newName), desc);
    }
    out.push([id, Buffer.concat(parts)]);
  } else {
    out.push([id, body]);
  }
}

const wasmOut = Buffer.concat([
  buf.subarray(0, 8),
  ...out.flatMap(([id, body]) => [Buffer.from([id]), uleb(body.length), body]),
]);
// The result must still be a valid module with the same imports, by kind and count.
try {
  const before = WebAssembly.Module.imports(new WebAssembly.Module(buf));
  const after = WebAssembly.Module.imports(new WebAssembly.Module(wasmOut));
  if (before.length !== after.length || before.some((x, k) => x.kind !== after[k].kind || x.module !== after[k].module)) {
    die('the rewritten module does not have the same imports');
  }
} catch (e) {
  die(`the rewritten module does not compile: ${e.message}`);
}
fs.writeFileSync(outWasm, wasmOut);
fs.writeFileSync(outJs, js);
console.log(`wasm-short-names: ${renamedImports} imports, ${renamedExports} exports renamed; ${buf.length} -> ${wasmOut.length} B wasm, ~${saved} B of names`);
