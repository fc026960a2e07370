/**
 * The HTML viewer: one self-contained page per report. Pure: it takes the
 * view model and the chart library's text and returns the page.
 *
 * A report is data from a watched process, so every string from it is
 * escaped for where it lands: HTML text and attributes through escapeHtml,
 * the chart data through a JSON block whose `<`, `>` and `&` are \\u-escaped
 * (it can never close its <script>). A Content-Security-Policy allows only
 * this page's own scripts (by hash) and no network at all, so even a missed
 * escape could neither run code nor load anything.
 */
import { createHash } from 'node:crypto';
import { formatDuration, formatTime } from './view-format';
import { PAGE_CSS, PAGE_SCRIPT } from './view-html-page';
import type { ChartView } from './view-charts';
import type { SuspectView, ViewModel } from './view-model';

/** The chart library, inlined into the page. */
export interface ChartAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  js: string;
  css: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/**
 * JSON that is safe inside a <script> element: `<`, `>` and `&` become
 * \\u escapes (so `</script>` or `<!--` cannot appear), as do U+2028/2029.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Inlined code must not be able to end its element early. */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  return code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Numbers rounded for the page: charts cannot show more digits. */
function compact(values: readonly (number | null)[], unit: string): (number | null)[] {
  const scale = unit === 'bytes' || unit === 'count' ? 1 : 1000;
  return values.map((v) => (v === null ? null : Math.round(v * scale) / scale));
}

/** Renders the page. */
export function renderHtml(model: ViewModel, assets: ChartAssets): string {
  const e = escapeHtml;
  const data = {
    t: model.t.map((ms) => ms / 1000),
    window: {
      start: model.windowStartMs / 1000,
      end: model.detectedAtMs / 1000,
      armed: model.armedAtMs === null ? null : model.armedAtMs / 1000,
    },
    charts: model.charts.map((c) => ({
      id: c.id,
      unit: c.unit,
      series: c.series.map((s) => ({
        name: s.name,
        label: s.label,
        unit: s.unit,
        show: s.show,
        values: compact(s.values, s.unit),
      })),
    })),
  };
  const lib = inlineSafe(assets.js, 'script');
  const app = inlineSafe(PAGE_SCRIPT, 'script');
  const csp = `default-src 'none'; script-src ${sha256(lib)} ${sha256(app)}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const verdictClass = model.verdict === 'leaking' ? 'verdict leaking' : 'verdict';
  const title = `leakwatch: ${model.verdict} in ${model.service} (${model.pidLabel})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="leakwatch ${e(model.agentVersion)}">
<title>${e(title)}</title>
<style>${inlineSafe(assets.css, 'style')}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header>
<h1><span class="${verdictClass}">${e(model.verdict.toUpperCase())}</span> <span>${e(model.service)}</span> <span class="sub">${e(model.pidLabel)} on ${e(model.hostname)}</span></h1>
<p class="sub">Detected ${e(formatTime(model.detectedAtMs))}, ${e(formatDuration(model.detectedAtMs - model.startedAtMs))} after start. Detection window ${e(formatDuration(model.windowMs))}${model.armedAtMs === null ? '' : `; tracking armed ${e(formatTime(model.armedAtMs))}`}.</p>
</header>
${renderSignals(model)}
<section id="charts">
<h2>Series</h2>
<p class="note"><span class="legend-window"></span> detection window (${e(formatTime(model.windowStartMs))} → ${e(formatTime(model.detectedAtMs))})${model.armedAtMs === null ? '' : ` &nbsp; <span class="legend-armed"></span> tracking armed`}. Drag across a chart to zoom, double-click to reset; click a legend entry to hide or show it. ${samplingNote(model)}</p>
<noscript><p class="note">The charts need JavaScript; everything else on this page does not.</p></noscript>
${model.charts.map(renderChart).join('\n')}
</section>
${renderSuspects(model.suspects)}
${renderMetadata(model)}
</main>
<script type="application/json" id="leakwatch-data">${jsonForScript(data)}</script>
<script>${lib}</script>
<script>${app}</script>
</body>
</html>
`;
}

function samplingNote(model: ViewModel): string {
  if (model.bucketSize <= 1) return `All ${model.samples.toLocaleString('en-US')} samples are drawn.`;
  return `The report holds ${model.samples.toLocaleString('en-US')} samples; the charts draw ${model.points.toLocaleString('en-US')} points: the lowest and highest reading of each run of ${model.bucketSize.toLocaleString('en-US')} samples, so spikes and steps stay visible.`;
}

function renderSignals(model: ViewModel): string {
  const e = escapeHtml;
  const rows = model.signals
    .map(
      (s) =>
        `<tr><td>${s.leaking ? '<span class="leak-mark" title="crossed the leak threshold">● leaking</span>' : '<span class="grow-mark">○ growing</span>'}</td><td><code>${e(s.name)}</code></td><td class="num">${e(s.slope)}</td><td class="num">${e(s.window)}</td><td class="num">${e(s.growth)}</td><td class="num">${e(s.from)} → ${e(s.to)}</td><td class="num">${e(s.pValue)}</td></tr>`,
    )
    .join('\n');
  const table =
    model.signals.length === 0
      ? '<p>No signal grew.</p>'
      : `<table class="data" id="signals"><thead><tr><th></th><th>Signal</th><th>Slope</th><th>Window</th><th>Growth</th><th>From → to</th><th>Significance</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
  const oom =
    model.timeToOom === null ? '' : `<p class="oom"><strong>Time to out-of-memory:</strong> ${e(model.timeToOom)}</p>`;
  return `<section id="summary">\n<h2>Growing signals</h2>\n${table}\n${oom}\n</section>`;
}

