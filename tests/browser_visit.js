// Test-only helpers for tests/browser_visit.rs: pages, synthetic and real events, page-side
// wrappers of the kind Tag Manager installs. Not shipped.

export function importModule(source) {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return import(url).finally(() => URL.revokeObjectURL(url));
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A page with things to click, type into, scroll and play. */
export function buildVisitPage() {
  // The test runner reports through elements of its own in the body: leave them alone.
  const old = document.getElementById('visit-root');
  if (old) old.remove();
  const rootEl = document.createElement('div');
  rootEl.id = 'visit-root';
  document.body.appendChild(rootEl);
  const add = (tag, props = {}) => {
    const el = document.createElement(tag);
    Object.assign(el, props);
    rootEl.appendChild(el);
    return el;
  };
  add('button', { id: 'btn', textContent: 'Buy' });
  add('input', { id: 'name', type: 'text' });
  add('input', { id: 'pw', type: 'password' });
  const sel = add('select', { id: 'sel' });
  for (const v of ['a', 'b', 'c']) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = v.toUpperCase();
    sel.appendChild(o);
  }
  add('video', { id: 'vid', muted: true, width: 32, height: 24 });
  const host = add('div', { id: 'host' });
  const root = host.attachShadow({ mode: 'open' });
  const inner = document.createElement('button');
  inner.id = 'inner';
  inner.textContent = 'in shadow';
  root.appendChild(inner);
  const tall = add('div', { id: 'tall' });
  tall.style.height = '5000px';
}

export function el(id) {
  return document.getElementById(id);
}

/** An element added in this task: the reader has not listed it yet. */
export function freshElement() {
  const d = document.createElement('div');
  document.getElementById('visit-root').appendChild(d);
  return d;
}

export function innerButton() {
  return document.getElementById('host').shadowRoot.getElementById('inner');
}

export function mouse(target, type, x, y) {
  target.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, composed: true, cancelable: true }));
}

export function touch(target, type, x, y) {
  const t = new Touch({ identifier: 1, target, clientX: x, clientY: y });
  const list = type === 'touchend' ? [] : [t];
  target.dispatchEvent(new TouchEvent(type, { touches: list, changedTouches: [t], bubbles: true, composed: true }));
}

export function typeInto(id, text) {
  const input = document.getElementById(id);
  input.focus();
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

export function choose(id, index) {
  const s = document.getElementById(id);
  s.selectedIndex = index;
  s.dispatchEvent(new Event('change', { bubbles: true }));
}

/** A muted video playing a canvas stream: real play and pause events. */
export async function playVideo() {
  const v = document.getElementById('vid');
  const c = document.createElement('canvas');
  c.width = 4;
  c.height = 4;
  const ctx = c.getContext('2d');
  ctx.fillRect(0, 0, 4, 4);
  v.srcObject = c.captureStream(10);
  await v.play();
  await sleep(150);
  v.pause();
  await sleep(20);
}

export function dispatchError(message, filename, line, col, stack) {
  const error = new Error(message);
  if (stack !== undefined) error.stack = stack;
  window.dispatchEvent(new ErrorEvent('error', { message, filename, lineno: line, colno: col, error, cancelable: true }));
}

export function dispatchRejection(reason) {
  const promise = Promise.reject(reason);
  promise.catch(() => {});
  window.dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise, reason, cancelable: true }));
}

/** A failed image load fires `error` on the element (not bubbling): not a script error. */
export function brokenImage() {
  return new Promise((resolve) => {
    const img = document.createElement('img');
    img.onerror = () => resolve();
    img.src = 'http://127.0.0.1:1/nothing.png';
    document.getElementById('visit-root').appendChild(img);
  });
}

export function dispatchPageshow(persisted) {
  window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted }));
}

// ---- History ------------------------------------------------------------------------------------

export function pushState(url) {
  return history.pushState({ n: 1 }, '', url);
}
export function replaceState(url) {
  return history.replaceState(history.state, '', url);
}
export function setHash(h) {
  location.hash = h;
}
export function back() {
  history.back();
}
export function href() {
  return location.href;
}

