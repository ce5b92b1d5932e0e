// Test-only helpers for tests/browser_dom.rs: pages to record, mutations, and an independent
// (recursive, straightforward) rendering of the live DOM in the mirror's canonical form
// (src/dom/mirror.rs, "canonical()") plus the props the reader should have recorded.
// Not shipped: innerHTML and friends are fine here.

const HTML = 'http://www.w3.org/1999/xhtml';
const SVG = 'http://www.w3.org/2000/svg';
const MATH = 'http://www.w3.org/1998/Math/MathML';

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function fix(s) {
  s = s.replace(/\u0000/g, '\uFFFD');
  return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s;
}
function q(s) {
  return JSON.stringify(fix(s));
}
function bare(s) {
  return q(s).slice(1, -1);
}

function frameDoc(el) {
  try {
    return el.contentDocument;
  } catch (e) {
    return null;
  }
}

// Recorded children: open shadow root first; a same-origin frame's document; none for scripts
// and cross-origin frames; processing instructions are not recorded.
function kids(n) {
  const out = [];
  if (n.nodeType === 1) {
    const html = n.namespaceURI === HTML;
    const tag = html ? n.localName.toLowerCase() : n.localName;
    if (tag === 'script' && (html || n.namespaceURI === SVG)) return out;
    if (html && (tag === 'iframe' || tag === 'frame')) {
      const d = frameDoc(n);
      if (d) out.push(d);
      return out;
    }
    if (n.shadowRoot) out.push(n.shadowRoot);
  }
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType !== 7) out.push(c);
  return out;
}

/**
 * The live document in the mirror's canonical text form, with the privacy rule applied: the
 * `value` attribute of a password field is recorded empty.
 */
export function liveCanonical() {
  const lines = [];
  (function walk(n, depth) {
    const pad = '  '.repeat(depth);
    switch (n.nodeType) {
      case 9:
        lines.push(pad + '#document');
        break;
      case 10:
        lines.push(pad + '#doctype ' + bare(n.name) + '|' + bare(n.publicId) + '|' + bare(n.systemId));
        break;
      case 11:
        lines.push(pad + '#shadow-root');
        break;
      case 3:
        lines.push(pad + '#text ' + q(n.data));
        break;
      case 8:
        lines.push(pad + '#comment ' + q(n.data));
        break;
      case 4:
        lines.push(pad + '#cdata ' + q(n.data));
        break;
      case 1: {
        const ns = n.namespaceURI;
        let prefix = '';
        let tag = n.localName;
        if (ns === HTML) tag = tag.toLowerCase();
        else if (ns === SVG) prefix = 'svg:';
        else if (ns === MATH) prefix = 'math:';
        else if (ns) prefix = '{' + bare(ns) + '}';
        // Secret fields (src/privacy.rs): password, hidden and file inputs record no value.
        const pw = ns === HTML && tag === 'input' && /^(password|hidden|file)$/.test(n.type);
        const attrs = Array.from(n.attributes, (a) => [a.name, pw && a.name === 'value' ? '' : a.value]);
        attrs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        lines.push(pad + '<' + prefix + bare(tag) + attrs.map((a) => ' ' + bare(a[0]) + '=' + q(a[1])).join('') + '>');
        break;
      }
    }
    for (const c of kids(n)) walk(c, depth + 1);
  })(document, 0);
  return lines.join('\n') + '\n';
}

/** One line per element with props (all but "s"), in document order: `tag code=value ...`. */
export function liveProps() {
  const lines = [];
  const top = document.scrollingElement;
  (function walk(n) {
    if (n.nodeType === 1) {
      const html = n.namespaceURI === HTML;
      const tag = html ? n.localName.toLowerCase() : n.localName;
      const p = [];
      if (html && tag === 'input') {
        if (n.type === 'checkbox' || n.type === 'radio') p.push('k=' + (n.checked ? 1 : 0));
        else if (!/^(button|submit|reset|image|hidden|file)$/.test(n.type)) p.push('v=' + (n.type === 'password' ? '' : n.value));
      }
      if (html && (tag === 'textarea' || tag === 'select')) p.push('v=' + n.value);
      if (html && tag === 'option') p.push('z=' + (n.selected ? 1 : 0));
      if (html && (tag === 'iframe' || tag === 'frame') && !frameDoc(n)) p.push('O', 'w=' + n.offsetWidth + ',' + n.offsetHeight);
      if (n !== top && (n.scrollLeft || n.scrollTop)) p.push('o=' + Math.round(n.scrollLeft) + ',' + Math.round(n.scrollTop));
      if (p.length) lines.push(tag + ' ' + p.sort().join(' '));
    }
    for (const c of kids(n)) walk(c);
  })(document);
  return lines.join('\n');
}

