// Test-only helpers for tests/browser_privacy.rs: a page full of private content (canaries),
// and the changes a page makes after load. Not shipped: innerHTML is fine here.

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Imports an ES module from its source text (the test runner serves .mjs files badly). */
export function importModule(source) {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return import(url).finally(() => URL.revokeObjectURL(url));
}

function root() {
  let r = document.getElementById('test-root');
  if (!r) {
    r = document.createElement('div');
    r.id = 'test-root';
    document.body.appendChild(r);
  }
  return r;
}

export function resetPage() {
  const r = document.getElementById('test-root');
  if (r) r.remove();
}

const $ = (id) => document.getElementById(id);

/** Every canary a recording must never contain (checked in every stream the reader makes). */
export function canaries() {
  return CANARIES.slice();
}
export function visible() {
  return VISIBLE.slice();
}

const CANARIES = [
  'IGN_CANARY_1', 'IGN_CANARY_2', 'IGN_CANARY_3', 'IGN_CANARY_4', 'IGN_CANARY_5', 'IGN_SHADOW_CANARY',
  'SENS_CANARY_T', 'SENS_CANARY_1', 'SENS_CANARY_A', 'SENS_CANARY_C', 'SENS_CANARY_2', 'SENS_CANARY_P',
  'SENS_CANARY_3', 'SENS_CANARY_4', 'SENS_CANARY_5', 'SENS_CANARY_6', 'SENS_FRAME_CANARY',
  'CENSOR_CANARY_1', 'CENSOR_CANARY_2', 'CENSOR_CANARY_3', 'PW_CANARY_1', 'PW_CANARY_2', 'PW_CANARY_3',
  'PW_CANARY_4', '4111111111111111', '4111 1111 1111 1111', '5555 5555 5555 4444', 'CVC_CANARY',
  'OTP_CANARY', 'HIDDEN_CANARY', 'TOKEN_CANARY', 'LATER_IGN_CANARY', 'LATER_SENS_CANARY',
  'WL_AFTER_CARD', 'LATE_CC_CANARY', 'CENSOR_SELECT_CANARY',
];

/** Values that must be recorded (whitelisted, or plain page text). */
const VISIBLE = ['WL_VISIBLE_1', 'WL_VISIBLE_2', 'WL_VISIBLE_3', 'PLAIN_TEXT_VISIBLE', 'IGN_OUT_OK'];

export function buildPrivacyPage() {
  resetPage();
  root().insertAdjacentHTML(
    'beforeend',
    '<div id="ign" class="inspectletIgnore" style="width:120px;height:40px">IGN_CANARY_1 ' +
      '<input id="ign-in" value="IGN_CANARY_2"><span id="ign-span" title="IGN_CANARY_3">IGN_OUT_OK</span></div>' +
      '<span id="ign-inline" class="x InspectletIgnore">IGN_CANARY_4</span>' +
      '<div id="ign-host"></div>' +
      '<div id="sens" class="inspectlet-sensitive" title="SENS_CANARY_T"><p id="sens-p">SENS_CANARY_1 more words</p>' +
      '<img alt="SENS_CANARY_A" src="x.png?token=abc"><!-- SENS_CANARY_C -->' +
      '<input id="sens-in" value="SENS_CANARY_2" placeholder="SENS_CANARY_P"><style>.s{color:red}</style>' +
      '<div class="inspectlet-whitelist"><input id="sens-wl" value="SENS_CANARY_3"></div></div>' +
      '<p id="plainpara">PLAIN_TEXT_VISIBLE</p><p id="mover">moved into ignore</p>' +
      '<div id="later-ign">LATER_IGN_VISIBLE_BEFORE</div><div id="later-sens">later sens</div>' +
      '<div id="sens2" class="inspectlet-sensitive">UNSENS_LATER</div>' +
      '<form id="f"><input id="plain" value="CENSOR_CANARY_1"><textarea id="ta">CENSOR_CANARY_2</textarea>' +
      '<select id="sel"><option>a</option><option selected>b</option></select>' +
      '<input id="num" type="number" value="42"><input id="chk" type="checkbox" checked>' +
      '<div class="inspectlet-whitelist"><input id="wl" value="WL_VISIBLE_1"><textarea id="wl-ta">WL_VISIBLE_2</textarea>' +
      '<input id="wl2" value="wl2"><select id="wl-sel"><option>x</option><option selected>y</option></select></div>' +
      '<input id="wl-pw" class="inspectlet-whitelist" type="password" value="PW_CANARY_1">' +
      '<input id="pw" type="password" value="PW_CANARY_2">' +
      '<div class="inspectlet-whitelist"><input id="cc" autocomplete="cc-number" value="4111111111111111">' +
      '<input id="cvc" name="card_cvc" value="CVC_CANARY"><input id="otp" autocomplete="one-time-code" value="OTP_CANARY">' +
      '<input id="luhn" value="5555 5555 5555 4444"><input type="hidden" id="hid" value="HIDDEN_CANARY">' +
      '<select id="exp" autocomplete="cc-exp-month"><option>01</option><option selected>02</option></select></div>' +
      '<input type="file" id="file"><a id="link" href="/reset?token=TOKEN_CANARY&amp;x=1">reset</a></form>'
  );
  // Shadow content under an ignored host, and a sensitive frame.
  const host = $('ign-host');
  host.className = 'inspectletIgnore';
  host.attachShadow({ mode: 'open' }).innerHTML = '<p>IGN_SHADOW_CANARY</p>';
  const f = document.createElement('iframe');
  f.id = 'sens-frame';
  f.className = 'inspectlet-sensitive';
  root().appendChild(f);
  f.contentDocument.body.innerHTML = '<p>SENS_FRAME_CANARY</p>';
  // Values typed by script differ from the attributes.
  $('plain').value = 'CENSOR_CANARY_1';
  $('sel').selectedIndex = 1;
}

