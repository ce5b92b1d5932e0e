// A shadow host moved after an attribute of a node in its shadow tree changed. The export
// removes the host and re-adds its whole subtree; rrweb's removal does not unmap the shadow
// tree's nodes (Mirror.removeNodeFromMap walks childNodes, not shadowRoot), so re-adding them
// reuses (or rebuilds beside) the stale nodes: the replay loses the attribute and nodes.
export const html = `<!doctype html><html><head><title>t</title></head><body><div id="a"><span id="host"></span></div><div id="b"></div></body></html>`;
export const phases = [
  async () => {
    const root = document.getElementById('host').attachShadow({ mode: 'open' });
    root.innerHTML = '<section id="s"><b id="inner">shadow</b><i>x</i></section>';
  },
  async () => {
    document.getElementById('host').shadowRoot.getElementById('inner').setAttribute('title', 'changed');
  },
  async () => {
    document.getElementById('b').appendChild(document.getElementById('host'));
  },
];
