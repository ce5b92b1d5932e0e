// Generated pages of the fidelity oracle (served under /gen/ next to the corpus), and the
// pages frames load (/gen/frames/, a subdirectory: relative URLs there resolve against the
// frame's own address, not the top page's).

/** Pages recorded by the oracle: path -> {type, body, loader}. `loader`: 'snippet' (default)
 * or 'static' (a static `<script async src=COLLECTOR/inspectlet.js?wid=N>`). */
export function generatedPages() {
  return {
    '/gen/kitchen-sink.html': { body: kitchenSink(), loader: 'static' },
    '/gen/with-base.html': { body: withBase() },
    '/gen/quirks.html': { body: quirks() },
    '/gen/large.html': { body: large(1500) },
    '/gen/nested-frames.html': { body: nestedFrames() },
    '/gen/xhtml.xhtml': { body: xhtml(), type: 'application/xhtml+xml' },
  };
}

/** Resources of the generated pages (not recorded on their own). */
export function generatedResources() {
  return {
    '/gen/frames/frame.html': {
      body: `<!doctype html><html><head><title>frame</title><link rel="stylesheet" href="frame.css"></head>
<body><p class="in-frame">a page in a frame <img src="pic.png" alt="relative to the frame"></p>
<a href="other.html">relative link</a><div style="background: url(bg.png)">styled</div></body></html>`,
    },
    '/gen/frames/frame.css': { body: '.in-frame { color: rgb(5, 6, 7); background: url("bg.png"); }\n', type: 'text/css' },
    '/gen/css/gen.css': {
      body: '@import url("imported.css");\n.gen { border: 1px solid; background: url(../img/g.png); }\n',
      type: 'text/css',
    },
    '/gen/css/imported.css': { body: '.imported { color: olive; }\n', type: 'text/css' },
  };
}

function kitchenSink() {
  return `<!DOCTYPE html>
<html lang="en" data-page="kitchen">
<head>
  <meta charset="utf-8">
  <title>kitchen sink</title>
  <link rel="stylesheet" href="css/gen.css">
  <style>
    body { font: 14px sans-serif; }
    .card:hover { outline: 1px solid; }
    @media (max-device-width: 2000px) { .wide { color: red; } }
    .bg { background: url("img/bg.png"); }
  </style>
  <style id="cssom"></style>
</head>
<body class="gen">
  <!-- a comment before everything -->
  <header><h1 id="title">Kitchen <em>sink</em></h1><nav><a href="/gen/quirks.html">quirks</a> <a href="#frag">frag</a> <a href="../x/../y.html">dots</a></nav></header>
  <main id="main">
    <section class="card wide" data-json='{"a":[1,2]}' title="quote &quot; and apos '">
      <p>Text with &amp; entities &lt;tags&gt; and&nbsp;nbsp, emoji 😀, and a <b>bold <i>italic</i></b> tail.</p>
      <pre>
  leading newline in pre</pre>
      <ul><li>one</li><li>two<!-- inline comment --></li><li>three <span>span</span></li></ul>
      <table border="1" background="img/table.png"><caption>cap</caption><tr><th>h</th><td background="img/td.png">1</td></tr><tr><td colspan="2">2</td></tr></table>
      <img src="img/a.png" srcset="img/a.png 1x, img/a@2x.png 2x" alt="pic">
      <picture><source srcset="img/b.webp" type="image/webp"><img src="img/b.png" alt="b"></picture>
      <object data="img/obj.svg" type="image/svg+xml"></object>
    </section>
    <form id="form" onsubmit="return false">
      <input id="text" value="initial"><input id="pw" type="password" value="hunter2">
      <input id="cb" type="checkbox" checked><input type="radio" name="r" id="r1" checked><input type="radio" name="r" id="r2">
      <input type="hidden" value="h"><input type="submit" value="Go"><input type="number" value="3">
      <textarea id="ta">
default text</textarea>
      <select id="sel"><option>a</option><option selected>b</option><optgroup label="g"><option value="c">c</option></optgroup></select>
      <select multiple><option selected>m1</option><option>m2</option><option selected>m3</option></select>
      <button type="button" onclick="void 0">button</button>
    </form>
    <svg id="pic" viewBox="0 0 100 100" xmlns:xlink="http://www.w3.org/1999/xlink">
      <defs><linearGradient id="grad"><stop offset="0" stop-color="red"/></linearGradient><circle id="dot" r="3"/></defs>
      <use href="#dot" x="5"/><use xlink:href="#dot" x="10"/><image href="img/svg-image.png" width="10" height="10"/>
      <g fill="url(#grad)"><rect width="10" height="10"/><text x="1" y="20">svg <tspan>text</tspan></text></g>
      <foreignObject width="50" height="50"><div xmlns="http://www.w3.org/1999/xhtml">html in <b>svg</b></div></foreignObject>
      <style>circle { fill: blue; }</style>
    </svg>
    <math><mrow><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mi>y</mi></mrow></math>
    <template id="tpl"><p>template content is not a child</p></template>
    <details open><summary>summary</summary><p>details</p></details>
    <dialog id="dlg">a dialog</dialog>
    <x-card id="host">light <span slot="s">slotted</span></x-card>
    <div id="scroller" style="height: 40px; overflow: auto"><div style="height: 400px">tall</div></div>
    <iframe id="f-srcdoc" srcdoc="<!doctype html><p>srcdoc <b>frame</b></p>"></iframe>
    <iframe id="f-blank"></iframe>
    <iframe id="f-src" src="frames/frame.html"></iframe>
    <xmp>raw <xmp> text</xmp>
    <noscript><p>noscript</p></noscript>
  </main>
  <script>
    // Built by script before the agent starts: an open shadow root, CSSOM rules, a blank frame.
    const host = document.getElementById('host');
    const sr = host.attachShadow({ mode: 'open' });
    sr.innerHTML = '<style>p { color: red }</style><p>shadow <slot name="s"></slot></p><span id="inner"></span>';
    sr.getElementById('inner').attachShadow({ mode: 'open' }).innerHTML = '<i>nested shadow</i>';
    const sheet = document.getElementById('cssom').sheet;
    sheet.insertRule('.from-script { color: green; }', 0);
    sheet.insertRule('@media screen { .in-media { color: blue; } }', 1);
    const fb = document.getElementById('f-blank').contentDocument;
    fb.body.innerHTML = '<h2>blank frame, filled by script</h2>';
    document.getElementById('text').value = 'typed before';
    document.getElementById('scroller').scrollTop = 20;
  </script>
</body>
</html>
`;
}