// Everything a test builds lives in one container: the test runner's own elements (#output,
// #console_output) stay in the body, and are recorded like the rest of the page.
function root() {
  let r = document.getElementById('test-root');
  if (!r) {
    r = document.createElement('div');
    r.id = 'test-root';
    document.body.appendChild(r);
  }
  return r;
}

/** Removes what the previous test built. */
export function resetPage() {
  const r = document.getElementById('test-root');
  if (r) r.remove();
}

/** A page with a bit of everything the reader handles. Resolves once the frames loaded. */
export async function buildRichPage() {
  resetPage();
  const b = root();
  b.insertAdjacentHTML(
    'beforeend',
    '<div id="nested" class="a b" data-nul="x\u0000y"><p>para <b>bold <i>italic</i></b> tail</p>' +
      '<ul><li>one</li><li>two<!-- note --></li></ul></div>' +
      '<svg id="pic" viewBox="0 0 10 10"><linearGradient id="g"></linearGradient>' +
      '<use href="#g"></use><foreignObject><div>html in svg</div></foreignObject></svg>' +
      '<math><mi>x</mi></math>' +
      '<form><input id="text" value="initial"><input id="pw" type="password" value="hunter2">' +
      '<input id="cb" type="checkbox" checked><input type="radio" name="r" id="r1" checked><input type="radio" name="r" id="r2">' +
      '<textarea id="ta">default</textarea><select id="sel"><option>a</option><option selected>b</option></select>' +
      '<input type="hidden" value="h"><button>go</button></form>' +
      '<script type="text/x-test">var x = "<b>not a node</b>";</script>' +
      '<div id="scroller" style="width:50px;height:50px;overflow:auto"><div style="width:500px;height:500px">big</div></div>'
  );
  // A mixed-case attribute name on an HTML element (not reachable through getAttribute).
  document.getElementById('nested').setAttributeNS(null, 'dataCamel', 'c');
  const xlink = document.getElementById('pic').querySelector('use');
  xlink.setAttributeNS('http://www.w3.org/1999/xlink', 'xlink:href', '#g');
  // Values that differ from the attributes.
  document.getElementById('text').value = 'typed';
  document.getElementById('ta').value = 'edited';
  document.getElementById('scroller').scrollTop = 30;
  // Shadow root with nested content and a nested shadow root.
  const host = document.createElement('x-card');
  host.id = 'host';
  const sr = host.attachShadow({ mode: 'open' });
  sr.innerHTML = '<style>p{color:red}</style><p>shadow <slot></slot></p><span id="inner-host"></span>';
  sr.getElementById('inner-host').attachShadow({ mode: 'open' }).textContent = 'deep';
  host.textContent = 'slotted';
  b.appendChild(host);
  // A style whose rules were inserted by script.
  const st = document.createElement('style');
  st.id = 'cssom';
  st.textContent = '.from-text { color: red; }';
  b.appendChild(st);
  st.sheet.insertRule('.from-script { color: green; }', 1);
  // Same-origin frames (srcdoc, about:blank filled by script) and a cross-origin one.
  const f1 = document.createElement('iframe');
  f1.id = 'f1';
  f1.srcdoc = '<!doctype html><p>in the <em>frame</em></p>';
  const f1loaded = new Promise((r) => (f1.onload = r));
  b.appendChild(f1);
  await f1loaded;
  const f2 = document.createElement('iframe');
  f2.id = 'f2';
  b.appendChild(f2);
  f2.contentDocument.body.appendChild(f2.contentDocument.createElement('h1')).textContent = 'blank frame';
  const f3 = document.createElement('iframe');
  f3.id = 'f3';
  f3.style.width = '120px';
  f3.style.height = '80px';
  const f3loaded = new Promise((r) => (f3.onload = r));
  f3.src = 'data:text/html,<p>opaque</p>';
  b.appendChild(f3);
  await f3loaded;
  b.appendChild(document.createComment('end'));
}

