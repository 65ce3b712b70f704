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

  /* breakable sets e's text to a name that may wrap only where a reader
     expects it: after '/', '\\', ',' or ';', before '.', '(' or a space (a
     Go name, github.com/a/b/pkg.(*T).M file.go:12, wraps between its
     parts), but not before a file's extension; never inside a word. The
     breaks are <wbr> elements between text nodes, so e.textContent is the
     name, and the name is still only ever text. */
  function breakable(e, text) {
    nameParts(text).forEach(function (part, i) {
      if (i > 0) { e.appendChild(document.createElement('wbr')); }
      e.appendChild(document.createTextNode(part));
    });
    return e;
  }
  /* A file's extension stays with its name: file.go:12, heap-01.pb.gz. */
  var EXTENSION = /^\.[a-z0-9]{1,4}(?=[:. ]|$)/;
  /* nameParts splits a name where breakable lets it wrap. */
  function nameParts(text) {
    text = String(text);
    var parts = [], start = 0;
    for (var i = 1; i < text.length; i++) {
      var prev = text.charAt(i - 1), c = text.charAt(i);
      var after = '/\\,;'.indexOf(prev) >= 0;
      var before = '.('.indexOf(c) >= 0 && '/\\,;.( '.indexOf(prev) < 0 && !EXTENSION.test(text.slice(i));
      if (after || before || c === ' ') {
        parts.push(text.slice(start, i));
        start = i;
      }
    }
    parts.push(text.slice(start));
    return parts;
  }

  /* Canvas labels (the treemaps') are measured in the font ECharts draws
     them in. */
  var LABEL_FONT = '12px sans-serif', measurer = null;
  function textWidth(s) {
    if (!measurer) { measurer = document.createElement('canvas').getContext('2d'); }
    measurer.font = LABEL_FONT;
    return measurer.measureText(s).width;
  }
  /* cut shortens s to the parts of it that fit w px, with an ellipsis:
     "pkg138.(*Type69)…", never "pkg13…"; '' when not even its first part
     fits. */
  function cut(s, w) {
    var out = '';
    nameParts(s).some(function (part) {
      if (textWidth(out + part + '…') > w) { return true; }
      out += part;
      return false;
    });
    return out ? out + '…' : '';
  }
  /* fitLabel fits a label in a box of w×h px, as the HTML names wrap:
     lines ("\n" in text, and more where a line is too wide) break between
     the parts of a name, never inside a word; a line wider than the box
     keeps the parts that fit and an ellipsis, and lines beyond its height
     are left out, the last shown ending in one. A box too small for the
     name's first part gets no label, rather than "gi" or "g". With whole,
     it returns null rather than cut anything. */
  function fitLabel(text, w, h, lineHeight, whole) {
    var most = Math.floor(h / lineHeight), lines = [];
    if (most < 1 || textWidth('abc…') > w) { return whole ? null : ''; }
    String(text).split('\n').forEach(function (src) {
      var line = '';
      nameParts(src).forEach(function (part) {
        if (line && textWidth(line + part) > w) {
          lines.push(line);
          line = part.replace(/^ /, '');
        } else {
          line += part;
        }
      });
      lines.push(line);
    });
    var more = lines.length > most;
    if (whole && (more || lines.some(function (l) { return textWidth(l) > w; }))) { return null; }
    lines = lines.slice(0, most).map(function (l) { return textWidth(l) > w ? cut(l, w) : l; });
    /* A line that could not be cut to a whole part goes, with the lines
       after it, and the line before it ends in an ellipsis instead. */
    var gone = lines.indexOf('');
    if (gone >= 0) {
      lines = lines.slice(0, gone);
      more = true;
    }
    while (more && lines.length) {
      var last = lines[lines.length - 1];
      if (last.slice(-1) !== '…') { last = textWidth(last + '…') <= w ? last + '…' : cut(last, w); }
      if (last) {
        lines[lines.length - 1] = last;
        break;
      }
      lines.pop();
    }
    return lines.join('\n');
  }
  /* nameEl makes an element showing a name that wraps between its parts. */
  function nameEl(tag, cls, text) { return breakable(el(tag, cls), text); }

  /* count writes a count with thousands separators: 49,188, as
     toLocaleString('en-US') does, which is slow the first time (it loads
     the locale's data). */
  function count(n) {
    var s = String(n);
    return /^-?\d+$/.test(s) ? s.replace(/\B(?=(\d{3})+$)/g, ',') : Number(n).toLocaleString('en-US');
  }
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
    var dd = nameEl('dd', '', text);
    if (comments && comments.length) {
      var cm = el('div', 'comments');
      comments.forEach(function (s) { cm.appendChild(nameEl('span', '', s)); });
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

  /* byteAxis steps a value axis of bytes from lo to hi by round binary
     units (256KiB, 512KiB, 1MiB, ...), so that its labels read +1.0MiB
     rather than +976.6KiB. Shrinkage much smaller than a step gets just
     the room it needs, and no label of its own. Other units get ECharts'
     own steps (the nulls undo a previous type's). steps is about how many
     steps the axis takes, 4 when not given. */
  function byteAxis(u, lo, hi, steps) {
    if (u !== 'bytes' || !(hi > lo)) { return { interval: null, min: null, max: null, axisLabel: { customValues: null }, axisTick: { customValues: null } }; }
    var raw = (hi - lo) / (steps || 4), unitSize = 1;
    while (raw / unitSize >= 1024) { unitSize *= 1024; }
    var m = raw / unitSize, step = 1024;
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].some(function (s) { if (s >= m) { step = s; return true; } return false; });
    step *= unitSize;
    var tight = lo < 0 && -lo < step / 2;
    var min = tight ? lo * 1.05 : Math.floor(lo / step) * step, max = Math.ceil(hi / step) * step, at = [];
    for (var v = Math.ceil(min / step) * step; v <= max; v += step) { at.push(v); }
    return { interval: step, min: min, max: max, axisLabel: { customValues: at }, axisTick: { customValues: at } };
  }

  return { el: el, nameEl: nameEl, breakable: breakable, nameParts: nameParts, fitLabel: fitLabel, clear: clear, byId: byId, fmt: fmt, count: count,
    duration: duration, source: source, tipPosition: tipPosition, byteAxis: byteAxis };
})();
