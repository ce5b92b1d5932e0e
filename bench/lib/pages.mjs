// Deterministic test pages. Every page loads /harness.js first (the in-page instrumentation,
// see harness.js), so baseline, insp and rrweb runs see byte-identical documents.

export function rng(seed) {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or ' +
  'one had by word but not what all were we when your can said there use an each which she do how ' +
  'their if will up other about out many then them these so some her would make like him into time ' +
  'has look two more write go see number no way could people my than first water been call who oil ' +
  'its now find long down day did get come made may part order account delivery shipping payment ' +
  'customer product review rating price discount return policy support contact address invoice ' +
  'subscription premium standard basket checkout warranty available stock colour size material ' +
  'description features specifications dimensions weight battery display camera storage memory ' +
  'performance quality service experience recommend excellent terrible average friendly helpful ' +
  'quickly slowly carefully recently yesterday tomorrow morning evening weekend holiday travel ' +
  'London Paris Berlin Madrid Tokyo Sydney Toronto Chicago Amsterdam Lisbon Dublin Vienna'
).split(' ');

const TAGS_CLASSES = [
  'card', 'card-title', 'card-body', 'btn', 'btn-primary', 'btn-secondary', 'muted', 'lead',
  'grid', 'col', 'row', 'flex', 'gap-2', 'gap-4', 'p-2', 'p-4', 'mt-2', 'mb-4', 'text-sm',
  'text-lg', 'bold', 'badge', 'badge-info', 'tag', 'price', 'old-price', 'rating', 'stars',
  'hidden-sm', 'visible-lg', 'shadow', 'rounded', 'border', 'active', 'selected', 'is-new',
];

export function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

