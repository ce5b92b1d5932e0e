// The fidelity oracle's seeded mutator, evaluated in pages as a classic script: defines
// `window.__oracleMut` (no DOM nodes of its own until it runs). Never calls `childNodes`,
// `contains` or `getRootNode`: corpus pages hijack them.
//
//   __oracleMut.init(seed, {cssDecl})   seed the generator (and options, see OPTIONS)
//   await __oracleMut.run(steps)         `steps` random changes, in tasks of 1..40 changes with
//                                        a random kind of yield between them (macrotask,
//                                        microtask, timer, short sleep), so the observer
//                                        delivers batches of every size, changes are undone
//                                        within one delivery or across several, etc.
//   await __oracleMut.settle()           waits for frames loading, then for the agent to have
//                                        recorded everything (a few macrotasks and 80 ms)
//   __oracleMut.stats()                  counts per kind of change (and changes that threw)
//
// Changes: new elements (HTML, SVG, MathML, custom, form controls, tables, with subtrees),
// text and comments; removals; moves (within and across documents and shadow roots);
// attributes (set, removed, namespaced, mixed case, odd names and values); text data
// (set, append, split, normalize); innerHTML / insertAdjacentHTML / outerHTML /
// textContent / replaceChildren / replaceWith / wrapping; nodes kept detached across
// deliveries, changed, and put back; same-origin iframes (about:blank filled by script,
// srcdoc, a page of the same origin, navigated later, rewritten with document.write);
// open (and closed) shadow roots; style sheet rules (insertRule / deleteRule, also in
// @media), style texts and new style elements; form values set by script.
//
// OPTIONS: cssDecl: also change rules through CSSStyleDeclaration (rule.style.setProperty),
// which no patched CSSOM method reports. avoid: {camel, subdir}: stay clear of known bugs while
// looking for others (no mixed-case attribute names; frames load a page of the top page's own
// directory instead of /gen/frames/).
(function () {
  if (window.__oracleMut) return;
  var HTML = 'http://www.w3.org/1999/xhtml';
  var SVG = 'http://www.w3.org/2000/svg';
  var MATH = 'http://www.w3.org/1998/Math/MathML';
  var XLINK = 'http://www.w3.org/1999/xlink';

  var a = 1;
  var opts = {};
  var pending = [];
  var limbo = [];
  var counts = {};
  var failed = {};
  var frameSerial = 0;

  // mulberry32
  function rng() {
    a = (a + 0x6d2b79f5) | 0;
    var t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  function rnd(n) {
    return Math.floor(rng() * n);
  }
  function pick(list) {
    return list[rnd(list.length)];
  }
  function chance(p) {
    return rng() < p;
  }

  function sleep(ms) {
    return new Promise(function (r) {
      setTimeout(r, ms);
    });
  }
  function macrotask() {
    return new Promise(function (r) {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  }

  // ---- vocabulary ------------------------------------------------------------------------

  var TEXTS = [
    '',
    ' ',
    '\n  ',
    'a',
    'hello world',
    'ünïcödé ☃ 😀 𝄞',
    'quote " and \' and \\ backslash',
    'line\nbreak\ttab\rcr',
    'nul\u0000inside',
    'lone \uD800 surrogate',
    '<b>not markup</b> & &amp; &lt;',
    '\u00a0nbsp\u00a0',
    '  leading and trailing  ',
    '-->',
    ']]>',
    '\u0007bell\u001b',
    'right-to-left \u202e text',
  ];
  var ATTR_VALUES = [
    '',
    'x',
    'two words',
    'quote " inside',
    "apos ' inside",
    'angle <b> & amp',
    'new\nline',
    'ünï ☃',
    'nul\u0000x',
    '  spaced  ',
    'javascript:void(0)',
  ];
  var URLS = [
    'img/x.png',
    './a/b.png',
    '../up.png',
    '/root.png',
    '?q=1',
    '#frag',
    'http://127.0.0.1:9/abs.png',
    'data:image/gif;base64,R0lGODlhAQABAAAAACw=',
    ' spaced.png ',
    'a%20b.png',
    'dir/../c.png',
  ];
  var HTML_TAGS = [
    'div', 'div', 'span', 'span', 'p', 'a', 'b', 'i', 'em', 'strong', 'ul', 'ol', 'li', 'section',
    'article', 'table', 'tbody', 'tr', 'td', 'th', 'pre', 'code', 'h1', 'h2', 'blockquote', 'label',
    'button', 'img', 'br', 'hr', 'figure', 'figcaption', 'details', 'summary', 'dl', 'dt', 'dd',
    'x-widget', 'my-element', 'template', 'canvas', 'noscript', 'slot', 'font', 'center', 'nav',
    'header', 'footer', 'main', 'aside', 'small', 'sup', 'sub', 'mark', 'abbr', 'q', 'cite', 'del',
    'ins', 'kbd', 'var', 'wbr', 'picture', 'source', 'object', 'dialog', 'xmp', 'listing',
  ];
  var SVG_TAGS = ['g', 'circle', 'rect', 'path', 'text', 'tspan', 'use', 'defs', 'linearGradient', 'stop', 'title', 'desc', 'foreignObject', 'clipPath', 'image'];
  var MATH_TAGS = ['mi', 'mo', 'mn', 'mrow', 'msup', 'mfrac', 'mtext'];
  var ATTR_NAMES = [
    'id', 'class', 'class', 'title', 'data-a', 'data-b-c', 'aria-label', 'lang', 'dir', 'hidden',
    'tabindex', 'style', 'data-json', 'Data-Upper', 'role', 'xml:lang', 'onclick', 'onmouseover',
    'onload', 'draggable', 'contenteditable', 'name', 'data-\u00e9',
  ];
  var CSS_RULES = [
    '.o-a { color: rgb(1, 2, 3); }',
    '#o-b > span { margin: 1px 2px; }',
    'p:hover { background: url("img/bg.png"); }',
    '@media (max-width: 600px) { .o-c { display: none; } }',
    '@media (min-device-width: 100px) { div:hover { color: red; } }',
    '.o-d::before { content: "\\201C quoted \\""; }',
    '@font-face { font-family: "O"; src: url("../fonts/o.woff2"); }',
    '@keyframes o-spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }',
    '.o-e { background-image: url(data:image/gif;base64,R0lGODlhAQABAAAAACw=); }',
    '@supports (display: grid) { .o-f { display: grid; } }',
    'a[href^="http"] { text-decoration: underline dotted; }',
    ':root { --o-var: 3px; }',
  ];
  var STYLE_TEXTS = [
    'h1 { color: navy; }',
    '.x { padding: 0 } .y:hover { color: red }',
    '@import url("../css/style.css");\n.z { margin: 0 }',
    'div { background: url(./rel/bg.png) }',
    '/* only a comment */',
    '',
  ];
  var HTML_SNIPPETS = [
    '<p>para <b>bold <i>it</i></b> tail</p>',
    '<ul><li>one</li><li>two<!-- note --></li><li>three</li></ul>',
    '<table><tr><td>1</td><td>2</td></tr><tr><td colspan="2">3</td></tr></table>',
    '<svg viewBox="0 0 10 10"><g><circle cx="5" cy="5" r="4"/><use href="#o"/></g><foreignObject><div>html in svg</div></foreignObject></svg>',
    '<math><mrow><mi>x</mi><mo>+</mo><mn>1</mn></mrow></math>',
    '<select><option>a</option><option selected>b</option></select><textarea>\ntext area</textarea>',
    '<input type="password" value="secret"><input type="checkbox" checked><input value="v">',
    '<pre>\n  pre text</pre>',
    '<!-- just a comment -->text &amp; entities &lt;&gt; &nbsp;',
    '<div><div><div><span>deep</span></div></div></div>',
    '<img src="img/a.png" srcset="img/a.png 1x, ../b.png 2x" alt="x">',
    '<a href="../page.html?x=1#y">link</a>',
    '<script>window.__oracleRan = (window.__oracleRan || 0) + 1</script><noscript><p>nos</p></noscript>',
    '<style>.from-inner { color: green }</style><p class="from-inner">styled</p>',
    '<template><p>in template</p></template><slot name="s"></slot>',
    '<details open><summary>sum</summary>details body</details>',
    '<x-custom some-attr="1"><y-custom>custom</y-custom></x-custom>',
    '<p>unclosed <b>bold <i>both</p> after',
    '<table><td>implied</td></table>',
    '',
  ];
  var INPUT_TYPES = ['text', 'password', 'checkbox', 'radio', 'number', 'email', 'hidden', 'submit', 'range', 'color', 'date', 'search', 'button', 'file'];

  function text() {
    var t = pick(TEXTS);
    return chance(0.5) ? t + rnd(1000) : t;
  }
  function attrValue(name) {
    if (name === 'style') return pick(['color: red;', 'background: url(img/s.png)', 'margin: 0 1px', '--x: 1', '']);
    if (name === 'class') return pick(['a', 'a b', 'o-a o-c', ' spaced  classes ', 'rr-block', 'rr-mask', '']);
    if (name === 'id') return 'o' + rnd(50);
    if (name === 'onclick' || name === 'onload' || name === 'onmouseover') return 'void 0';
    return pick(ATTR_VALUES) + (chance(0.3) ? rnd(100) : '');
  }

  // ---- the recorded nodes ----------------------------------------------------------------

  function frameDoc(el) {
    try {
      return el.contentDocument || null;
    } catch (e) {
      return null;
    }
  }
  function isHtml(n, tag) {
    return n.nodeType === 1 && n.namespaceURI === HTML && n.localName === tag;
  }
  function isProtected(n) {
    if (n.nodeType !== 1) return false;
    var d = n.ownerDocument;
    return n === d.documentElement || n === d.head || n === d.body;
  }

  // Every node of the recorded documents, and where nodes can go.
  function collect() {
    var nodes = [];
    var containers = [];
    var shadowHosts = [];
    var frames = [];
    var styles = [];
    var docs = [];
    var controls = [];
    (function walk(n) {
      var t = n.nodeType;
      if (t === 9) docs.push(n);
      else if (t === 11) containers.push(n);
      else nodes.push(n);
      if (t === 1) {
        var ns = n.namespaceURI;
        var tag = n.localName;
        if (ns === HTML && (tag === 'iframe' || tag === 'frame')) {
          frames.push(n);
          var d = frameDoc(n);
          if (d) walk(d);
          return;
        }
        if (tag === 'script') return;
        if (ns === HTML && (tag === 'style' || tag === 'link')) styles.push(n);
        if (ns === HTML && (tag === 'input' || tag === 'textarea' || tag === 'select' || tag === 'option')) controls.push(n);
        containers.push(n);
        if (n.shadowRoot) walk(n.shadowRoot);
        else if (ns === HTML && /^(div|span|p|section|article|aside|main|nav|header|footer|blockquote|h1|h2)$|-/.test(tag)) shadowHosts.push(n);
      }
      for (var c = n.firstChild; c; c = c.nextSibling) walk(c);
    })(document);
    return {
      nodes: nodes,
      containers: containers,
      shadowHosts: shadowHosts,
      frames: frames,
      styles: styles,
      docs: docs,
      controls: controls,
    };
  }

  function docOf(parent) {
    return parent.nodeType === 9 ? parent : parent.ownerDocument;
  }
  function nsOf(parent) {
    if (parent.nodeType !== 1) return HTML;
    var ns = parent.namespaceURI;
    if (ns === SVG && parent.localName === 'foreignObject') return HTML;
    if (ns === SVG || ns === MATH) return ns;
    if (parent.localName === 'svg' || parent.localName === 'math') return parent.namespaceURI;
    return HTML;
  }
  function childAt(parent, i) {
    var c = parent.firstChild;
    while (c && i-- > 0) c = c.nextSibling;
    return c;
  }
  function childCount(parent) {
    var n = 0;
    for (var c = parent.firstChild; c; c = c.nextSibling) n++;
    return n;
  }
  function insertAnywhere(parent, node) {
    parent.insertBefore(node, childAt(parent, rnd(childCount(parent) + 1)));
  }
  // `anc` is `n` or one of its ancestors in the node tree.
  function inclusiveAncestor(anc, n) {
    for (var p = n; p; p = p.parentNode) if (p === anc) return true;
    return false;
  }

  // ---- building --------------------------------------------------------------------------

  function setRandomAttr(el) {
    var name = pick(ATTR_NAMES);
    var tag = el.localName;
    if (el.namespaceURI === SVG && chance(0.4)) {
      if (tag === 'use' || tag === 'image') {
        if (chance(0.5)) el.setAttributeNS(XLINK, 'xlink:href', chance(0.5) ? '#o' + rnd(5) : pick(URLS));
        else el.setAttribute('href', chance(0.5) ? '#o' + rnd(5) : pick(URLS));
        return;
      }
      name = pick(['viewBox', 'fill', 'transform', 'd', 'cx', 'r', 'stroke-width', 'preserveAspectRatio']);
      el.setAttribute(name, pick(['0 0 10 10', 'red', 'translate(1,2)', 'M0 0L5 5', '3', '']));
      return;
    }
    if (el.namespaceURI === HTML && chance(0.35)) {
      if (tag === 'a' || tag === 'area') name = 'href';
      else if (tag === 'img' || tag === 'source') name = pick(['src', 'srcset']);
      else if (tag === 'td' || tag === 'th' || tag === 'table') name = 'background';
      else if (tag === 'object') name = 'data';
      if (name === 'href' || name === 'src' || name === 'background' || name === 'data') {
        el.setAttribute(name, pick(URLS));
        return;
      }
      if (name === 'srcset') {
        el.setAttribute(name, pick(URLS).trim() + ' 1x, ' + pick(URLS).trim() + ' 2x');
        return;
      }
    }
    if (name === 'Data-Upper' && opts.avoid && opts.avoid.camel) name = 'data-upper';
    if (name === 'Data-Upper' && chance(0.5)) {
      // Mixed case on an HTML element: not reachable through getAttribute.
      el.setAttributeNS(null, 'dataCamel', attrValue(name));
      return;
    }
    el.setAttribute(name, attrValue(name));
  }

  function makeInput(doc) {
    var el = doc.createElement('input');
    var type = pick(INPUT_TYPES);
    el.setAttribute('type', type);
    if (type === 'radio') el.setAttribute('name', 'o-r' + rnd(3));
    if (chance(0.5)) el.setAttribute('value', pick(['v', 'secret', '42', '']));
    if ((type === 'checkbox' || type === 'radio') && chance(0.5)) el.setAttribute('checked', '');
    return el;
  }

  function makeElement(doc, ns, depth) {
    var el;
    if (ns === SVG) el = doc.createElementNS(SVG, pick(SVG_TAGS));
    else if (ns === MATH) el = doc.createElementNS(MATH, pick(MATH_TAGS));
    else {
      var k = rnd(20);
      if (k === 0) el = doc.createElementNS(SVG, 'svg');
      else if (k === 1) el = doc.createElementNS(MATH, 'math');
      else if (k === 2) el = makeInput(doc);
      else if (k === 3) {
        el = doc.createElement('select');
        var n = 1 + rnd(4);
        for (var i = 0; i < n; i++) {
          var o = doc.createElement('option');
          o.textContent = 'opt' + i;
          if (chance(0.3)) o.setAttribute('value', 'v' + i);
          if (chance(0.2)) o.setAttribute('selected', '');
          el.appendChild(o);
        }
      } else if (k === 4) {
        el = doc.createElement('textarea');
        el.textContent = text();
      } else if (k === 5) {
        el = doc.createElement('style');
        el.textContent = pick(STYLE_TEXTS);
      } else el = doc.createElement(pick(HTML_TAGS));
    }
    var na = rnd(3);
    for (var j = 0; j < na; j++) {
      try {
        setRandomAttr(el);
      } catch (e) {
        // an invalid name for this element
      }
    }
    if (depth > 0 && el.localName !== 'input' && el.localName !== 'style' && el.localName !== 'textarea') {
      var kidsN = rnd(4);
      var cns = ns === HTML && el.namespaceURI !== HTML ? el.namespaceURI : ns;
      if (el.namespaceURI === SVG && el.localName === 'foreignObject') cns = HTML;
      for (var m = 0; m < kidsN; m++) el.appendChild(makeNode(doc, cns, depth - 1));
    }
    return el;
  }

  function makeNode(doc, ns, depth) {
    var k = rnd(10);
    if (k < 6) return makeElement(doc, ns, depth);
    if (k < 9) return doc.createTextNode(text());
    return doc.createComment(text());
  }

  // ---- frames ----------------------------------------------------------------------------

  function track(frame) {
    var p = new Promise(function (resolve) {
      var done = false;
      function fin() {
        if (!done) {
          done = true;
          resolve();
        }
      }
      frame.addEventListener('load', fin, { once: true });
      // A frame removed (or moved away and back, which reloads it) may never fire load.
      var started = Date.now();
      (function check() {
        if (done) return;
        if (!shown(frame)) return fin();
        if (Date.now() - started > 3000) {
          counts['frame-load-timeout'] = (counts['frame-load-timeout'] || 0) + 1;
          return fin();
        }
        setTimeout(check, 50);
      })();
    });
    pending.push(p);
  }

  // Connected to a document that is still shown (not a frame document navigated away).
  function shown(n) {
    if (!n.isConnected) return false;
    var d = n.ownerDocument;
    while (d !== document) {
      var w = d.defaultView;
      var fe = null;
      try {
        fe = w && w.frameElement;
      } catch (e) {
        return false;
      }
      if (!fe || !fe.isConnected || frameDoc(fe) !== d) return false;
      d = fe.ownerDocument;
    }
    return true;
  }

  function frameUrl() {
    frameSerial++;
    // (avoid.subdir: a page of the top page's own directory, whose URLs resolve the same.)
    var dir = opts.avoid && opts.avoid.subdir ? location.pathname.replace(/[^/]*$/, '') : '/gen/frames/';
    return dir + (opts.avoid && opts.avoid.subdir ? 'oracle-frame.html' : 'frame.html') + '?n=' + frameSerial + '&s=' + rnd(1000);
  }

  function addFrame(parent) {
    var doc = docOf(parent);
    var f = doc.createElement('iframe');
    f.setAttribute('id', 'o-frame-' + rnd(100));
    var kind = rnd(4);
    if (kind === 0) {
      f.setAttribute('srcdoc', '<!doctype html><p>srcdoc <b>frame</b> ' + rnd(100) + '</p><div><span>x</span></div>');
      track(f);
    } else if (kind === 1) {
      f.setAttribute('src', frameUrl());
      track(f);
    }
    insertAnywhere(parent, f);
    if (kind >= 2) {
      // about:blank, filled by script at once.
      var d = frameDoc(f);
      if (d && d.body) {
        d.body.appendChild(d.createElement('h3')).textContent = 'blank frame ' + rnd(100);
        d.body.appendChild(makeNode(d, HTML, 2));
        if (kind === 3) {
          var s = d.createElement('style');
          s.textContent = 'h3 { color: teal; }';
          d.head.appendChild(s);
        }
      }
    }
  }

  function navigateFrame(f) {
    var k = rnd(4);
    if (k === 0) {
      f.setAttribute('srcdoc', '<p>navigated srcdoc ' + rnd(1000) + '</p>');
      track(f);
    } else if (k === 1) {
      f.removeAttribute('srcdoc');
      f.setAttribute('src', frameUrl());
      track(f);
    } else if (k === 2) {
      var w = f.contentWindow;
      if (w && frameDoc(f)) {
        w.location.replace(frameUrl());
        track(f);
      }
    } else {
      // document.open / write / close in place (same Document object).
      var d = frameDoc(f);
      if (d && d.readyState === 'complete') {
        d.open();
        d.write('<!doctype html><title>written</title><p>written ' + rnd(100) + '</p>');
        d.close();
      }
    }
  }

  // ---- style sheets ----------------------------------------------------------------------

  function sheetOf(el) {
    try {
      var s = el.sheet;
      return s && s.cssRules ? s : null;
    } catch (e) {
      return null;
    }
  }

  function cssChange(pool) {
    var styles = pool.styles.filter(function (s) {
      return s.localName === 'style' && sheetOf(s);
    });
    var k = rnd(10);
    if (k < 2 || styles.length === 0) {
      // a new style element
      var parent = chance(0.3) && pool.containers.length ? pick(pool.containers) : pick(pool.docs).head || document.head;
      if (!parent || parent.nodeType === 9) return 'css-skip';
      var st = docOf(parent).createElement('style');
      st.textContent = pick(STYLE_TEXTS);
      insertAnywhere(parent, st);
      if (chance(0.5) && sheetOf(st)) st.sheet.insertRule(pick(CSS_RULES), 0);
      return 'css-new-style';
    }
    var el = pick(styles);
    var sheet = sheetOf(el);
    if (k < 6) {
      sheet.insertRule(pick(CSS_RULES), rnd(sheet.cssRules.length + 1));
      return 'css-insertRule';
    }
    if (k < 8) {
      if (sheet.cssRules.length) sheet.deleteRule(rnd(sheet.cssRules.length));
      return 'css-deleteRule';
    }
    if (k === 8) {
      // a rule inside @media
      for (var i = 0; i < sheet.cssRules.length; i++) {
        var r = sheet.cssRules[i];
        if (r.cssRules && typeof r.insertRule === 'function') {
          if (chance(0.5) || !r.cssRules.length) r.insertRule('.o-in-media { color: blue; }', rnd(r.cssRules.length + 1));
          else r.deleteRule(rnd(r.cssRules.length));
          return 'css-grouping';
        }
      }
      sheet.insertRule('@media print { .o-p { color: black; } }', sheet.cssRules.length);
      return 'css-insertRule';
    }
    if (opts.cssDecl) {
      for (var j = 0; j < sheet.cssRules.length; j++) {
        var rule = sheet.cssRules[j];
        if (rule.style) {
          if (chance(0.5)) rule.style.setProperty('outline-color', pick(['red', 'blue', 'rgb(1, 2, 3)']));
          else rule.style.removeProperty(pick(['color', 'outline-color', 'margin']));
          return 'css-declaration';
        }
      }
    }
    // the element's text (re-parses the sheet)
    el.textContent = pick(STYLE_TEXTS);
    return 'css-text';
  }

  // ---- form state ------------------------------------------------------------------------

  function formChange(pool) {
    if (!pool.controls.length) return 'form-skip';
    var el = pick(pool.controls);
    var tag = el.localName;
    if (tag === 'input') {
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = !el.checked;
      else if (el.type !== 'file') el.value = pick(['typed', 'x' + rnd(100), '', 'ünï ☃', '12']);
    } else if (tag === 'textarea') el.value = pick(['edited', 'multi\nline', '']);
    else if (tag === 'select') {
      if (el.options.length) el.selectedIndex = rnd(el.options.length);
    } else if (tag === 'option') el.selected = !el.selected;
    return 'form-' + tag;
  }

  // ---- one change ------------------------------------------------------------------------

  function movable(n) {
    return n && n.nodeType !== 9 && n.nodeType !== 10 && !isProtected(n);
  }

  function change(pool) {
    var nodes = pool.nodes;
    var containers = pool.containers.filter(function (c) {
      return c.isConnected;
    });
    if (!containers.length) return 'none';
    var size = nodes.length;
    var k = rnd(100);
    if (size > 1500 && k < 40) k = 30; // shrink: remove
    var parent = pick(containers);
    var doc = docOf(parent);
    var target = nodes.length ? pick(nodes) : null;
    if (target && !target.isConnected) target = null;

    if (k < 14) {
      insertAnywhere(parent, makeNode(doc, nsOf(parent), rnd(3)));
      return 'add';
    }
    if (k < 18) {
      insertAnywhere(parent, chance(0.7) ? doc.createTextNode(text()) : doc.createComment(text()));
      return 'add-text';
    }
    if (k < 30) {
      if (!movable(target)) return 'remove-skip';
      target.parentNode.removeChild(target);
      return 'remove';
    }
    if (k < 40) {
      if (!movable(target) || (parent.nodeType !== 11 && inclusiveAncestor(target, parent))) return 'move-skip';
      if (parent.nodeType === 11 && inclusiveAncestor(target, parent.host)) return 'move-skip';
      insertAnywhere(parent, target);
      return target.ownerDocument === doc ? 'move' : 'move-adopt';
    }
    if (k < 52) {
      var el = target && target.nodeType === 1 ? target : parent.nodeType === 1 ? parent : null;
      if (!el) return 'attr-skip';
      setRandomAttr(el);
      return 'attr';
    }
    if (k < 57) {
      var e2 = target && target.nodeType === 1 ? target : null;
      if (!e2 || !e2.attributes.length) return 'attr-remove-skip';
      var at = e2.attributes[rnd(e2.attributes.length)];
      // An input's type stays: a field that was a password field stays masked (src/privacy.rs),
      // which the live canonical form cannot know.
      if (e2.localName === 'input' && at.name === 'type') return 'attr-remove-skip';
      if (at.namespaceURI) e2.removeAttributeNS(at.namespaceURI, at.localName);
      else e2.removeAttribute(at.name);
      return 'attr-remove';
    }
    if (k < 65) {
      if (!target || (target.nodeType !== 3 && target.nodeType !== 8)) {
        if (target && target.nodeType === 1 && !isProtected(target) && chance(0.3)) {
          target.textContent = text();
          return 'textContent';
        }
        return 'text-skip';
      }
      var t = rnd(6);
      if (t < 3) target.data = text();
      else if (t === 3) target.appendData(text());
      else if (t === 4 && target.nodeType === 3 && target.data.length > 1 && target.parentNode) {
        target.splitText(rnd(target.data.length));
        return 'splitText';
      } else if (target.parentNode && target.parentNode.nodeType === 1) {
        target.parentNode.normalize();
        return 'normalize';
      }
      return 'text';
    }
    if (k < 69) {
      var h = parent.nodeType === 1 && !isProtected(parent) ? parent : null;
      if (!h || h.namespaceURI !== HTML) return 'html-skip';
      var s = pick(HTML_SNIPPETS);
      var mode = rnd(4);
      if (mode < 2) h.innerHTML = s;
      else if (mode === 2) h.insertAdjacentHTML(pick(['beforebegin', 'afterbegin', 'beforeend', 'afterend']), s);
      else if (h.parentNode && h.parentNode.nodeType === 1) h.outerHTML = s;
      else h.innerHTML = s;
      return 'innerHTML';
    }
    if (k < 74) {
      // restructuring
      if (!movable(target) || !target.parentNode) return 'restructure-skip';
      var d = target.ownerDocument;
      var r = rnd(5);
      if (r === 0) {
        var w = d.createElement(pick(['div', 'span', 'section', 'b']));
        target.parentNode.replaceChild(w, target);
        w.appendChild(d.createTextNode('wrap'));
        w.appendChild(target);
        return 'wrap';
      }
      if (r === 1 && target.nodeType === 1 && target.parentNode.nodeType !== 9) {
        // unwrap
        var p = target.parentNode;
        while (target.firstChild) p.insertBefore(target.firstChild, target);
        p.removeChild(target);
        return 'unwrap';
      }
      if (r === 2) {
        target.replaceWith(makeNode(d, nsOf(target.parentNode), 2), text());
        return 'replaceWith';
      }
      if (r === 3 && target.nodeType === 1 && !isProtected(target)) {
        target.replaceChildren(makeNode(d, nsOf(target), 1), d.createComment('rc'), makeNode(d, nsOf(target), 1));
        return 'replaceChildren';
      }
      target.after(makeNode(d, nsOf(target.parentNode), 1), text());
      target.before(d.createElement('i'));
      return 'before-after';
    }
    if (k < 78) {
      // detach now, change while detached, put back later (across deliveries)
      if (limbo.length && chance(0.6)) {
        var n = limbo.splice(rnd(limbo.length), 1)[0];
        if (n.isConnected) return 'limbo-stale';
        if (n.nodeType === 1 && chance(0.7)) {
          setRandomAttr(n);
          n.appendChild(n.ownerDocument.createTextNode('while detached'));
          if (n.firstChild && n.firstChild.nodeType === 3) n.firstChild.data = 'changed while detached';
        } else if (n.nodeType === 3) n.data = 'detached text ' + rnd(100);
        if (parent.nodeType === 11 ? inclusiveAncestor(n, parent.host) : inclusiveAncestor(n, parent)) return 'limbo-skip';
        insertAnywhere(parent, n);
        return 'limbo-back';
      }
      if (!movable(target)) return 'limbo-skip';
      target.parentNode.removeChild(target);
      limbo.push(target);
      return 'limbo-out';
    }
    if (k < 81) {
      // shadow roots
      if (!pool.shadowHosts.length) return 'shadow-skip';
      var host = pick(pool.shadowHosts);
      if (host.shadowRoot || !host.isConnected) return 'shadow-skip';
      var closed = chance(0.1);
      var root;
      try {
        root = host.attachShadow({ mode: closed ? 'closed' : 'open' });
      } catch (e) {
        return 'shadow-refused';
      }
      root.appendChild(host.ownerDocument.createElement('slot'));
      root.appendChild(makeNode(host.ownerDocument, HTML, 2));
      if (chance(0.4)) {
        var st = host.ownerDocument.createElement('style');
        st.textContent = ':host { display: block } p { color: purple }';
        root.appendChild(st);
      }
      return closed ? 'shadow-closed' : 'shadow';
    }
    if (k < 85) {
      // frames
      var r2 = rnd(10);
      if (r2 < 5 && parent.nodeType === 1 && nsOf(parent) === HTML && pool.frames.length < 12) {
        addFrame(parent);
        return 'frame-add';
      }
      if (pool.frames.length) {
        var f = pick(pool.frames);
        if (f.isConnected) {
          navigateFrame(f);
          return 'frame-navigate';
        }
      }
      return 'frame-skip';
    }
    if (k < 91) return cssChange(pool);
    if (k < 95) return formChange(pool);
    if (k < 97) {
      var svg = doc.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', '0 0 20 20');
      for (var i = 0; i < 1 + rnd(4); i++) svg.appendChild(makeElement(doc, SVG, 2));
      insertAnywhere(parent, svg);
      return 'svg';
    }
    // class / style / dataset / id through properties
    var e3 = target && target.nodeType === 1 ? target : null;
    if (!e3) return 'prop-skip';
    var r3 = rnd(4);
    if (r3 === 0 && e3.classList) e3.classList.toggle(pick(['a', 'b', 'o-a', 'o-c']));
    else if (r3 === 1 && e3.style) e3.style.setProperty(pick(['color', 'margin-left', 'background-image']), pick(['red', '3px', 'url(img/p.png)', '']));
    else if (r3 === 2 && e3.dataset) e3.dataset.oracle = String(rnd(100));
    else e3.id = 'o' + rnd(60);
    return 'attr-prop';
  }

  async function run(steps) {
    var done = 0;
    while (done < steps) {
      var n = Math.min(steps - done, 1 + rnd(40));
      var pool = collect();
      for (var i = 0; i < n; i++) {
        var kind;
        try {
          kind = change(pool);
        } catch (e) {
          kind = 'threw';
          var key = String(e && e.name);
          failed[key] = (failed[key] || 0) + 1;
        }
        counts[kind] = (counts[kind] || 0) + 1;
        // The pool goes stale as nodes move; refresh it now and then within a task.
        if (i % 25 === 24) pool = collect();
      }
      done += n;
      var y = rnd(20);
      if (y < 10) await macrotask();
      else if (y < 15) await Promise.resolve();
      else if (y < 19) await sleep(0);
      else await sleep(2 + rnd(15));
    }
  }

  async function settle() {
    var list = pending;
    pending = [];
    await Promise.all(list);
    // Frames that loaded may have started loading others (a navigated frame's page).
    await sleep(30);
    if (pending.length) return settle();
    await sheetsLoaded();
    for (var i = 0; i < 3; i++) await macrotask();
    await sleep(80);
  }

  // Linked sheets still loading (a link inserted or moved fetches its sheet again): a
  // checkpoint taken as one arrives would race the recorder's load listener. A link whose
  // sheet never comes (a failed fetch fires its error before we listen) is waited for once.
  var sheetGaveUp = new WeakSet();
  function sheetsLoaded() {
    var waits = collect().styles.filter(function (el) {
      return (
        el.localName === 'link' &&
        /(^|\s)stylesheet(\s|$)/i.test(el.getAttribute('rel') || '') &&
        el.getAttribute('href') &&
        !el.sheet &&
        !sheetGaveUp.has(el)
      );
    });
    return Promise.all(
      waits.map(function (el) {
        return new Promise(function (resolve) {
          var done = function () {
            el.removeEventListener('load', done);
            el.removeEventListener('error', done);
            resolve();
          };
          el.addEventListener('load', done);
          el.addEventListener('error', done);
          setTimeout(function () {
            sheetGaveUp.add(el);
            done();
          }, 1000);
        });
      }),
    );
  }

  window.__oracleMut = {
    init: function (seed, options) {
      a = seed | 0;
      opts = options || {};
    },
    run: run,
    settle: settle,
    stats: function () {
      return { counts: counts, threw: failed, limbo: limbo.length };
    },
  };
})();
