// An element removed (one delivery), then, while detached, its text child changed and a child
// appended, then put back (a later delivery).
export const html = `<!doctype html><html><head><title>t</title></head><body><div id="a"><p id="t">original</p></div><div id="b"></div></body></html>`;
export const phases = [
  async () => {
    window.__kept = document.getElementById('t');
    window.__kept.remove();
  },
  async () => {
    const t = window.__kept;
    t.appendChild(document.createTextNode('appended while detached'));
    t.firstChild.data = 'changed while detached';
    document.getElementById('b').appendChild(t);
  },
];
