// Form state against attribute changes: the export carries an option's selectedness (and an
// input's checkedness / value) as the `selected` (`checked`, `value`) attribute, but forwards
// the page's own changes of those attributes too. Once script has set the state (dirty), the
// page's attribute change no longer affects it, yet in rrweb it does.
export const html = `<!doctype html><html><head><title>t</title></head><body>
<select id="s" multiple><option id="a" selected>a</option><option id="b">b</option></select>
<input id="c" type="checkbox" checked><input id="t" value="attr"></body></html>`;
export const phases = [
  async () => {
    document.getElementById('a').selected = true;
    document.getElementById('c').checked = true;
    document.getElementById('t').value = 'typed';
  },
  async () => {
    document.getElementById('a').removeAttribute('selected');
    document.getElementById('c').removeAttribute('checked');
    document.getElementById('t').setAttribute('value', 'new attr');
  },
];
