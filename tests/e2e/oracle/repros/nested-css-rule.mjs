// CSS nesting: insertRule / deleteRule on a CSSStyleRule (a nested rule). CSSStyleRule has its
// own insertRule / deleteRule (it does not inherit CSSGroupingRule's), which the reader does
// not patch: the change is never recorded (the recorded sheet text keeps the old rules).
export const html = `<!doctype html><html><head><title>t</title><style id="s">.a { color: red }</style></head><body><p class="a">x</p></body></html>`;
export const phases = [
  async () => {
    document.getElementById('s').sheet.cssRules[0].insertRule('& .b { color: blue }', 0);
  },
];
