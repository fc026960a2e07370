/**
 * The static parts of the HTML report page: its stylesheet and the script
 * that draws the charts with uPlot from the page's JSON data block. Kept as
 * plain strings (no build step); they never contain report data.
 */

export const PAGE_CSS = `
:root { --fg:#1d2330; --muted:#5c6578; --line:#d9dde6; --bg:#ffffff; --panel:#f6f7fa;
  --red:#c62828; --amber:#b26a00; --cyan:#00838f; --green:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1200px; margin:0 auto; padding:20px 24px 48px; }
h1 { font-size:22px; margin:0 0 4px; display:flex; gap:12px; align-items:baseline; flex-wrap:wrap; }
h2 { font-size:17px; margin:28px 0 10px; border-bottom:1px solid var(--line); padding-bottom:4px; }
.verdict { font-size:13px; font-weight:700; letter-spacing:.06em; padding:2px 8px; border-radius:4px; color:#fff; background:var(--cyan); }
.verdict.leaking { background:var(--red); }
.sub { color:var(--muted); margin:2px 0; }
code, pre, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
.site { color:var(--green); word-break:break-all; display:block; margin-bottom:2px; }
table.data { border-collapse:collapse; width:100%; }
.data th, .data td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
.data th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
.data td.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
.leak-mark { color:var(--red); font-weight:700; }
.grow-mark { color:var(--amber); font-weight:700; }
.oom { margin:10px 0 0; padding:8px 12px; background:#fff4e5; border-left:4px solid var(--amber); }
.chart { margin:0 0 18px; padding:12px 12px 4px; background:var(--panel); border:1px solid var(--line); border-radius:6px; }
.chart figcaption { font-weight:600; margin-bottom:6px; }
.chart .plot { min-height:40px; }
.note { color:var(--muted); font-size:12.5px; margin:4px 0 8px; }
.legend-window { display:inline-block; width:14px; height:10px; background:rgba(198,40,40,.12); border:1px solid rgba(198,40,40,.5); vertical-align:middle; }
.legend-armed { display:inline-block; width:14px; border-top:2px dashed #6a1b9a; vertical-align:middle; }
details summary { cursor:pointer; color:var(--muted); }
details ol { margin:6px 0 0; padding-left:22px; }
details li { word-break:break-all; }
.kind { display:inline-block; font-size:11.5px; font-weight:700; padding:1px 6px; border-radius:3px; background:#e8eaf6; color:#283593; }
.detail { color:var(--muted); font-size:12.5px; }
dl.meta { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.meta dt { color:var(--muted); }
dl.meta dd { margin:0; word-break:break-all; }
ul.plain { margin:0; padding-left:20px; }
`;

/**
 * Draws the charts. Reads `#leakwatch-data` (JSON), builds one uPlot per
 * chart, shades the detection window and marks when tracking was armed.
 * Every label reaches the DOM through uPlot's legend (textContent) or the
 * canvas, never through innerHTML.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('leakwatch-data').textContent);
  var COLORS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#9e9d24', '#37474f', '#283593', '#00695c'];
  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function fmtBytes(v) {
    if (v == null) return '--';
    var i = 0, a = Math.abs(v);
    while (a >= 1024 && i < UNITS.length - 1) { a /= 1024; i++; }
    return (v < 0 ? '-' : '') + (i === 0 ? String(Math.round(a)) : a.toFixed(a >= 100 ? 0 : 1)) + ' ' + UNITS[i];
  }
  function fmt(unit) {
    return function (v) {
      if (v == null) return '--';
      if (unit === 'bytes') return fmtBytes(v);
      if (unit === 'ms') return (Math.round(v * 100) / 100) + ' ms';
      if (unit === 'ratio') return (v * 100).toFixed(1) + '%';
      return String(Math.round(v * 100) / 100);
    };
  }
  function windowPlugin() {
    function draw(u) {
      var ctx = u.ctx, b = u.bbox, w = data.window;
      var x0 = Math.max(b.left, u.valToPos(w.start, 'x', true));
      var x1 = Math.min(b.left + b.width, u.valToPos(w.end, 'x', true));
      ctx.save();
      if (x1 > x0) {
        ctx.fillStyle = 'rgba(198,40,40,0.10)';
        ctx.fillRect(x0, b.top, x1 - x0, b.height);
        ctx.strokeStyle = 'rgba(198,40,40,0.55)';
        ctx.lineWidth = 1;
        ctx.strokeRect(x0, b.top, x1 - x0, b.height);
      }
      if (w.armed != null) {
        var xa = u.valToPos(w.armed, 'x', true);
        if (xa >= b.left && xa <= b.left + b.width) {
          ctx.strokeStyle = '#6a1b9a';
          ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
          ctx.setLineDash([6, 4]);
          ctx.beginPath(); ctx.moveTo(xa, b.top); ctx.lineTo(xa, b.top + b.height); ctx.stroke();
        }
      }
      ctx.restore();
    }
    return { hooks: { drawClear: [draw] } };
  }
  var plots = [];
  data.charts.forEach(function (chart) {
    var el = document.getElementById('plot-' + chart.id);
    if (!el) return;
    if (chart.series.length === 0 || data.t.length === 0) {
      el.appendChild(document.createTextNode('Nothing was sampled for this chart.'));
      return;
    }
    var f = fmt(chart.unit);
    var series = [{ value: function (u, v) { return v == null ? '--' : new Date(v * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z'; } }];
    var rows = [data.t];
    chart.series.forEach(function (s, i) {
      var dashed = s.name === 'heap.limit' || s.name === 'fds';
      series.push({ label: s.label, show: s.show, stroke: COLORS[i % COLORS.length], width: s.name === 'heap.floor' ? 2.5 : 1.5,
        dash: dashed ? [8, 5] : undefined, spanGaps: false, value: function (u, v) { return f(v); } });
      rows.push(s.values);
    });
    var opts = {
      width: Math.max(320, el.clientWidth), height: 260, plugins: [windowPlugin()], series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.05 : 1]; } } },
      axes: [{}, { size: 70, values: function (u, splits) { return splits.map(f); } }],
      cursor: { drag: { x: true, y: false } },
    };
    plots.push({ el: el, plot: new uPlot(opts, rows, el) });
  });
  window.addEventListener('resize', function () {
    plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.el.clientWidth), height: 260 }); });
  });
  document.documentElement.setAttribute('data-charts', String(plots.length));
})();
`;
