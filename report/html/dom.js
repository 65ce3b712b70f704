/* Helpers shared by heapdiff's pages (report.js, trend.js). Strings from
   profiles reach the page only through el's textContent: never as markup. */
var heapdiffDOM = (function () {
  'use strict';

  /* el makes an element with a class and text (set as text, never HTML). */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } }
  function byId(id) { return document.getElementById(id); }

  var IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  /* fmt mirrors report.formatValue. */
  function fmt(v, unit, signed) {
    var sign = '';
    if (v < 0) { sign = '-'; v = -v; } else if (signed && v > 0) { sign = '+'; }
    if (unit === 'bytes') {
      var i = 0;
      while (v >= 1024 && i < IEC.length - 1) { v /= 1024; i++; }
      return sign + (i === 0 ? v.toFixed(0) : v.toFixed(1)) + IEC[i];
    }
    if (unit === 'nanoseconds') { return sign + (v / 1e9).toPrecision(4) + 's'; }
    if (v >= 1e9) { return sign + (v / 1e9).toFixed(1) + 'G'; }
    if (v >= 1e6) { return sign + (v / 1e6).toFixed(1) + 'M'; }
    if (v >= 1e4) { return sign + (v / 1e3).toFixed(1) + 'k'; }
    return sign + Math.round(v).toFixed(0);
  }

  /* duration writes seconds as 1h50m, 3m20s, 45s. */
  function duration(sec) {
    sec = Math.round(sec);
    var h = Math.floor(sec / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
    return (h ? h + 'h' : '') + (m ? m + 'm' : '') + (s || (!h && !m) ? s + 's' : '');
  }

  /* source adds a profile to a <dl>: its label, its description, and its
     comments as chips. */
  function source(dl, label, text, comments) {
    dl.appendChild(el('dt', '', label));
    var dd = el('dd', '', text);
    if (comments && comments.length) {
      var cm = el('div', 'comments');
      comments.forEach(function (s) { cm.appendChild(el('span', '', s)); });
      dd.appendChild(cm);
    }
    dl.appendChild(dd);
  }

  /* tipPosition places a tooltip where ECharts puts it by default, 20px
     beside the pointer on the side with room. Being a function, it also
     keeps ECharts from drawing the arrow it adds to tooltips shown at a
     named position ('bottom', as dispatchAction showTip asks): the arrow is
     markup with a style attribute, which the page's Content-Security-Policy
     refuses. */
  function tipPosition(point, size) {
    var x = point[0], y = point[1], w = size.contentSize[0], h = size.contentSize[1];
    x = x + w + 22 > size.viewSize[0] ? x - w - 20 : x + 20;
    y = y + h + 20 > size.viewSize[1] ? y - h - 20 : y + 20;
    return [x, y];
  }

  return { el: el, clear: clear, byId: byId, fmt: fmt, duration: duration, source: source, tipPosition: tipPosition };
})();
