// A linked stylesheet that goes away (its href removed): the recorded CSS of the link stays
// (there is no way to clear a prop), so replays still apply the old sheet.
export const html = `<!doctype html><html><head><title>t</title><link id="l" rel="stylesheet" href="/gen/frames/frame.css"></head><body><p class="in-frame">x</p></body></html>`;
export const phases = [
  async () => {
    document.getElementById('l').removeAttribute('href');
  },
];