function renderChart(chart: ChartView): string {
  const notes = chart.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('');
  return `<figure class="chart" id="chart-${chart.id}"><figcaption>${escapeHtml(chart.title)}</figcaption><div class="plot" id="plot-${chart.id}"></div>${notes}</figure>`;
}

function renderSuspects(suspects: readonly SuspectView[]): string {
  const e = escapeHtml;
  if (suspects.length === 0)
    return '<section id="suspects">\n<h2>Suspects</h2>\n<p>No suspect could be named; the series and any profiles are what is known.</p>\n</section>';
  const rows = suspects.map((s) => {
    const detail = [
      ...(s.callback === null ? [] : [`callback ${s.callback}`]),
      ...s.detail.map(([k, v]) => `${k}=${v}`),
    ];
    const stack =
      s.stack.length === 0
        ? '<div class="detail">no stack</div>'
        : `<details><summary>stack, ${s.stack.length} frame${s.stack.length === 1 ? '' : 's'}</summary><ol class="mono">${s.stack.map((f) => `<li>${e(f)}</li>`).join('')}</ol></details>`;
    return `<tr><td class="num">${s.rank}</td><td><span class="kind">${e(s.kind)}</span></td><td>${e(s.title)}${detail.length > 0 ? `<div class="detail">${e(detail.join(' · '))}</div>` : ''}</td><td class="num">${e(s.count)}</td><td class="num">${e(s.growth)}<div class="detail">${e(s.rate)}</div>${s.bytes === null ? '' : `<div class="detail">${e(s.bytes)}</div>`}</td><td>${s.site === null ? '<span class="detail">site unknown</span>' : `<code class="site">${e(s.site)}</code>`}${stack}</td></tr>`;
  });
  return `<section id="suspects">\n<h2>Suspects (${suspects.length}, most likely first)</h2>\n<table class="data" id="suspects-table"><thead><tr><th>#</th><th>Kind</th><th>What</th><th>Count</th><th>Growth</th><th>Site and stack</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>\n</section>`;
}

function renderMetadata(model: ViewModel): string {
  const e = escapeHtml;
  const row = (k: string, v: string) => `<dt>${e(k)}</dt><dd>${v}</dd>`;
  const items = [
    row('service', e(model.service)),
    row('pid', String(model.pid)),
    ...(model.thread === null ? [] : [row('worker thread', String(model.thread))]),
    row('host', e(model.hostname)),
    row('node', e(model.nodeVersion)),
    row('leakwatch', e(model.agentVersion)),
    row('command', `<code>${e(model.argv.join(' '))}</code>`),
    row('started', e(formatTime(model.startedAtMs))),
    row('detected', e(formatTime(model.detectedAtMs))),
    row('tracking armed', model.armedAtMs === null ? 'no' : e(formatTime(model.armedAtMs))),
    row(
      'sampling',
      `every ${e(formatDuration(model.intervalMs))}, window ${e(formatDuration(model.windowMs))}, ${model.samples.toLocaleString('en-US')} samples`,
    ),
    row('report', `<code>${e(model.source)}</code>`),
  ];
  const profiles =
    model.profiles.length === 0
      ? ''
      : `<h3>Profiles</h3><ul class="plain">${model.profiles.map((p) => `<li>${e(p.kind)} (${e(p.size)}): <code>${e(p.path)}</code></li>`).join('')}</ul>`;
  const notes =
    model.notes.length === 0
      ? ''
      : `<h3>Notes</h3><ul class="plain">${model.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`;
  const dropped = model.dropped.filter(([, n]) => n > 0);
  const drops =
    dropped.length === 0
      ? ''
      : `<h3>Dropped</h3><ul class="plain">${dropped.map(([k, n]) => `<li>${e(k)}: ${n}</li>`).join('')}</ul>`;
  return `<section id="metadata">\n<h2>Metadata</h2>\n<dl class="meta">${items.join('')}</dl>\n${profiles}${notes}${drops}\n</section>`;
}
