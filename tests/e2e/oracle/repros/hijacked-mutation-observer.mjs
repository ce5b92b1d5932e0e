// A page that replaces window.MutationObserver before the agent starts (corpus page
// html/monkey-patched-elements.html does, emulating Salesforce Lightning): the reader takes
// the page's constructor, which throws, so the DOM is never recorded (no snapshot at all).
export const html = `<!doctype html><html><head><title>t</title><script>
MutationObserver = class { constructor() { throw new Error('MutationObserver was hijacked by framework'); } };
</script></head><body><p>x</p></body></html>`;
export const phases = [async () => {}];
