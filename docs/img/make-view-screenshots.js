'use strict';
/**
 * Regenerates docs/img/view-terminal.png and docs/img/view-html.png.
 *
 *   npx tsc -p tsconfig.json && node docs/img/make-view-screenshots.js
 *
 * The terminal shot is the real CLI's coloured output (FORCE_COLOR=1, 80
 * columns), its ANSI colours turned into HTML and drawn by headless
 * Chromium; the HTML shot is the real page.
 *
 *   node docs/img/make-view-screenshots.js [report.json]
 *
 * With a report (the README's shots come from `npm run demo`'s), that
 * report is shown; without one, the seeded fixture generator's.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { makeReport } = require('../../test/fixtures/reports/make-report.js');

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/bin/leakwatch.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-shots-'));
const reportDir = path.join(dir, 'leakwatch');
fs.mkdirSync(reportDir);
const given = process.argv[2];
const report = path.join(reportDir, given ? path.basename(given) : 'leakwatch-4107-2026-11-26T19-04-59-000Z.json');
fs.writeFileSync(report, given ? fs.readFileSync(given) : JSON.stringify(makeReport({ kind: 'all', suspects: 3 })));

const SGR = { 1: 'font-weight:bold', 2: 'opacity:.6', 31: 'color:#ff6b6b', 32: 'color:#8ae234', 33: 'color:#fce94f', 36: 'color:#34e2e2' };
const escape = (s) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

/** ANSI SGR text → HTML spans (only the codes the viewer emits). */
function ansiToHtml(text) {
  let html = '';
  const open = new Map();
  for (const part of text.split(/(\u001b\[\d+m)/)) {
    const m = /^\u001b\[(\d+)m$/.exec(part);
    if (m === null) {
      const style = [...open.values()].join(';');
      html += style ? `<span style="${style}">${escape(part)}</span>` : escape(part);
      continue;
    }
    const code = Number(m[1]);
    if (code === 22) open.delete('weight'), open.delete('dim');
    else if (code === 39) open.delete('fg');
    else if (code === 1) open.set('weight', SGR[1]);
    else if (code === 2) open.set('dim', SGR[2]);
    else if (SGR[code]) open.set('fg', SGR[code]);
  }
  return html;
}

async function main() {
  const env = { ...process.env, FORCE_COLOR: '1', NO_COLOR: '' };
  const name = path.basename(report);
  const out = execFileSync(process.execPath, [cli, 'view', '--width', '80', name], { env, encoding: 'utf8', cwd: reportDir });
  const term = `<!doctype html><meta charset="utf-8"><style>
    body{margin:0;background:#1e1e1e}
    .win{margin:0;padding:10px 14px 16px;background:#1e1e1e;color:#d3d7cf;font:14px/1.35 "DejaVu Sans Mono",monospace;white-space:pre;width:81ch}
    .bar{height:26px;background:#333;border-radius:6px 6px 0 0;width:calc(81ch + 28px);font:14px "DejaVu Sans Mono",monospace}
    .dot{display:inline-block;width:12px;height:12px;border-radius:6px;margin:7px 0 0 8px}
  </style><div class="bar"><span class="dot" style="background:#ff5f56"></span><span class="dot" style="background:#ffbd2e"></span><span class="dot" style="background:#27c93f"></span></div><div class="win">${ansiToHtml(`$ leakwatch view ${name}\n${out}`)}</div>`;
  const termFile = path.join(dir, 'terminal.html');
  fs.writeFileSync(termFile, term);
  const htmlFile = path.join(dir, 'page.html');
  execFileSync(process.execPath, [cli, 'view', '--html', name, '-o', htmlFile], { cwd: reportDir });

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 2400 } });
    await context.route('**/*', (route) => (route.request().url().startsWith(`file://${dir}`) ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(`file://${termFile}`);
    const box = await page.evaluate(() => {
      const r = document.querySelector('.win').getBoundingClientRect();
      return { width: Math.ceil(r.width), height: Math.ceil(r.bottom) };
    });
    await page.screenshot({ path: path.join(__dirname, 'view-terminal.png'), clip: { x: 0, y: 0, width: box.width, height: box.height } });
    await page.goto(`file://${htmlFile}`);
    await page.waitForSelector('html[data-charts="3"]');
    await page.locator('#suspects-table details summary').first().click();
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.screenshot({ path: path.join(__dirname, 'view-html.png'), fullPage: true });
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