class Gen {
  constructor(seed) {
    this.r = rng(seed);
    this.els = 0;
    this.ids = 0;
  }
  int(a, b) {
    return a + Math.floor(this.r() * (b - a + 1));
  }
  pick(arr) {
    return arr[Math.floor(this.r() * arr.length)];
  }
  words(a, b) {
    const n = this.int(a, b);
    const w = [];
    for (let i = 0; i < n; i++) w.push(this.pick(WORDS));
    return w.join(' ');
  }
  sentence(a = 6, b = 18) {
    const s = this.words(a, b);
    return s.charAt(0).toUpperCase() + s.slice(1) + '.';
  }
  classes(a = 1, b = 3) {
    const n = this.int(a, b);
    const c = new Set();
    for (let i = 0; i < n; i++) c.add(this.pick(TAGS_CLASSES));
    return [...c].join(' ');
  }
  /** Opening tag; counts one element. */
  open(tag, attrs = {}) {
    this.els++;
    let s = '<' + tag;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === true) s += ' ' + k;
      else if (v != null && v !== false) s += ` ${k}="${escapeHtml(v)}"`;
    }
    return s + '>';
  }
  el(tag, attrs, inner = '') {
    return this.open(tag, attrs) + inner + `</${tag}>`;
  }
  void_(tag, attrs) {
    return this.open(tag, attrs);
  }

  inlineText() {
    // A paragraph body with a few inline elements.
    let s = escapeHtml(this.sentence());
    const k = this.int(1, 4);
    for (let i = 0; i < k; i++) {
      const t = this.pick(['a', 'strong', 'em', 'span', 'code']);
      const attrs = t === 'a' ? { href: `/p/${this.int(1, 9999)}`, title: this.words(2, 4) } : t === 'span' ? { class: this.classes(1, 2) } : {};
      s += ' ' + this.el(t, attrs, escapeHtml(this.words(1, 4))) + ' ' + escapeHtml(this.sentence(4, 12));
    }
    return s;
  }

  card() {
    const id = ++this.ids;
    let s = this.open('div', { class: 'card ' + this.classes(1, 2), 'data-id': id, 'data-sku': `SKU-${this.int(10000, 99999)}` });
    s += this.el('h3', { class: 'card-title' }, this.el('a', { href: `/product/${id}`, title: this.words(3, 6) }, escapeHtml(this.words(2, 6))));
    s += this.el('p', { class: 'card-body text-sm' }, this.inlineText());
    s += this.el('span', { class: 'price' }, `€${this.int(1, 999)}.${this.int(10, 99)}`);
    let tags = '';
    for (let i = 0, n = this.int(2, 4); i < n; i++) tags += this.el('li', { class: 'tag' }, escapeHtml(this.pick(WORDS)));
    s += this.el('ul', { class: 'tags flex gap-2' }, tags);
    s += this.el('button', { type: 'button', class: 'btn btn-primary', 'aria-label': 'Add to basket ' + id }, 'Add to basket');
    return s + '</div>';
  }

  table() {
    let rows = '';
    const cols = this.int(3, 5);
    let head = '';
    for (let c = 0; c < cols; c++) head += this.el('th', { scope: 'col' }, escapeHtml(this.words(1, 2)));
    for (let r = 0, n = this.int(4, 8); r < n; r++) {
      let cells = '';
      for (let c = 0; c < cols; c++) cells += this.el('td', c === 0 ? { class: 'bold' } : {}, escapeHtml(c === 0 ? this.words(1, 3) : String(this.int(0, 99999))));
      rows += this.el('tr', { class: r % 2 ? 'odd' : 'even' }, cells);
    }
    return this.el('table', { class: 'data border' }, this.el('thead', {}, this.el('tr', {}, head)) + this.el('tbody', {}, rows));
  }

  form() {
    const id = ++this.ids;
    let s = this.open('form', { class: 'form p-4', action: '/submit', method: 'post', 'data-form': id });
    s += this.el('label', { for: `name${id}` }, 'Name');
    s += this.void_('input', { type: 'text', id: `name${id}`, name: 'name', placeholder: 'Your name', value: this.words(1, 2) });
    s += this.el('label', { for: `mail${id}` }, 'Email');
    s += this.void_('input', { type: 'email', id: `mail${id}`, name: 'email', placeholder: 'you@example.com' });
    let opts = '';
    for (let i = 0; i < 4; i++) opts += this.el('option', { value: i, selected: i === 1 }, escapeHtml(this.words(1, 2)));
    s += this.el('select', { name: 'topic' }, opts);
    s += this.el('textarea', { name: 'msg', rows: 3 }, escapeHtml(this.sentence()));
    s += this.void_('input', { type: 'checkbox', name: 'agree', checked: this.r() < 0.5 });
    s += this.el('button', { type: 'submit', class: 'btn' }, 'Send');
    return s + '</form>';
  }

  figure() {
    return this.el(
      'figure',
      { class: 'figure' },
      this.void_('img', { src: '/img.png', alt: this.words(3, 6), width: 120, height: 80, loading: 'lazy' }) +
        this.el('figcaption', { class: 'muted' }, escapeHtml(this.sentence(4, 10))),
    );
  }

  icon() {
    return this.el(
      'svg',
      { class: 'icon', viewBox: '0 0 24 24', width: 16, height: 16, 'aria-hidden': 'true' },
      this.el('path', { d: `M${this.int(0, 9)} ${this.int(0, 9)}L${this.int(10, 24)} ${this.int(10, 24)}Z` }),
    );
  }

  block() {
    const x = this.r();
    if (x < 0.45) return this.card();
    if (x < 0.65) return this.el('p', { class: this.classes(0, 2) || null }, this.inlineText());
    if (x < 0.77) return this.table();
    if (x < 0.85) return this.form();
    if (x < 0.93) {
      let items = '';
      for (let i = 0, n = this.int(3, 7); i < n; i++) items += this.el('li', {}, this.icon() + ' ' + this.el('a', { href: `/l/${this.int(1, 999)}` }, escapeHtml(this.words(1, 4))));
      return this.el('ul', { class: 'list' }, items);
    }
    if (x < 0.97) return this.el('blockquote', { cite: '/q' }, this.el('p', {}, escapeHtml(this.sentence(10, 25))));
    return this.figure();
  }

  /** Body content with about `n` elements in total (the skeleton counts too). */
  body(n) {
    let nav = '';
    for (let i = 0; i < 8; i++) nav += this.el('li', {}, this.el('a', { href: `/section/${i}`, class: i === 0 ? 'active' : null }, escapeHtml(this.words(1, 2))));
    let s = this.open('header', { class: 'site-header flex' }) + this.el('a', { href: '/', class: 'logo' }, 'Shop') + this.el('nav', { 'aria-label': 'Main' }, this.el('ul', { class: 'flex gap-4' }, nav)) + '</header>';
    s += this.open('main', { id: 'main', class: 'grid' });
    let sec = 0;
    // 4 closing elements (main, footer, p) are added after the loop.
    while (this.els < n - 3) {
      sec++;
      s += this.open('section', { class: 'section col', id: `s${sec}`, 'data-section': sec }) + this.el('h2', {}, escapeHtml(this.words(2, 5)));
      const target = Math.min(n - 3, this.els + 60);
      while (this.els < target) s += this.block();
      s += '</section>';
    }
    s += '</main>';
    s += this.el('footer', { class: 'site-footer muted' }, this.el('p', {}, '© Example Shop'));
    return s;
  }
}

function stylesheet(seed, rules) {
  const g = new Gen(seed);
  let css = '';
  for (let i = 0; i < rules; i++) {
    const c = g.pick(TAGS_CLASSES);
    css += `.${c}${i % 3 ? ' ' + g.pick(['a', 'p', 'span', 'li', 'td', 'h3']) : ''}{margin:${g.int(0, 16)}px ${g.int(0, 16)}px;color:#${g.int(0, 0xffffff).toString(16).padStart(6, '0')};font-size:${g.int(11, 22)}px;line-height:1.${g.int(2, 8)}}\n`;
  }
  css += '.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}\n.flex{display:flex}\n';
  return css;
}

export const STYLE_CSS = stylesheet(7, 400);
const INLINE_CSS = stylesheet(11, 60);

