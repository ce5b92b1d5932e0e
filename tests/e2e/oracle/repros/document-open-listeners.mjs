// document.open() on a same-origin frame document erases every event listener of that
// document (HTML spec, "document open steps"), the reader's capture listeners included: a frame
// inside the rewritten document that navigates afterwards is never re-listed (the replay keeps
// its initial about:blank document).
export const html = `<!doctype html><html><head><title>t</title></head><body><iframe id="f"></iframe></body></html>`;
export const phases = [
  async () => {
    const d = document.getElementById('f').contentDocument;
    d.open();
    d.write('<!doctype html><p>written</p><iframe id="inner"></iframe>');
    d.close();
  },
  async () => {
    const inner = document.getElementById('f').contentDocument.getElementById('inner');
    const loaded = new Promise((r) => inner.addEventListener('load', r, { once: true }));
    inner.src = '/gen/frames/frame.html';
    await loaded;
  },
];