/** Text of the `s` prop expected for #cssom: its current rules. */
export function cssomText() {
  return Array.from(document.getElementById('cssom').sheet.cssRules, (r) => r.cssText).join('\n');
}

/** Changes of every kind the observer reports, in one task. */
export function mutateRichPage() {
  const b = root();
  const nested = document.getElementById('nested');
  const p = nested.querySelector('p');
  // move, remove, insert, wrap
  b.appendChild(p);
  nested.querySelector('li').remove();
  const sec = document.createElement('section');
  sec.innerHTML = '<h2>new <u>content</u></h2>text';
  b.insertBefore(sec, b.firstChild);
  sec.appendChild(nested.querySelector('ul')); // a known node inside a new one
  // attributes, namespaced too
  nested.setAttribute('data-state', 'open');
  nested.removeAttribute('class');
  const use = document.getElementById('pic').querySelector('use');
  use.removeAttributeNS('http://www.w3.org/1999/xlink', 'href');
  document.getElementById('pic').setAttribute('viewBox', '0 0 20 20');
  // text
  p.firstChild.data = 'changed para ';
  // shadow DOM: change inside, and a root attached later to a known element
  const sr = document.getElementById('host').shadowRoot;
  sr.querySelector('p').firstChild.data = 'changed shadow ';
  sr.getElementById('inner-host').shadowRoot.textContent = 'deeper';
  const later = document.createElement('div');
  b.appendChild(later);
  const known = document.getElementById('nested');
  known.attachShadow({ mode: 'open' }).innerHTML = '<b>late shadow</b><slot></slot>';
  later.attachShadow({ mode: 'open' }).textContent = 'new host';
  // frames: change inside a same-origin frame; add a new one
  const f2 = document.getElementById('f2');
  f2.contentDocument.body.appendChild(f2.contentDocument.createElement('hr'));
  const f4 = document.createElement('iframe');
  f4.id = 'f4';
  b.appendChild(f4);
  f4.contentDocument.body.textContent = 'new frame';
  // CSSOM and form values set by script (no events)
  document.getElementById('cssom').sheet.insertRule('.later { color: blue; }', 0);
  document.getElementById('text').value = 'set by script';
  document.getElementById('r2').checked = true;
  document.getElementById('sel').selectedIndex = 0;
  document.getElementById('cb').checked = false;
  // innerHTML replacing a subtree
  const div = document.createElement('div');
  b.appendChild(div);
  div.innerHTML = '<table><tbody><tr><td>1</td><td>2</td></tr></tbody></table>';
}

/** Navigates frame #f1 to new content; resolves after its load event. */
export function navigateFrame() {
  const f1 = document.getElementById('f1');
  const loaded = new Promise((r) => f1.addEventListener('load', r, { once: true }));
  f1.srcdoc = '<h1>second page</h1>';
  return loaded;
}

/** The shipped prototypes are the browser's own again. */
export function patchesRestored() {
  const native = (f) => typeof f === 'function' && /\[native code\]/.test(Function.prototype.toString.call(f));
  return (
    native(CSSStyleSheet.prototype.insertRule) &&
    native(CSSStyleSheet.prototype.replaceSync) &&
    native(CSSGroupingRule.prototype.insertRule) &&
    native(Element.prototype.attachShadow) &&
    native(Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set) &&
    native(Object.getOwnPropertyDescriptor(Document.prototype, 'adoptedStyleSheets').set)
  );
}

// ---- random pages and mutations (seeded) ----------------------------------------------------