/** pushState throws for another origin; the wrapper must let the same exception through. */
export function pushStateCrossOrigin() {
  try {
    history.pushState(null, '', 'https://elsewhere.example/');
    return 'no exception';
  } catch (e) {
    return e.name;
  }
}

/** A page-side pushState installed before the agent: records `this`, returns 42. */
export function installPageHistoryWrapper() {
  const proto = History.prototype;
  const orig = proto.pushState;
  window.__origPushState = orig;
  proto.pushState = function () {
    window.__pushThis = this;
    orig.apply(this, arguments);
    return 42;
  };
}
export function pushThisWasHistory() {
  return window.__pushThis === history;
}
export function removePageHistoryWrapper() {
  History.prototype.pushState = window.__origPushState;
}
export function nativePushState() {
  return History.prototype.pushState === window.__nativePushState;
}
export function rememberNative() {
  window.__nativePushState = History.prototype.pushState;
  window.__nativeFetch = window.fetch;
  window.__nativeOpen = XMLHttpRequest.prototype.open;
  window.__nativeSend = XMLHttpRequest.prototype.send;
}
/** pushState through the reference saved by rememberNative(): bypasses any wrapper. */
export function nativePush(url) {
  window.__nativePushState.call(history, null, '', url);
}
export function nativesRestored() {
  return (
    History.prototype.pushState === window.__nativePushState &&
    window.fetch === window.__nativeFetch &&
    XMLHttpRequest.prototype.open === window.__nativeOpen &&
    XMLHttpRequest.prototype.send === window.__nativeSend
  );
}
export function networkNative() {
  return (
    window.fetch === window.__nativeFetch &&
    XMLHttpRequest.prototype.open === window.__nativeOpen &&
    XMLHttpRequest.prototype.send === window.__nativeSend
  );
}
export function wrappersLookNative() {
  return (
    window.fetch.name === 'fetch' &&
    window.fetch.length === window.__nativeFetch.length &&
    History.prototype.pushState.length === window.__nativePushState.length &&
    XMLHttpRequest.prototype.open.length === window.__nativeOpen.length
  );
}

// ---- network ------------------------------------------------------------------------------------

/** fetch of this page: resolves to [status, text length, is a Response]. */
export async function fetchPage(init) {
  const r = await fetch(location.origin + '/', init);
  const t = await r.text();
  return [r.status, t.length, r instanceof Response];
}

/** A fetch that fails: resolves to the rejection's name (the page still sees it). */
export async function fetchFails(url) {
  try {
    await fetch(url);
    return 'resolved';
  } catch (e) {
    return e.name;
  }
}

/** send() before open() throws synchronously, with or without the wrapper. */
export function xhrSendUnopened() {
  try {
    new XMLHttpRequest().send();
    return 'no exception';
  } catch (e) {
    return e.name;
  }
}

export function xhrPage() {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('get', location.origin + '/');
    x.onloadend = () => resolve([x.status, x.responseText.length]);
    x.send();
  });
}

export function xhrBadMethod() {
  try {
    new XMLHttpRequest().open('bad method', location.href);
    return 'no exception';
  } catch (e) {
    return e.name;
  }
}

// ---- dataLayer ----------------------------------------------------------------------------------

export function resetDataLayer(entries) {
  if (entries === null) delete window.dataLayer;
  else window.dataLayer = entries;
}
export function dlPush(entry) {
  return window.dataLayer.push(entry);
}
export function gtag() {
  window.dataLayer.push(arguments);
}
/** Tag Manager style: replaces push with its own, which calls the one before and returns +1000. */
export function installGtm(name) {
  const dl = window.dataLayer;
  const prev = dl.push;
  window['__gtm_' + name] = 0;
  dl.push = function () {
    window['__gtm_' + name]++;
    const r = prev.apply(dl, arguments);
    return r + 1000;
  };
}
export function gtmCalls(name) {
  return window['__gtm_' + name] || 0;
}
export function dataLayerPushIsOwn() {
  return Object.prototype.hasOwnProperty.call(window.dataLayer, 'push');
}
export function dataLayerLength() {
  return window.dataLayer.length;
}
