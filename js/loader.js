// insp loader: loads the wasm agent and hands it its configuration (with the `wrap` guard).
// Nothing else lives here.
//
// scripts/build-dist.sh wraps this file, after the wasm-bindgen "no-modules" glue, the DOM
// reader and the page hooks, in
//   (function(){ "use strict"; <glue>; <js/reader.mjs without `export`>;
//                <js/hooks.mjs without `export`>; <this file> })();
// so `wasm_bindgen` below is the glue's local binding, and `return` leaves the IIFE.
// Every `var` here is hoisted into that same IIFE: never name one after a global the glue may
// read (self, window, location, document, URL, fetch, ...).
// It runs as a classic script, usually injected async by the Inspectlet snippet.
//
// Rules: never throw into the page, never leave a rejected promise unhandled, at most one
// console warning per page load, and never retry in this tab once the browser has shown that
// it cannot (or may not) compile WebAssembly here.

var win = window;
if (win.__inspAgent) return;
// A same-origin frame of a page that records already (the site's own pages framed, or a frame
// pointed at `#x` of its parent): the parent's recorder records this document as part of its
// tree, and a second agent would add a page load of its own that takes over the replay.
try {
  for (var up = win; up !== up.parent; ) {
    up = up.parent;
    if (up.__inspAgent) return;
  }
} catch (e) {
  // A cross-origin ancestor: this frame is not part of its recording; record on our own.
}
var agent = { state: 'loading' };
win.__inspAgent = agent;

var NOWASM_KEY = '__insp_nowasm';
var WARN_PREFIX = 'insp: recording disabled: ';

function noWasmFlag() {
  try {
    return win.sessionStorage.getItem(NOWASM_KEY);
  } catch (e) {
    return null;
  }
}

function setNoWasmFlag() {
  try {
    win.sessionStorage.setItem(NOWASM_KEY, '1');
  } catch (e) {
    // storage disabled or full: we will warn again on the next page load; that is all.
  }
}

var warned = false;
function disable(reason, permanent) {
  agent.state = 'disabled';
  if (permanent) setNoWasmFlag();
  if (warned) return;
  warned = true;
  try {
    console.warn(WARN_PREFIX + reason);
  } catch (e) {
    // no console: nothing else to do
  }
}

function describe(e) {
  if (e && typeof e === 'object') {
    var name = '';
    var message = '';
    try {
      name = String(e.name || '');
      message = String(e.message || '');
    } catch (e2) {
      // a hostile getter; fall through to the generic text
    }
    if (name || message) return name && message ? name + ': ' + message : name || message;
  }
  try {
    return String(e);
  } catch (e3) {
    return 'unknown error';
  }
}

// A compile failure, or a refusal by Content-Security-Policy, will happen again on every page
// load of this tab: remember it. A network failure may not: do not.
function isPermanent(e, violations) {
  if (violations.length) return true;
  if (typeof WebAssembly === 'object') {
    if (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError) return true;
  }
  if (typeof EvalError === 'function' && e instanceof EvalError) return true;
  var text = describe(e);
  return /Content.Security.Policy|\bCSP\b|unsafe-eval|wasm-eval/i.test(text);
}

function violationReason(v) {
  var directive = v.effectiveDirective || v.violatedDirective || 'script-src';
  var blocked = v.blockedURI || '';
  if (blocked === 'wasm-eval' || /wasm/.test(directive)) {
    return "Content-Security-Policy does not allow WebAssembly (script-src needs 'wasm-unsafe-eval')";
  }
  return 'Content-Security-Policy (' + directive + ') blocks ' + (blocked || 'the agent');
}

// The guard around every entry point from JavaScript into the agent (queue push, timers,
// listeners, promise callbacks): the agent passes each function through `wrap`. After the
// first exception (a trap in wasm, a throw from an import), the agent is stopped, every
// wrapped function becomes a no-op, and the page never sees the exception.
var dead = false;
var instantiated = false;

function shutdown() {
  if (dead) return;
  dead = true;
  if (!instantiated) return;
  try {
    if (typeof wasm_bindgen.stop === 'function') wasm_bindgen.stop();
  } catch (e) {
    // the instance may be unusable after a trap; wrapped functions are inert anyway
  }
}

function wrap(fn) {
  return function () {
    if (dead) return undefined;
    try {
      return fn.apply(this, arguments);
    } catch (e) {
      shutdown();
      disable('the agent stopped after an error: ' + describe(e), false);
      return undefined;
    }
  };
}

// The DOM reader (js/reader.mjs, concatenated before this file by build-dist.sh), or null:
// without one the agent still records everything but the DOM.
function makeReader() {
  try {
    return typeof createReader === 'function' ? createReader(win) || null : null;
  } catch (e) {
    return null;
  }
}

// The page hooks (js/hooks.mjs, concatenated before this file by build-dist.sh), or null:
// without them there is no History, network or dataLayer recording.
function makeHooks() {
  try {
    return typeof createHooks === 'function' ? createHooks(win) || null : null;
  } catch (e) {
    return null;
  }
}

if (noWasmFlag()) {
  // An earlier page load of this tab already warned.
  agent.state = 'disabled';
  return;
}
if (typeof WebAssembly !== 'object' || WebAssembly === null) {
  disable('WebAssembly is not available in this browser', true);
  return;
}

try {
  var me = document.currentScript || document.getElementById('inspsync');
  var src = me && me.src;
  if (!src) throw new Error('cannot find the URL of the insp script');
  var url = new URL(src, win.location.href);
  var base = url.origin;
  var widParam = url.searchParams.get('wid');
  var wid = widParam && /^\d{1,15}$/.test(widParam) ? Number(widParam) : null;

  // Content-Security-Policy refusals are reported as events, not as distinct error types.
  // Watch for those concerning us while loading.
  var violations = [];
  var onViolation = function (ev) {
    try {
      var blocked = String(ev.blockedURI || '');
      var directive = String(ev.effectiveDirective || ev.violatedDirective || '');
      if (blocked === 'wasm-eval' || /wasm/.test(directive) || blocked.indexOf(base) === 0) {
        violations.push({ blockedURI: blocked, effectiveDirective: directive });
      }
    } catch (e) {
      // ignore
    }
  };
  try {
    document.addEventListener('securitypolicyviolation', onViolation);
  } catch (e) {
    // old browser: classification falls back to the error type
  }
  var stopWatching = function () {
    try {
      document.removeEventListener('securitypolicyviolation', onViolation);
    } catch (e) {
      // ignore
    }
  };

  Promise.resolve()
    .then(function () {
      return wasm_bindgen({ module_or_path: base + '/insp.wasm' });
    })
    .then(function () {
      instantiated = true;
      if (typeof wasm_bindgen.start !== 'function') throw new Error('this insp.wasm has no start()');
      return wasm_bindgen.start({ collector: base, wid: wid, wrap: wrap, reader: makeReader(), hooks: makeHooks() });
    })
    .then(
      function () {
        stopWatching();
        if (!dead) agent.state = 'running';
      },
      function (e) {
        shutdown();
        // A violation event is queued as a task and may arrive just after the rejection.
        setTimeout(function () {
          stopWatching();
          var permanent = isPermanent(e, violations);
          disable(violations.length ? violationReason(violations[0]) : describe(e), permanent);
        }, 0);
      }
    )
    .then(null, function () {
      // Only reachable if the console itself throws; never leave a rejection unhandled.
    });
} catch (e) {
  disable(describe(e), false);
}