let seed = 1;
function rnd(n) {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed % n;
}
const TAGS = ['div', 'span', 'p', 'ul', 'li', 'section', 'b'];
function make() {
  const k = rnd(12);
  if (k < 7) {
    const e = document.createElement(TAGS[rnd(TAGS.length)]);
    if (rnd(3) === 0) e.setAttribute('data-n', String(rnd(100)));
    return e;
  }
  if (k < 11) return document.createTextNode('t' + rnd(1000));
  return document.createComment('c' + rnd(10));
}
let pool = [];

/** A random tree of about `n` nodes under a fresh container, with a few shadow roots. */
export function buildRandomPage(n, s) {
  resetPage();
  seed = s;
  const main = document.createElement('main');
  root().appendChild(main);
  pool = [main];
  for (let i = 0; i < n; i++) {
    const parent = pool[rnd(pool.length)];
    const node = make();
    parent.appendChild(node);
    if (node.nodeType === 1) pool.push(node);
  }
  for (let i = 0; i < 4; i++) {
    const h = pool[1 + rnd(pool.length - 1)];
    if (h.localName === 'div' && !h.shadowRoot) {
      const sr = h.attachShadow({ mode: 'open' });
      sr.append(document.createElement('slot'), 'shadow ' + i);
      pool.push(sr);
    }
  }
}

/** `count` random changes: inserts, removals, moves, wraps, attributes, text. */
export function randomMutations(count) {
  const live = pool.filter((n) => n.isConnected);
  for (let k = 0; k < count; k++) {
    const a = live[rnd(live.length)];
    const c = live[rnd(live.length)];
    try {
      switch (rnd(8)) {
        case 0:
        case 1: {
          const node = make();
          a.insertBefore(node, a.childNodes[rnd(a.childNodes.length + 1)] || null);
          if (node.nodeType === 1) pool.push(node);
          break;
        }
        case 2:
          if (c.nodeType === 1 && c.localName !== 'main') c.remove();
          break;
        case 3:
          if (c.nodeType === 1 && c.localName !== 'main' && !c.contains(a)) a.insertBefore(c, a.firstChild);
          break;
        case 4:
          if (a.nodeType === 1) a.setAttribute('data-m', String(rnd(9)));
          break;
        case 5:
          if (a.firstChild && a.firstChild.nodeType === 3) a.firstChild.data = 'm' + rnd(99);
          break;
        case 6:
          if (a.nodeType === 1 && a.localName !== 'main' && a.parentNode) {
            const w = document.createElement('div');
            a.parentNode.replaceChild(w, a);
            w.append('wrap', a);
            pool.push(w);
          }
          break;
        case 7:
          if (a.lastChild) a.removeChild(a.lastChild);
          break;
      }
    } catch (e) {
      // e.g. a hierarchy error: skip
    }
  }
}

/** About `n` nodes in rows (div > span + a + input, texts), like a long list or table. */
export function buildLargePage(n) {
  resetPage();
  const frag = document.createDocumentFragment();
  let count = 0;
  let i = 0;
  while (count < n) {
    const row = document.createElement('div');
    row.className = 'row r' + i;
    const s = document.createElement('span');
    s.textContent = 'cell ' + i;
    const a = document.createElement('a');
    a.href = '#' + i;
    a.title = 'link';
    a.textContent = 'go';
    row.append(s, a, document.createElement('input'), ' ');
    frag.appendChild(row);
    count += 7; // div, span, its text, a, its text, input, text
    i++;
  }
  root().appendChild(frag);
  let nodes = 0;
  const w = document.createTreeWalker(document);
  while (w.nextNode()) nodes++;
  return nodes + 1;
}

/** Appends `n` new nodes in one task (a large mutation batch). */
export function appendMany(n) {
  const box = document.createElement('div');
  for (let i = 0; i < n / 2; i++) box.appendChild(document.createElement('p')).textContent = 'n' + i;
  root().appendChild(box);
}

let kept = null;
/**
 * A node detached across observer deliveries: 0 adds it, 1 removes it, 2 changes it and adds it
 * back; 3 changes it, adds it back and moves it within the same task (its add is not its first
 * record in that delivery); 4 removes it, changes it and adds it back within one task.
 */
