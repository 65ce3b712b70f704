/* heapdiff trend report. Reads the trend from the JSON in #heapdiff-data
   and draws the header, the line chart and the ranked table from it.
   Strings from profiles only ever reach the page through textContent or
   canvas text: never as markup. */
var heapdiff = (function () {
  'use strict';

  /* Line colors: the total in ink, then a colour-blind-friendly set. */
  var TOTAL = '#1d232a';
  var PALETTE = ['#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  var CHARTED = 5; /* sites charted at first */

  var D = null;
  var state = { sort: null, asc: false, filter: '', charted: [] };
  var chart = null;

  /* ---------- helpers ---------- */

  var el = heapdiffDOM.el, clear = heapdiffDOM.clear, byId = heapdiffDOM.byId, fmt = heapdiffDOM.fmt;
  var duration = heapdiffDOM.duration, nameEl = heapdiffDOM.nameEl, count = heapdiffDOM.count;
  var TITLE = { fontSize: 12, fontWeight: 'normal', color: '#5f6b76' };
  /* plural names n things of a kind: 1 site, 2 sites, 3 classes. */
  function plural(word, n) { return n === 1 ? word : /(s|x|ch|sh)$/.test(word) ? word + 'es' : word + 's'; }

  function unit() { return D.type.unit; }
  function timeText(ms) {
    return ms === null ? '(no time)' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  /* slopeText mirrors report.slopeCell: "~" marks a slope within noise. */
  function slopeText(s) {
    if (!s.shape) { return ''; }
    return (s.sig ? '' : '~') + fmt(s.slope, unit(), true) + (D.timed ? '/h' : '/snap');
  }
  var BLOCKS = '▁▂▃▄▅▆▇█';
  /* spark mirrors report.sparkline. */
  function spark(values) {
    var n = values.length, width = Math.min(n, 24), b = [], lo = Infinity, hi = -Infinity, i, out = '';
    for (i = 0; i < width; i++) {
      var from = Math.floor(i * n / width), to = Math.floor((i + 1) * n / width), sum = 0;
      for (var j = from; j < to; j++) { sum += values[j]; }
      b.push(sum / (to - from));
      lo = Math.min(lo, b[i]); hi = Math.max(hi, b[i]);
    }
    for (i = 0; i < width; i++) {
      out += BLOCKS[hi > lo ? Math.round((b[i] - lo) / (hi - lo) * 7) : 0];
    }
    return out;
  }
  function shapeBadge(s) { return s.shape ? el('span', 'shape ' + s.shape, s.label) : el('span', '', ''); }
  function last(s) { return s.v[s.v.length - 1]; }

  /* ---------- header ---------- */

  function header() {
    var n = D.snapshots.length, first = D.snapshots[0], end = D.snapshots[n - 1];
    byId('subtitle').textContent = n + ' snapshots · ' + D.type.type + ' by ' + D.by + (D.timed ? ' · ' + duration(D.span) : ' · no times: in the order given');
    var dl = byId('sources');
    function add(k, v, comments) { heapdiffDOM.source(dl, k, v, comments); }
    add('first', first.name + '   ' + timeText(first.time), first.comments);
    add('last', end.name + '   ' + timeText(end.time), end.comments);
    add('grouping', 'by ' + D.by + '; ' + D.sampling);
    var tot = byId('totals'), T = D.total;
    [['first', fmt(T.v[0], unit(), false)], ['last', fmt(last(T), unit(), false)],
     ['growth', fmt(T.growth, unit(), true)], [D.timed ? 'per hour' : 'per snapshot', slopeText(T)],
     ['R²', T.r2.toFixed(2)]].forEach(function (kv) {
      var d = el('div');
      d.appendChild(el('div', 'k', kv[0]));
      d.appendChild(el('div', 'v', kv[1]));
      tot.appendChild(d);
    });
    var shapeBox = el('div');
    shapeBox.appendChild(el('div', 'k', 'shape'));
    var v = el('div', 'v');
    v.appendChild(shapeBadge(T));
    shapeBox.appendChild(v);
    tot.appendChild(shapeBox);
    tot.style.gridTemplateColumns = 'repeat(6, auto)';
    var w = byId('warnings');
    D.warnings.forEach(function (s) { w.appendChild(el('li', '', s)); });
    w.hidden = D.warnings.length === 0;
    var shapes = byId('shapes');
    D.shapes.forEach(function (s) { shapes.appendChild(shapeBadge({ shape: s[0], label: s[1] })); });
    shapes.appendChild(el('span', '', '~ = slope within sampling noise (≤ ' + D.threshold + ' standard deviations); grew = steps that grew / steps that changed'));
  }

  /* ---------- chart ---------- */

  function colorOf(i) { return PALETTE[state.charted.indexOf(i) % PALETTE.length]; }
  function points(s) {
    return s.v.map(function (v, j) { return D.timed ? [D.snapshots[j].time, v] : [j + 1, v]; });
  }
  /* yAxis bounds one panel's value axis from lo to hi, in round steps. */
  function yAxis(lo, hi, steps) { return heapdiffDOM.byteAxis(unit(), lo, hi, steps); }
  /* drawChart draws the total in the upper panel and the charted sites in
     the lower one, each on its own scale: beside a total of hundreds of
     GiB, sites of a few hundred MiB would lie flat at 0. */
  function drawChart() {
    var n = D.snapshots.length;
    var x = D.timed ? { type: 'time', min: D.snapshots[0].time, max: D.snapshots[n - 1].time } :
      { type: 'value', minInterval: 1, min: 1, max: n, axisLabel: { formatter: function (v) { return '#' + v; } } };
    var series = [{ name: 'total', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: points(D.total), showSymbol: false,
      lineStyle: { width: 3, color: TOTAL }, itemStyle: { color: TOTAL }, z: 3 }];
    var lo = 0, hi = 0, tlo = 0, thi = 0;
    D.total.v.forEach(function (v) { tlo = Math.min(tlo, v); thi = Math.max(thi, v); });
    state.charted.forEach(function (i) {
      var s = D.sites[i];
      s.v.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); });
      series.push({ name: '#' + (i + 1) + ' ' + s.n, type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: points(s), symbolSize: 5, site: i,
        lineStyle: { width: 2, color: colorOf(i) }, itemStyle: { color: colorOf(i) } });
    });
    var k = state.charted.length;
    chart.setOption({
      title: [
        { text: 'total heap', left: 0, top: 4, textStyle: TITLE },
        { text: k ? (k === 1 ? 'the site below' : 'the ' + k + ' ' + plural(D.by, k) + ' below') + ', on a scale of their own' : 'no ' + D.by + ' charted: click a row below to chart it',
          left: 0, top: D.layout.sitesTop - 24, textStyle: TITLE }
      ],
      xAxis: [extend({}, x), extend({}, x)],
      yAxis: [yAxis(tlo, thi, 3), yAxis(lo, hi, 4)],
      series: series
    }, { replaceMerge: ['series'] });
    byId('trend-note').textContent = 'click a row below to chart it, or a name here to take it off';
    legend();
    document.querySelectorAll('#rows-body tr.row').forEach(function (tr) {
      var i = Number(tr.getAttribute('data-site')), on = state.charted.indexOf(i) >= 0;
      tr.classList.toggle('charted', on);
      tr.style.setProperty('--row-color', on ? colorOf(i) : '');
    });
  }
  /* legend lists the charted sites above the chart, whole names that wrap
     between their parts: a canvas legend would cut them short. */
  function legend() {
    var ul = byId('trend-legend');
    clear(ul);
    state.charted.forEach(function (i) {
      var li = el('li');
      li.setAttribute('data-site', String(i));
      li.style.setProperty('--row-color', colorOf(i));
      li.appendChild(el('span', 'swatch'));
      li.appendChild(nameEl('span', '', '#' + (i + 1) + ' ' + D.sites[i].n));
      li.title = 'click to take it off the chart';
      li.addEventListener('click', function () { toggle(i); });
      ul.appendChild(li);
    });
  }
  function extend(a, b) { Object.keys(b).forEach(function (k) { a[k] = b[k]; }); return a; }
  function toggle(i) {
    var k = state.charted.indexOf(i);
    if (k >= 0) { state.charted.splice(k, 1); } else { state.charted.push(i); }
    drawChart();
  }

  /* ---------- table ---------- */

  var columns = [
    { key: 'rank', title: '#', value: function (r) { return r.i + 1; }, text: function (r) { return r.s.shape ? String(r.i + 1) : ''; } },
    { key: 'shape', title: 'shape', value: function (r) { return r.i; }, cell: function (r) { return shapeBadge(r.s); }, cls: 'left' },
    { key: 'slope', title: 'per hour', value: function (r) { return r.s.slope; }, text: function (r) { return slopeText(r.s); } },
    { key: 'growth', title: 'growth', value: function (r) { return r.s.growth; }, text: function (r) { return fmt(r.s.growth, unit(), true); } },
    { key: 'last', title: 'last', value: function (r) { return last(r.s); }, text: function (r) { return fmt(last(r.s), unit(), false); } },
    { key: 'r2', title: 'R²', value: function (r) { return r.s.r2; }, text: function (r) { return r.s.shape ? r.s.r2.toFixed(2) : ''; } },
    { key: 'grew', title: 'grew', value: function (r) { return r.s.up + r.s.down ? r.s.up / (r.s.up + r.s.down) : -1; },
      text: function (r) { return r.s.shape ? (r.s.up + r.s.down ? r.s.up + '/' + (r.s.up + r.s.down) : '-') : ''; } },
    { key: 'trend', title: 'trend', value: function (r) { return r.s.slope; }, text: function (r) { return spark(r.s.v); }, cls: 'spark' },
    { key: 'name', title: '', value: function (r) { return r.s.n; }, text: function (r) { return r.s.n; }, cls: 'name' }
  ];
  function makeColumns() {
    columns[2].title = D.timed ? 'per hour' : 'per snapshot';
    columns[columns.length - 1].title = D.by;
    if (D.sites.some(function (s) { return s.k; })) {
      /* what a site kept of what it allocated, first snapshot to last */
      columns.splice(4, 0, { key: 'kept', title: 'kept', value: function (r) { return r.s.k ? r.s.k[0] : -Infinity; },
        text: function (r) { return r.s.k ? Math.round(100 * r.s.k[0]) + '%±' + Math.round(100 * r.s.k[1]) : ''; } });
    }
    var head = byId('rows-head');
    columns.forEach(function (c) {
      var th = el('th', c.cls === 'name' || c.cls === 'left' ? c.cls : '', c.title);
      th.addEventListener('click', function () {
        state.asc = state.sort === c.key ? !state.asc : c.key === 'name' || c.key === 'rank' || c.key === 'shape';
        state.sort = c.key;
        table();
      });
      c.th = th;
      head.appendChild(th);
    });
  }
  function table() {
    var rows = D.sites.map(function (s, i) { return { i: i, s: s }; });
    var f = state.filter.toLowerCase();
    if (f) { rows = rows.filter(function (r) { return r.s.n.toLowerCase().indexOf(f) >= 0; }); }
    if (state.sort) {
      var col = columns.filter(function (c) { return c.key === state.sort; })[0];
      rows.sort(function (a, b) {
        var x = col.value(a), y = col.value(b), d = x < y ? -1 : x > y ? 1 : 0;
        return (state.asc ? d : -d) || a.i - b.i;
      });
    }
    columns.forEach(function (c) {
      c.th.classList.toggle('sorted', c.key === state.sort);
      c.th.classList.toggle('asc', c.key === state.sort && state.asc);
    });
    var body = byId('rows-body');
    clear(body);
    rows.forEach(function (r) {
      var tr = el('tr', 'row');
      tr.setAttribute('data-site', String(r.i));
      columns.forEach(function (c) {
        var td = el('td', c.cls || '');
        if (c.cell) { td.appendChild(c.cell(r)); } else if (c.cls === 'name') { heapdiffDOM.breakable(td, c.text(r)); } else { td.textContent = c.text(r); }
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () { toggle(r.i); });
      body.appendChild(tr);
    });
    if (D.other && !f) {
      var tr = el('tr', 'other');
      columns.forEach(function (c) {
        tr.appendChild(el('td', c.cls || '', c.key === 'name' ? '(' + count(D.other.count) + ' more ' + plural(D.by, D.other.count) + ', summed)' : c.key === 'growth' ? fmt(D.other.growth, unit(), true) :
          c.key === 'last' ? fmt(last(D.other), unit(), false) : c.key === 'trend' ? spark(D.other.v) : ''));
      });
      body.appendChild(tr);
    }
    byId('row-count').textContent = rowCount(rows.length, f);
    drawChart();
  }

  /* rowCount says how many sites the trend has and how many the table
     shows: it holds the first D.sites.length, and sums the others in its
     last row. */
  function rowCount(matched, filtered) {
    var n = D.count, shown = D.sites.length, what = plural(D.by, n);
    if (filtered) {
      return count(matched) + ' of ' + (shown < n ? 'the first ' + count(shown) + ' of ' : '') + count(n) + ' ' + what + ' match';
    }
    return count(n) + ' ' + what + (shown < n ? ': the first ' + count(shown) + ' in the table, the other ' + count(n - shown) + ' summed in its last row' : '');
  }

  /* ---------- tooltips (elements, never HTML strings) ---------- */

  var tooltip = {
    trend: function (p) {
      var j = p.dataIndex, snap = D.snapshots[j];
      if (!snap) { return ''; }
      var box = el('div', 'tip');
      box.appendChild(nameEl('div', 'tname', p.seriesName));
      var t = el('table');
      [['snapshot', snap.name], ['time', timeText(snap.time)], ['value', fmt(p.value[1], unit(), false)]].forEach(function (r) {
        var tr = el('tr');
        tr.appendChild(el('td', '', r[0]));
        tr.appendChild(el('td', '', r[1]));
        t.appendChild(tr);
      });
      box.appendChild(t);
      return box;
    }
  };

  /* ---------- wiring ---------- */

  function start() {
    D = JSON.parse(byId('heapdiff-data').textContent);
    chart = echarts.getInstanceByDom(byId('trend'));
    /* Chart the first sites that move; flat ones say nothing over time. */
    D.sites.forEach(function (s, i) {
      if (state.charted.length < CHARTED && s.shape !== 'flat') { state.charted.push(i); }
    });
    byId('filter').addEventListener('input', function (e) { state.filter = e.target.value; table(); });
    window.addEventListener('resize', function () { chart.resize(); });
    header();
    makeColumns();
    table();
    document.documentElement.setAttribute('data-ready', '1');
  }

  return {
    start: start,
    tooltip: tooltip,
    state: state,
    axisValue: function (v) { return D ? fmt(v, unit(), false) : String(v); },
    /* chartedNames lists the series the chart shows, for tests. */
    chartedNames: function () { return chart.getOption().series.map(function (s) { return s.name; }); }
  };
})();
