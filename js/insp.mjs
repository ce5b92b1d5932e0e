// insp ESM entry for single-page apps and bundlers. See insp.d.ts for the documented API.
//
// `init` does what the Inspectlet snippet does (queue, wid, one async <script> for the loader);
// `insp.*` push commands onto `window.__insp`, which is a plain array until the agent has loaded
// and replaced its `push`; commands pushed before that are drained in order by the agent.
// Safe to import before the DOM is ready and on the server (everything is a no-op without
// `window`).

const HOUR_MS = 3600000;
let policy = null; // the Trusted Types policy, created at most once
let policyFailed = false;

function hasWindow() {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

function warn(message) {
  try {
    console.warn('insp: ' + message);
  } catch (e) {
    // no console
  }
}

function queue() {
  const q = window.__insp;
  if (q && typeof q.push === 'function') return q;
  return (window.__insp = []);
}

function defaultCollector() {
  try {
    const u = new URL(import.meta.url);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.origin;
  } catch (e) {
    // bundled without import.meta.url
  }
  return '';
}

// Under Trusted Types (`require-trusted-types-for 'script'`), a string assigned to
// HTMLScriptElement.src throws. A policy named "insp" (which the page's `trusted-types`
// directive must allow, if it lists names) blesses exactly the one URL we build.
function scriptUrl(url) {
  const tt = window.trustedTypes;
  if (!tt || typeof tt.createPolicy !== 'function' || policyFailed) return url;
  if (!policy) {
    try {
      policy = tt.createPolicy('insp', {
        createScriptURL: (s) => {
          if (s !== url) throw new TypeError('insp: unexpected script URL');
          return s;
        },
      });
    } catch (e) {
      policyFailed = true; // not allowed by the page: a default policy may still accept the string
      return url;
    }
  }
  try {
    return policy.createScriptURL(url);
  } catch (e) {
    return url;
  }
}

/**
 * Starts insp on this page: what the Inspectlet snippet does.
 * @param {{ wid: number | string, collector?: string }} options
 */
export function init(options) {
  if (!hasWindow()) return;
  const opts = options || {};
  const wid = opts.wid;
  if (wid === undefined || wid === null || wid === '') {
    warn('init: wid is required');
    return;
  }
  const collector = String(opts.collector || defaultCollector()).replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(collector)) {
    warn('init: collector must be an http(s) origin, for example "https://insp.example.com"');
    return;
  }
  queue().push(['wid', wid]);

  // Same guard as the snippet, so a page carrying both injects the loader once.
  if (typeof window.__inspld !== 'undefined' || document.getElementById('inspsync')) return;
  window.__inspld = 1;

  const src =
    collector +
    '/inspectlet.js?wid=' +
    encodeURIComponent(String(wid)) +
    '&r=' +
    Math.floor(Date.now() / HOUR_MS);
  const el = document.createElement('script');
  el.type = 'text/javascript';
  el.async = true;
  el.id = 'inspsync';
  try {
    el.src = scriptUrl(src);
  } catch (e) {
    warn('recording disabled: the page does not allow this script URL (Trusted Types: allow a policy named "insp")');
    return;
  }
  (document.head || document.documentElement).appendChild(el);
}

function push(cmd) {
  if (!hasWindow()) return;
  queue().push(cmd);
}

/** Typed wrappers around `window.__insp.push`. See insp.d.ts. */
export const insp = Object.freeze({
  push(cmd) {
    push(cmd);
  },
  identify(id) {
    push(['identify', id]);
  },
  tagSession(tags) {
    push(['tagSession', tags]);
  },
  virtualPage(name) {
    push(name === undefined ? ['virtualPage'] : ['virtualPage', name]);
  },
  disableGACapture() {
    push(['disableGACapture']);
  },
  debug(on) {
    push(['debug', on === undefined ? true : on]);
  },
  consent(granted) {
    push(['consent', granted]);
  },
});
