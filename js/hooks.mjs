// insp page hooks: the wrappers the agent puts around page APIs it cannot observe with events
// (History API, fetch, XMLHttpRequest, window.dataLayer). Only JavaScript can wrap a function
// so that `this`, arguments, return value and exceptions pass through untouched, so these live
// here; src/browser/hooks.rs and src/browser/navigation.rs drive them.
//
// scripts/build-dist.sh strips the `export` keyword below and concatenates this file into the
// shipped classic script (like js/reader.mjs); wasm-bindgen tests import it as a module. So:
// exactly one top-level declaration, no other top-level code.
//
// Rules for wrappers: call the function that was there with `Reflect.apply(orig, this,
// arguments)`, return its result, let its exceptions through, and only then notify the agent,
// inside try/catch (never throw into the page). Teardown restores a wrapped property only
// while it still holds our wrapper; when someone wrapped over it, ours stays and goes inert
// (it only calls what it wrapped).
//
// API (used by the agent):
//   history(onNav)      wrap History.prototype.pushState/replaceState; after the original
//                       returned, onNav(0) for push, onNav(1) for replace. false if unavailable.
//   network(onRequest)  wrap window.fetch and XMLHttpRequest.prototype.open/send; when a request
//                       ends, onRequest(isFetch, method, url, status, durationMs, requestBytes,
//                       responseBytes) (absolute URL; status 0 when it failed; sizes from
//                       Content-Length or a body whose size is cheap to know, else 0; bodies
//                       are never read). fetch returns the original promise's `then`, so the
//                       page sees the same response or rejection (and an unhandled rejection
//                       stays unhandled).
//   dataLayer(onEntry)  watch window.dataLayer: wraps its `push` (whatever push is there, a Tag
//                       Manager's included) so that onEntry(entry) is called for each pushed
//                       entry after the push it wraps returned. Returns the entries already in
//                       the array when it starts watching one (the first call that finds it, or
//                       after the page replaced it), else null. Cheap: called on every tick.
//   unhook(name)        undo one group: "history", "network" or "dataLayer"
//   disconnect()        undo everything
export function createHooks(win) {
  var rapply = win.Reflect.apply;
  var getOwn = win.Object.getOwnPropertyDescriptor;
  var define = win.Object.defineProperty;
  var perf = win.performance;
  var alive = true;

  // group name -> undo list of [object, key, original own descriptor or null, ours]
  var undo = { history: [], network: [], dataLayer: [] };
  var on = { history: null, network: null, dataLayer: null };

  function now() {
    return perf ? perf.now() : Date.now();
  }

  // Replaces obj[key] (a function) by make(original); `own`: an own property to wrap even when
  // it is inherited (dataLayer.push). Returns true when wrapped.
  function wrap(group, obj, key, make) {
    var d = getOwn(obj, key);
    var orig = d ? d.value : obj[key];
    if (typeof orig !== 'function' || (d && (!d.configurable && !d.writable))) return false;
    var fn = make(orig);
    // Same `length` and `name` as the function wrapped.
    try {
      define(fn, 'length', { value: orig.length, configurable: true });
      define(fn, 'name', { value: orig.name, configurable: true });
    } catch (e) {
      // cosmetic only
    }
    if (d && !d.configurable) obj[key] = fn;
    else
      define(obj, key, {
        value: fn,
        writable: true,
        enumerable: d ? d.enumerable : false,
        configurable: true,
      });
    undo[group].push([obj, key, d || null, fn]);
    return true;
  }

  function unhook(group) {
    var list = undo[group];
    if (!list) return;
    for (var i = list.length - 1; i >= 0; i--) {
      var u = list[i];
      try {
        var cur = getOwn(u[0], u[1]);
        if (!cur || cur.value !== u[3]) continue; // wrapped over: ours stays, inert
        if (u[2] === null) delete u[0][u[1]];
        else if (u[2].configurable) define(u[0], u[1], u[2]);
        else u[0][u[1]] = u[2].value;
      } catch (e) {
        // keep going
      }
    }
    undo[group] = [];
    on[group] = null;
    if (group === 'dataLayer') dl = null;
  }

  function notify(group, args) {
    var cb = alive ? on[group] : null;
    if (!cb) return;
    try {
      rapply(cb, undefined, args);
    } catch (e) {
      // never into the page
    }
  }

  // ---- History API -----------------------------------------------------------------------------

  function history(onNav) {
    if (!alive || typeof onNav !== 'function') return false;
    if (on.history) {
      on.history = onNav;
      return true;
    }
    var H = win.History;
    var proto = H && H.prototype;
    if (!proto) return false;
    var kinds = ['pushState', 'replaceState'];
    var ok = false;
    for (var i = 0; i < kinds.length; i++) {
      ok =
        wrap('history', proto, kinds[i], (function (kind) {
          return function (orig) {
            return function () {
              var r = rapply(orig, this, arguments);
              if (on.history) notify('history', [kind]);
              return r;
            };
          };
        })(i)) || ok;
    }
    if (ok) on.history = onNav;
    return ok;
  }

  // ---- network ---------------------------------------------------------------------------------

  function absolute(u) {
    try {
      return new win.URL(String(u), win.location.href).href;
    } catch (e) {
      try {
        return String(u);
      } catch (e2) {
        return '';
      }
    }
  }

  // UTF-8 length of a string, counted up to 64 KiB; longer strings count their length.
  function utf8Length(s) {
    var n = s.length;
    if (n > 65536) return n;
    var b = n;
    for (var i = 0; i < n; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0x80) {
        b += c >= 0x800 ? 2 : 1;
        if (c >= 0xd800 && c <= 0xdbff) i++; // a surrogate pair is 4 bytes: 2 + 2
      }
    }
    return b;
  }

  function bodySize(b) {
    if (b === null || b === undefined) return 0;
    if (typeof b === 'string') return utf8Length(b);
    if (typeof b !== 'object') return 0;
    if (typeof b.byteLength === 'number') return b.byteLength; // ArrayBuffer and views
    if (typeof b.size === 'number' && typeof b.slice === 'function') return b.size; // Blob
    if (win.URLSearchParams && b instanceof win.URLSearchParams) return utf8Length(String(b));
    return 0; // FormData, streams: not cheap
  }

  function lengthHeader(v) {
    var n = v ? parseInt(v, 10) : NaN;
    return n >= 0 ? n : 0;
  }

  function describeFetch(input, init) {
    var method = 'GET';
    var url = '';
    var req = 0;
    if (input && typeof input === 'object' && typeof input.url === 'string') {
      url = input.url;
      if (typeof input.method === 'string') method = input.method;
    } else url = absolute(input);
    if (init && typeof init === 'object') {
      if (init.method) method = String(init.method);
      req = bodySize(init.body);
    }
    return { method: method.toUpperCase(), url: url, req: req };
  }

  function fetchDone(info, t0, res) {
    var status = 0;
    var size = 0;
    if (res) {
      status = res.status | 0;
      try {
        size = lengthHeader(res.headers.get('content-length'));
      } catch (e) {
        size = 0;
      }
    }
    notify('network', [true, info.method, info.url, status, Math.round(now() - t0), info.req, size]);
  }

  var xhrs = null; // WeakMap xhr -> {method, url, t0, req}
  var xhrListening = null; // WeakSet of xhrs with our loadend listener

  function xhrSize(x) {
    var n = 0;
    try {
      n = lengthHeader(x.getResponseHeader('content-length'));
      if (n) return n;
      var t = x.responseType;
      if (t === '' || t === 'text') return utf8Length(x.responseText || '');
      var r = x.response;
      if (r && typeof r.byteLength === 'number') return r.byteLength;
      if (r && typeof r.size === 'number') return r.size;
    } catch (e) {
      // not readable in this state
    }
    return n;
  }

  function onLoadEnd() {
    var info = xhrs && xhrs.get(this);
    if (!info || !info.t0) return;
    var t0 = info.t0;
    info.t0 = 0;
    var status = 0;
    try {
      status = this.status | 0;
    } catch (e) {
      status = 0;
    }
    notify('network', [false, info.method, info.url, status, Math.round(now() - t0), info.req, xhrSize(this)]);
  }

  function network(onRequest) {
    if (!alive || typeof onRequest !== 'function') return false;
    if (on.network) {
      on.network = onRequest;
      return true;
    }
    on.network = onRequest;
    var ok = false;
    if (typeof win.fetch === 'function') {
      ok =
        wrap('network', win, 'fetch', function (orig) {
          return function fetch() {
            var t0 = now();
            var p = rapply(orig, this, arguments);
            if (!on.network || !p || typeof p.then !== 'function') return p;
            try {
              var info = describeFetch(arguments[0], arguments[1]);
              return p.then(
                function (res) {
                  fetchDone(info, t0, res);
                  return res;
                },
                function (err) {
                  fetchDone(info, t0, null);
                  throw err;
                }
              );
            } catch (e) {
              return p;
            }
          };
        }) || ok;
    }
    var X = win.XMLHttpRequest;
    var xp = X && X.prototype;
    if (xp && typeof win.WeakMap === 'function') {
      xhrs = new win.WeakMap();
      xhrListening = new win.WeakSet();
      ok =
        wrap('network', xp, 'open', function (orig) {
          return function open() {
            var r = rapply(orig, this, arguments);
            if (on.network) {
              try {
                xhrs.set(this, { method: String(arguments[0]).toUpperCase(), url: absolute(arguments[1]), t0: 0, req: 0 });
              } catch (e) {
                // not recorded
              }
            }
            return r;
          };
        }) || ok;
      wrap('network', xp, 'send', function (orig) {
        return function send() {
          var info = on.network && xhrs.get(this);
          if (info) {
            try {
              info.t0 = now();
              info.req = bodySize(arguments[0]);
              if (!xhrListening.has(this)) {
                xhrListening.add(this);
                this.addEventListener('loadend', onLoadEnd);
              }
            } catch (e) {
              // not recorded
            }
          }
          return rapply(orig, this, arguments);
        };
      });
    }
    if (!ok) on.network = null;
    return ok;
  }

  // ---- window.dataLayer ------------------------------------------------------------------------

  var dl = null; // the array being watched

  function dataLayer(onEntry) {
    if (!alive || typeof onEntry !== 'function') return null;
    on.dataLayer = onEntry;
    var cur = win.dataLayer;
    if (cur === dl) return null;
    unhook('dataLayer');
    on.dataLayer = onEntry;
    if (!cur || typeof cur !== 'object' || typeof cur.push !== 'function') return null;
    var arr = cur;
    var hooked = wrap('dataLayer', arr, 'push', function (orig) {
      return function push() {
        var r = rapply(orig, this, arguments);
        if (dl === arr && on.dataLayer) {
          for (var i = 0; i < arguments.length; i++) notify('dataLayer', [arguments[i]]);
        }
        return r;
      };
    });
    if (!hooked) return null;
    dl = arr;
    var existing = [];
    var n = arr.length >>> 0;
    for (var i = 0; i < n && i < 10000; i++) existing.push(arr[i]);
    return existing;
  }

  function disconnect() {
    alive = false;
    unhook('history');
    unhook('network');
    unhook('dataLayer');
  }

  function guarded(fn, fallback) {
    return function (a) {
      try {
        return fn(a);
      } catch (e) {
        return fallback;
      }
    };
  }

  return {
    history: guarded(history, false),
    network: guarded(network, false),
    dataLayer: guarded(dataLayer, null),
    unhook: guarded(unhook, undefined),
    disconnect: guarded(disconnect, undefined),
  };
}