function skeleton(title, bodyAttrs, body, extraHead = '') {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<script src="/harness.js"></script>' +
    `<title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<link rel="stylesheet" href="/style.css">' +
    `<style>${INLINE_CSS}</style>${extraHead}</head>` +
    `<body ${bodyAttrs}>${body}</body></html>`
  );
}

const staticCache = new Map();
/** A static document with about `n` elements (html, head, its children and body included). */
export function staticPage(n) {
  if (!staticCache.has(n)) {
    const g = new Gen(1000 + n);
    g.els = 9; // html head script title meta link style body + header's count is in body()
    const body = g.body(n);
    staticCache.set(n, skeleton(`Static page, ${n} elements`, 'class="static"', body));
  }
  return staticCache.get(n);
}

/** The mutation storm page: a ~2k element document plus a list the storm works on. */
export function stormPage() {
  const g = new Gen(42);
  g.els = 9;
  let list = '';
  for (let i = 0; i < 250; i++) {
    list += g.el('li', { class: 'item', 'data-i': i }, g.el('span', { class: 'label' }, escapeHtml(g.words(1, 3))) + ' ' + g.el('b', { class: 'count' }, String(i)));
  }
  const body = g.el('ul', { id: 'storm', class: 'list' }, list) + g.body(2000);
  return skeleton('Mutation storm', 'class="storm"', body);
}

/** The "typical visit" single-page app: nav with pushState routes, a form, a long page. */
export function visitPage() {
  const body =
    '<header class="site-header flex"><a href="/visit" class="logo" data-route="home">Shop</a>' +
    '<nav aria-label="Main"><ul class="flex gap-4">' +
    ['home', 'products', 'deals', 'blog', 'contact'].map((r) => `<li><a href="/visit/${r}" data-route="${r}">${r}</a></li>`).join('') +
    '</ul></nav><input id="search" type="search" placeholder="Search" autocomplete="off"></header>' +
    '<main id="app"></main>' +
    '<aside id="chat" class="card"><textarea id="chatbox" rows="2"></textarea><input id="pw" type="password" placeholder="Password"></aside>' +
    '<footer class="site-footer muted"><p>© Example Shop</p></footer>' +
    `<script>${VISIT_APP}</script>`;
  return skeleton('Visit', 'class="visit"', body, '<style>#chat{position:fixed;right:8px;bottom:8px;width:240px}</style>');
}

// The app of the visit page: renders a route into #app (about 800 elements per route, built
// with DOM calls), intercepts nav clicks with pushState, updates a live counter every second.
const VISIT_APP = `
(function(){
  var seed = 1;
  function r(){ seed = (seed * 16807) % 2147483647; return seed / 2147483647; }
  var W = ${JSON.stringify(WORDS.slice(0, 120))};
  function words(n){ var s=[]; for(var i=0;i<n;i++) s.push(W[Math.floor(r()*W.length)]); return s.join(' '); }
  function h(tag, cls, text){ var e=document.createElement(tag); if(cls) e.className=cls; if(text) e.textContent=text; return e; }
  function render(route){
    var app=document.getElementById('app'); seed = route.length * 7919;
    app.textContent='';
    app.appendChild(h('h1','title',route+': '+words(4)));
    for(var s=0;s<12;s++){
      var sec=h('section','section col'); sec.appendChild(h('h2',null,words(3)));
      for(var c=0;c<5;c++){
        var card=h('div','card shadow rounded'); card.setAttribute('data-id', s*10+c);
        var a=h('a','card-title',words(3)); a.href='/visit/'+route+'/'+(s*10+c); card.appendChild(a);
        var p=h('p','card-body',words(14)); p.appendChild(h('strong',null,words(2))); p.appendChild(document.createTextNode(' '+words(8))); card.appendChild(p);
        var ul=h('ul','tags flex'); for(var t=0;t<3;t++) ul.appendChild(h('li','tag',words(1))); card.appendChild(ul);
        card.appendChild(h('span','price','€'+Math.floor(r()*500)));
        var b=h('button','btn btn-primary','Add'); b.type='button'; card.appendChild(b);
        sec.appendChild(card);
      }
      app.appendChild(sec);
    }
    var f=h('form','form p-4'); f.id='form';
    ['name','email','city'].forEach(function(n){ f.appendChild(h('label',null,n)); var i=h('input'); i.name=n; i.id='f-'+n; f.appendChild(i); });
    app.appendChild(f);
    document.title = 'Shop - ' + route;
  }
  document.addEventListener('click', function(e){
    var a = e.target.closest && e.target.closest('a[data-route]');
    if(!a) return;
    e.preventDefault();
    history.pushState({route:a.dataset.route}, '', a.getAttribute('href'));
    render(a.dataset.route);
    window.scrollTo(0,0);
  });
  document.addEventListener('click', function(e){
    var b = e.target.closest && e.target.closest('button.btn');
    if(b){ b.classList.toggle('active'); b.textContent = b.classList.contains('active') ? 'Added' : 'Add'; }
  });
  window.addEventListener('popstate', function(e){ render((e.state&&e.state.route)||'home'); });
  var badge = h('span','badge badge-info','0'); document.querySelector('header').appendChild(badge);
  var n = 0; setInterval(function(){ badge.textContent = String(++n); }, 1000);
  render('home');
})();
`;

/** A 1x1 transparent PNG. */
export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
