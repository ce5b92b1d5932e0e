// A rule changed through its CSSStyleDeclaration (rule.style.setProperty / removeProperty /
// cssText), as CSS-in-JS libraries do: no patched CSSOM method sees it, so the recorded sheet
// keeps the old declarations (rrweb's recorder records these as StyleDeclaration events).
export const html = `<!doctype html><html><head><title>t</title><style id="s">.a { color: red }</style></head><body><p class="a">x</p></body></html>`;
export const phases = [
  async () => {
    document.getElementById('s').sheet.cssRules[0].style.setProperty('color', 'blue');
  },
];
