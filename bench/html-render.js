'use strict';
/**
 * How fast a big report becomes an HTML page, and how usable the page is.
 *
 *   npx tsc -p tsconfig.json && node bench/html-render.js [--samples 100000] [--suspects 500] [--runs 5] [--no-browser]
 *
 * Renders a report of 100,000 samples and 500 suspects (test fixture
 * generator, seeded) twice side by side: as leakwatch does it (min/max
 * downsampling to 2,000 points per series) and with every sample kept.
 * Prints the median time of each step, the page size, and, when Chromium is
 * there, the time from navigation until the three charts are drawn. Timing
 * lives here, not in tests: the machine is shared and noisy.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { numberOption } = require('./lib/args');

const root = path.resolve(__dirname, '..');
const dist = (p) => path.join(root, 'dist', p);
if (!fs.existsSync(dist('reports/view-html.js'))) {
  console.error('build first: npx tsc -p tsconfig.json');
  process.exit(1);
}
const { parseReport } = require(dist('reports/report-schema.js'));
const { buildViewModel } = require(dist('reports/view-model.js'));
const { renderHtml } = require(dist('reports/view-html.js'));
const { loadChartAssets } = require(dist('reports/view-assets.js'));
const { makeReport } = require(path.join(root, 'test/fixtures/reports/make-report.js'));
const { runMain } = require('./lib/main');

const SAMPLES = numberOption('samples', 100_000);
const SUSPECTS = numberOption('suspects', 500);
const RUNS = numberOption('runs', 5);
const BROWSER = !process.argv.includes('--no-browser') && fs.existsSync('/usr/bin/chromium');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;
const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

function time(fn) {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

/** One full render, step by step, as `leakwatch view --html` does it. */
function renderOnce(text, maxPoints) {
  const parsed = time(() => parseReport(text, 'bench.json'));
  const model = time(() => buildViewModel(parsed.value, 'bench.json', { maxPoints }));
  const assets = time(() => loadChartAssets());
  const html = time(() => renderHtml(model.value, assets.value));
  return {
    parse: parsed.ms,
    model: model.ms,
    html: html.ms,
    total: parsed.ms + model.ms + assets.ms + html.ms,
    bytes: Buffer.byteLength(html.value),
    page: html.value,
    points: model.value.points,
  };
}

async function timePages(pages) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const out = {};
  try {
    for (const [name, file] of Object.entries(pages)) {
      const url = `file://${file}`;
      const times = [];
      const redraws = [];
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const context = await browser.newContext({ offline: true });
        await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(url);
        await page.waitForSelector('html[data-charts="3"]', { timeout: 120_000 });
        times.push(performance.now() - t0);
        // Usable: how long the three charts take to redraw (what every zoom,
        // resize or legend click costs), measured in the page.
        redraws.push(
          await page.evaluate(async () => {
            const charts = [...document.querySelectorAll('.chart')];
            const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
            const t = performance.now();
            for (let k = 0; k < 6; k++) {
              for (const c of charts) c.style.width = k % 2 === 0 ? '900px' : '1000px';
              window.dispatchEvent(new Event('resize'));
              await frame();
            }
            return (performance.now() - t) / 6;
          }),
        );
        await context.close();
      }
      out[name] = { load: median(times), redraw: median(redraws) };
    }
  } finally {
    await browser.close();
  }
  return out;
}

async function main() {
  console.log(
    `node ${process.version}, ${os.cpus().length} cpus; report of ${SAMPLES.toLocaleString('en-US')} samples, ${SUSPECTS} suspects; median of ${RUNS} runs`,
  );
  const report = makeReport({ kind: 'all', samples: SAMPLES, suspects: SUSPECTS });
  const text = JSON.stringify(report);
  console.log(`report JSON: ${mib(text.length)}`);

  const variants = { downsampled: 2_000, 'every sample': Infinity };
  const results = {};
  for (const [name, maxPoints] of Object.entries(variants)) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(renderOnce(text, maxPoints));
    results[name] = {
      parse: median(runs.map((r) => r.parse)),
      model: median(runs.map((r) => r.model)),
      html: median(runs.map((r) => r.html)),
      total: median(runs.map((r) => r.total)),
      bytes: runs[0].bytes,
      points: runs[0].points,
      page: runs[0].page,
    };
  }
  const rows = [['', 'points/series', 'parse', 'model', 'html', 'total', 'page size']];
  for (const [name, r] of Object.entries(results)) {
    rows.push([
      name,
      r.points.toLocaleString('en-US'),
      ms(r.parse),
      ms(r.model),
      ms(r.html),
      ms(r.total),
      mib(r.bytes),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
  const d = results.downsampled;
  const f = results['every sample'];
  console.log(
    `ratio every-sample/downsampled: render ${(f.total / d.total).toFixed(2)}x, size ${(f.bytes / d.bytes).toFixed(1)}x`,
  );

  if (!BROWSER) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-'));
  try {
    const pages = {};
    for (const [name, r] of Object.entries(results)) {
      pages[name] = path.join(dir, `${name.replace(/\W+/g, '-')}.html`);
      fs.writeFileSync(pages[name], r.page);
    }
    const loaded = await timePages(pages);
    for (const [name, t] of Object.entries(loaded))
      console.log(
        `chromium (${name}): navigation to charts drawn ${ms(t.load)}, redraw of the 3 charts ${ms(t.redraw)}`,
      );
    const full = loaded['every sample'];
    const down = loaded.downsampled;
    console.log(
      `ratio every-sample/downsampled: page load ${(full.load / down.load).toFixed(2)}x, redraw ${(full.redraw / down.redraw).toFixed(2)}x`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