function input(el, value) {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/** The page's changes after load, one step at a time (each one observer delivery). */
export function privacyStep(step) {
  switch (step) {
    case 0:
      // An element becomes ignored, then its content changes.
      $('later-ign').classList.add('inspectletIgnore');
      break;
    case 1:
      $('later-ign').textContent = 'LATER_IGN_CANARY';
      // New content inside an ignored element, and a node moved into it.
      $('ign').insertAdjacentHTML('beforeend', '<p>IGN_CANARY_5</p>');
      $('ign').appendChild($('mover'));
      break;
    case 2:
      // Moved out of an ignored element: recorded again (it is no longer private).
      root().appendChild($('ign-span'));
      $('ign-span').removeAttribute('title');
      break;
    case 3:
      // Changes inside a sensitive element.
      $('sens-p').firstChild.data = 'SENS_CANARY_4 and more';
      $('sens').insertAdjacentHTML('beforeend', '<b title="SENS_CANARY_5">SENS_CANARY_5</b>');
      // A visible node moved into it, then changed.
      $('sens').appendChild($('plainpara'));
      break;
    case 4:
      $('plainpara').firstChild.data = 'SENS_CANARY_6';
      // An element becomes sensitive, and one stops being.
      $('later-sens').classList.add('inspectlet-sensitive');
      $('later-sens').textContent = 'LATER_SENS_CANARY';
      $('sens2').classList.remove('inspectlet-sensitive');
      break;
    case 5:
      // Typing: censored, whitelisted, password (shown, typed, hidden again).
      input($('plain'), 'CENSOR_CANARY_3');
      input($('wl'), 'WL_VISIBLE_3');
      input($('pw'), 'PW_CANARY_3');
      $('sel').selectedIndex = 0;
      break;
    case 6:
      $('pw').type = 'text';
      input($('pw'), 'PW_CANARY_4');
      $('pw').setAttribute('value', 'PW_CANARY_4');
      break;
    case 7:
      $('pw').type = 'password';
      // A card number in a whitelisted field: dropped, and the field stays secret.
      input($('wl'), '4111 1111 1111 1111');
      break;
    case 8:
      input($('wl'), 'WL_AFTER_CARD');
      // A field that becomes a card field later.
      $('wl2').setAttribute('autocomplete', 'cc-number');
      input($('wl2'), 'LATE_CC_CANARY');
      break;
    case 9:
      // Frameworks mirror values into attributes.
      $('plain').setAttribute('value', 'CENSOR_CANARY_3');
      $('wl2').setAttribute('value', 'LATE_CC_CANARY');
      $('link').href = '/reset?token=TOKEN_CANARY&x=2';
      break;
    default:
      return false;
  }
  return true;
}

/** Ids (html) of fields that became secret by their history, after `step`. */
export function stickySecrets(step) {
  const out = [];
  if (step >= 6) out.push('pw');
  if (step >= 7) out.push('wl');
  if (step >= 8) out.push('wl2');
  return out;
}
