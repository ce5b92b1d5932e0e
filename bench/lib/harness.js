// In-page instrumentation of the bench, loaded synchronously as the first script of every test
// page (baseline, insp and rrweb alike). Everything is on window.__bench.
//   - long tasks (PerformanceObserver 'longtask', registered before anything else runs)
//   - a passive wrapper around window.fetch that notes every request to the sink (time, body
//     size, outcome): both recorders send through it, so a refused request (for example a
//     keepalive body over the browser's 64 KiB limit) shows up as an error instead of silence
//   - the recorder starters (insp through its real snippet path, rrweb through its UMD bundle)
//   - the requestAnimationFrame gap meter, the mutation storm and the TreeWalker floor
(function () {
  'use strict';
  var B = (window.__bench = { longtasks: [], sends: [], failed: [], rr: null, errors: [] });

  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        B.longtasks.push([e.startTime, e.duration]);
      });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    B.errors.push('longtask observer: ' + e);
  }

  window.addEventListener('error', function (e) {
    B.errors.push(String(e.message || e));
  });

  var origFetch = window.fetch;
  window.fetch = function (input, init) {
    var url = String((input && input.url) || input);
    var rec = null;
    if (/\/i\/v1/.test(url)) {
      var body = init && init.body;
      var size = body == null ? 0 : typeof body === 'string' ? body.length : body.byteLength != null ? body.byteLength : body.size != null ? body.size : -1;
      rec = { t: performance.now(), url: url, size: size, keepalive: !!(init && init.keepalive), status: null };
      B.sends.push(rec);
    }
    var p = origFetch.apply(this, arguments);
    if (rec) {
      // The body is kept only if the browser refuses the request, so the bench can still
      // decode what the recorder tried to send.
      var kept = init && init.body;
      p.then(
        function (r) {
          rec.status = r.status;
          rec.t1 = performance.now();
        },
        function (e) {
          rec.status = 'error: ' + e;
          rec.t1 = performance.now();
          B.failed.push({ url: url, body: kept });
        },
      );
    }
    return p;
  };

  // WebAssembly memories are neither JS heap nor ArrayBuffer backing store for the DevTools
  // heap figures, so note every memory an instantiation exports (read-only: the results are
  // passed through untouched).
  B.wasmMemories = [];
  function noteInstance(inst) {
    try {
      var ex = inst && inst.exports;
      if (!ex) return;
      Object.keys(ex).forEach(function (k) {
        if (ex[k] instanceof WebAssembly.Memory && B.wasmMemories.indexOf(ex[k]) < 0) B.wasmMemories.push(ex[k]);
      });
    } catch (e) {
      B.errors.push('wasm memory probe: ' + e);
    }
  }
  if (typeof WebAssembly === 'object' && WebAssembly) {
    ['instantiate', 'instantiateStreaming'].forEach(function (name) {
      var orig = WebAssembly[name];
      if (typeof orig !== 'function') return;
      WebAssembly[name] = function () {
        var p = orig.apply(WebAssembly, arguments);
        p.then(
          function (res) {
            noteInstance(res && res.instance ? res.instance : res);
          },
          function () {},
        );
        return p;
      };
    });
  }
  B.wasmBytes = function () {
    var n = 0;
    B.wasmMemories.forEach(function (m) {
      n += m.buffer.byteLength;
    });
    return n;
  };

  B.anyFailed = function () {
    return B.failed.length > 0;
  };

  /** Bodies of refused requests, base64 (strings as UTF-8). */
  B.failedBodies = function () {
    return B.failed.map(function (f) {
      var b = f.body;
      var bytes = typeof b === 'string' ? new TextEncoder().encode(b) : b instanceof ArrayBuffer ? new Uint8Array(b) : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(0);
      var s = '';
      for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return { url: f.url, b64: btoa(s) };
    });
  };

  B.longtasksSince = function (t) {
    var n = 0,
      total = 0,
      max = 0;
    B.longtasks.forEach(function (lt) {
      if (lt[0] + lt[1] > t) {
        n++;
        total += lt[1];
        if (lt[1] > max) max = lt[1];
      }
    });
    return { count: n, total: total, max: max };
  };

  // ---- recorders ---------------------------------------------------------------------------

  // insp: exactly what the Inspectlet snippet does (queue, then an async script from the
  // collector's origin).
  B.startInsp = function (sink) {
    B.t0 = performance.now();
    B.t0Epoch = performance.timeOrigin + B.t0;
    window.__insp = window.__insp || [];
    window.__insp.push(['wid', 1]);
    var s = document.createElement('script');
    s.type = 'text/javascript';
    s.async = true;
    s.id = 'inspsync';
    s.src = sink + '/inspectlet.js?wid=1';
    document.getElementsByTagName('head')[0].appendChild(s);
  };

  // rrweb: the UMD bundle (record + packer), then record({ emit, maskAllInputs, packFn }).
  // Batching mirrors the insp agent's policy (src/config.rs): a 250 ms timer sends the buffer
  // when it is 5 s old or holds 256 KiB (here: of packed text), and pagehide flushes.
  B.startRrweb = function (sink, bundleUrl) {
    B.t0 = performance.now();
    B.t0Epoch = performance.timeOrigin + B.t0;
    var s = document.createElement('script');
    s.async = true;
    s.src = bundleUrl;
    s.onload = function () {
      try {
        B.rr = recordRrweb(sink);
      } catch (e) {
        B.errors.push('rrweb start: ' + e);
      }
    };
    s.onerror = function () {
      B.errors.push('rrweb bundle failed to load');
    };
    document.head.appendChild(s);
  };

  function recordRrweb(sink) {
    var st = { started: performance.now(), buf: [], bytes: 0, batchT0: 0, seq: 0, fullSnapshots: [], emitted: 0 };
    var pack = window.rrwebPacker.pack;
    function send() {
      if (!st.buf.length) return;
      var body = JSON.stringify({ seq: st.seq++, events: st.buf });
      st.buf = [];
      st.bytes = 0;
      // keepalive bodies are limited to 64 KiB in flight; a real integration must not use it
      // for bigger ones or the request is refused.
      fetch(sink + '/i/v1?wid=1&rec=rrweb', {
        method: 'POST',
        body: body,
        keepalive: body.length < 60000,
        mode: 'cors',
        credentials: 'omit',
        headers: { 'content-type': 'text/plain' },
      }).then(null, function () {});
    }
    st.stop = window.rrwebRecord.record({
      emit: function (packed) {
        if (!st.buf.length) st.batchT0 = Date.now();
        st.buf.push(packed);
        st.bytes += packed.length;
        st.emitted++;
      },
      maskAllInputs: true,
      packFn: function (e) {
        var p = pack(e);
        if (e.type === 2) st.fullSnapshots.push({ t: performance.now(), packed: p.length });
        return p;
      },
    });
    st.timer = setInterval(function () {
      if (st.buf.length && (st.bytes >= 256 * 1024 || Date.now() - st.batchT0 >= 5000)) send();
    }, 250);
    window.addEventListener('pagehide', send);
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) send();
    });
    st.flush = send;
    return st;
  }

  B.state = function () {
    var a = window.__inspAgent;
    return {
      insp: a ? a.state : null,
      rrweb: B.rr ? { started: B.rr.started - B.t0, fullSnapshots: B.rr.fullSnapshots.map(function (f) { return { t: f.t - B.t0, packed: f.packed }; }), emitted: B.rr.emitted } : null,
      sends: B.sends.map(function (s) {
        return { t: s.t - (B.t0 || 0), size: s.size, keepalive: s.keepalive, status: s.status };
      }),
      errors: B.errors.slice(0, 20),
    };
  };

  // Asks both recorders to send what they hold, the way a page being hidden does.
  B.flush = function () {
    try {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    } catch (e) {
      window.dispatchEvent(new Event('pagehide'));
    }
  };

  // ---- frames --------------------------------------------------------------------------------

  var raf = null;
  B.rafStart = function () {
    raf = { times: [], on: true };
    var st = raf;
    function f(t) {
      if (!st.on) return;
      st.times.push(t);
      requestAnimationFrame(f);
    }
    requestAnimationFrame(f);
  };
  B.rafStop = function () {
    var st = raf;
    if (!st) return null;
    st.on = false;
    var frame = 1000 / 60;
    var dropped = 0,
      maxGap = 0,
      over50 = 0;
    for (var i = 1; i < st.times.length; i++) {
      var g = st.times[i] - st.times[i - 1];
      dropped += Math.max(0, Math.round(g / frame) - 1);
      if (g > maxGap) maxGap = g;
      if (g > 50) over50++;
    }
    var span = st.times.length > 1 ? st.times[st.times.length - 1] - st.times[0] : 0;
    return { frames: st.times.length, spanMs: span, dropped: dropped, maxGapMs: maxGap, gapsOver50: over50 };
  };

  // ---- mutation storm ------------------------------------------------------------------------

  // `rate` operations per second for `ms`, on #storm's items: add (a new item subtree), remove,
  // move (insertBefore elsewhere), attribute edit, text edit; seeded, so every run does the same
  // sequence. Catches up when timers run late (the work done is the same in every run), at most
  // 200 ms worth of operations per step.
  B.storm = function (rate, ms, seed) {
    return new Promise(function (resolve) {
      var list = document.getElementById('storm');
      var s = seed >>> 0 || 1;
      function r() {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      }
      var items = Array.prototype.slice.call(list.children);
      var serial = 0;
      var done = 0;
      var counts = { add: 0, remove: 0, move: 0, attr: 0, text: 0 };
      function one() {
        var x = r();
        var n = items.length;
        if ((x < 0.22 && n < 400) || n < 100) {
          var li = document.createElement('li');
          li.className = 'item is-new';
          li.setAttribute('data-i', 'n' + ++serial);
          var sp = document.createElement('span');
          sp.className = 'label';
          sp.textContent = 'new item ' + serial;
          var b = document.createElement('b');
          b.className = 'count';
          b.textContent = String(serial);
          li.appendChild(sp);
          li.appendChild(document.createTextNode(' '));
          li.appendChild(b);
          var at = Math.floor(r() * (n + 1));
          list.insertBefore(li, items[at] || null);
          items.splice(at, 0, li);
          counts.add++;
        } else if (x < 0.44 || n > 400) {
          var k = Math.floor(r() * n);
          list.removeChild(items[k]);
          items.splice(k, 1);
          counts.remove++;
        } else if (x < 0.6) {
          var from = Math.floor(r() * n);
          var to = Math.floor(r() * n);
          var el = items[from];
          list.insertBefore(el, items[to] === el ? null : items[to]);
          items.splice(from, 1);
          items.splice(to > from ? to - 1 : to, 0, el);
          counts.move++;
        } else if (x < 0.8) {
          var e2 = items[Math.floor(r() * n)];
          if (r() < 0.5) e2.setAttribute('data-v', String(serial++));
          else e2.classList.toggle('selected');
          counts.attr++;
        } else {
          var e3 = items[Math.floor(r() * n)];
          var t = e3.firstChild && e3.firstChild.firstChild;
          if (t && t.nodeType === 3) t.data = 'edited ' + serial++;
          counts.text++;
        }
        done++;
      }
      var t0 = performance.now();
      var maxStep = Math.max(1, Math.ceil(rate * 0.2));
      function step() {
        var el = performance.now() - t0;
        var due = Math.min(Math.floor((rate * Math.min(el, ms)) / 1000), done + maxStep);
        while (done < due) one();
        if (el >= ms) {
          resolve({ done: done, ms: performance.now() - t0, counts: counts, items: items.length });
          return;
        }
        setTimeout(step, 10);
      }
      setTimeout(step, 10);
    });
  };

  // ---- floor -------------------------------------------------------------------------------

  // The least any recorder must do: visit every node and read its name, attributes and text,
  // without building or serialising anything.
  B.floorWalk = function () {
    var t0 = performance.now();
    var w = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    var n = 0,
      chk = 0;
    var node = w.currentNode;
    while (node) {
      n++;
      chk += node.nodeName.length;
      if (node.nodeType === 1) {
        var attrs = node.attributes;
        for (var i = 0; i < attrs.length; i++) chk += attrs[i].name.length + attrs[i].value.length;
      } else if (node.nodeType === 3 || node.nodeType === 8) {
        chk += node.data.length;
      }
      node = w.nextNode();
    }
    return { ms: performance.now() - t0, nodes: n, checksum: chk };
  };

  B.counts = function () {
    var all = document.getElementsByTagName('*').length;
    var w = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    var n = 0;
    while (w.nextNode()) n++;
    return { elements: all, nodes: n + 1, htmlBytes: document.documentElement.outerHTML.length };
  };
})();
