// The fidelity oracle's canonical forms, evaluated in pages as a classic script (it defines
// `window.__oracleCanon`; no module, no DOM nodes of its own). Never calls `childNodes`,
// `contains` or `getRootNode`: corpus pages hijack them.
//
// exact(doc)              the mirror's canonical() text (src/dom/mirror.rs) of a live document:
//                         the logic of liveCanonical() in tests/browser_dom.js, generalised to
//                         any document, plus the recorder's privacy rule for secret fields (the
//                         `value` of a password, hidden or file input is recorded empty). The
//                         oracle records with input censoring off and never uses the privacy
//                         classes (inspectletIgnore, inspectlet-sensitive).
// rrLive(doc)             the live document in the form it must have once replayed by rrweb
//                         (see RRWEB below), computed from the live page.
// rrReplayed(doc, mirror) rrweb's replayed document (`replayer.iframe.contentDocument`,
//                         `replayer.getMirror()`) in that same form.
//
// RRWEB: what the rrweb form normalises, and why (everything else must be equal):
// * URL-valued attributes (the ones the exporter and rrweb's recorder make absolute: `src`,
//   `href` except `#x` on SVG `use`, `xlink:href` except `#x`, `srcset`, `background` on
//   table cells, `data` on `object`, `url()` in `style`) and `url()` in style sheets: the
//   live side resolves them against the right base with the URL parser; the replayed side
//   must already hold absolute URLs (they are only put through the URL parser, so a URL the
//   export left relative or resolved against the wrong base is reported).
// * Style sheets: a `style` element's text children, and a `link` element whose sheet the
//   recorder captured, are written as one `#sheet "rules"` line (the rules' cssText): the
//   export carries the sheet as rrweb's `_cssText`, which the replayer builds as a `style`
//   element whose text is the CSS, not the page's text nodes. rrweb's replay-time rewriting
//   (`.\:hover` copies of `:hover` selectors, `(min|max)-device-*` media features) is undone.
//   A captured `link` loses `rel` and `href` (the replayer would fetch it again otherwise),
//   and its text children are left out: rrweb builds it as a `style` whose text is the CSS
//   (the export writes a link's text empty, and adds an empty one to carry the CSS when the
//   link has only other children).
// * Form state: the `value` (input, textarea, select), `checked` (input) and `selected`
//   (option) attributes are left out and the state is compared instead, as `{value=...}`,
//   `{checked}` and `{selected}` after the element line (a select's value is not written: it
//   follows from its options' selectedness and values) (rrweb carries values as attributes
//   and Input events set the properties). A textarea's text children are left out: rrweb
//   builds them from the value. Masked values (password fields) are compared as "".
// * rrweb replayer limitations (each with a repro under repros/): event-handler attributes
//   (onload, onclick, onmouse*) are left out; attribute names of HTML elements are compared
//   in lower case (rrweb builds them with setAttribute); a doctype without a name is
//   written `html`; the `body` of a document's `html` element is listed last (rrweb builds
//   it last); script preload links have no attributes (rrweb builds them without, but
//   applies later changes).
// * A `textarea` element outside the HTML namespace (SVG, from markup parsed inside <svg>) is
//   compared without its text children: rrweb's replayer removes the text children of any
//   element named textarea when it adds a text node to it.
// * Replayer-injected content: nodes rrweb did not build from the recording (not in its
//   mirror: its `<style>` of replay rules, the text node it makes for `_cssText`, the
//   doctype it writes for quirks mode), the `rrweb-paused` class on `html` (whose class is
//   compared as a token list, an empty one as none), the
//   `autocomplete="off"` it puts on every input and textarea, its renaming of `script` to
//   `noscript`, and of a CSP `meta`'s `content` to `csp-content`.
// * MathML elements are written without their `math:` prefix: rrweb's format only knows
//   `isSVG`, and its replayer builds MathML elements in the HTML namespace (the replayed side
//   takes the namespace from the export's `inspNs` in rrweb's metadata, so a MathML `option`
//   gets no form state there either).
// * CDATA sections are text (the exporter writes them as rrweb Text nodes: rrweb builds its
//   CDATA nodes with createCDATASection, which throws in HTML documents).
// * Neutralised content the exporter writes on purpose (rrweb.rs): `script` elements get
//   `type="text/inert"`; iframes lose `src` / `srcdoc` (their document comes from the
//   recording); `video` / `audio` lose `autoplay`; script `link` preloads (rel `preload`
//   as `script`, `modulepreload`, `prefetch` of a `.js`) lose every attribute (the
//   replayer writes none).
(function () {
  if (window.__oracleCanon) return;
  var HTML = 'http://www.w3.org/1999/xhtml';
  var SVG = 'http://www.w3.org/2000/svg';
  var MATH = 'http://www.w3.org/1998/Math/MathML';

  function fix(s) {
    s = String(s).replace(/\u0000/g, '\uFFFD');
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
      return el.contentDocument || null;
    } catch (e) {
      return null;
    }
  }
  function tagOf(n) {
    return n.namespaceURI === HTML ? n.localName.toLowerCase() : n.localName;
  }
  function isScript(n) {
    return n.localName === 'script' && (n.namespaceURI === HTML || n.namespaceURI === SVG);
  }
  function attrList(n) {
    var out = [];
    var a = n.attributes;
    for (var i = 0; i < a.length; i++) out.push([a[i].name, a[i].value]);
    return out;
  }
  function sortAttrs(list) {
    return list.sort(function (a, b) {
      return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
    });
  }

  // Recorded children: open shadow root first; a same-origin frame's document (only); none
  // for scripts and cross-origin frames; processing instructions are not recorded.
  function kids(n) {
    var out = [];
    if (n.nodeType === 1) {
      var html = n.namespaceURI === HTML;
      var tag = tagOf(n);
      if (isScript(n)) return out;
      if (html && (tag === 'iframe' || tag === 'frame')) {
        var d = frameDoc(n);
        if (d) out.push(d);
        return out;
      }
      if (n.shadowRoot) out.push(n.shadowRoot);
    }
    for (var c = n.firstChild; c; c = c.nextSibling) if (c.nodeType !== 7) out.push(c);
    return out;
  }

  function nodeLine(n, elementLine) {
    switch (n.nodeType) {
      case 9:
        return '#document';
      case 10:
        return '#doctype ' + bare(n.name) + '|' + bare(n.publicId) + '|' + bare(n.systemId);
      case 11:
        return '#shadow-root';
      case 3:
        return '#text ' + q(n.data);
      case 8:
        return '#comment ' + q(n.data);
      case 4:
        return '#cdata ' + q(n.data);
      case 1:
        return elementLine(n);
    }
    return null;
  }

  function prefixOf(ns) {
    if (ns === HTML) return '';
    if (ns === SVG) return 'svg:';
    if (ns === MATH) return 'math:';
    if (ns) return '{' + bare(ns) + '}';
    return '';
  }

  // Secret fields (src/privacy.rs) record no value: password, hidden and file inputs (the
  // pages and the mutator have none of the other kinds: no autocomplete tokens, secret names
  // or card numbers).
  function isPassword(n) {
    return n.namespaceURI === HTML && n.localName.toLowerCase() === 'input' && /^(password|hidden|file)$/.test(n.type);
  }

  // ---- exact: the mirror's canonical() ---------------------------------------------------

  function exactElement(n) {
    var pw = isPassword(n);
    var attrs = attrList(n).map(function (a) {
      return [a[0], pw && a[0] === 'value' ? '' : a[1]];
    });
    sortAttrs(attrs);
    return (
      '<' +
      prefixOf(n.namespaceURI) +
      bare(tagOf(n)) +
      attrs
        .map(function (a) {
          return ' ' + bare(a[0]) + '=' + q(a[1]);
        })
        .join('') +
      '>'
    );
  }

  function exact(doc) {
    var lines = [];
    (function walk(n, depth) {
      var line = nodeLine(n, exactElement);
      if (line === null) return;
      lines.push('  '.repeat(depth) + line);
      var k = kids(n);
      for (var i = 0; i < k.length; i++) walk(k[i], depth + 1);
    })(doc || document, 0);
    return lines.join('\n') + '\n';
  }

  // ---- URLs ------------------------------------------------------------------------------

  // `base` null: only absolute URLs parse (the replayed side must hold absolute URLs).
  function normUrl(v, base) {
    if (v.trim() === '') return v.trim();
    try {
      return base ? new URL(v, base).href : new URL(v).href;
    } catch (e) {
      return v;
    }
  }
  function keepUrl(v) {
    var t = v.trim().toLowerCase();
    return t === '' || t.charAt(0) === '#' || t.slice(0, 5) === 'data:' || t.slice(0, 5) === 'blob:';
  }
  // Every url(...) in CSS text.
  function normCss(css, base) {
    return css.replace(/url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)'"]*?))\s*\)/gi, function (m, d, s, u) {
      var v = d !== undefined ? d : s !== undefined ? s : u;
      var r = keepUrl(v) ? v.trim() : normUrl(v, base);
      return 'url("' + r + '")';
    });
  }
  // Candidates `url [descriptor]`, as rrweb's getAbsoluteSrcsetString reads them.
  function normSrcset(v, base) {
    var out = [];
    var pos = 0;
    var ws = /[ \t\n\r\f]/;
    while (true) {
      while (pos < v.length && (ws.test(v[pos]) || v[pos] === ',')) pos++;
      if (pos >= v.length) break;
      var start = pos;
      while (pos < v.length && !ws.test(v[pos])) pos++;
      var url = v.slice(start, pos);
      if (url.charAt(url.length - 1) === ',') {
        out.push(normUrl(url.slice(0, -1), base));
        continue;
      }
      var desc = '';
      var paren = false;
      while (pos < v.length) {
        var c = v[pos];
        if (!paren && c === ',') {
          pos++;
          break;
        }
        if (c === '(') paren = true;
        else if (c === ')') paren = false;
        desc += c;
        pos++;
      }
      out.push((normUrl(url, base) + ' ' + desc.trim()).trim());
    }
    return out.join(', ');
  }
  function normAttr(tag, name, v, base) {
    if (v === '') return v;
    switch (name) {
      case 'src':
        return normUrl(v, base);
      case 'href':
        return tag === 'use' && v.charAt(0) === '#' ? v : normUrl(v, base);
      case 'xlink:href':
        return v.charAt(0) === '#' ? v : normUrl(v, base);
      case 'background':
        return tag === 'table' || tag === 'td' || tag === 'th' ? normUrl(v, base) : v;
      case 'data':
        return tag === 'object' ? normUrl(v, base) : v;
      case 'srcset':
        return normSrcset(v, base);
      case 'style':
        return normCss(v, base);
    }
    return v;
  }

  // ---- style sheets ----------------------------------------------------------------------

  function readableRules(sheet) {
    if (!sheet) return null;
    try {
      return sheet.cssRules || null;
    } catch (e) {
      return null;
    }
  }
  // Undoes rrweb's replay-time CSS rewriting: `X.\:hover` copies of `X:hover` selectors, and
  // (min|max)-device-(width|height) rewritten to (min|max)-(width|height) (done on both sides).
  function unhack(css) {
    css = css.replace(/(min|max)-device-(width|height)/g, '$1-$2');
    return css.replace(/,\s*[^,{}]*\.\\:hover[^,{}]*?(?=\s*[,{])/g, '');
  }
  // Text of a sheet: its rules' cssText, with url() resolved (live: against the sheet's own
  // URL for a linked sheet, the document's otherwise; replayed: absolute only).
  function sheetLine(sheet, live, doc) {
    var rules = readableRules(sheet);
    if (!rules) return null;
    var base = live ? sheet.href || doc.baseURI : null;
    var parts = [];
    for (var i = 0; i < rules.length; i++) parts.push(normCss(rules[i].cssText, base));
    return '#sheet ' + q(unhack(parts.join('\n')));
  }

  // ---- the rrweb form --------------------------------------------------------------------

  function scriptPreload(attrs) {
    var rel = attrs.rel;
    if (rel === 'modulepreload' || (rel === 'preload' && attrs.as === 'script')) return true;
    if (rel === 'prefetch' && typeof attrs.href === 'string') {
      try {
        return /\.js$/i.test(new URL(attrs.href, location.href).pathname);
      } catch (e) {
        return false;
      }
    }
    return false;
  }

  // One element in the rrweb form: {line, kids: 'all'|'none', extra: [lines]}.
  // side: 'live' | 'replay'; meta: rrweb's serialized node (replay side).
  function rrElement(n, side, meta) {
    var ns = n.namespaceURI;
    // rrweb builds MathML elements as HTML ones; the export's `inspNs` tells them apart.
    if (side !== 'live' && meta && meta.inspNs === 'mathml') ns = MATH;
    var html = ns === HTML;
    var tag = tagOf(n);
    var live = side === 'live';
    var doc = n.ownerDocument;
    var base = live ? n.baseURI : null;
    var attrs = attrList(n);
    var extra = [];
    var noKids = false;
    var noText = false;
    // What the element was recorded as (the replayer renames some).
    if (!live && meta && meta.tagName) {
      if (meta.tagName === 'script' && tag === 'noscript') tag = 'script';
      if (meta.tagName === 'link' && tag === 'style' && html) tag = 'link';
    }
    // Event-handler attributes the replayer renames (onload, onclick, onmouse*): it builds
    // them as `_onload` etc., but applies later changes to the real name, so a removal
    // leaves `_onload` behind (repros/rrweb-attr-names.mjs): left out on both sides.
    attrs = attrs.filter(function (a) {
      return !/^_?on(load|click|mouse)/.test(a[0]);
    });
    // Attribute names of HTML elements in lower case: rrweb builds attributes with
    // setAttribute, which lowercases them (a mixed-case name set by setAttributeNS(null,
    // 'dataCamel') replays as `datacamel`).
    if (html || ns === MATH) {
      attrs = attrs.map(function (a) {
        return [a[0].toLowerCase(), a[1]];
      });
    }
    if (!live) {
      attrs = attrs.map(function (a) {
        if (html && tag === 'meta' && a[0] === 'csp-content') return ['content', a[1]];
        return a;
      });
    }
    // The replayer adds and removes its `rrweb-paused` class on the root `html` element
    // (classList: the attribute is re-serialized, and stays as `class=""`): that element's
    // class is compared as a token list, an empty one as none.
    if (html && tag === 'html' && n.parentNode && n.parentNode.nodeType === 9) {
      attrs = attrs
        .map(function (a) {
          if (a[0] !== 'class') return a;
          return [a[0], a[1].split(/[ \t\n\f\r]+/).filter(function (c) {
            return c && c !== 'rrweb-paused';
          }).join(' ')];
        })
        .filter(function (a) {
          return !(a[0] === 'class' && a[1] === '');
        });
    }
    var drop = {};
    var byName = {};
    attrs.forEach(function (a) {
      byName[a[0]] = a[1];
    });
    if (isScript(n) || (tag === 'script' && (html || ns === SVG))) {
      if (live) {
        attrs = attrs.filter(function (a) {
          return a[0] !== 'type';
        });
        attrs.push(['type', 'text/inert']);
      }
      noKids = true;
    }
    if (html && tag === 'iframe' && live && frameDoc(n)) {
      drop.src = drop.srcdoc = true;
    }
    if (html && (tag === 'video' || tag === 'audio') && live) {
      attrs = attrs.filter(function (a) {
        return a[0].toLowerCase() !== 'autoplay';
      });
    }
    // rrweb's replayer removes every text child of an element named textarea, SVG ones too,
    // before it adds a text node to it (appendNode): a non-HTML textarea's text children are
    // left out.
    if (!html && tag === 'textarea') noText = true;
    // (The replayer sets it on any element named input or textarea, SVG ones too.)
    if ((tag === 'input' || tag === 'textarea') && byName.autocomplete === 'off') drop.autocomplete = true;
    // Style sheets.
    if (html && tag === 'style') {
      var sl = sheetLine(n.sheet, live, doc);
      if (sl) extra.push(sl);
      noKids = true;
    }
    if (html && tag === 'link') {
      var captured = live ? readableRules(n.sheet) !== null : n.localName === 'style';
      if (captured) {
        drop.rel = drop.href = true;
        noText = true;
        var l = sheetLine(n.sheet, live, doc);
        if (l) extra.push(l);
      } else if (live ? scriptPreload(byName) : meta && meta.attributes && scriptPreload(meta.attributes)) {
        // rrweb builds script preloads without attributes, but applies later attribute
        // changes to them: none are compared.
        attrs = [];
      }
    }
    // Form state.
    var props = [];
    if (html && (tag === 'input' || tag === 'textarea' || tag === 'select')) {
      drop.value = true;
      var v = live && isPassword(n) ? '' : n.value;
      // A select's value follows from its options' selectedness and values, which are
      // compared; rrweb's own rewriting of a <style> inside an option (URLs made absolute,
      // `:hover` copies) would change the value alone.
      if (tag !== 'select') props.push('value=' + q(v));
      if (tag === 'input') {
        drop.checked = true;
        if (n.type === 'checkbox' || n.type === 'radio') props.push(n.checked ? 'checked' : 'unchecked');
      }
      if (tag === 'textarea') noKids = true;
    }
    if (html && tag === 'option') {
      drop.selected = true;
      props.push(n.selected ? 'selected' : 'unselected');
    }
    attrs = attrs
      .filter(function (a) {
        return !drop[a[0]];
      })
      .map(function (a) {
        var v = a[1];
        if (live && isPassword(n) && a[0] === 'value') v = '';
        return [a[0], normAttr(tag, a[0], v, base)];
      });
    sortAttrs(attrs);
    var line =
      '<' +
      // rrweb's format has no MathML namespace (only `isSVG`): its replayer builds MathML
      // elements as HTML elements.
      (ns === MATH ? '' : prefixOf(ns)) +
      bare(tag) +
      attrs
        .map(function (a) {
          return ' ' + bare(a[0]) + '=' + q(a[1]);
        })
        .join('') +
      '>' +
      (props.length ? ' {' + props.join(' ') + '}' : '');
    return { line: line, noKids: noKids, noText: noText, extra: extra };
  }

  function rrForm(doc, side, mirror) {
    var lines = [];
    (function walk(n, depth) {
      var meta = null;
      if (side === 'replay' && n.nodeType !== 11) {
        // Built by rrweb from the recording, or injected by the replayer?
        var id = mirror.getId(n);
        if (!(id > 0)) return;
        meta = mirror.getMeta(n);
      }
      var pad = '  '.repeat(depth);
      var info = null;
      var line = nodeLine(n, function (el) {
        info = rrElement(el, side, meta);
        return info.line;
      });
      if (line === null) return;
      // The export writes CDATA as text (rrweb cannot build CDATA in an HTML document).
      if (n.nodeType === 4) line = '#text ' + q(n.data);
      // rrweb builds a doctype without a name (`<!DOCTYPE >`) as `html`.
      if (n.nodeType === 10 && n.name === '') line = '#doctype html|' + bare(n.publicId) + '|' + bare(n.systemId);
      lines.push(pad + line);
      if (info) {
        for (var j = 0; j < info.extra.length; j++) lines.push(pad + '  ' + info.extra[j]);
        if (info.noKids) {
          // Only an open shadow root (never for these elements) would follow.
          return;
        }
      }
      var k = kids(n);
      if (info && info.noText) {
        k = k.filter(function (c) {
          return c.nodeType !== 3 && c.nodeType !== 4;
        });
      }
      // rrweb builds a document's `html` element with its `body` last (buildNodeWithSN takes
      // the body out and appends it again): a node after the body is compared before it.
      if (n.nodeType === 1 && n.namespaceURI === HTML && n.localName === 'html' && n.parentNode && n.parentNode.nodeType === 9) {
        var bodies = k.filter(function (c) {
          return c.nodeType === 1 && c.namespaceURI === HTML && c.localName === 'body';
        });
        if (bodies.length === 1) k = k.filter(function (c) { return c !== bodies[0]; }).concat(bodies);
      }
      for (var i = 0; i < k.length; i++) walk(k[i], depth + 1);
    })(doc, 0);
    return lines.join('\n') + '\n';
  }

  window.__oracleCanon = {
    exact: exact,
    rrLive: function (doc) {
      return rrForm(doc || document, 'live', null);
    },
    rrReplayed: function (doc, mirror) {
      return rrForm(doc, 'replay', mirror);
    },
  };
})();