export function detachStep(step) {
  const main = document.querySelector('#test-root main');
  if (step === 0) {
    kept = document.createElement('p');
    kept.textContent = 'before';
    main.appendChild(kept);
  } else if (step === 1) kept.remove();
  else if (step === 2) {
    kept.firstChild.data = 'changed while detached';
    kept.appendChild(document.createElement('br'));
    main.appendChild(kept);
  } else if (step === 3) {
    kept.firstChild.data = 'changed again while detached';
    kept.setAttribute('title', 'set while detached');
    kept.appendChild(document.createElement('hr'));
    main.appendChild(kept);
    main.insertBefore(kept, main.firstChild);
  } else {
    kept.remove();
    kept.firstChild.data = 'changed in the same task';
    kept.setAttribute('title', 'same task');
    kept.appendChild(document.createElement('wbr'));
    main.appendChild(kept);
  }
}

let frameKept = null;
/**
 * A node of a frame's document moved, inside a new element, out of it after the frame itself
 * moved (the frame then holds a new document; the old one goes with no record): 0 builds the
 * frame, 1 moves the frame and the node.
 */
export function frameStep(step) {
  const main = document.querySelector('#test-root main');
  if (step === 0) {
    const f = document.createElement('iframe');
    f.srcdoc = '<p>srcdoc</p>';
    return new Promise((resolve) => {
      f.addEventListener('load', () => {
        const d = f.contentDocument;
        frameKept = d.createElement('b');
        frameKept.textContent = 'from the old frame document';
        d.body.appendChild(frameKept);
        resolve();
      }, { once: true });
      main.appendChild(f);
    });
  }
  const f = main.querySelector('iframe');
  main.insertBefore(f, main.firstChild);
  const w = document.createElement('div');
  w.appendChild(frameKept);
  main.appendChild(w);
  // The frame's new document loads later.
  return new Promise((resolve) => f.addEventListener('load', () => resolve(), { once: true }));
}

/**
 * Imports an ES module from its source text. The test runner serves `.mjs` files as
 * application/octet-stream, which browsers refuse for module scripts, so js/reader.mjs is
 * included as text by the test and imported from a Blob URL.
 */
export function importModule(source) {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return import(url).finally(() => URL.revokeObjectURL(url));
}

/** "Show password": the field becomes a text field with a value typed by script. */
export function showPassword(show) {
  const pw = document.getElementById('pw');
  pw.type = show ? 'text' : 'password';
  if (show) {
    pw.value = 'hunter3';
    pw.setAttribute('value', 'hunter3');
  }
}

/** A reader whose every walk fails, counting calls (for the driver's failure handling). */
export function failingReader() {
  const calls = { snapshotStart: 0, snapshotSlice: 0, disconnect: 0 };
  return {
    calls,
    start: () => true,
    snapshotStart: () => (calls.snapshotStart++, true),
    snapshotSlice: () => (calls.snapshotSlice++, null),
    walking: () => true,
    takeListing: () => '',
    serialize: () => null,
    takeAdopted: () => null,
    disconnect: () => void calls.disconnect++,
  };
}

/** Changes a text `hz` times a second (setInterval) until the returned function is called. */
export function startTicker(hz) {
  const p = root().appendChild(document.createElement('p'));
  p.id = 'ticker';
  let n = 0;
  const t = setInterval(() => {
    p.textContent = 'tick ' + n++;
  }, 1000 / hz);
  return () => {
    clearInterval(t);
    return n;
  };
}

/** Values over small caps: a data: URL attribute of `n` characters, a text of `n`, and a
 * style sheet built through the CSSOM with `rules` rules. */
export function giantValues(n, rules) {
  const img = document.createElement('img');
  img.id = 'giant-img';
  img.setAttribute('src', 'data:image/png;base64,' + 'A'.repeat(n));
  const p = document.createElement('p');
  p.id = 'giant-text';
  p.textContent = 'x'.repeat(n);
  const style = document.createElement('style');
  style.id = 'giant-css';
  root().append(img, p, style);
  for (let i = 0; i < rules; i++) style.sheet.insertRule('.r' + i + ' { color: red; }', i);
}
