// insp dashboard: session search by tags, custom columns, session detail and replay.
// Everything shown comes from visitors' pages (tags, identities, URLs), so it is only ever
// inserted as text, never as markup.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    key: localStorage.getItem('insp.key') || '',
    wid: localStorage.getItem('insp.wid') || '',
    filters: [],
    columns: [],
  };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function api(path) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + state.key } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error) || r.statusText);
        return body;
      });
    });
  }

  function status(msg) { $('status').textContent = msg || ''; }
  function fmtTime(ms) { return ms ? new Date(ms).toLocaleString() : ''; }
  function fmtDur(ms) {
    var s = Math.round(ms / 1000);
    return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  }
  function columnsKey() { return 'insp.columns.' + state.wid; }

  function chips(container, items, onRemove) {
    container.replaceChildren();
    items.forEach(function (item, i) {
      var c = el('span', item, 'chip');
      var x = el('button', '×');
      x.type = 'button';
      x.title = 'remove';
      x.addEventListener('click', function () { onRemove(i); });
      c.appendChild(x);
      container.appendChild(c);
    });
  }

  function renderChips() {
    chips($('active-filters'), state.filters, function (i) { state.filters.splice(i, 1); load(); });
    chips($('active-columns'), state.columns, function (i) {
      state.columns.splice(i, 1);
      localStorage.setItem(columnsKey(), JSON.stringify(state.columns));
      load();
    });
  }

  function loadSites() {
    return api('/api/sites').then(function (body) {
      var sel = $('site');
      sel.replaceChildren();
      (Array.isArray(body) ? body : []).forEach(function (s) {
        var o = el('option', s.wid + (s.origins && s.origins.length ? ' ' + s.origins.join(' ') : ''));
        o.value = String(s.wid);
        sel.appendChild(o);
      });
      if (state.wid) sel.value = state.wid;
      state.wid = sel.value;
      try { state.columns = JSON.parse(localStorage.getItem(columnsKey()) || '[]'); } catch (e) { state.columns = []; }
    });
  }

  function load() {
    renderChips();
    if (!state.wid) return;
    var q = state.filters.map(function (f) { return 'tag=' + encodeURIComponent(f); }).join('&');
    status('');
    api('/api/sites/' + state.wid + '/sessions' + (q ? '?' + q : '')).then(function (body) {
      var sessions = Array.isArray(body) ? body : [];
      var head = $('head');
      head.replaceChildren();
      ['Start', 'Duration', 'Pages', 'Identity', 'Visitor'].concat(state.columns, ['Tags']).forEach(function (h) {
        head.appendChild(el('th', h));
      });
      var keys = {};
      var rows = $('rows');
      rows.replaceChildren();
      sessions.forEach(function (s) {
        var tr = el('tr');
        tr.appendChild(el('td', fmtTime(s.start_ms)));
        tr.appendChild(el('td', fmtDur(s.last_activity_ms - s.start_ms)));
        tr.appendChild(el('td', s.page_count));
        tr.appendChild(el('td', s.identity || ''));
        tr.appendChild(el('td', (s.visitor_id || '').slice(-8)));
        state.columns.forEach(function (c) {
          var v = s.tags && Object.prototype.hasOwnProperty.call(s.tags, c) ? s.tags[c] : '';
          tr.appendChild(el('td', v == null ? '✓' : v));
        });
        var td = el('td');
        Object.keys(s.tags || {}).forEach(function (k) {
          keys[k] = 1;
          var v = s.tags[k];
          td.appendChild(el('span', v == null ? k : k + ' = ' + v, 'chip'));
        });
        tr.appendChild(td);
        tr.addEventListener('click', function () { detail(s.id); });
        rows.appendChild(tr);
      });
      var dl = $('tag-keys');
      dl.replaceChildren();
      Object.keys(keys).sort().forEach(function (k) { var o = el('option'); o.value = k; dl.appendChild(o); });
      if (!sessions.length) status('No sessions match.');
    }).catch(function (e) { status(e.message); });
  }

  function detail(id) {
    api('/api/sessions/' + encodeURIComponent(id)).then(function (s) {
      $('detail').hidden = false;
      $('detail-title').textContent = 'Session ' + s.id;
      var facts = $('detail-facts');
      facts.replaceChildren();
      [['Visitor', s.visitor_id], ['Identity', s.identity || '—'], ['Start', fmtTime(s.start_ms)],
       ['Last activity', fmtTime(s.last_activity_ms)], ['Pages', s.page_count]].forEach(function (f) {
        facts.appendChild(el('dt', f[0]));
        facts.appendChild(el('dd', f[1]));
      });
      var tags = $('detail-tags');
      tags.replaceChildren();
      Object.keys(s.tags || {}).forEach(function (k) {
        tags.appendChild(el('li', s.tags[k] == null ? k : k + ' = ' + s.tags[k]));
      });
      var pages = $('detail-pages');
      pages.replaceChildren();
      (s.pages || []).forEach(function (p) {
        pages.appendChild(el('li', fmtTime(p.t_ms) + '  ' + p.url + (p.virtual ? ' (virtual)' : '')));
      });
      player(s);
      $('detail').scrollIntoView();
    }).catch(function (e) { status(e.message); });
  }

  // Replay: the collector's Rust engine renders the document at an offset; the frame is
  // sandboxed without scripts, so recorded markup can never run here.
  function player(s) {
    var scrub = $('scrub');
    var duration = Math.max(0, (s.last_activity_ms || 0) - (s.start_ms || 0));
    scrub.max = String(duration);
    scrub.value = String(duration);
    var show = function () {
      var at = Number(scrub.value);
      $('at').textContent = fmtDur(at);
      fetch('/api/sessions/' + encodeURIComponent(s.id) + '/html?at=' + at, {
        headers: { Authorization: 'Bearer ' + state.key },
      }).then(function (r) {
        if (!r.ok) return '';
        overlay(r.headers.get('x-insp-pointer'), r.headers.get('x-insp-clicks'));
        return r.text();
      }).then(function (html) {
        $('screen').srcdoc = html;
      }).catch(function () {});
    };
    scrub.oninput = show;
    show();
  }

  // The pointer and the clicks of the last second (the collector's `x-insp-pointer` and
  // `x-insp-clicks` headers, viewport pixels), drawn over the replayed document.
  function overlay(pointer, clicks) {
    var o = $('overlay');
    o.replaceChildren();
    var dot = function (cls, x, y, opacity) {
      var d = document.createElement('div');
      d.className = cls;
      d.style.left = x + 'px';
      d.style.top = y + 'px';
      d.style.opacity = String(opacity);
      o.appendChild(d);
    };
    (clicks ? clicks.split(';') : []).forEach(function (c) {
      var v = c.split(',').map(Number);
      if (v.length === 3 && v.every(isFinite)) dot('click', v[0], v[1], Math.max(0.15, 1 - v[2] / 1000));
    });
    var p = pointer ? pointer.split(',').map(Number) : [];
    if (p.length === 2 && p.every(isFinite)) dot('pointer', p[0], p[1], 1);
  }

  $('key').value = state.key;
  $('auth').addEventListener('submit', function (e) {
    e.preventDefault();
    state.key = $('key').value;
    localStorage.setItem('insp.key', state.key);
    loadSites().then(load).catch(function (err) { status(err.message); });
  });
  $('site').addEventListener('change', function () {
    state.wid = $('site').value;
    localStorage.setItem('insp.wid', state.wid);
    try { state.columns = JSON.parse(localStorage.getItem(columnsKey()) || '[]'); } catch (e) { state.columns = []; }
    load();
  });
  $('filter').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = $('tag').value.trim();
    if (v) state.filters.push(v);
    $('tag').value = '';
    load();
  });
  $('columns').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = $('column').value.trim();
    if (v && state.columns.indexOf(v) < 0) state.columns.push(v);
    localStorage.setItem(columnsKey(), JSON.stringify(state.columns));
    $('column').value = '';
    load();
  });
  if (state.key) loadSites().then(load).catch(function (err) { status(err.message); });
})();
