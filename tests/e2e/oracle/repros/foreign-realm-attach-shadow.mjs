// A shadow root attached through an element whose JS wrapper belongs to a realm the reader
// never patched: the element was created in a frame's document that came and went between two
// checkouts (the mutator's limbo moves nodes between documents; a frame that navigated leaves
// such wrappers behind), then adopted into the page. Its attachShadow is that realm's own.
export const html = `<!doctype html><html><head><title>t</title></head><body><div id="a">a</div></body></html>`;
export const phases = [
  async () => {
    const f = document.createElement('iframe');
    document.body.appendChild(f);
    const h = f.contentDocument.createElement('footer');
    h.id = 'host';
    h.appendChild(f.contentDocument.createElement('select'));
    f.remove();
    document.getElementById('a').appendChild(h);
    window.__host = h;
  },
  async () => {
    const root = window.__host.attachShadow({ mode: 'open' });
    root.innerHTML = '<slot></slot><q>q</q>';
  },
];
