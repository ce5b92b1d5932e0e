// A link whose stylesheet is empty (here: a 404, which Chromium exposes as an empty sheet): the
// export writes `_cssText: ""`, which rrweb treats as absent (it converts a link only when
// `_cssText` is truthy) and sets as a literal `_csstext` attribute; the link has also lost its
// rel and href.
export const html = `<!doctype html><html><head><title>t</title><link rel="stylesheet" href="/no-such.css"></head><body><p>x</p></body></html>`;
export const phases = [async () => {}];