function withBase() {
  return `<!DOCTYPE html>
<html><head><base href="/gen/frames/"><title>base</title><link rel="stylesheet" href="frame.css"></head>
<body><p class="in-frame">resolved against the base <img src="pic.png"> <a href="other.html">link</a></p>
<div style="background-image: url('bg.png')">bg</div><img srcset="a.png 1x, /b.png 2x"></body></html>
`;
}

function quirks() {
  return `<!-- no doctype: quirks mode -->
<html><head><title>quirks</title></head>
<body bgcolor="white"><center><font face="serif" size="2">old <b>markup <i>misnested</b> here</i></font></center>
<table><tr><td>cell<p>para in cell</td></tr></table>
<p>unclosed paragraph<p>another<li>stray item
<form><input name="q" value="query"></form>
<a name="anchor">anchor</a><img src="../images/robot.png" width="10">
</body></html>
`;
}

function large(rows) {
  const out = [];
  for (let i = 0; i < rows; i++) {
    out.push(
      `<div class="row r${i}"><span>cell ${i}</span><a href="#${i}" title="link">go</a><input value="${i}"> </div>`,
    );
  }
  return `<!DOCTYPE html><html><head><title>large</title></head><body><div id="list">${out.join('\n')}</div></body></html>\n`;
}

function nestedFrames() {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const level2 = `<!doctype html><p>level 2</p><iframe srcdoc='<p>level 3</p><div id=deep>deep</div>'></iframe>`;
  const level1 = `<!doctype html><p>level 1</p><iframe srcdoc="${esc(level2)}"></iframe>`;
  return `<!DOCTYPE html>
<html><head><title>nested frames</title></head>
<body>
<iframe id="l1" srcdoc="${esc(level1)}"></iframe>
<iframe id="sub" src="frames/frame.html"></iframe>
<div id="shadow-frame-host"></div>
<script>
  const sr = document.getElementById('shadow-frame-host').attachShadow({ mode: 'open' });
  const f = document.createElement('iframe');
  sr.appendChild(f);
  f.contentDocument.body.innerHTML = '<p>a frame inside a shadow root</p>';
</script>
</body></html>
`;
}

function xhtml() {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:svg="http://www.w3.org/2000/svg" lang="en">
<head><title>xhtml</title><style>/*<![CDATA[*/ p { color: maroon; } /*]]>*/</style></head>
<body>
<p>An XHTML page: case-sensitive, <b>well-formed</b>, with CDATA.</p>
<svg:svg viewBox="0 0 10 10"><svg:text><![CDATA[cdata <inside> svg]]></svg:text></svg:svg>
<div><![CDATA[cdata in html]]></div>
<p xml:lang="fr">xml:lang</p>
<?processing instruction?>
</body>
</html>
`;
}
