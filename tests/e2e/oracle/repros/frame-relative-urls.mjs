// A same-origin frame whose page lives in another directory (/gen/frames/): its relative URLs
// (img src, a href, style url(), and url() in its linked sheet, which resolve against the
// sheet's own URL) are made absolute against the top page's URL in the rrweb export.
export const html = `<!doctype html><html><head><title>t</title></head><body><iframe id="f" src="/gen/frames/frame.html"></iframe></body></html>`;
export const phases = [
  async () => {
    const f = document.getElementById('f');
    if (!f.contentDocument || f.contentDocument.readyState !== 'complete' || !f.contentDocument.querySelector('p')) {
      await new Promise((r) => f.addEventListener('load', r, { once: true }));
    }
  },
];
