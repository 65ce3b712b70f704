// chromium-page.js, evaluated in a blank page by chromium-page.mjs: one
// attached <div>, and 200 <div> elements, each holding a <span>, that are
// kept from JavaScript but never put in the document. DevTools names the
// kept ones "Detached <div>" and "Detached <span>".
document.body.innerHTML = '<div id="app"><p>attached</p></div>';
window.kept = [];
for (let i = 0; i < 200; i++) {
  const d = document.createElement('div');
  d.id = 'gone' + i;
  d.appendChild(document.createElement('span'));
  window.kept.push(d);
}
'ok';
