// insp DOM reader: walks and observes the page and hands the agent packed strings (the grammar
// is specified in src/dom/mod.rs, which is authoritative). Only JavaScript can map a DOM node
// to anything, so node ids live here: a WeakMap from node to id, ids from 1.
//
// scripts/build-dist.sh strips the `export` keyword below and concatenates this file into the
// shipped classic script; wasm-bindgen tests import it as a module. So: exactly one top-level
// declaration, no other top-level code.
//
// Rules for shipped code: no string-to-code and no HTML parsing anywhere, never throw into the
// page (every entry point catches), allocate little on hot paths.
//
// API (used by src/browser/recorder.rs):
//   start(onChange)        observe the document (mutations, CSSOM, form values); onChange() is
//                          called at most once until the next takeListing(). false if unusable.
//   snapshotStart()        begin a full snapshot (dirty state is dropped: the walk reads the
//                          present); changes seen during the walk are listed after it
//   snapshotSlice(ms)      packed chunk for about `ms` of walking; null when the walk failed
//   walking()              true until the last chunk has been returned
//   takeListing()          mutation listing for everything dirty ("" when nothing is; null
//                          when it failed: the agent then takes a new snapshot)
//   serialize(ids)         node stream for the ids (Uint32Array) the agent asked for; null
//                          when it failed
//   takeAdopted()          adopted stylesheets of dirty roots: (id count css{count})*; null if none
// Guard-rails (limits from src/config.rs, decisions in src/storm.rs):
//   setLimits(a, t, c, r, m) attribute values over `a` characters are replaced by a marker,
//                          texts and form values over `t` and stylesheets over `c` (or after `m`
//                          ms of reading their rules) cut with one; an
//                          observer delivery of over `r` records is not even read (the next
//                          listing is refused: the agent takes a snapshot instead)
//   takeListing(max)       ... with a cap: past `max` characters the listing is abandoned (null,
//                          dirty state dropped) and over() tells how far it got
//   serialize(ids, max)    ... past `max` nodes likewise (null; over() is the nodes walked)
//   over()                 why the last call was refused by a cap: "l CHARS" (listing), "r
//                          RECORDS" (deliveries not read), "n NODES" (serialize); "" otherwise
//   deliveries()           observer deliveries so far (about one per page task changing the DOM)
//   quietMs()              ms since the last change the reader saw
//   takeCapped()           "attrs longest texts longest sheets rules" truncated since the last
//                          call (space separated), or null when none
//   disconnect()           stop observing and undo every patch
//   readValue(el)          the one path of every form value: the privacy rules applied
//   configure(opts)        site settings: {censorInputs: bool, denyParams: [names]} (before
//                          snapshotStart; until then censoring is on, default deny-list)
//   ignored(node)          true when the node is an ignored element or inside one
//   rules                  the privacy rules as pure functions (tests compare them with Rust)
//
// Privacy (src/privacy.rs has the rules, the section "privacy" below their transcription):
// ignored elements are emitted as placeholders (tag, props O and w, nothing else, no
// children), text and values are masked or dropped before they are packed, and listings never
// mention anything inside an ignored element.
//   idOf(node)             the id of a recorded node, 0 for a node not recorded (no id assigned)
export function createReader(win) {
  var SEP = '\u0000';
  var NUL = /\u0000/g;
  var HTML_NS = 'http://www.w3.org/1999/xhtml';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var MATH_NS = 'http://www.w3.org/1998/Math/MathML';
  var XLINK_NS = 'http://www.w3.org/1999/xlink';
  var XML_NS = 'http://www.w3.org/XML/1998/namespace';
  var XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
  // Nodes between time checks while walking: performance.now() is cheap, not free.
  var CHECK_EVERY = 32;

  var doc = win.document;
  var perf = win.performance;
  var rapply = win.Reflect.apply;
  var getOwn = win.Object.getOwnPropertyDescriptor;
  var define = win.Object.defineProperty;
  var getProto = win.Object.getPrototypeOf;
  // Zone.js (Angular) wraps MutationObserver so that every callback runs change detection;
  // its saved original avoids that.
  // A page (or framework) that replaced MutationObserver: as rrweb does, the constructor of a
  // fresh about:blank frame (a native one) is used instead; see untainted().
  var MO = win.__zone_symbol__MutationObserver || win.MutationObserver;
  var OBSERVE = { childList: true, attributes: true, characterData: true, subtree: true };

  var ids = new WeakMap();
  var nextId = 1;

  var alive = false;
  var onChange = null;
  var notified = false;
  var mo = null;
  var observed = null; // WeakSet of observed documents and shadow roots
  // Patches, per realm (the page and each same-origin frame document): the realm's
  // CSSStyleSheet.prototype keys its undo list, [object, key, original descriptor, ours]*,
  // weakly, so a frame that navigated away is not kept alive by its undo list.
  var realms = []; // (WeakRefs to) the keys
  var realmUndo = null; // WeakMap key -> undo list
  var undo = null; // the list being filled
  var protoSeen = new WeakSet(); // element prototypes whose realm's attachShadow is patched
  var aborter = null;
  var listenOpts = true;
  var listeners = []; // [target, type, fn] when AbortController is missing

  // Dirty state, collected by the observer, patches and listeners; emptied by takeListing().
  var dirtyKids = new Set(); // parents whose child list changed
  var dirtyAttrs = new Map(); // element -> Set of attribute keys ("name" or "ns\0local")
  var dirtyText = new Set(); // text, comment, CDATA nodes
  var dirtyProps = new Map(); // element -> prop codes ("v", "ks", ...)
  var dirtyAdopted = new Set(); // documents and shadow roots
  var inlined = new WeakSet(); // elements whose stylesheet text the agent holds as "s"
  var anyInlined = false;
  // (WeakRefs to) inlined elements in shadow trees: getElementsByTagName does not reach them
  // when an ancestor of their host is moved.
  var shadowInlined = [];
  var shadowInlinedSet = new WeakSet();
  var shadowInlinedPruned = 0;
  var touched = new WeakSet(); // sheets changed through the CSSOM
  var adoptRoots = []; // (WeakRefs to) roots seen with adopted sheets
  var adoptTracked = new WeakSet();
  var adoptPruned = 0;

  // Walk state: explicit stack of (parent, next child to emit); `out` is the chunk being built.
  var sp = [];
  var sn = [];
  var sc = []; // the context each open level gives its children (see "privacy")
  var depth = 0;
  var out = '';
  var isWalking = false;
  var rootPending = false;
  // Reading an element's scroll offset costs about a microsecond, the largest part of a walk.
  // The first snapshot reads it for elements that can plausibly scroll; after that, the
  // capture-phase scroll listener names every element that scrolls (scroll events also fire
  // for script-driven scrolling), so later walks read only those.
  var scanScroll = true;
  var scrolled = new WeakSet();
  var scrollRoot = null; // the viewport's scroller: its offset is the snapshot's own scroll
  var NO_SCROLL = {};
  var noScroll =
    'a abbr area b base bdi bdo br cite col dfn em embed font head hr i img input kbd label link ' +
    'mark meta noscript optgroup option param q s samp script small source span strong style sub ' +
    'sup template time title track u var wbr';
  noScroll = noScroll.split(' ');
  for (var ns0 = 0; ns0 < noScroll.length; ns0++) NO_SCROLL[noScroll[ns0]] = 1;
  var batch = new Map(); // id -> node placed by the current listing

  var masked = false; // set by readValue: the last value read was withheld

  // Guard-rails (see setLimits): caps, the budget of the current serialize, tallies.
  var OVER = {}; // thrown by a capped walk or listing
  var maxAttr = Infinity;
  var maxText = Infinity;
  var maxCss = Infinity;
  var maxCssMs = Infinity;
  var maxListing = Infinity;
  var budget = Infinity; // nodes left for the current serialize
  var overBy = 0;
  var overKind = '';
  var maxRecords = Infinity;
  var skipped = 0; // records of deliveries not read since the last listing
  var delivered = 0;
  var lastChange = 0;
  var capA = 0;
  var capAMax = 0;
  var capT = 0;
  var capTMax = 0;
  var capS = 0;
  var capSMax = 0;

  function now() {
    return perf ? perf.now() : Date.now();
  }

  function clean(s) {
    return s.indexOf(SEP) === -1 ? s : s.replace(NUL, '\uFFFD');
  }

  function idOf(n) {
    var id = ids.get(n);
    if (id === undefined) {
      id = nextId++;
      ids.set(n, id);
    }
    return id;
  }

  // ---- privacy: a transcription of src/privacy.rs (keep the two in step) ----------------------
  // Rules are documented there; tests/browser_privacy.rs checks both sides on the same cases.
  // Structure is decided here: an element passes a context (bit set) to its children, a shadow
  // root or frame document passes on the inherited bits of its host's; IGNORED (-1) = inside
  // an ignored element (nothing recorded).

  var FLAG_IGNORE = 1;
  var FLAG_SENSITIVE = 2;
  var FLAG_WHITELIST = 4;
  var CTX_SENSITIVE = 2;
  var CTX_WHITELIST = 4;
  var CTX_TEXT_MASK = 8;
  var CTX_TEXT_DROP = 16;
  var CTX_TEXT_KEEP = 32;
  var CTX_OPTIONS_HIDDEN = 64;
  var CTX_INHERITED = CTX_SENSITIVE | CTX_WHITELIST | CTX_OPTIONS_HIDDEN;
  var IGNORED = -1;
  var KEEP = 0;
  var MASK = 1;
  var DROP = 2;
  var NONE = -1; // no value rule: not a form control
  var REDACTED = 'REDACTED';
  var DEFAULT_DENY = ['token', 'code', 'password', 'session', 'auth'];
  var MASKED_ATTRS = set(
    'title alt placeholder value label aria-label aria-description aria-valuetext aria-placeholder aria-roledescription'
  );
  var URL_ATTRS = set('href src srcset action formaction poster cite data background ping xlink:href longdesc');
  var INPUT_TYPES = set(
    'hidden text search tel url email password date month week time datetime-local number range color ' +
      'checkbox radio file submit image reset button'
  );
  var SECRET_AUTOCOMPLETE = set('one-time-code current-password new-password');
  var SECRET_NAME_PARTS = (
    'password passwd passcode passwort contrasena motdepasse cardnumber cardnum ccnum creditcard ' +
    'debitcard cardno cardholder cvv cvc securitycode cardcode cardverification cardsecurity ccexp ' +
    'cardexp expdate expirydate expirationdate expmonth expyear expirymonth expiryyear ' +
    'expirationmonth expirationyear onetimecode onetimepassword otpcode totp iban'
  ).split(' ');
  var SECRET_NAME_WORDS = set('csc cvn pin otp pwd ssn mfa 2fa');
  var NOT_SPACE = /[^\t\n\f\r ]/gu;
  var UPPER = /[A-Z]+/g;
  var CLASS_HINT = /inspectlet/i;

  // Site settings (configure()): until told otherwise, the most private choice.
  var censorInputs = true;
  var deny = DEFAULT_DENY.slice();

  function set(words) {
    var o = Object.create(null);
    var w = words.split(' ');
    for (var i = 0; i < w.length; i++) o[w[i]] = 1;
    return o;
  }

  function lower(s) {
    return s.replace(UPPER, function (m) {
      return m.toLowerCase();
    });
  }

  function isSpace(c) {
    return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
  }

  function classFlags(cls) {
    if (!cls || !CLASS_HINT.test(cls)) return 0; // all three names contain it (a fast path)
    var f = 0;
    var n = cls.length;
    var i = 0;
    while (i < n) {
      while (i < n && isSpace(cls.charCodeAt(i))) i++;
      var j = i;
      while (j < n && !isSpace(cls.charCodeAt(j))) j++;
      if (j > i) {
        var c = cls.slice(i, j);
        var l = lower(c);
        if (l === 'inspectletignore') f |= FLAG_IGNORE;
        else if (l === 'inspectlet-sensitive') f |= FLAG_SENSITIVE;
        else if (c === 'inspectlet-whitelist') f |= FLAG_WHITELIST;
      }
      i = j;
    }
    return f;
  }

  function elementCtx(parent, flags) {
    if (flags & FLAG_IGNORE) return IGNORED;
    return (parent & CTX_INHERITED) | (flags & (FLAG_SENSITIVE | FLAG_WHITELIST));
  }

  function childrenCtx(ctx, tag, rule) {
    var c = ctx;
    if (tag === 'style') c |= CTX_TEXT_KEEP;
    else if (tag === 'textarea') {
      if (rule === DROP) c |= CTX_TEXT_DROP;
      else if (rule === MASK) c |= CTX_TEXT_MASK;
    } else if (tag === 'select') {
      if (rule !== NONE && rule !== KEEP) c |= CTX_OPTIONS_HIDDEN;
    }
    return c;
  }

  function textRule(ctx) {
    if (ctx & CTX_TEXT_DROP) return DROP;
    if (ctx & CTX_TEXT_MASK) return MASK;
    if (ctx & CTX_TEXT_KEEP) return KEEP;
    if (ctx & CTX_SENSITIVE) return MASK;
    return KEEP;
  }

  function mask(s) {
    return s.replace(NOT_SPACE, '*');
  }

  function apply(treat, s) {
    return treat === KEEP ? s : treat === MASK ? mask(s) : '';
  }

  function inputType(attr) {
    if (attr === null || attr === undefined) return 'text';
    var t = lower(String(attr));
    return INPUT_TYPES[t] === 1 ? t : 'text';
  }

  function censorable(tag, type) {
    if (tag === 'textarea' || tag === 'select') return true;
    if (tag !== 'input') return false;
    switch (type) {
      case 'checkbox':
      case 'radio':
      case 'button':
      case 'submit':
      case 'reset':
      case 'image':
        return false;
    }
    return true;
  }

  function words(s) {
    var out = [];
    var cur = '';
    var prevLower = false;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      var up = c >= 65 && c <= 90;
      var lo = c >= 97 && c <= 122;
      if (!up && !lo && !(c >= 48 && c <= 57)) {
        if (cur) out.push(cur);
        cur = '';
        prevLower = false;
        continue;
      }
      if (up && prevLower && cur) {
        out.push(cur);
        cur = '';
      }
      prevLower = lo;
      cur += String.fromCharCode(up ? c + 32 : c);
    }
    if (cur) out.push(cur);
    return out;
  }

  function secretName(s) {
    if (!s) return false;
    var compact = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 65 && c <= 90) compact += String.fromCharCode(c + 32);
      else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) compact += s.charAt(i);
    }
    for (var j = 0; j < SECRET_NAME_PARTS.length; j++) if (compact.indexOf(SECRET_NAME_PARTS[j]) >= 0) return true;
    var w = words(s);
    for (var k = 0; k < w.length; k++) if (SECRET_NAME_WORDS[w[k]] === 1) return true;
    return false;
  }

  function secretAutocomplete(ac) {
    if (!ac) return false;
    var t = ac.split(/[\t\n\f\r ]/);
    for (var i = 0; i < t.length; i++) {
      var l = lower(t[i]);
      if (l.indexOf('cc-') === 0 || SECRET_AUTOCOMPLETE[l] === 1) return true;
    }
    return false;
  }

  function isSecretField(tag, type, ac, xac, name, id) {
    if (tag === 'input' && (type === 'password' || type === 'hidden' || type === 'file')) return true;
    if (secretAutocomplete(ac) || secretAutocomplete(xac)) return true;
    return secretName(name) || secretName(id);
  }

  function valueRule(ctx, secret, isCensorable, censorOn) {
    if (secret) return DROP;
    if (ctx & CTX_SENSITIVE) return MASK;
    if (censorOn && isCensorable && !(ctx & CTX_WHITELIST)) return MASK;
    return KEEP;
  }

  var cardSeen = false; // set by fieldValue: the value looked like a card number

  function fieldValue(rule, v) {
    cardSeen = false;
    if (rule === DROP) return '';
    if (looksLikeCard(v)) {
      cardSeen = true;
      return '';
    }
    return apply(rule, v);
  }

  function attrRule(ctx, name, rule) {
    if (name === 'value' && rule !== NONE) return rule;
    if (ctx & CTX_SENSITIVE && MASKED_ATTRS[name] === 1) return MASK;
    return KEEP;
  }

  function attrValue(treat, name, v, field) {
    if (field && name === 'value') return fieldValue(treat, v);
    cardSeen = false;
    if (treat === KEEP && URL_ATTRS[name] === 1) return redactUrl(v, deny);
    return apply(treat, v);
  }

  function optionSelected(ctx, selected) {
    return selected && !(ctx & CTX_OPTIONS_HIDDEN);
  }

  function looksLikeCard(v) {
    var d = [];
    var n = 0;
    for (var i = 0; i < v.length; i++) {
      var c = v.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (n === 19) return false;
        d[n++] = c - 48;
      } else if (c !== 45 && !isSpace(c)) return false;
    }
    return n >= 13 && luhn(d);
  }

  function luhn(d) {
    var sum = 0;
    for (var i = 0; i < d.length; i++) {
      var x = d[d.length - 1 - i];
      if (i % 2 === 1) {
        x *= 2;
        if (x > 9) x -= 9;
      }
      sum += x;
    }
    return sum % 10 === 0;
  }

  function hexv(c) {
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
    return -1;
  }

  function percentDecode(s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (c === '%' && i + 2 < s.length) {
        var h = hexv(s.charCodeAt(i + 1));
        var l = hexv(s.charCodeAt(i + 2));
        if (h >= 0 && l >= 0 && h < 8) {
          out += String.fromCharCode(h * 16 + l);
          i += 2;
          continue;
        }
      }
      out += c === '+' ? ' ' : c;
    }
    return out;
  }

  function paramDenied(name, list) {
    if (!list.length || !name) return false;
    var d = percentDecode(name);
    if (list.indexOf(lower(d)) >= 0) return true;
    var w = words(d);
    for (var i = 0; i < w.length; i++) if (list.indexOf(w[i]) >= 0) return true;
    return false;
  }

  function denyList(extra) {
    var out = [];
    var all = DEFAULT_DENY.concat(extra || []);
    for (var i = 0; i < all.length; i++) {
      if (typeof all[i] !== 'string') continue;
      var d = lower(all[i].replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, ''));
      if (d && out.indexOf(d) < 0) out.push(d);
    }
    return out;
  }

  var redactChanged = false;
  function redactParams(params, list) {
    var pairs = params.split('&');
    for (var i = 0; i < pairs.length; i++) {
      var p = pairs[i];
      var eq = p.indexOf('=');
      if (eq >= 0 && paramDenied(p.slice(0, eq), list)) {
        if (p.slice(eq + 1) !== REDACTED) redactChanged = true;
        pairs[i] = p.slice(0, eq + 1) + REDACTED;
      }
    }
    return pairs.join('&');
  }

  function redactUrl(url, list) {
    if (!list.length || url.indexOf('=') < 0) return url;
    redactChanged = false;
    var h = url.indexOf('#');
    var before = h < 0 ? url : url.slice(0, h);
    var out;
    var q = before.indexOf('?');
    if (q >= 0) out = before.slice(0, q + 1) + redactParams(before.slice(q + 1), list);
    else out = before;
    if (h >= 0) {
      var hash = url.slice(h + 1);
      var qi = hash.indexOf('?');
      var start = qi < 0 ? 0 : qi + 1;
      out += '#' + hash.slice(0, start) + redactParams(hash.slice(start), list);
    }
    return redactChanged ? out : url;
  }

  // ---- privacy: applied to the page ---------------------------------------------------------

  var secretSeen = new WeakSet(); // form controls secret at some point of this page load
  var flagsSeen = new WeakMap(); // element -> its class flags when last seen (non-zero only)
  var ctxSeen = new WeakMap(); // node -> the context it was recorded in (non-zero only)
  var privacySeen = false; // some element had flags or a non-zero context was recorded
  var ignoreSeen = false; // some element was ignored
  var ctxMemo = null; // node -> ctxOf(node), while one listing or serialization runs
  var emitCtx = 0; // set by emit(): the context of the children of the node it opened

  function flagsOf(el) {
    var c = el.getAttribute('class');
    return c ? classFlags(c) : 0;
  }

  // The recorded parent: a shadow root's host, a frame document's frame element.
  function parentOf(n) {
    var t = n.nodeType;
    if (t === 11) return n.host || null;
    if (t === 9) {
      if (n === doc) return null;
      try {
        var v = n.defaultView;
        var fe = v && v.frameElement;
        return fe && frameDoc(fe) === n ? fe : null;
      } catch (e) {
        return null;
      }
    }
    return n.parentNode;
  }

  // The value rule of a form control in element context `ectx`, or NONE.
  function formRule(el, tag, ectx) {
    if (tag !== 'input' && tag !== 'textarea' && tag !== 'select') return NONE;
    var type = tag === 'input' ? el.type : '';
    var secret = secretSeen.has(el);
    if (!secret) {
      var v = el.value;
      secret =
        isSecretField(
          tag,
          type,
          el.getAttribute('autocomplete'),
          el.getAttribute('x-autocompletetype'),
          el.getAttribute('name'),
          el.getAttribute('id')
        ) ||
        (typeof v === 'string' && looksLikeCard(v));
      if (secret) secretSeen.add(el);
    }
    return valueRule(ectx, secret, censorable(tag, type), censorInputs);
  }

  // The context `p` gives its children (IGNORED when they are not recorded).
  function ctxOf(p) {
    var chain = [];
    var c = 0;
    for (var n = p; n; n = parentOf(n)) {
      var m = ctxMemo !== null ? ctxMemo.get(n) : undefined;
      if (m !== undefined) {
        c = m;
        break;
      }
      chain.push(n);
    }
    for (var i = chain.length - 1; i >= 0; i--) {
      var x = chain[i];
      if (c !== IGNORED) {
        if (x.nodeType === 1) {
          var e = elementCtx(c, flagsOf(x));
          if (e === IGNORED) c = IGNORED;
          else {
            var tag = htmlTag(x);
            c = childrenCtx(e, tag, formRule(x, tag, e));
          }
        } else c = c & CTX_INHERITED;
      }
      if (ctxMemo !== null) ctxMemo.set(x, c);
    }
    return c;
  }

  // The element context of `el` itself (IGNORED when it is ignored or inside an ignored one).
  function ownCtx(el) {
    var p = parentOf(el);
    var pc = p ? ctxOf(p) : 0;
    return pc === IGNORED ? IGNORED : elementCtx(pc, flagsOf(el));
  }

  // The outermost ignored ancestor-or-self of `n` (what the recording shows), or null.
  function placeholderOf(n) {
    var found = null;
    for (var x = n; x; x = parentOf(x)) if (x.nodeType === 1 && flagsOf(x) & FLAG_IGNORE) found = x;
    return found;
  }

  // Remembers the context a node was recorded in, to notice when a move changes it.
  function noteCtx(n, ctx) {
    if (ctx !== 0) {
      privacySeen = true;
      ctxSeen.set(n, ctx);
    } else if (privacySeen) ctxSeen.delete(n);
  }

  function noteFlags(el, flags) {
    if (flags !== 0) {
      privacySeen = true;
      if (flags & FLAG_IGNORE) ignoreSeen = true;
      flagsSeen.set(el, flags);
    } else if (privacySeen) flagsSeen.delete(el);
  }

  // A class change that changes an element's privacy flags: the element gets a fresh id, so
  // its parent's listing replaces it and it is serialized anew under its new rules.
  function classChanged(el) {
    var now = flagsOf(el);
    var was = flagsSeen.get(el) || 0;
    if (now === was) return;
    noteFlags(el, now);
    if (!ids.has(el)) return;
    ids.set(el, nextId++);
    var p = parentOf(el);
    if (p !== null) dirtyKids.add(p);
  }

  // Layout size of an ignored element's placeholder.
  function sizeOf(el) {
    var r = el.getBoundingClientRect();
    return Math.max(0, Math.round(r.width)) + ',' + Math.max(0, Math.round(r.height));
  }

  // ---- form values: every value recorded passes here ----------------------------------------

  // The current value of an input, textarea or select as it may be recorded (masked, or ""
  // when withheld; `masked` set unless recorded as it is). Other elements: their `value`
  // under the attribute rules. Inside an ignored element: "".
  function readValue(el) {
    var ectx = ownCtx(el);
    masked = true;
    if (ectx === IGNORED) return '';
    var v = el.value;
    if (typeof v !== 'string') return '';
    var tag = htmlTag(el);
    var rule = formRule(el, tag, ectx);
    var r;
    if (rule === NONE) r = apply(attrRule(ectx, 'value', NONE), v);
    else {
      r = fieldValue(rule, v);
      if (cardSeen) secretSeen.add(el);
    }
    masked = r !== v;
    return r;
  }

  // An attribute value as recorded, in element context `ctx` with value rule `rule`.
  function readAttr(el, name, v, ctx, rule) {
    if (v.length > maxAttr) {
      // A giant data: URL: only its length is recorded (an unknown scheme replays inert).
      capA++;
      if (v.length > capAMax) capAMax = v.length;
      return 'insp:not-recorded;length=' + v.length;
    }
    var r = attrValue(attrRule(ctx, name, rule), name, v, rule !== NONE);
    if (cardSeen) secretSeen.add(el);
    return clean(r);
  }

  // Input types whose value can differ from their attributes ("value" mode in the spec).
  function valueMode(type) {
    switch (type) {
      case 'checkbox':
      case 'radio':
      case 'button':
      case 'submit':
      case 'reset':
      case 'image':
      case 'hidden':
      case 'file':
        return false;
    }
    return true;
  }

  // ---- structure: which children the recording shows ----------------------------------------

  function htmlTag(el) {
    return el.namespaceURI === HTML_NS ? el.localName.toLowerCase() : '';
  }

  function frameDoc(el) {
    try {
      return el.contentDocument || null;
    } catch (e) {
      return null;
    }
  }

  function isFrame(tag) {
    return tag === 'iframe' || tag === 'frame';
  }

  function recordable(n) {
    var t = n.nodeType;
    return t === 1 || t === 3 || t === 8 || t === 4 || t === 10;
  }

  function firstFrom(n) {
    while (n !== null && !recordable(n)) n = n.nextSibling;
    return n;
  }

  // First child as recorded: an open shadow root, then the children; a same-origin frame's
  // document is its only child; scripts and cross-origin frames have none.
  function firstChildOf(p) {
    if (p.nodeType === 1) {
      var tag = htmlTag(p);
      if (tag === 'script' || (tag === '' && p.localName === 'script')) return null;
      if (isFrame(tag)) return frameDoc(p);
      var sr = p.shadowRoot;
      if (sr) return sr;
    }
    return firstFrom(p.firstChild);
  }

  function nextOf(n, p) {
    var t = n.nodeType;
    if (t === 11) return firstFrom(p.firstChild);
    if (t === 9) return null;
    return firstFrom(n.nextSibling);
  }

  function isChildOf(n, p) {
    var t = n.nodeType;
    if (t === 11) return p.shadowRoot === n;
    if (t === 9) return frameDoc(p) === n;
    return n.parentNode === p;
  }

  // Attached, and in a document the recording covers (the page, or same-origin frames of it).
  function live(n) {
    for (;;) {
      if (!n.isConnected) return false;
      var d = n.nodeType === 9 ? n : n.ownerDocument;
      if (d === doc) return true;
      var v = d.defaultView;
      var fe = null;
      try {
        fe = v && v.frameElement;
      } catch (e) {
        return false;
      }
      if (!fe || frameDoc(fe) !== d) return false;
      n = fe;
    }
  }

  // ---- stylesheets ----------------------------------------------------------------------------

  function sheetText(sheet) {
    var rules;
    try {
      rules = sheet.cssRules;
    } catch (e) {
      return null; // cross-origin: the link stays as it is
    }
    if (!rules) return null;
    var s = '';
    var nr = rules.length;
    // Chromium spends one to two microseconds per rule's text: a giant sheet is cut.
    var deadline = nr > 64 ? now() + maxCssMs : Infinity;
    for (var i = 0; i < nr; i++) {
      if (i) s += '\n';
      s += rules[i].cssText;
      var over = s.length > maxCss;
      if (over || ((i & 63) === 63 && i + 1 < nr && now() > deadline)) {
        // A giant sheet (or rule: a data: URL in it): cut, and the rest is not even read.
        capS++;
        if (nr > capSMax) capSMax = nr;
        if (over) s = s.slice(0, maxCss);
        s += '\n/* insp: cut at ' + s.length + ' characters, ' + (nr - i - 1) + ' more rules not read */';
        break;
      }
    }
    // A linked sheet's relative URLs resolve against the sheet's own URL, which the replay
    // does not know: they are made absolute here.
    var href = sheet.href;
    if (href && (s.indexOf('url(') >= 0 || s.indexOf('@import') >= 0)) s = absoluteUrls(s, href);
    return s;
  }

  var CSS_URL = /(url\(\s*)(["']?)([^"')]*)\2(\s*\))|(@import\s+)(["'])([^"']*)\6/g;
  var HAS_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

  function absUrl(u, base) {
    if (u === '' || u.charCodeAt(0) === 35 || HAS_SCHEME.test(u)) return u; // "#frag", data:, http:
    try {
      return new win.URL(u, base).href;
    } catch (e) {
      return u;
    }
  }

  function absoluteUrls(text, base) {
    return text.replace(CSS_URL, function (m, pre, q, u, post, imp, q2, u2) {
      if (pre !== undefined) return pre + q + absUrl(u, base) + q + post;
      return imp + q2 + absUrl(u2, base) + q2;
    });
  }

  // Top-level rules in a style text: blocks closed at depth 0, and statements ending there.
  function countRules(text) {
    var n = 0;
    var level = 0;
    var len = text.length;
    var body = false; // something other than white space since the last rule
    for (var i = 0; i < len; i++) {
      var c = text.charCodeAt(i);
      if (c === 47 && text.charCodeAt(i + 1) === 42) {
        var end = text.indexOf('*/', i + 2);
        if (end < 0) break;
        i = end + 1;
      } else if (c === 34 || c === 39) {
        for (i++; i < len; i++) {
          var d = text.charCodeAt(i);
          if (d === 92) i++;
          else if (d === c || d === 10) break;
        }
        body = true;
      } else if (c === 123) {
        level++;
        body = true;
      } else if (c === 125) {
        if (level > 0 && --level === 0) {
          n++;
          body = false;
        }
      } else if (c === 59) {
        if (level === 0 && body) {
          n++;
          body = false;
        }
      } else if (c > 32) {
        body = true;
      }
    }
    return n;
  }

  // A <style> whose rules were changed by script no longer matches its text.
  function styleDiffers(el) {
    var sheet = el.sheet;
    if (!sheet) return false;
    if (touched.has(sheet)) return true;
    // A giant text is recorded cut (its text node); counting its rules would cost more.
    var text = el.textContent || '';
    if (text.length > maxText) return false;
    var rules;
    try {
      rules = sheet.cssRules;
    } catch (e) {
      return false;
    }
    return countRules(text) !== rules.length;
  }

  // "s" for a link or style element, or null when it has none.
  function cssProp(el, tag, snapshot) {
    var sheet = el.sheet;
    if (!sheet) return null;
    // A <style> whose sheet is what its text parses to is replayed from its text (in rrweb
    // too, where the carried CSS would replace the text, which an <option> around it reads).
    if (tag === 'style' && !styleDiffers(el) && (snapshot || (el.textContent || '').length <= maxText)) return null;
    var css = sheetText(sheet);
    if (css !== null) {
      inlined.add(el);
      anyInlined = true;
      if (!shadowInlinedSet.has(el) && inShadow(el)) {
        shadowInlinedSet.add(el);
        shadowInlined.push(weak(el));
        if (shadowInlined.length > 2 * shadowInlinedPruned + 16) {
          prune(shadowInlined);
          shadowInlinedPruned = shadowInlined.length;
        }
      }
    }
    return css;
  }

  function inShadow(n) {
    while (n.parentNode) n = n.parentNode;
    return n.nodeType === 11 && !!n.host;
  }

  function weak(x) {
    return typeof win.WeakRef === 'function' ? new win.WeakRef(x) : { deref: function () { return x; } };
  }

  // Drops references to roots and realms that were collected.
  function prune(list) {
    var j = 0;
    for (var i = 0; i < list.length; i++) if (list[i].deref() !== undefined) list[j++] = list[i];
    list.length = j;
  }

  function trackAdopted(root) {
    if (adoptTracked.has(root)) return;
    adoptTracked.add(root);
    adoptRoots.push(weak(root));
    if (adoptRoots.length > 2 * adoptPruned + 16) {
      prune(adoptRoots);
      adoptPruned = adoptRoots.length;
    }
  }

  function adoptedOf(root) {
    var list = root.adoptedStyleSheets;
    return list && list.length ? list : null;
  }

  // ---- emitting the packed stream ------------------------------------------------------------

  function prop(code, value) {
    return code + SEP + value + SEP;
  }

  // The value of one prop code for an element, or null when it does not apply. `pctx` is the
  // context its parent gives it, `rule` its value rule.
  function propValue(el, tag, code, pctx, rule) {
    switch (code) {
      case 'v':
        if ((tag === 'input' && valueMode(el.type)) || tag === 'textarea' || tag === 'select') {
          var fv = el.value;
          if (typeof fv !== 'string') fv = '';
          else if (fv.length > maxText) {
            capT++;
            if (fv.length > capTMax) capTMax = fv.length;
            fv = fv.slice(0, maxText);
          }
          var r = fieldValue(rule, fv);
          if (cardSeen) secretSeen.add(el);
          return clean(r);
        }
        return null;
      case 'k':
        if (tag === 'input' && (el.type === 'checkbox' || el.type === 'radio')) return el.checked ? '1' : '0';
        return null;
      case 'z':
        return tag === 'option' ? (optionSelected(pctx, el.selected) ? '1' : '0') : null;
      case 's':
        if (tag !== 'style' && tag !== 'link') return null;
        var css = cssProp(el, tag, false);
        return css === null ? null : clean(css);
      case 'o':
        return scrollOf(el);
      case 'O':
        return isFrame(tag) && !frameDoc(el) ? '' : null;
      case 'w':
        return isFrame(tag) && !frameDoc(el) ? el.offsetWidth + ',' + el.offsetHeight : null;
      case 'u':
        var fd = isFrame(tag) ? frameDoc(el) : null;
        return fd ? frameUrl(fd) : null;
    }
    return null;
  }

  // "u": the URL of a same-origin frame's document.
  function frameUrl(d) {
    return clean(redactUrl(String(d.URL), deny));
  }

  function scrollOf(el) {
    return Math.round(el.scrollLeft) + ',' + Math.round(el.scrollTop);
  }

  // `nattr (name value){nattr}`. getAttributeNames/getAttribute rather than `attributes`,
  // which would make the browser create and keep an Attr object per attribute of the page.
  function attrsOf(el, ctx, rule) {
    if (!el.hasAttributes()) return '0' + SEP;
    var names = el.getAttributeNames();
    var na = names.length;
    var s = na + SEP;
    for (var i = 0; i < na; i++) {
      var v = el.getAttribute(names[i]);
      // null: a name getAttribute cannot find (mixed case set through setAttributeNS on an
      // HTML element); such elements are read the slow way.
      if (v === null) return attrsSlow(el, ctx, rule);
      s += names[i] + SEP + readAttr(el, names[i], v, ctx, rule) + SEP;
    }
    return s;
  }

  function attrsSlow(el, ctx, rule) {
    var attrs = el.attributes;
    var na = attrs.length;
    var s = na + SEP;
    for (var i = 0; i < na; i++) {
      var a = attrs[i];
      s += a.name + SEP + readAttr(el, a.name, a.value, ctx, rule) + SEP;
    }
    return s;
  }

  // Emits an element in parent context `pctx`; true when it opens a level (children follow,
  // in context `emitCtx`), false for an ignored element (a closed placeholder).
  function emitElement(el, id, pctx) {
    var pr = getProto(el);
    if (pr && !protoSeen.has(pr)) foreignRealm(el, pr);
    var ns = el.namespaceURI;
    var tag = el.localName;
    var code;
    var html = '';
    if (ns === HTML_NS) {
      tag = tag.toLowerCase();
      html = tag;
      code = '';
    } else if (ns === SVG_NS) code = 's';
    else if (ns === MATH_NS) code = 'm';
    else code = ns || '';
    var flags = el.hasAttributes() ? flagsOf(el) : 0;
    noteFlags(el, flags);
    noteCtx(el, pctx);
    var ectx = elementCtx(pctx, flags);
    if (ectx === IGNORED) {
      // Only what layout needs: the tag and the size of its box; no attributes, no children.
      out += 'e' + SEP + id + SEP + tag + SEP + code + SEP + '0' + SEP + '2' + SEP + prop('O', '') + prop('w', sizeOf(el)) + '/' + SEP;
      emitCtx = IGNORED;
      return false;
    }
    var rule = formRule(el, html, ectx);
    out += 'e' + SEP + id + SEP + tag + SEP + code + SEP + attrsOf(el, ectx, rule);
    // A card number in the value attribute made the field secret.
    if (rule !== NONE && rule !== DROP && secretSeen.has(el)) rule = DROP;
    var np = 0;
    var ps = '';
    var v;
    switch (html) {
      case 'input':
        v = propValue(el, html, 'k', pctx, rule);
        if (v !== null) {
          ps += prop('k', v);
          np++;
        }
      // falls through
      case 'textarea':
      case 'select':
        v = propValue(el, html, 'v', pctx, rule);
        if (v !== null) {
          ps += prop('v', v);
          np++;
        }
        if (rule !== DROP && secretSeen.has(el)) rule = DROP;
        break;
      case 'option':
        ps += prop('z', optionSelected(pctx, el.selected) ? '1' : '0');
        np++;
        break;
      case 'style':
      case 'link':
        v = cssProp(el, html, true);
        if (v !== null) {
          ps += prop('s', clean(v));
          np++;
        }
        break;
      case 'iframe':
      case 'frame':
        var fd = frameDoc(el);
        if (!fd) {
          ps += prop('O', '') + prop('w', el.offsetWidth + ',' + el.offsetHeight);
          np += 2;
        } else {
          ps += prop('u', frameUrl(fd));
          np++;
        }
        break;
    }
    if (scrolled.has(el) || (scanScroll && html !== '' && NO_SCROLL[html] !== 1 && el !== scrollRoot)) {
      v = scrollOf(el);
      if (v !== '0,0') {
        scrolled.add(el);
        ps += prop('o', v);
        np++;
      }
    }
    out += np + SEP + ps;
    emitCtx = childrenCtx(ectx, html, rule);
    return true;
  }

  // Emits one node's own token(s) in parent context `pctx`; true when it opens a level
  // (children and "/" follow, in context `emitCtx`).
  // A text, comment or form value as recorded under `treat`: cut at the cap, with a marker.
  function textOf(treat, d) {
    if (d.length <= maxText) return clean(apply(treat, d));
    capT++;
    if (d.length > capTMax) capTMax = d.length;
    return clean(apply(treat, d.slice(0, maxText))) + '\u2026[insp: ' + (d.length - maxText) + ' characters not recorded]';
  }

  function emit(n, pctx) {
    var t = n.nodeType;
    var id = idOf(n);
    switch (t) {
      case 1:
        return emitElement(n, id, pctx);
      case 3:
        noteCtx(n, pctx);
        out += 't' + SEP + id + SEP + textOf(textRule(pctx), n.data) + SEP;
        return false;
      case 8:
        noteCtx(n, pctx);
        out += 'c' + SEP + id + SEP + textOf(textRule(pctx), n.data) + SEP;
        return false;
      case 4:
        noteCtx(n, pctx);
        out += 'x' + SEP + id + SEP + textOf(textRule(pctx), n.data) + SEP;
        return false;
      case 10:
        out += 'd' + SEP + id + SEP + clean(n.name) + SEP + clean(n.publicId) + SEP + clean(n.systemId) + SEP;
        return false;
      case 9:
        observeRoot(n);
        if (adoptedOf(n)) dirtyAdopted.add(n);
        out += 'D' + SEP + id + SEP + (n.compatMode === 'BackCompat' ? '1' : '0') + SEP;
        emitCtx = pctx & CTX_INHERITED;
        return true;
      case 11:
        observeRoot(n);
        if (adoptedOf(n)) dirtyAdopted.add(n);
        out += 'S' + SEP + id + SEP;
        emitCtx = pctx & CTX_INHERITED;
        return true;
    }
    return false;
  }

  function push(p, ctx) {
    sp[depth] = p;
    sn[depth] = firstChildOf(p);
    sc[depth] = ctx;
    depth++;
  }

  // Preorder walk until the stack is back at `base`, or `deadline` has passed.
  function run(base, deadline) {
    var count = 0;
    while (depth > base) {
      var top = depth - 1;
      var n = sn[top];
      if (n === null) {
        out += '/' + SEP;
        sp[top] = null;
        depth = top;
        continue;
      }
      sn[top] = nextOf(n, sp[top]);
      if (--budget < 0) throw OVER;
      if (emit(n, sc[top])) push(n, emitCtx);
      if (++count === CHECK_EVERY) {
        count = 0;
        if (now() >= deadline) return;
      }
    }
  }

  // Drops the stack down to `base` levels (after a failure), releasing the nodes it held.
  function unwind(base) {
    for (var i = base; i < depth; i++) {
      sp[i] = null;
      sn[i] = null;
    }
    depth = base;
  }

  // Between slices the page may have moved the nodes the walk was about to visit. Levels whose
  // next node is no longer a child of their parent are closed; their parents are listed later.
  function revalidate() {
    for (var i = 0; i < depth; i++) {
      var n = sn[i];
      if (n !== null && !isChildOf(n, sp[i])) {
        for (var j = depth - 1; j >= i; j--) {
          out += '/' + SEP;
          dirtyKids.add(sp[j]);
          sp[j] = null;
        }
        depth = i;
        return;
      }
    }
  }

  // ---- observation ---------------------------------------------------------------------------

  function notify() {
    lastChange = now();
    if (notified || isWalking || !onChange) return;
    notified = true;
    try {
      onChange();
    } catch (e) {
      // the agent's own guard reports it
    }
  }

  function markProp(el, code) {
    var s = dirtyProps.get(el);
    if (s === undefined) dirtyProps.set(el, code);
    else if (s.indexOf(code) < 0) dirtyProps.set(el, s + code);
  }

  function markAttr(el, ns, name) {
    var key = ns ? ns + SEP + name : name;
    var set = dirtyAttrs.get(el);
    if (set === undefined) {
      set = new Set();
      dirtyAttrs.set(el, set);
    }
    set.add(key);
  }

  function selectChanged(sel) {
    markProp(sel, 'v');
    var opts = sel.options;
    if (opts) for (var i = 0; i < opts.length; i++) markProp(opts[i], 'z');
  }

  // Marks the props a form control's change affects; false when `el` is none (the caller
  // notifies).
  function formChanged(el) {
    if (!ids.has(el)) return false;
    var tag = htmlTag(el);
    if (tag === 'input') {
      var type = el.type;
      if (type === 'radio') {
        // Checking one radio unchecks the others of its group without any event.
        // Not getRootNode(), which pages replace (html/monkey-patched-elements.html).
        var scope = el.form;
        if (!scope) for (scope = el; scope.parentNode; ) scope = scope.parentNode;
        var list = scope.querySelectorAll ? scope.querySelectorAll('input') : [];
        for (var i = 0; i < list.length; i++) {
          if (list[i].type === 'radio' && list[i].name === el.name) markProp(list[i], 'k');
        }
        markProp(el, 'k');
      } else if (type === 'checkbox') markProp(el, 'k');
      else markProp(el, 'v');
    } else if (tag === 'textarea') markProp(el, 'v');
    else if (tag === 'select') selectChanged(el);
    else if (tag === 'option') {
      var sel = el.parentNode;
      if (sel && htmlTag(sel) !== 'select') sel = sel.parentNode;
      if (sel && htmlTag(sel) === 'select') selectChanged(sel);
      else markProp(el, 'z');
    } else return false;
    return true;
  }

  // A known node added back without being removed in the same delivery was detached across a
  // delivery, when the observer no longer watches it: what changed meanwhile is unknown. A
  // fresh id makes the agent serialize it whole. (A move within one task removes and adds in
  // the same delivery and keeps its id, unless the move changes the privacy context it was
  // recorded in: into or out of a sensitive or whitelisted subtree, a textarea, a select.)
  // Records are taken in order: only a remove *before* the add counts. A node put back and
  // then moved in one task has its move's remove after its first add, which says nothing
  // about what changed while it was detached. (Within a record, the removes come first:
  // replaceChildren can remove and add the same node.)
  function reidentify(records) {
    var removed = null;
    for (var i = 0; i < records.length; i++) {
      var list = records[i].removedNodes;
      var j;
      if (list) {
        for (j = 0; j < list.length; j++) {
          if (ids.has(list[j])) (removed || (removed = new Set())).add(list[j]);
        }
      }
      list = records[i].addedNodes;
      if (list) {
        for (j = 0; j < list.length; j++) {
          var n = list[j];
          if (!ids.has(n)) continue;
          if (!(removed && removed.has(n)) || ctxMoved(n)) ids.set(n, nextId++);
        }
      }
    }
  }

  function ctxMoved(n) {
    var p = parentOf(n);
    if (p === null) return false;
    ctxMemo = new Map();
    try {
      var c = ctxOf(p);
      return c !== IGNORED && c !== (ctxSeen.get(n) || 0);
    } finally {
      ctxMemo = null;
    }
  }

  function collect(records) {
    if (skipped > 0 || records.length > maxRecords) {
      // A storm: reading it would cost more than the snapshot that will replace it.
      skipped += records.length;
      clearDirty();
      return;
    }
    reidentify(records);
    var readded = shadowInlined.length ? new Set() : null;
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      var t = r.target;
      if (r.type === 'childList') {
        dirtyKids.add(t);
        if (t.nodeType === 1) contentChanged(t);
        if (r.addedNodes && r.addedNodes.length) framesReadded(r.addedNodes);
        if (anyInlined && r.addedNodes) sheetsReadded(r.addedNodes, readded);
      } else if (r.type === 'attributes') {
        markAttr(t, r.attributeNamespace, r.attributeName);
        var tag = htmlTag(t);
        var name = r.attributeName;
        if (name === 'class' && !r.attributeNamespace && t.nodeType === 1) classChanged(t);
        if (tag === 'input' && (name === 'value' || name === 'checked' || name === 'type')) {
          markProp(t, 'v');
          markProp(t, 'k');
          // Masking depends on the type: the value attribute is listed again.
          if (name === 'type' && !r.attributeNamespace) markAttr(t, null, 'value');
        } else if (tag === 'option' && (name === 'selected' || name === 'value' || name === 'label')) formChanged(t);
        else if (tag === 'select' && (name === 'multiple' || name === 'size')) formChanged(t);
        else if (tag === 'link' && !r.attributeNamespace && (name === 'href' || name === 'rel' || name === 'disabled' || name === 'type')) {
          // The sheet may be gone now (a new one is listed when it loads).
          markProp(t, 's');
        }
        if (
          !r.attributeNamespace &&
          (tag === 'input' || tag === 'textarea' || tag === 'select') &&
          (name === 'autocomplete' || name === 'x-autocompletetype' || name === 'name' || name === 'id')
        ) {
          // Whether the field is secret may have changed: its value is listed again.
          formChanged(t);
          markAttr(t, null, 'value');
        }
      } else {
        dirtyText.add(t);
        var p = t.parentNode;
        if (p && p.nodeType === 1) contentChanged(p);
      }
    }
    if (readded && readded.size) shadowSheetsReadded(readded);
  }

  // A frame inserted again (moved, or an ancestor of it moved) holds a new document at once,
  // with no record of the old one going: it is listed now, or the agent would still count
  // the old document in place and drop a node moved out of it inside new content.
  function framesReadded(list) {
    for (var i = 0; i < list.length; i++) {
      var n = list[i];
      if (n.nodeType !== 1 || !ids.has(n)) continue;
      if (isFrame(htmlTag(n))) dirtyKids.add(n);
      else if (n.firstElementChild) {
        framesIn(n.getElementsByTagName('iframe'));
        framesIn(n.getElementsByTagName('frame'));
      }
    }
  }

  function framesIn(els) {
    for (var i = 0; i < els.length; i++) if (ids.has(els[i])) dirtyKids.add(els[i]);
  }

  // A <style> or <link> inserted again (moved) gets a new sheet parsed from its text or
  // fetched again: rules added through the CSSOM are gone.
  // (`readded`, when there are inlined sheets in shadow trees: collects the known elements
  // added, for shadowSheetsReadded.)
  function sheetsReadded(list, readded) {
    for (var i = 0; i < list.length; i++) {
      var n = list[i];
      if (n.nodeType !== 1 || !ids.has(n)) continue;
      var tag = htmlTag(n);
      if (tag === 'style' || tag === 'link') {
        if (inlined.has(n)) markProp(n, 's');
      } else if (n.firstElementChild) {
        readdedIn(n.getElementsByTagName('style'));
        readdedIn(n.getElementsByTagName('link'));
      }
      if (readded) readded.add(n);
    }
  }

  // Moving a shadow host (or an ancestor of it) inserts its shadow tree again too.
  function shadowSheetsReadded(readded) {
    for (var i = 0; i < shadowInlined.length; i++) {
      var el = shadowInlined[i].deref();
      if (el === undefined || !inlined.has(el)) continue;
      for (var a = el.parentNode; a; a = a.nodeType === 11 ? a.host || null : a.parentNode) {
        if (a.nodeType === 11) continue;
        if (readded.has(a)) {
          markProp(el, 's');
          break;
        }
      }
    }
  }

  function readdedIn(els) {
    for (var i = 0; i < els.length; i++) if (inlined.has(els[i])) markProp(els[i], 's');
  }

  // Text inside a <style> re-parses its sheet; inside a <textarea> it may change the value.
  // Inside an <option> (at any depth: its text is its value) or a <select> (options added or
  // removed) it may change the select's value and selection.
  function contentChanged(el) {
    var tag = htmlTag(el);
    if (tag === 'style' && inlined.has(el)) markProp(el, 's');
    else if (tag === 'textarea') markProp(el, 'v');
    else {
      for (var a = el; a && a.nodeType === 1; a = a.parentNode) {
        var at = a === el ? tag : htmlTag(a);
        if (at === 'option' || at === 'select') {
          formChanged(a);
          break;
        }
      }
    }
  }

  function onRecords(records) {
    if (!alive) return;
    delivered++;
    try {
      collect(records);
      notify();
    } catch (e) {
      // never into the page
    }
  }

  function onInput(ev) {
    if (!alive) return;
    try {
      var t = ev.target;
      if (t && t.nodeType === 1 && formChanged(t)) notify();
    } catch (e) {
      // never into the page
    }
  }

  // Capture-phase load: linked stylesheets that finished loading, and frames that navigated.
  function onLoad(ev) {
    if (!alive) return;
    try {
      var t = ev.target;
      if (!t || t.nodeType !== 1 || !ids.has(t)) return;
      var tag = htmlTag(t);
      if (tag === 'link') markProp(t, 's');
      else if (isFrame(tag)) {
        dirtyKids.add(t);
        markProp(t, 'O');
        markProp(t, 'w');
        markProp(t, 'u');
      } else return;
      notify();
    } catch (e) {
      // never into the page
    }
  }

  function onScroll(ev) {
    if (!alive) return;
    try {
      var t = ev.target;
      if (t && t.nodeType === 9) {
        if (t === doc) return; // the viewport: recorded with the page's own scroll
        t = t.scrollingElement;
      }
      if (!t || t.nodeType !== 1) return;
      scrolled.add(t);
      if (!ids.has(t)) return;
      markProp(t, 'o');
      notify();
    } catch (e) {
      // never into the page
    }
  }

  function listen(target, type, fn) {
    target.addEventListener(type, fn, listenOpts);
    if (!aborter) listeners.push([target, type, fn]);
  }

  function observeRoot(root) {
    if (!alive || observed.has(root)) return;
    observed.add(root);
    try {
      mo.observe(root, OBSERVE);
      listenRoot(root);
      if (root.nodeType === 9) patchRealm(root.defaultView);
    } catch (e) {
      // a root we cannot observe is re-read at the next checkout
    }
  }

  function listenRoot(root) {
    // input is composed; change and load do not leave a shadow tree.
    listen(root, 'input', onInput);
    listen(root, 'change', onInput);
    listen(root, 'load', onLoad);
    // A sheet that failed to load (a 404) is there but empty, and fires error, not load.
    listen(root, 'error', onLoad);
    listen(root, 'scroll', onScroll);
  }

  // document.open() erases every listener of the document (ours too); the observer stays.
  function onDocOpen(d) {
    if (!d || d.nodeType !== 9 || !observed || !observed.has(d)) return;
    listenRoot(d);
    // open() gives the document the URL of the caller's.
    var v = d.defaultView;
    var fe = v && v.frameElement;
    if (fe && ids.has(fe)) {
      markProp(fe, 'u');
      notify();
    }
  }

  // ---- patches: CSSOM, shadow roots, adopted sheets, form properties ------------------------

  function sheetChanged(sheet) {
    touched.add(sheet);
    var owner = sheet.ownerNode;
    if (owner) {
      if (ids.has(owner)) {
        markProp(owner, 's');
        notify();
      }
      return;
    }
    // A constructed sheet: the roots that adopted it are listed again.
    var found = false;
    for (var i = 0; i < adoptRoots.length; i++) {
      var r = adoptRoots[i].deref();
      var list = r && r.adoptedStyleSheets;
      if (!list) continue;
      for (var j = 0; j < list.length; j++) {
        if (list[j] === sheet) {
          dirtyAdopted.add(r);
          found = true;
          break;
        }
      }
    }
    if (found) notify();
  }

  function ruleChanged(rule) {
    var sheet = rule.parentStyleSheet;
    if (sheet) sheetChanged(sheet);
  }

  function wrapMethod(obj, key, after) {
    var d = obj && getOwn(obj, key);
    if (!d || typeof d.value !== 'function' || !d.configurable) return;
    var orig = d.value;
    var fn = function () {
      var r = rapply(orig, this, arguments);
      if (alive) {
        try {
          after(this, r);
        } catch (e) {
          // never into the page
        }
      }
      return r;
    };
    define(obj, key, { value: fn, writable: d.writable, enumerable: d.enumerable, configurable: true });
    undo.push([obj, key, d, fn]);
  }

  function onFormSet(el) {
    if (formChanged(el)) notify();
  }

  function wrapSetter(obj, key, after) {
    var d = obj && getOwn(obj, key);
    if (!d || typeof d.set !== 'function' || !d.configurable) return;
    var set = d.set;
    var fn = function (v) {
      rapply(set, this, [v]);
      if (alive) {
        try {
          after(this);
        } catch (e) {
          // never into the page
        }
      }
    };
    define(obj, key, { get: d.get, set: fn, enumerable: d.enumerable, configurable: true });
    undo.push([obj, key, d, fn]);
  }

  function proto(view, name) {
    var C = view[name];
    return C && C.prototype;
  }

  function onSheetCall(sheet) {
    sheetChanged(sheet);
  }

  function onSheetReplace(sheet, promise) {
    if (promise && typeof promise.then === 'function') {
      promise.then(
        function () {
          if (alive) {
            try {
              sheetChanged(sheet);
            } catch (e) {
              // never into the page
            }
          }
        },
        function () {}
      );
    }
  }

  function onRuleCall(rule) {
    ruleChanged(rule);
  }

  // rule.style.setProperty() and the like: only declarations of a rule matter (an element's
  // inline style is an attribute, which the observer sees).
  function onDeclChanged(decl) {
    var rule = decl.parentRule;
    if (rule) ruleChanged(rule);
  }

  function onAttachShadow(host, root) {
    if (root && host.shadowRoot === root && ids.has(host)) {
      dirtyKids.add(host);
      notify();
    }
  }

  function onAdoptedSet(root) {
    if (ids.has(root)) {
      dirtyAdopted.add(root);
      notify();
    }
  }

  // An element's JS wrapper keeps the realm it was created in when the node is adopted into
  // another document: one made in a frame document that came and went between checkouts (or
  // one the reader never observed) calls that realm's attachShadow, which patchRealm never saw.
  // Its Element.prototype is patched on first sight (keyed like a realm, for unpatch()).
  function foreignRealm(el, pr) {
    protoSeen.add(pr);
    var p = pr;
    while (p && !getOwn(p, 'attachShadow')) p = getProto(p);
    if (!p || realmUndo.has(p)) return;
    undo = [];
    realmUndo.set(p, undo);
    prune(realms);
    realms.push(weak(p));
    wrapMethod(p, 'attachShadow', onAttachShadow);
  }

  function patchRealm(view) {
    if (!view) return;
    var sheetProto = proto(view, 'CSSStyleSheet');
    if (!sheetProto || realmUndo.has(sheetProto)) return;
    undo = [];
    realmUndo.set(sheetProto, undo);
    prune(realms);
    realms.push(weak(sheetProto));
    var m = ['insertRule', 'deleteRule', 'addRule', 'removeRule', 'replaceSync'];
    for (var i = 0; i < m.length; i++) wrapMethod(sheetProto, m[i], onSheetCall);
    wrapMethod(sheetProto, 'replace', onSheetReplace);
    var group = proto(view, 'CSSGroupingRule');
    wrapMethod(group, 'insertRule', onRuleCall);
    wrapMethod(group, 'deleteRule', onRuleCall);
    // Nested style rules (CSS nesting) have their own in browsers where CSSStyleRule is not a
    // CSSGroupingRule.
    var styleRule = proto(view, 'CSSStyleRule');
    wrapMethod(styleRule, 'insertRule', onRuleCall);
    wrapMethod(styleRule, 'deleteRule', onRuleCall);
    wrapSetter(styleRule, 'selectorText', onRuleCall);
    var decl = proto(view, 'CSSStyleDeclaration');
    wrapMethod(decl, 'setProperty', onDeclChanged);
    wrapMethod(decl, 'removeProperty', onDeclChanged);
    wrapSetter(decl, 'cssText', onDeclChanged);
    var elProto = proto(view, 'Element');
    if (elProto && !realmUndo.has(elProto)) {
      // (its own key too: foreignRealm() must not wrap it twice)
      realmUndo.set(elProto, undo);
      realms.push(weak(elProto));
      wrapMethod(elProto, 'attachShadow', onAttachShadow);
    }
    wrapMethod(proto(view, 'Document'), 'open', onDocOpen);
    wrapSetter(proto(view, 'Document'), 'adoptedStyleSheets', onAdoptedSet);
    wrapSetter(proto(view, 'ShadowRoot'), 'adoptedStyleSheets', onAdoptedSet);
    // Values set by script fire no event.
    var input = proto(view, 'HTMLInputElement');
    wrapSetter(input, 'value', onFormSet);
    wrapSetter(input, 'checked', onFormSet);
    wrapSetter(proto(view, 'HTMLTextAreaElement'), 'value', onFormSet);
    var select = proto(view, 'HTMLSelectElement');
    wrapSetter(select, 'value', onFormSet);
    wrapSetter(select, 'selectedIndex', onFormSet);
    wrapSetter(proto(view, 'HTMLOptionElement'), 'selected', onFormSet);
  }

  function unpatch() {
    for (var r = 0; r < realms.length; r++) {
      var key = realms[r].deref();
      var list = key && realmUndo && realmUndo.get(key);
      if (!list) continue;
      for (var i = list.length - 1; i >= 0; i--) {
        var u = list[i];
        try {
          var cur = getOwn(u[0], u[1]);
          // Someone patched over us: leave their function in place; ours is inert now.
          if (cur && (cur.value === u[3] || cur.set === u[3])) define(u[0], u[1], u[2]);
        } catch (e) {
          // keep going
        }
      }
    }
    realms = [];
    realmUndo = null;
    undo = null;
  }

  // ---- listing -------------------------------------------------------------------------------

  function attrItem(el, id, key, ctx, rule) {
    var k = key.indexOf(SEP);
    if (k < 0) {
      var v = el.getAttributeNS(null, key);
      if (v === null) out += 'a' + SEP + id + SEP + key + SEP;
      else out += 'A' + SEP + id + SEP + key + SEP + readAttr(el, key, v, ctx, rule) + SEP;
      return;
    }
    var ns = key.slice(0, k);
    var local = key.slice(k + 1);
    var node = el.getAttributeNodeNS(ns, local);
    if (node) {
      out += 'A' + SEP + id + SEP + node.name + SEP + readAttr(el, node.name, node.value, ctx, rule) + SEP;
      return;
    }
    var name = local;
    if (ns === XLINK_NS) name = 'xlink:' + local;
    else if (ns === XML_NS) name = 'xml:' + local;
    else if (ns === XMLNS_NS && local !== 'xmlns') name = 'xmlns:' + local;
    out += 'a' + SEP + id + SEP + name + SEP;
  }

  function listChildren(p, id) {
    var body = '';
    var n = 0;
    for (var c = firstChildOf(p); c !== null; c = nextOf(c, p)) {
      var cid = idOf(c);
      batch.set(cid, c);
      body += cid + SEP;
      n++;
      if ((n & 1023) === 0 && out.length + body.length > maxListing) {
        overBy = out.length + body.length;
        overKind = 'l';
        throw OVER;
      }
    }
    out += 'C' + SEP + id + SEP + n + SEP + body;
    overLimit();
  }

  function overLimit() {
    if (out.length > maxListing) {
      overBy = out.length;
      overKind = 'l';
      throw OVER;
    }
  }

  function takeListing(max) {
    notified = false;
    batch.clear();
    out = '';
    overBy = 0;
    overKind = '';
    maxListing = max > 0 ? max : Infinity;
    try {
      if (skipped > 0) {
        overBy = skipped;
        overKind = 'r';
        skipped = 0;
        if (mo) mo.takeRecords();
        throw OVER;
      }
      // Nodes given an id from here on are new to the agent: it asks for them whole, so their
      // attributes, text and props are not listed (a giant sheet would be read twice).
      var fresh = nextId;
      if (mo) collect(mo.takeRecords());
      // Nothing inside an ignored element is listed; every value passes the privacy rules.
      ctxMemo = new Map();
      // Only parents known before this listing: a parent first placed by it is serialized whole.
      var parents = [];
      dirtyKids.forEach(function (p) {
        var id = ids.get(p);
        if (id !== undefined && live(p) && ctxOf(p) !== IGNORED) parents.push(p, id);
      });
      dirtyKids.clear();
      for (var i = 0; i < parents.length; i += 2) {
        // A frame listed again may hold a new document: its URL (the base of its relative
        // URLs) goes with it, not at its load event.
        if (parents[i].nodeType === 1 && isFrame(htmlTag(parents[i]))) markProp(parents[i], 'u');
        listChildren(parents[i], parents[i + 1]);
      }
      dirtyAttrs.forEach(function (keys, el) {
        var id = ids.get(el);
        if (id === undefined || id >= fresh || !live(el)) return;
        var ectx = ownCtx(el);
        if (ectx === IGNORED) return;
        var rule = formRule(el, htmlTag(el), ectx);
        keys.forEach(function (key) {
          attrItem(el, id, key, ectx, rule);
        });
        overLimit();
      });
      dirtyAttrs.clear();
      dirtyText.forEach(function (n) {
        var id = ids.get(n);
        if (id === undefined || id >= fresh || !live(n)) return;
        var p = parentOf(n);
        var pc = p === null ? 0 : ctxOf(p);
        if (pc !== IGNORED) out += 'T' + SEP + id + SEP + textOf(textRule(pc), n.data) + SEP;
        overLimit();
      });
      dirtyText.clear();
      dirtyProps.forEach(function (codes, el) {
        var id = ids.get(el);
        if (id === undefined || id >= fresh || !live(el)) return;
        var p = parentOf(el);
        var pc = p === null ? 0 : ctxOf(p);
        if (pc === IGNORED) return;
        var ectx = elementCtx(pc, flagsOf(el));
        if (ectx === IGNORED) return;
        var tag = htmlTag(el);
        var wasSecret = secretSeen.has(el);
        var rule = formRule(el, tag, ectx);
        for (var j = 0; j < codes.length; j++) {
          var c = codes[j];
          var v = propValue(el, tag, c, pc, rule);
          if (v !== null) out += 'P' + SEP + id + SEP + c + SEP + v + SEP;
          // A prop the element may lose (a link without a sheet, a frame no longer opaque or
          // no longer same-origin): cleared; the agent drops clears of props it never had.
          else if (c === 's' || c === 'O' || c === 'w' || c === 'u') out += 'P' + SEP + id + SEP + 'X' + SEP + c + SEP;
        }
        // Became secret just now: its value attribute (a default value) goes too.
        if (!wasSecret && secretSeen.has(el) && el.hasAttribute('value')) out += 'A' + SEP + id + SEP + 'value' + SEP + SEP;
      });
      dirtyProps.clear();
    } catch (e) {
      // The agent cannot know what is missing: it takes a new snapshot (over() tells a cap
      // from a failure).
      ctxMemo = null;
      clearDirty();
      batch.clear();
      out = '';
      maxListing = Infinity;
      if (e !== OVER) overKind = '';
      return null;
    }
    ctxMemo = null;
    maxListing = Infinity;
    var s = out;
    out = '';
    return s;
  }

  function serialize(list, max) {
    out = '';
    overKind = '';
    var base = depth;
    var cap = max > 0 ? max : Infinity;
    budget = cap;
    try {
      for (var i = 0; i < list.length; i++) {
        var n = batch.get(list[i]);
        if (n === undefined) continue;
        if (--budget < 0) throw OVER;
        ctxMemo = new Map();
        var p = parentOf(n);
        var pc = p === null ? 0 : ctxOf(p);
        ctxMemo = null;
        if (pc === IGNORED) continue;
        if (emit(n, pc)) {
          push(n, emitCtx);
          run(base, Infinity);
        }
      }
    } catch (e) {
      ctxMemo = null;
      unwind(base);
      out = '';
      batch.clear();
      if (e === OVER) {
        overBy = cap - budget;
        overKind = 'n';
      }
      budget = Infinity;
      return null;
    }
    budget = Infinity;
    batch.clear();
    var s = out;
    out = '';
    return s;
  }

  function takeAdopted() {
    if (dirtyAdopted.size === 0) return null;
    var s = '';
    try {
      dirtyAdopted.forEach(function (root) {
        var id = ids.get(root);
        if (id === undefined || !live(root) || ctxOf(root) === IGNORED) return;
        var list = root.adoptedStyleSheets || [];
        var body = '';
        var n = 0;
        trackAdopted(root);
        for (var i = 0; i < list.length; i++) {
          var css = sheetText(list[i]);
          if (css === null) continue;
          body += clean(css) + SEP;
          n++;
        }
        s += id + SEP + n + SEP + body;
      });
    } catch (e) {
      // partial: the next checkout carries the rest
    }
    dirtyAdopted.clear();
    return s === '' ? null : s;
  }

  // ---- snapshot ------------------------------------------------------------------------------

  function clearDirty() {
    dirtyKids.clear();
    dirtyAttrs.clear();
    dirtyText.clear();
    dirtyProps.clear();
    dirtyAdopted.clear();
  }

  function snapshotStart() {
    if (!alive) return false;
    try {
      if (mo) mo.takeRecords();
    } catch (e) {
      // nothing pending then
    }
    clearDirty();
    skipped = 0;
    unwind(0);
    batch.clear();
    scrollRoot = doc.scrollingElement;
    isWalking = true;
    rootPending = true;
    return true;
  }

  function snapshotSlice(budgetMs) {
    if (!isWalking) return null;
    out = '';
    try {
      var deadline = now() + (budgetMs > 0 ? budgetMs : 0);
      if (rootPending) {
        rootPending = false;
        emit(doc, 0);
        push(doc, emitCtx);
      } else revalidate();
      run(0, deadline);
    } catch (e) {
      isWalking = false;
      unwind(0);
      out = '';
      return null;
    }
    if (depth === 0) {
      isWalking = false;
      scanScroll = false;
    }
    var s = out;
    out = '';
    return s;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  function isNative(f) {
    try {
      return typeof f === 'function' && /\[native code\]\s*\}\s*$/.test(win.Function.prototype.toString.call(f));
    } catch (e) {
      return false;
    }
  }

  // The global `name` of a fresh about:blank frame, when the page's own is not native (or
  // missing); the page's otherwise, and when no frame can be made.
  function untainted(name, own) {
    if (isNative(own)) return own;
    var f = null;
    var found = own;
    try {
      f = doc.createElement('iframe');
      f.setAttribute('aria-hidden', 'true');
      f.style.display = 'none';
      (doc.body || doc.documentElement).appendChild(f);
      var w = f.contentWindow;
      var c = w && w[name];
      if (typeof c === 'function') found = c;
    } catch (e) {
      // the page's then
    }
    try {
      if (f && f.parentNode) f.parentNode.removeChild(f);
    } catch (e) {
      // left in place
    }
    return found;
  }

  function newObserver() {
    try {
      return new MO(onRecords);
    } catch (e) {
      // A replaced constructor that throws: a native one from a fresh frame.
      var N = untainted('MutationObserver', null);
      if (typeof N !== 'function' || N === MO) throw e;
      MO = N;
      return new MO(onRecords);
    }
  }

  function start(cb) {
    if (alive) return true;
    try {
      if (!doc) return false;
      if (!isNative(MO) && !win.__zone_symbol__MutationObserver) MO = untainted('MutationObserver', MO);
      if (typeof MO !== 'function') return false;
      onChange = typeof cb === 'function' ? cb : null;
      notified = false;
      scanScroll = true;
      observed = new WeakSet();
      realmUndo = new WeakMap();
      protoSeen = new WeakSet();
      clearDirty();
      skipped = 0;
      if (typeof win.AbortController === 'function') {
        aborter = new win.AbortController();
        listenOpts = { capture: true, passive: true, signal: aborter.signal };
      } else {
        aborter = null;
        listenOpts = true;
      }
      mo = newObserver();
      alive = true;
      observeRoot(doc);
      return true;
    } catch (e) {
      disconnect();
      return false;
    }
  }

  function disconnect() {
    alive = false;
    isWalking = false;
    onChange = null;
    try {
      if (mo) mo.disconnect();
    } catch (e) {
      // gone already
    }
    mo = null;
    try {
      if (aborter) aborter.abort();
      for (var i = 0; i < listeners.length; i++) {
        var l = listeners[i];
        l[0].removeEventListener(l[1], l[2], true);
      }
    } catch (e) {
      // inert anyway: every handler checks `alive`
    }
    aborter = null;
    listeners = [];
    unpatch();
    clearDirty();
    batch.clear();
    depth = 0;
    sp.length = 0;
    sn.length = 0;
  }

  // Site settings; applies to what is read from now on (the agent calls it before a snapshot).
  function configure(opts) {
    if (!opts || typeof opts !== 'object') return;
    censorInputs = opts.censorInputs !== false;
    var list = opts.denyParams;
    deny = denyList(list && typeof list.length === 'number' ? Array.prototype.slice.call(list) : []);
  }

  function setLimits(a, t, c, r, m) {
    maxAttr = a > 0 ? a : Infinity;
    maxText = t > 0 ? t : Infinity;
    maxCss = c > 0 ? c : Infinity;
    maxRecords = r > 0 ? r : Infinity;
    maxCssMs = m > 0 ? m : Infinity;
  }

  function takeCapped() {
    if (capA + capT + capS === 0) return null;
    var s = capA + ' ' + capAMax + ' ' + capT + ' ' + capTMax + ' ' + capS + ' ' + capSMax;
    capA = capAMax = capT = capTMax = capS = capSMax = 0;
    return s;
  }

  function guarded(fn, fallback) {
    return function (a, b, c, d, e) {
      try {
        return fn(a, b, c, d, e);
      } catch (e) {
        return fallback;
      }
    };
  }

  return {
    start: guarded(start, false),
    snapshotStart: guarded(snapshotStart, false),
    snapshotSlice: guarded(snapshotSlice, null),
    walking: function () {
      return isWalking;
    },
    takeListing: guarded(takeListing, null),
    serialize: guarded(serialize, null),
    takeAdopted: guarded(takeAdopted, null),
    setLimits: guarded(setLimits, undefined),
    over: function () {
      return overKind === '' ? '' : overKind + ' ' + overBy;
    },
    deliveries: function () {
      return delivered;
    },
    quietMs: function () {
      return now() - lastChange;
    },
    takeCapped: guarded(takeCapped, null),
    disconnect: guarded(disconnect, undefined),
    readValue: guarded(readValue, ''),
    // Inside an ignored element: the id of its placeholder (what the recording shows).
    idOf: function (n) {
      if (!n || typeof n !== 'object') return 0;
      if (ignoreSeen) {
        try {
          var ph = placeholderOf(n);
          if (ph !== null) n = ph;
        } catch (e) {
          return 0;
        }
      }
      var id = ids.get(n);
      return id === undefined ? 0 : id;
    },
    configure: guarded(configure, undefined),
    ignored: guarded(function (n) {
      return !!n && typeof n === 'object' && placeholderOf(n) !== null;
    }, true),
    rules: {
      classFlags: classFlags,
      elementCtx: elementCtx,
      childrenCtx: childrenCtx,
      textRule: textRule,
      mask: mask,
      inputType: inputType,
      censorable: censorable,
      words: words,
      secretName: secretName,
      isSecretField: isSecretField,
      valueRule: valueRule,
      fieldValue: function (rule, v) {
        var r = fieldValue(rule, v);
        return [r, cardSeen];
      },
      attrRule: attrRule,
      attrValue: function (treat, name, v, field, list) {
        var saved = deny;
        deny = list;
        try {
          var r = attrValue(treat, name, v, field);
          return [r, cardSeen];
        } finally {
          deny = saved;
        }
      },
      optionSelected: optionSelected,
      looksLikeCard: looksLikeCard,
      paramDenied: paramDenied,
      redactUrl: redactUrl,
      denyList: denyList,
    },
    lastMasked: function () {
      return masked;
    },
  };
}
