// Moving a <style> element (removing and inserting it again) makes the browser parse its sheet
// again from its text: rules added through the CSSOM are gone. The recorder keeps the CSS it
// recorded before the move (with the inserted rule) until the sheet changes again.
export const html = `<!doctype html><html><head><title>t</title><style id="s">h1 { color: navy }</style></head><body><div id="d"></div></body></html>`;
export const phases = [
  async () => {
    document.getElementById('s').sheet.insertRule('.x { color: red }', 0);
  },
  async () => {
    document.getElementById('d').appendChild(document.getElementById('s'));
  },
];
