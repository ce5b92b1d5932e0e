// A mixed-case attribute name on an HTML element (setAttributeNS(null, 'dataCamel', ...), as
// frameworks writing SVG-style names do): rrweb's virtual DOM (seeking) drops it, on a node
// added by a mutation and on an attribute mutation alike. The export could write HTML
// attribute names in lower case (rrweb builds them with setAttribute, which does so anyway).
export const html = `<!doctype html><html><head><title>t</title></head><body><div id="a"></div></body></html>`;
export const phases = [
  async () => {
    document.getElementById('a').setAttributeNS(null, 'dataCamel', 'on an existing node');
    const p = document.createElement('p');
    p.setAttributeNS(null, 'dataCamel', 'on a new node');
    document.body.appendChild(p);
  },
];
