/* heapdiff HTML report. Reads the comparison from the JSON in
   #heapdiff-data and draws the header, charts and table from it, and the
   rows' call stacks, when one is opened, from #heapdiff-stacks. Strings
   from profiles only ever reach the page through textContent, DOM
   properties or canvas text: never as markup. */
var heapdiff = (function () {
  'use strict';

  var RED = [220, 50, 32], BLUE = [26, 133, 255], WHITE = [255, 255, 255];
  var NOISE = '#a3a3a3', SAME = '#dcdcdc', FOLDED = '#c7ced6';
  var FLAME_ROW = 20;

  var D = null;          /* the report data */
  var S = function (i) { return D.strings[i]; };
  var state = { type: 0, sort: null, asc: false, filter: '', open: {}, flameBase: false, zoom: 0 };
  var charts = {};
  var flameItems = [];
  var tree = null;       /* children lists and depths of the call tree */

  /* ---------- helpers ---------- */

  var el = heapdiffDOM.el, clear = heapdiffDOM.clear, byId = heapdiffDOM.byId, fmt = heapdiffDOM.fmt;
  var duration = heapdiffDOM.duration, nameEl = heapdiffDOM.nameEl, byteAxis = heapdiffDOM.byteAxis, count = heapdiffDOM.count;
  /* setup keeps a chart's set-up options (its go-echarts snippet's, see
     waitToDraw in html_charts.go) until draw gives them to the chart with
     its data: ECharts draws a chart on every setOption, and the empty chart
     would be drawn for nothing. */
  var setups = {};
  function setup(id, option) { setups[id] = option; }

  /* setHeight sizes a chart's element; the chart takes the new size when
     it is next drawn (draw). */
  var resized = {};
  function setHeight(id, h) {
    var style = byId(id).style;
    if (style.height !== h + 'px') {
      style.height = h + 'px';
      resized[id] = true;
    }
  }
  /* draw gives a chart its option and draws it once, at its element's size,
     with its set-up options the first time: the options wait (lazyUpdate)
     for the resize, which draws them. */
  function draw(id, option) {
    var chart = charts[id], first = setups[id];
    if (first || resized[id]) {
      delete setups[id];
      resized[id] = false;
      if (first) { chart.setOption(first, { lazyUpdate: true }); }
      chart.setOption(option, { lazyUpdate: true });
      chart.resize();
    } else {
      chart.setOption(option);
    }
  }

  function unit() { return D.types[state.type].unit; }

  /* A change is [base, target, noise, significant]. */
  function delta(c) { return c[1] - c[0]; }
  function sig(c) { return c[3] === 1; }
  function pct(c) { return c[0] === 0 ? null : delta(c) / Math.abs(c[0]) * 100; }
  /* pctCell mirrors report.percentCell: the comparison decides what is noise. */
  function pctCell(c) {
    var d = delta(c);
    if (d === 0) { return '0%'; }
    if (c[0] === 0) { return sig(c) ? 'new' : '~ new'; }
    if (c[1] === 0) { return sig(c) ? 'gone' : '~ gone'; }
    if (!sig(c)) { return '~'; }
    var p = pct(c);
    return (p > 0 ? '+' : '') + p.toFixed(1) + '%';
  }
  function rate(c) { return D.interval > 0 ? delta(c) / (D.interval / 3600) : null; }
  function rateCell(c) { var r = rate(c); return r === null ? '' : fmt(r, unit(), true) + '/h'; }
  function cls(c) {
    var d = delta(c);
    if (d === 0) { return ''; }
    if (!sig(c)) { return 'noise'; }
    return d > 0 ? 'grew' : 'shrank';
  }
  function mix(a, b, k) {
    return 'rgb(' + Math.round(a[0] + (b[0] - a[0]) * k) + ',' + Math.round(a[1] + (b[1] - a[1]) * k) + ',' + Math.round(a[2] + (b[2] - a[2]) * k) + ')';
  }
  /* color: red grew, blue shrank, grey within noise; strength from 0 to 1 pales it. */
  function color(d, significant, strength) {
    if (d === 0) { return SAME; }
    if (!significant) { return NOISE; }
    var k = 0.3 + 0.7 * Math.min(1, Math.max(0, strength));
    return mix(WHITE, d > 0 ? RED : BLUE, k);
  }
  function shortName(name) {
    /* github.com/a/b/pkg.(*T).M file.go:12 -> pkg.(*T).M file.go:12 */
    var sp = name.indexOf(' ');
    var fn = sp < 0 ? name : name.slice(0, sp);
    var slash = fn.lastIndexOf('/', fn.indexOf('(') < 0 ? fn.length : fn.indexOf('('));
    return slash < 0 ? name : name.slice(slash + 1);
  }
  function baseName(path) { var i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')); return i < 0 ? path : path.slice(i + 1); }
  function timeText(t) { return t ? t.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '(no time)'; }

  /* tip builds a tooltip element: a title and rows of [label, value, class]. */
  function tip(title, rows, note) {
    var box = el('div', 'tip');
    box.appendChild(nameEl('div', 'tname', title));
    var t = el('table');
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', '', r[0]));
      tr.appendChild(el('td', r[2] || '', r[1]));
      t.appendChild(tr);
    });
    box.appendChild(t);
    if (note) { box.appendChild(el('div', 'noise', note)); }
    return box;
  }
  function changeRows(c) {
    var u = unit(), rows = [
      ['base', fmt(c[0], u, false)],
      ['target', fmt(c[1], u, false)],
      ['delta', fmt(delta(c), u, true) + '  ' + pctCell(c), cls(c)]
    ];
    var r = rateCell(c);
    if (r) { rows.push(['per hour', r, cls(c)]); }
    if (c[2] > 0) { rows.push(['noise (1σ)', '±' + fmt(c[2], u, false)]); }
    return rows;
  }
  function noiseNote(c) { return delta(c) !== 0 && !sig(c) ? '~ within sampling noise' : ''; }

  /* ---------- header ---------- */

  function header() {
    var c = D.total[state.type], u = unit();
    var sub = byId('subtitle');
    clear(sub);
    heapdiffDOM.breakable(sub, D.base.name + '  →  ' + D.target.name);
    var totals = byId('totals');
    clear(totals);
    var cards = [['base', fmt(c[0], u, false), ''], ['target', fmt(c[1], u, false), ''],
      ['delta', fmt(delta(c), u, true), cls(c)], ['change', pctCell(c), cls(c)],
      ['per hour', rateCell(c) || 'unknown', cls(c)]];
    if (D.snapshot) { cards = snapshotCards(); }
    cards.forEach(function (kv) {
      var d = el('div');
      d.appendChild(el('div', 'k', kv[0]));
      d.appendChild(el('div', 'v ' + kv[2], kv[1]));
      totals.appendChild(d);
    });
  }

  function sources() {
    var dl = byId('sources');
    clear(dl);
    function add(k, v, comments) { heapdiffDOM.source(dl, k, v, comments); }
    add('base', D.base.name + '   ' + timeText(D.base.time), D.base.comments);
    add('target', D.target.name + '   ' + timeText(D.target.time) + (D.interval > 0 ? '   (' + duration(D.interval) + ' later)' : ''), D.target.comments);
    var sampled = D.target.period > 0 && D.target.period_type.unit === 'bytes';
    var sampling = sampled ? 'sampled every ' + fmt(D.target.period, 'bytes', false) : 'exact values';
    /* exact values are never within sampling noise */
    byId('legend-noise').hidden = !sampled;
    if (D.snapshot) {
      add('grouping', 'by class, as in DevTools\' Comparison view; heap snapshots: exact values' +
        (D.snapshot.ids ? '' : '; no # new, # deleted, alloc. size, freed size or size delta: object ids differ'));
    } else {
      add('grouping', 'by ' + D.by + (D.cum ? ', with cumulative values' : '') + (D.normalized ? ', base normalized to the target' : '') + '; ' + sampling);
    }
    var w = byId('warnings');
    clear(w);
    D.warnings.forEach(function (s) { w.appendChild(el('li', '', s)); });
    w.hidden = D.warnings.length === 0;
    byId('threshold').textContent = String(D.threshold);
  }

  /* ---------- top growers ---------- */

  function growers() {
    var t = state.type, u = unit();
    var rows = D.rows.map(function (r) { return { name: S(r.n), c: r.v[t], r: r }; });
    var up = rows.filter(function (r) { return delta(r.c) > 0; }).sort(function (a, b) { return delta(b.c) - delta(a.c); });
    var down = rows.filter(function (r) { return delta(r.c) < 0; }).sort(function (a, b) { return delta(a.c) - delta(b.c); });
    var nDown = Math.min(down.length, Math.max(5, 20 - up.length));
    var shown = up.slice(0, 20 - nDown).concat(down.slice(0, nDown).reverse());
    var max = 0, lo = 0, hi = 0;
    shown.forEach(function (r) {
      var d = delta(r.c);
      max = Math.max(max, Math.abs(d));
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    });
    byId('growers-empty').hidden = shown.length > 0;
    byId('growers-note').textContent = D.snapshot ? 'shallow delta: the change of the objects\' own (shallow) size, which adds up' : 'by ' + D.by + ', ' + D.types[t].type;
    /* the bars and the treemap beside them share a height */
    var h = Math.max(460, shown.length * 24 + 40);
    setHeight('growers', h);
    setHeight('sites', h);
    draw('growers', {
      /* names cut between their parts to the axis' 260px (fitLabel) */
      yAxis: [{ data: shown.map(function (r) { return (sig(r.c) ? '' : '~ ') + shortName(r.name); }),
        axisLabel: { formatter: function (v) { return heapdiffDOM.fitLabel(v, 256, LABEL_LINE, LABEL_LINE); } } }],
      xAxis: [(function (ax) {
        return extend(ax, { splitNumber: 4, axisLabel: extend({ hideOverlap: true, formatter: function (v) { return fmt(v, u, true); } }, ax.axisLabel) });
      }(byteAxis(u, lo, hi)))],
      series: [{
        barMaxWidth: 28,
        data: shown.map(function (r) {
          return {
            value: delta(r.c), row: r,
            itemStyle: { color: color(delta(r.c), sig(r.c), 1), decal: sig(r.c) ? null : { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 3], rotation: -Math.PI / 4, color: 'rgba(255,255,255,0.6)' } }
          };
        }),
        label: { show: true, position: 'right', color: '#444', formatter: function (p) { return fmt(p.value, u, true) + '  ' + pctCell(p.data.row.c); } }
      }]
    });
  }

  function extend(a, b) { Object.keys(b).forEach(function (k) { a[k] = b[k]; }); return a; }

  /* ---------- treemap of growth by site ---------- */

  /* sites draws the treemap of the shown type's growth: D.growth[t], boxes
     by package path, function and site, the parts of a group under 1% of
     the growth summed in one "(N more)" box (see report.htmlGrowthOf). */
  function sites() {
    var t = state.type, g = D.growth[t], nodes = g.nodes, max = 0, depth = [0], parts = [];
    nodes.forEach(function (n, i) {
      if (i > 0) { depth[i] = depth[n.p] + 1; parts[n.p] = true; }
    });
    /* colors are relative to the largest box drawn whole at first */
    nodes.forEach(function (n, i) { if (i > 0 && (!parts[i] || depth[i] >= TREEMAP_DEPTH)) { max = Math.max(max, delta(n.c)); } });
    var items = nodes.map(function (n) {
      /* a box that sums sites has its sum's color: diff.SumRows says
         whether the sum is beyond noise */
      return { name: n.m ? '(' + count(n.m) + ' more)' : S(n.n), short: n.m ? '' : S(n.a), node: n, value: n.v,
        itemStyle: { color: color(delta(n.c), sig(n.c), Math.sqrt(delta(n.c) / max)) } };
    });
    var top = [];
    nodes.forEach(function (n, i) {
      if (n.p === 0) { top.push(items[i]); } else if (n.p > 0) { (items[n.p].children = items[n.p].children || []).push(items[i]); }
    });
    byId('sites-note').textContent = growthNote(g);
    byId('sites-empty').hidden = top.length > 0;
    draw('sites', {
      series: [{
        /* two levels at a time; a click on a box fills the chart with it */
        data: top, visibleMin: 300, leafDepth: TREEMAP_DEPTH, drillDownIcon: '', zoomToNodeRatio: 0.9 * 0.9,
        label: { show: true, color: '#fff', fontSize: 12, fontFamily: 'sans-serif', lineHeight: LABEL_LINE, formatter: boxLabel },
        upperLabel: { show: true, height: 20, color: '#fff', fontSize: 12, fontFamily: 'sans-serif', formatter: headerLabel },
        breadcrumb: { show: true, bottom: 2, itemStyle: { color: '#607d8b' } }
      }]
    });
  }

  /* The treemaps' labels are fitted to their boxes (heapdiffDOM.fitLabel):
     ECharts would cut a name to what fits, "gi" or "g". Where a box is, is
     ECharts' own layout of its data (an inner API: the browser tests check
     the labels it gives); its label has the box less its border (at most
     3px) and its padding (5px) on each side. */
  var LABEL_LINE = 15, LABEL_INSET = 2 * (3 + 5) + 2, TREEMAP_DEPTH = 2;
  function boxOf(p) {
    var model = charts.sites.getModel(), series = model && model.getSeriesByIndex(0);
    return series ? series.getData().getItemLayout(p.dataIndex) : null;
  }
  function boxLabel(p) { return fitted(p, boxOf(p), false); }
  function headerLabel(p) { return fitted(p, boxOf(p), true); }
  /* fitted is the label that fits a box: its name, else its short name
     (a function without its package), else that cut short. */
  function fitted(p, box, header) {
    if (!box) { return ''; }
    var w = box.width - LABEL_INSET, h = header ? LABEL_LINE : box.height - LABEL_INSET;
    var name = heapdiffDOM.fitLabel(p.name, w, h, LABEL_LINE, true), d = p.data || {};
    if (name === null && d.short) { name = heapdiffDOM.fitLabel(d.short, w, h, LABEL_LINE, true); }
    if (name === null && d.node && d.node.m) { return ''; } /* "(8 more)" whole, or nothing */
    return name !== null ? name : heapdiffDOM.fitLabel(d.short || p.name, w, h, LABEL_LINE);
  }

  /* growthNote says what the treemap's areas add up to: the growth of the
     sites that grew, beside what the others shrank, which make the net
     change. */
  function growthNote(g) {
    var u = unit();
    if (!g.grew) { return ''; }
    var note = 'area = growth: ' + count(g.grew) + ' site' + (g.grew === 1 ? '' : 's') + ' grew ' + fmt(g.growth, u, true);
    if (g.shrank) {
      note += ', ' + count(g.shrank) + ' shrank ' + fmt(g.shrink, u, true) + ', net ' + fmt(g.growth + g.shrink, u, true);
    }
    if (g.nodes.some(function (n, i) { return n.m || n.s > 1 && !g.nodes.some(function (o) { return o.p === i; }); })) {
      note += '; parts under 1% of the growth are summed';
    }
    return note + '; click to zoom in';
  }

  /* ---------- flame graph ---------- */

  function buildTree() {
    var n = D.tree.parent.length, kids = [], depth = new Array(n), folded = {};
    for (var i = 0; i < n; i++) { kids.push([]); }
    for (i = 1; i < n; i++) { kids[D.tree.parent[i]].push(i); }
    depth[0] = 0;
    for (i = 1; i < n; i++) { depth[i] = depth[D.tree.parent[i]] + 1; }
    D.tree.folded.forEach(function (f) { folded[f] = true; });
    tree = { kids: kids, depth: depth, folded: folded };
  }

  function nodeChange(i) {
    var v = D.tree.values[state.type];
    return [v.b[i], v.t[i], 0, v.s[i]];
  }
  function width(i) {
    var v = D.tree.values[state.type];
    return Math.max(0, state.flameBase ? v.b[i] : v.t[i]);
  }

  function flame() {
    var items = [], z = state.zoom, rootW = width(z), maxDepth = 0;
    /* the zoomed node's callers span the whole width above it */
    var path = [];
    for (var a = z; a >= 0; a = D.tree.parent[a]) { path.unshift(a); }
    path.forEach(function (i, d) { items.push([0, 1, d, i]); });
    function lay(i, x0, d) {
      var kids = tree.kids[i], x = x0;
      for (var k = 0; k < kids.length; k++) {
        var w = rootW > 0 ? width(kids[k]) / rootW : 0;
        if (w >= 0.0004) {
          items.push([x, x + w, d, kids[k]]);
          maxDepth = Math.max(maxDepth, d);
          lay(kids[k], x, d + 1);
        }
        x += w;
      }
    }
    maxDepth = path.length - 1;
    lay(z, 0, path.length);
    flameItems = items;
    var crumbs = byId('flame-crumbs');
    clear(crumbs);
    if (z !== 0) {
      crumbs.appendChild(el('span', '', 'zoomed to: '));
      path.forEach(function (i, k) {
        if (k > 0) { crumbs.appendChild(el('span', '', ' › ')); }
        var link = nameEl('a', '', i === 0 ? 'root' : shortName(S(D.tree.name[i])));
        link.title = S(D.tree.name[i]);
        link.addEventListener('click', function () { zoomTo(i); });
        crumbs.appendChild(link);
      });
    }
    setHeight('flame', (maxDepth + 1) * FLAME_ROW + 2);
    draw('flame', { series: [{ data: items, renderItem: flameItem }] });
  }

  function flameItem(params, api) {
    var x0 = api.value(0), x1 = api.value(1), d = api.value(2), i = api.value(3);
    var W = api.getWidth();
    var x = x0 * W, w = Math.max(1, (x1 - x0) * W - 1);
    var c = nodeChange(i), dl = delta(c);
    var big = Math.max(Math.abs(c[0]), Math.abs(c[1]));
    var fill = tree.folded[i] ? FOLDED : color(dl, sig(c), big > 0 ? Math.abs(dl) / big : 0);
    var rect = {
      type: 'rect',
      shape: { x: x, y: d * FLAME_ROW, width: w, height: FLAME_ROW - 1 },
      style: { fill: fill, stroke: '#fff', lineWidth: 0.5 }
    };
    /* the name, or the parts of it that fit, never a stub (fitLabel) */
    var label = w < 30 ? '' : heapdiffDOM.fitLabel(i === 0 ? 'root' : shortName(S(D.tree.name[i])), w - 8, FLAME_ROW, FLAME_ROW);
    if (label) {
      rect.textContent = { style: { text: label, fill: '#1d232a', font: '12px sans-serif' } };
      rect.textConfig = { position: 'insideLeft', distance: 3 };
    }
    return rect;
  }

  function zoomTo(i) { state.zoom = i; flame(); }

  /* ---------- table ---------- */

  var columns = [];
  function makeColumns() {
    columns = D.snapshot ? snapshotColumns() : [
      { key: 'name', title: D.by, cls: 'name', get: function (r) { return r.name; } },
      { key: 'base', title: 'base', get: function (r) { return r.c[0]; }, show: function (r) { return fmt(r.c[0], unit(), false); } },
      { key: 'target', title: 'target', get: function (r) { return r.c[1]; }, show: function (r) { return fmt(r.c[1], unit(), false); } },
      { key: 'delta', title: 'delta', get: function (r) { return delta(r.c); }, show: function (r) { return fmt(delta(r.c), unit(), true); }, color: true },
      { key: 'pct', title: '%', get: function (r) { var p = pct(r.c); return p === null ? Infinity * Math.sign(delta(r.c) || 1) : p; }, show: function (r) { return pctCell(r.c); }, color: true },
      { key: 'rate', title: 'per hour', get: function (r) { return rate(r.c) || 0; }, show: function (r) { return rateCell(r.c); }, color: true }
    ];
    if (!D.snapshot && D.rows.some(function (r) { return r.k; })) {
      columns.push({ key: 'kept', title: 'kept', get: function (r) { return r.r.k ? r.r.k[0] : -Infinity; },
        show: function (r) { return r.r.k ? Math.round(100 * r.r.k[0]) + '%±' + Math.round(100 * r.r.k[1]) : ''; },
        hint: function () { return 'share of what the row allocated between the profiles that is still live (Δinuse/Δalloc): about 100% for a leak of separate objects, 0% for churn; a full cache keeps part'; } });
    }
    if (D.cum && !D.snapshot) {
      columns.push({ key: 'cumt', title: 'cum target', get: function (r) { return r.cum ? r.cum[1] : 0; }, show: function (r) { return r.cum ? fmt(r.cum[1], unit(), false) : ''; } });
      columns.push({ key: 'cumd', title: 'cum delta', get: function (r) { return r.cum ? delta(r.cum) : 0; }, show: function (r) { return r.cum ? fmt(delta(r.cum), unit(), true) : ''; }, color: true, cum: true });
    }
    var head = byId('rows-head');
    clear(head);
    columns.forEach(function (col) {
      var th = el('th', col.cls || '', col.title);
      th.dataset.key = col.key;
      th.addEventListener('click', function () {
        if (state.sort === col.key) { state.asc = !state.asc; } else { state.sort = col.key; state.asc = col.key === 'name'; }
        table();
      });
      head.appendChild(th);
    });
  }

  /* rank orders rows as the comparison does: significant growth,
     significant shrinkage, noise, unchanged; largest first within each. */
  function rank(c) {
    var d = delta(c);
    if (d > 0 && sig(c)) { return 0; }
    if (d < 0 && sig(c)) { return 1; }
    return d !== 0 ? 2 : 3;
  }

  function table() {
    var t = state.type, f = state.filter.toLowerCase();
    var rows = D.rows.map(function (r, i) { return { i: i, name: S(r.n), c: r.v[t], cum: r.c ? r.c[t] : null, r: r }; })
      .filter(function (r) { return D.snapshot || r.c[0] !== 0 || r.c[1] !== 0 || (r.cum && (r.cum[0] !== 0 || r.cum[1] !== 0)); });
    var total = rows.length;
    if (f) { rows = rows.filter(function (r) { return r.name.toLowerCase().indexOf(f) >= 0; }); }
    var col = null;
    columns.forEach(function (c) { if (c.key === state.sort) { col = c; } });
    rows.sort(function (a, b) {
      if (col) {
        var x = col.get(a), y = col.get(b), o = typeof x === 'string' ? x.localeCompare(y) : (x < y ? -1 : x > y ? 1 : 0);
        if (o !== 0) { return state.asc ? o : -o; }
      } else {
        var ra = rank(a.c), rb = rank(b.c);
        if (ra !== rb) { return ra - rb; }
        var ka = ra === 3 ? Math.abs(a.c[1]) : Math.abs(delta(a.c)), kb = ra === 3 ? Math.abs(b.c[1]) : Math.abs(delta(b.c));
        if (ka !== kb) { return kb - ka; }
      }
      return a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i;
    });
    Array.prototype.forEach.call(byId('rows-head').children, function (th) {
      th.className = (th.dataset.key === 'name' ? 'name ' : '') + (th.dataset.key === state.sort ? 'sorted' + (state.asc ? ' asc' : '') : '');
    });
    var body = byId('rows-body'), frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = el('tr', 'row' + (state.open[r.i] ? ' open' : ''));
      tr.dataset.row = String(r.i);
      columns.forEach(function (c) {
        var text = c.key === 'name' ? r.name : c.show(r);
        var cc = c.change ? cls(c.change(r)) : c.color ? cls(c.cum ? r.cum || [0, 0, 0, 0] : r.c) : '';
        var td = c.key === 'name' ? nameEl('td', (c.cls || '') + ' ' + cc, text) : el('td', (c.cls || '') + ' ' + cc, text);
        if (c.hint) { td.title = c.hint(r); }
        tr.appendChild(td);
      });
      /* snapshot classes have no call stacks to open, but those that grew
         most have retainer paths */
      if (!D.snapshot || holdersOf(r.name)) {
        if (D.snapshot) { tr.className += ' has-paths'; }
        tr.addEventListener('click', function () {
          state.open[r.i] = !state.open[r.i];
          table();
        });
      }
      frag.appendChild(tr);
      if (state.open[r.i]) { frag.appendChild(D.snapshot ? holdersRow(r) : stacksRow(r)); }
    });
    if (D.other && !f) {
      var o = { c: D.other.v[t], cum: null, r: D.other };
      var tr = el('tr', 'other');
      columns.forEach(function (c) {
        tr.appendChild(el('td', c.cls || '', c.key === 'name' ? '(' + count(moreRows()) + ' more rows, summed)' : c.cum || c.noSum ? '' : c.show(o)));
      });
      frag.appendChild(tr);
    }
    clear(body);
    body.appendChild(frag);
    byId('row-count').textContent = rowCount(total, rows.length, f);
  }

  /* moreRows is how many rows the table's last row sums that the shown
     sample type has a value of. */
  function moreRows() { return D.other ? D.other.shown[state.type] : 0; }

  /* rowCount says how many rows the comparison has and how many the table
     lists: its last row sums the others (those --top and the table's cap
     leave out). */
  function rowCount(listed, matched, filtered) {
    var more = moreRows(), all = listed + more;
    function rows(n) { return count(n) + (D.snapshot ? ' changed class' + (n === 1 ? '' : 'es') : ' row' + (n === 1 ? '' : 's')); }
    if (filtered) {
      return count(matched) + ' of ' + (more ? 'the first ' + count(listed) + ' of ' : '') + rows(all) + ' match';
    }
    return rows(all) + (more ? ': the first ' + count(listed) + ' in the table, the other ' + count(more) + ' summed in its last row' : '');
  }

  /* ---------- who holds it (retainer paths) ---------- */

  function holdersOf(name) {
    return D.holders && D.holders.classes && Object.prototype.hasOwnProperty.call(D.holders.classes, name) ? D.holders.classes[name] : null;
  }

  /* pathBox shows one way objects are held: how many, what they retain,
     the program's part of the path, and where it is held from. Every name
     is set as text. */
  function pathBox(p) {
    var box = el('div', 'stack path');
    box.appendChild(el('div', 'head', p.objects + (p.objects === 1 ? ' object, ' : ' objects, ') + fmt(p.retained, 'bytes', false) + ' retained'));
    var line = el('div', 'steps');
    p.words.forEach(function (w, i) {
      if (i > 0) { line.appendChild(el('span', 'arrow', ' → ')); }
      line.appendChild(el('span', 'step', w));
    });
    box.appendChild(line);
    if (p.held) { box.appendChild(el('div', 'file', p.held)); }
    return box;
  }

  function holdersRow(r) {
    var tr = el('tr', 'stacks'), td = el('td');
    td.colSpan = columns.length;
    var h = holdersOf(r.name);
    td.appendChild(el('p', 'noise', D.holders.intro + '.'));
    h.paths.forEach(function (p) { td.appendChild(pathBox(p)); });
    if (h.omitted) { td.appendChild(el('p', 'noise', h.omitted + ' more ways not included.')); }
    tr.appendChild(td);
    return tr;
  }

  /* holders fills the "Who holds it" panel: why there are no paths, or
     the collections that grew. */
  function holders() {
    var box = byId('holders');
    if (!box) { return; }
    clear(box);
    var h = D.holders;
    if (h.unavailable) {
      box.appendChild(el('p', 'empty', h.unavailable));
      return;
    }
    byId('holders-note').textContent = 'click a class in the table above for the paths that hold its ' + (h.newOnly ? 'new ' : '') + 'objects';
    if (!h.collections.length) {
      box.appendChild(el('p', 'empty', 'No collection grew (Maps, Sets, Arrays and objects used as dictionaries, matched by object id).'));
      return;
    }
    box.appendChild(el('h3', '', 'Collections that grew'));
    var ul = el('ul', 'collections');
    h.collections.forEach(function (c) {
      var li = el('li');
      li.appendChild(el('div', 'head', c.line));
      if (c.words.length) { li.appendChild(el('div', 'file', c.words.join(' → '))); }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  /* The rows' call stacks: their JSON, gzipped, in base64 in a data
     element of their own at the end of the page (htmlStacks and
     encodePacked in html.go). readStacks inflates them once the page is
     drawn; rowStacks returns row i's ({} for none), or null until they are
     read, when stacksNote says why. */
  var stacks = null, stacksText = null, stacksNote = 'Reading the call stacks…';
  function readStacks(done) {
    var e = byId('heapdiff-stacks');
    if (!e) {
      stacks = { strings: [], frames: [], rows: [] };
      done();
      return;
    }
    if (typeof DecompressionStream === 'undefined') {
      stacksNote = 'This browser cannot read the call stacks: it has no DecompressionStream (Chrome 80, Firefox 113 and Safari 16.4 have).';
      done();
      return;
    }
    function failed(err) {
      stacksNote = 'The call stacks could not be read: ' + err;
      done();
    }
    try {
      var bin = atob(JSON.parse(e.textContent)), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (text) {
        stacksText = text;
        done();
      }, failed);
    } catch (err) {
      failed(err);
    }
  }
  function rowStacks(i) {
    if (!stacks && stacksText !== null) {
      stacks = JSON.parse(stacksText);
      stacksText = null;
    }
    return stacks ? stacks.rows[i] || {} : null;
  }
  function stackString(k) { return stacks.strings[k]; }

  function stacksRow(r) {
    var tr = el('tr', 'stacks'), td = el('td');
    td.colSpan = columns.length;
    var t = state.type, u = unit(), rs = rowStacks(r.i);
    if (!rs) {
      td.appendChild(el('p', 'noise', stacksNote));
    } else if (!rs.s) {
      td.appendChild(el('p', 'noise', r.i >= D.limits.stackRows ?
        'Call stacks are included for the first ' + D.limits.stackRows + ' rows only.' : 'No call stacks.'));
    } else {
      rs.s.forEach(function (s) {
        var c = s.v[t];
        if (c[0] === 0 && c[1] === 0) { return; }
        var box = el('div', 'stack');
        box.appendChild(el('div', 'head ' + cls(c), fmt(c[0], u, false) + ' → ' + fmt(c[1], u, false) + '   ' + fmt(delta(c), u, true) + '   ' + pctCell(c)));
        var ol = el('ol');
        s.f.forEach(function (fi) {
          var fr = stacks.frames[fi], li = el('li'), file = stackString(fr[1]);
          li.appendChild(nameEl('span', '', stackString(fr[0])));
          if (file) {
            var fe = el('span', 'file', '  ' + baseName(file) + (fr[2] ? ':' + fr[2] : ''));
            fe.title = file;
            li.appendChild(fe);
          }
          ol.appendChild(li);
        });
        box.appendChild(ol);
        td.appendChild(box);
      });
      if (rs.m) { td.appendChild(el('p', 'noise', rs.m + ' smaller stacks not included.')); }
    }
    tr.appendChild(td);
    return tr;
  }

  /* ---------- heap snapshots by class ---------- */

  /* The totals of a snapshot comparison: objects and their own size, which
     add up; retained sizes overlap, so their sum would mean nothing. */
  function snapshotCards() {
    var s = D.snapshot, cards = [];
    [['objects', s.count, 'count'], ['size', s.shallow, 'bytes']].forEach(function (m) {
      var c = D.total[m[1]];
      cards.push([m[0], fmt(c[0], m[2], false) + ' → ' + fmt(c[1], m[2], false), '']);
      cards.push([m[0] + ' delta', fmt(delta(c), m[2], true) + '  ' + pctCell(c), cls(c)]);
    });
    if (D.interval > 0) { cards.push(['size per hour', rateCell(D.total[s.shallow]), cls(D.total[s.shallow])]); }
    return cards;
  }

  /* snapshotColumns are DevTools' Comparison columns, side by side: # new,
     # deleted, # delta, alloc. size, freed size and size delta (new minus
     deleted objects' sizes), then the change of the class's shallow size
     (objects that grew in place too) and retained size. A delta cell's
     title gives its base and target. */
  function snapshotColumns() {
    var s = D.snapshot, unknown = 'unknown: the object ids of the two snapshots do not match';
    function objects(key, title, k, u) {
      return { key: key, title: title,
        get: function (r) { return r.r.o ? r.r.o[k] : -1; },
        show: function (r) { return r.r.o ? (u ? fmt(r.r.o[k], u, false) : String(r.r.o[k])) : ''; },
        hint: function (r) { return r.r.o ? '' : unknown; } };
    }
    function change(key, title, t, u, noSum) {
      return { key: key, title: title, noSum: noSum,
        get: function (r) { return delta(r.r.v[t]); },
        show: function (r) { return fmt(delta(r.r.v[t]), u, true); },
        change: function (r) { return r.r.v[t]; },
        hint: function (r) { var c = r.r.v[t]; return fmt(c[0], u, false) + ' → ' + fmt(c[1], u, false); } };
    }
    return [
      { key: 'name', title: 'class', cls: 'name', get: function (r) { return r.name; } },
      objects('new', '# new', 0), objects('deleted', '# deleted', 1),
      change('count', '# delta', s.count, 'count'),
      objects('alloc', 'alloc. size', 2, 'bytes'), objects('freed', 'freed size', 3, 'bytes'),
      { key: 'sizedelta', title: 'size delta',
        get: function (r) { return r.r.o ? r.r.o[2] - r.r.o[3] : -Infinity; },
        show: function (r) { return r.r.o ? fmt(r.r.o[2] - r.r.o[3], 'bytes', true) : ''; },
        /* exact, as a snapshot's values are */
        change: function (r) { return r.r.o ? [r.r.o[3], r.r.o[2], 0, 1] : [0, 0, 0, 0]; },
        hint: function (r) { return r.r.o ? 'DevTools\' Size Delta: alloc. size − freed size, the objects only one snapshot has' : unknown; } },
      change('size', 'shallow delta', s.shallow, 'bytes'),
      /* retained sizes overlap: the rows cut from the table are not summed */
      change('retained', 'retained delta', s.retained, 'bytes', true)
    ];
  }

  /* classes draws the treemap of retained-size growth by class. Unless the
     reader ticks "show every class", it leaves out what only counts again
     what other classes hold, and is nothing a program acts on (treemapAside
     in snapshot.go, r.a): scopes and V8's own objects (1), and ArrayBuffers
     whose views grew as much (2). The note under it names them, with their
     growth, and the sums shown and left out. */
  function classes() {
    var s = D.snapshot, max = 0;
    function growth(r) { return delta(r.v[s.retained]); }
    function sum(rows) { return rows.reduce(function (t, r) { return t + growth(r); }, 0); }
    var grew = D.rows.filter(function (r) { return growth(r) > 0; });
    var all = byId('sites-all').checked;
    var shown = grew.filter(function (r) { return all || !r.a; });
    var aside = grew.filter(function (r) { return !all && r.a; });
    shown.forEach(function (r) { max = Math.max(max, growth(r)); });
    var data = shown.map(function (r) {
      var c = r.v[s.retained];
      return { name: S(r.n), value: delta(c), row: r,
        itemStyle: { color: color(delta(c), sig(c), Math.sqrt(delta(c) / max)) } };
    });
    byId('sites-note').textContent = 'area = growth of what a class retains; retained sizes overlap (a Map retains its entries), so areas do not add up';
    function list(kind) {
      return aside.filter(function (r) { return r.a === kind; })
        .sort(function (a, b) { return growth(b) - growth(a); })
        .map(function (r) { return S(r.n) + ' ' + fmt(growth(r), 'bytes', true); }).join(', ');
    }
    var text;
    if (all) {
      text = 'Every class that grew is shown (' + grew.length + ', ' + fmt(sum(grew), 'bytes', true) + ' together), scopes and V8\'s own objects included.';
    } else if (aside.length === 0) {
      text = 'Every class that grew is shown (' + grew.length + ', ' + fmt(sum(grew), 'bytes', true) + ' together).';
    } else {
      var parts = [], scopes = list(1), views = list(2);
      if (scopes) { parts.push('scopes and V8\'s own objects, which retain again what the classes shown retain (' + scopes + ')'); }
      if (views) { parts.push('ArrayBuffers, which the Buffers and typed arrays shown retain (' + views + ')'); }
      text = 'Shown: ' + shown.length + ' classes, ' + fmt(sum(shown), 'bytes', true) + '. Left out: ' + aside.length + ' classes, ' +
        fmt(sum(aside), 'bytes', true) + ': ' + parts.join('; ') + '. Together ' + fmt(sum(grew), 'bytes', true) + '.';
    }
    byId('sites-aside-text').textContent = text;
    byId('sites-empty').hidden = data.length > 0;
    draw('sites', {
      series: [{
        data: data, visibleMin: 4, bottom: 0, nodeClick: false,
        levels: [{ itemStyle: { borderWidth: 0, gapWidth: 2 } }],
        label: { show: true, color: '#fff', fontSize: 12, fontFamily: 'sans-serif', lineHeight: LABEL_LINE, formatter: boxLabel },
        upperLabel: { show: false },
        breadcrumb: { show: false }
      }]
    });
  }

  /* snapshotTip is a class's tooltip: every column, with base and target. */
  function snapshotTip(r) {
    var s = D.snapshot, rows = [];
    if (r.o) {
      rows.push(['# new', String(r.o[0])], ['# deleted', String(r.o[1])],
        ['alloc. size', fmt(r.o[2], 'bytes', false)], ['freed size', fmt(r.o[3], 'bytes', false)],
        ['size delta', fmt(r.o[2] - r.o[3], 'bytes', true), cls([r.o[3], r.o[2], 0, 1])]);
    }
    [['objects', s.count, 'count'], ['shallow', s.shallow, 'bytes'], ['retained', s.retained, 'bytes']].forEach(function (m) {
      var c = r.v[m[1]];
      rows.push([m[0], fmt(c[0], m[2], false) + ' → ' + fmt(c[1], m[2], false) + '   ' + fmt(delta(c), m[2], true) + '  ' + pctCell(c), cls(c)]);
    });
    return tip(S(r.n), rows);
  }

  /* ---------- tooltips (elements, never HTML strings) ---------- */

  var tooltip = {
    growers: function (p) {
      var r = p.data && p.data.row;
      if (r && D.snapshot) { return snapshotTip(r.r); }
      return r ? tip(r.name, changeRows(r.c), noiseNote(r.c)) : '';
    },
    sites: function (p) {
      var d = p.data || {}, n = d.node;
      if (d.row) { return snapshotTip(d.row); }
      if (!n) { return tip(p.name || '', [['growth', fmt(p.value, unit(), true)]]); }
      var rows = changeRows(n.c), share = D.growth[state.type].growth;
      if (n.s > 1) { rows.push(['sites that grew', count(n.s)]); }
      if (share) { rows.push(['share of the growth', (n.v / share * 100).toFixed(1) + '%']); }
      return tip(n.m ? count(n.m) + ' smaller parts, each under 1% of the growth, summed' : S(n.f), rows, noiseNote(n.c));
    },
    flame: function (p) {
      var i = p.value && p.value[3];
      if (i === undefined) { return ''; }
      var c = nodeChange(i), rows = changeRows(c);
      var self = [c[0], c[1]];
      tree.kids[i].forEach(function (k) { var kc = nodeChange(k); self[0] -= kc[0]; self[1] -= kc[1]; });
      if (tree.kids[i].length) { rows.push(['self', fmt(self[0], unit(), false) + ' → ' + fmt(self[1], unit(), false)]); }
      var total = D.total[state.type][state.flameBase ? 0 : 1];
      if (total) { rows.push(['share of ' + (state.flameBase ? 'base' : 'target'), (width(i) / total * 100).toFixed(1) + '%']); }
      return tip(i === 0 ? 'root (everything)' : S(D.tree.name[i]), rows, noiseNote(c));
    }
  };

  /* ---------- wiring ---------- */

  /* timing is where the page's time went, in ms, for the benchmark
     (report.BenchmarkHTMLOpen) and the curious: each part of the script
     (timed), and from the start of navigation until the script started,
     until the first screen was drawn and painted (afterPaint), and until
     everything was. */
  var timing = { script: 0 };
  function timed(name, f) {
    var t = performance.now();
    f();
    var ms = performance.now() - t;
    timing[name] = (timing[name] || 0) + ms;
    timing.script += ms;
  }

  /* afterPaint calls f once the browser has drawn the page as it is now:
     a message posted from an animation frame arrives after that frame's
     style, layout and paint. A hidden page draws no frames: f is called
     next. */
  function afterPaint(f) {
    if (document.hidden) {
      setTimeout(f, 0);
      return;
    }
    requestAnimationFrame(function () {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () { f(); };
      ch.port2.postMessage(null);
    });
  }

  /* drawCharts draws everything above the table. */
  function drawCharts() {
    timed('header', header);
    timed('growers', growers);
    if (D.snapshot) {
      timed('sites', classes);
    } else {
      timed('sites', sites);
      timed('flame', flame);
    }
    if (D.holders) { timed('holders', holders); }
  }

  function drawAll() {
    drawCharts();
    timed('table', table);
  }

  function start() {
    timing.start = performance.now();
    timed('data', function () { D = JSON.parse(byId('heapdiff-data').textContent); });
    timed('wiring', function () {
      charts.growers = echarts.getInstanceByDom(byId('growers'));
      charts.sites = echarts.getInstanceByDom(byId('sites'));
      byId('filter').addEventListener('input', function (e) { state.filter = e.target.value; table(); });
      window.addEventListener('resize', function () {
        Object.keys(charts).forEach(function (k) { charts[k].resize(); });
        if (charts.flame) { flame(); }
      });
      if (D.snapshot) {
        /* Every measure is a column: the bars show size, the treemap
           retained size, and there is no sample type to switch. */
        state.type = D.snapshot.shallow;
        byId('sites-all').addEventListener('change', classes);
        byId('table-title').textContent = 'Classes that changed';
        byId('rows').className = 'flat';
      } else {
        startProfile();
      }
      sources();
      makeColumns();
    });
    drawCharts();
    /* The table of a large comparison takes the browser longer to lay out
       than everything above it: unless it shows on the first screen, it is
       drawn once that screen is painted. */
    var top = byId('rows').closest('section').getBoundingClientRect().top;
    var later = !document.hidden && top >= window.innerHeight;
    timing.tableTop = top;
    timing.screen = window.innerHeight;
    timing.tableLater = later ? 1 : 0;
    if (!later) { timed('table', table); }
    afterPaint(function () {
      timing.firstScreen = performance.now();
      if (later) { timed('table', table); }
      afterPaint(function () {
        timing.drawn = performance.now();
        /* The call stacks, at the end of the page, once it is all read:
           a row opened before shows them when they are. */
        whenParsed(function () {
          readStacks(function () {
            timing.stacks = performance.now();
            if (Object.keys(state.open).some(function (i) { return state.open[i]; })) { table(); }
            document.documentElement.setAttribute('data-ready', '1');
          });
        });
      });
    });
  }

  /* whenParsed calls f once the browser has read the whole page. */
  function whenParsed(f) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', f);
    } else {
      f();
    }
  }

  /* startProfile wires the controls of a profile comparison's page. */
  function startProfile() {
    state.type = D.index;
    charts.flame = echarts.getInstanceByDom(byId('flame'));
    charts.flame.on('click', function (p) { if (p.value) { zoomTo(p.value[3]); } });
    buildTree();
    var sel = byId('type');
    D.types.forEach(function (t, i) {
      var o = el('option', '', t.type + ' (' + t.unit + ')');
      o.value = String(i);
      sel.appendChild(o);
    });
    sel.value = String(state.type);
    sel.addEventListener('change', function () { state.type = Number(sel.value); drawAll(); });
    byId('flame-target').addEventListener('click', function () { setFlameBase(false); });
    byId('flame-base').addEventListener('click', function () { setFlameBase(true); });
    byId('flame-reset').addEventListener('click', function () { zoomTo(0); });
    byId('table-title').textContent = 'Every ' + D.by;
  }

  function setFlameBase(on) {
    state.flameBase = on;
    byId('flame-base').className = on ? 'on' : '';
    byId('flame-target').className = on ? '' : 'on';
    flame();
  }

  return {
    start: start,
    setup: setup,
    timing: timing,
    tooltip: tooltip,
    flameItem: flameItem,
    axisValue: function (v) { return D ? fmt(v, unit(), true) : String(v); },
    /* for tests and the curious: the flame graph's drawn frames in pixels */
    flameFrames: function () {
      var W = charts.flame.getWidth();
      return flameItems.map(function (it) {
        return { node: it[3], name: S(D.tree.name[it[3]]), x: it[0] * W, width: (it[1] - it[0]) * W, y: it[2] * FLAME_ROW, height: FLAME_ROW - 1 };
      });
    },
    state: state
  };
}());
