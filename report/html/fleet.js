/* heapdiff fleet report. Reads the fleet from the JSON in #heapdiff-data
   (report.JSONFleet) and draws the header, the growth chart and the two
   tables. Strings from profiles and object keys only ever reach the page
   through textContent or canvas text: never as markup. */
var heapdiff = (function () {
  'use strict';

  var GREW = 'rgb(220, 50, 32)', OTHER = '#a3a3a3';
  var D = null, chart = null, filter = '';
  var el = heapdiffDOM.el, clear = heapdiffDOM.clear, byId = heapdiffDOM.byId, fmt = heapdiffDOM.fmt;

  function unit() { return D.type ? D.type.unit : 'bytes'; }
  function per() { return D.timed ? '/h' : '/snap'; }
  /* rate mirrors report.fleetRate: "~" marks a slope within noise. */
  function rate(s) { return (s.significant ? '' : '~') + fmt(s.slope, unit(), true) + per(); }
  function time(t) { return t ? t.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : ''; }
  var SPREAD = { most: 'code leak (most processes)', some: 'some processes', one: 'one process', only: 'only process' };

  function header() {
    byId('subtitle').textContent = D.source;
    var dl = byId('sources');
    heapdiffDOM.source(dl, 'processes', D.processes.length + ', ' + D.judged + ' judged');
    if (D.first) { heapdiffDOM.source(dl, 'time', time(D.first) + ' → ' + time(D.last)); }
    if (D.type) { heapdiffDOM.source(dl, 'type', D.type.type + '/' + D.type.unit); }
    var tot = byId('totals');
    [['leaking', D.leaking + ' of ' + D.judged], ['snapshots', String(D.snapshots)],
     ['code leaks', String(D.suspects.filter(function (s) { return s.spread === 'most'; }).length)],
     ['one-process leaks', String(D.suspects.filter(function (s) { return s.spread === 'one'; }).length)]].forEach(function (kv) {
      var d = el('div');
      d.appendChild(el('div', 'k', kv[0]));
      d.appendChild(el('div', 'v', kv[1]));
      tot.appendChild(d);
    });
    if (D.warnings.length) {
      var ul = byId('warnings');
      D.warnings.forEach(function (w) { ul.appendChild(el('li', '', w)); });
      ul.hidden = false;
    }
    byId('spread-note').textContent = 'code leak: a suspect in at least ' + Math.round(D.majority * 100) +
      '% of the judged processes (and two or more): every instance runs the code that leaks. ' +
      'Some processes: input or configuration only some instances see. One process: a bad instance or bad input.';
  }

  function judged() { return D.processes.filter(function (p) { return p.judged; }); }

  function drawChart() {
    var ps = judged();
    chart.setOption({
      legend: { show: false },
      xAxis: { type: 'category', data: ps.map(function (p) { return p.name; }), axisLabel: { show: ps.length <= 30, rotate: 45 } },
      series: [{ type: 'bar', name: 'growth', data: ps.map(function (p) {
        return { value: p.total.slope, itemStyle: { color: p.leaking ? GREW : OTHER } };
      }) }]
    });
  }

  function row(tbody, cells, cls) {
    var tr = el('tr', cls || '');
    cells.forEach(function (c) {
      /* names wrap between their parts (heapdiffDOM.breakable) */
      var td = /(^| )name( |$)/.test(c.cls || '') ? heapdiffDOM.nameEl('td', c.cls, c.text) : el('td', c.cls || '', c.text);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
    return tr;
  }
  function head(id, names, left) {
    var tr = byId(id);
    names.forEach(function (n, i) { tr.appendChild(el('th', left.indexOf(i) >= 0 ? 'left' : '', n)); });
  }

  function suspects() {
    var body = byId('suspects-body');
    if (!D.suspects.length) {
      row(body, [{ text: 'No site grows steadily beyond noise in any process.', cls: 'left' }]);
      return;
    }
    D.suspects.forEach(function (s, i) {
      var tr = row(body, [{ text: String(i + 1) }, { text: SPREAD[s.spread] || s.spread, cls: 'left spread ' + s.spread },
        { text: s.processes.length + '/' + s.of }, { text: Math.round(s.share * 100) + '%' },
        { text: fmt(s.median_slope, unit(), true) + per() }, { text: fmt(s.max_slope, unit(), true) + per() },
        { text: fmt(s.growth, unit(), true) }, { text: s.name, cls: 'left name' },
        { text: s.processes.join(', '), cls: 'left procs' }], 'row');
      tr.setAttribute('data-spread', s.spread);
    });
  }

  function procs() {
    var body = byId('procs-body'), shown = 0;
    clear(body);
    var f = filter.toLowerCase();
    D.processes.forEach(function (p, i) {
      var top = p.suspects.length ? p.suspects[0].name : '';
      var hay = (p.name + ' ' + p.suspects.map(function (s) { return s.name; }).join(' ')).toLowerCase();
      if (f && hay.indexOf(f) < 0) { return; }
      shown++;
      if (!p.judged) {
        row(body, [{ text: '-' }, { text: p.name, cls: 'left name' }, { text: String(p.snapshots) }, { text: '' }, { text: '' }, { text: '' },
          { text: '' }, { text: 'not judged', cls: 'left' }, { text: '' }, { text: p.problem, cls: 'left' }], 'row unjudged');
        return;
      }
      var tr = row(body, [{ text: String(i + 1) }, { text: p.name, cls: 'left name' }, { text: String(p.snapshots) },
        { text: fmt(p.total.first, unit(), false) }, { text: fmt(p.total.last, unit(), false) }, { text: rate(p.total) },
        { text: p.total.r2.toFixed(2) }, { text: '', cls: 'left' }, { text: String(p.suspects.length) }, { text: top, cls: 'left' }],
        'row' + (p.leaking ? ' leaking' : ''));
      var badge = el('span', 'shape ' + p.total.shape, p.total.shape.replace('_', ' ').replace('sawtooth', 'sawtooth/noisy'));
      tr.children[7].appendChild(badge);
    });
    byId('row-count').textContent = shown + ' of ' + D.processes.length + ' processes';
  }

  var tooltip = {
    fleet: function (p) {
      var proc = judged()[p.dataIndex], box = el('div');
      box.appendChild(el('div', '', proc.name));
      box.appendChild(el('div', '', rate(proc.total) + ' · ' + fmt(proc.total.first, unit(), false) + ' → ' + fmt(proc.total.last, unit(), false)));
      if (proc.suspects.length) { box.appendChild(el('div', '', 'top suspect: ' + proc.suspects[0].name)); }
      return box;
    }
  };

  function start() {
    D = JSON.parse(byId('heapdiff-data').textContent);
    chart = echarts.getInstanceByDom(byId('fleet'));
    head('suspects-head', ['#', 'spread', 'processes', 'share', 'median', 'max', 'growth', 'site', 'in'], [1, 7, 8]);
    head('procs-head', ['#', 'process', 'snapshots', 'first', 'last', D.timed ? 'per hour' : 'per snapshot', 'R²', 'shape', 'suspects', 'top suspect'], [1, 7, 9]);
    header();
    drawChart();
    suspects();
    procs();
    byId('filter').addEventListener('input', function (e) { filter = e.target.value; procs(); });
    window.addEventListener('resize', function () { chart.resize(); });
    document.documentElement.setAttribute('data-ready', '1');
  }

  return {
    start: start,
    tooltip: tooltip,
    axisValue: function (v) { return D ? fmt(v, unit(), true) + per() : String(v); },
    /* bars returns the chart's bars as [name, value], for tests. */
    bars: function () {
      var o = chart.getOption();
      return o.xAxis[0].data.map(function (n, i) { return [n, o.series[0].data[i].value]; });
    }
  };
})();
