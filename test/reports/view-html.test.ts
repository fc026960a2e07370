/**
 * `leakwatch view --html` (issue 6): the page opened in headless Chromium
 * with every network request blocked. It must draw its charts from inlined
 * code alone, list the suspects, and show markup from a report as text.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeakReport } from '../../reports/report-schema';
import { FIXTURES, runCli } from './view-cli';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeReport, XSS } = require('../fixtures/reports/make-report.js') as {
  makeReport: (o?: object) => LeakReport;
  XSS: string;
};

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-html-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  /** Every URL the page asked for (all but the page itself are aborted). */
  requests: string[];
  dialogs: string[];
  errors: string[];
}

/** Renders `report` with the real CLI and opens it offline. */
async function open(report: string, name: string): Promise<Opened> {
  const out = path.join(dir, `${name}.html`);
  const r = runCli(['view', '--html', report, '-o', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^wrote ${out} \\(\\d+ KiB\\)\\n$`));
  const url = pathToFileURL(out).href;
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const opened: Opened = { page, requests: [], dialogs: [], errors: [] };
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  page.on('request', (req) => opened.requests.push(req.url()));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (err) => opened.errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') opened.errors.push(msg.text());
  });
  await page.goto(url);
  await page.waitForSelector('html[data-charts]', { timeout: 30_000 });
  return opened;
}

/** Pixels of a chart's canvas: all drawn ones, and those of one opaque colour. */
function canvasPixels(page: Page, id: string, rgb: [number, number, number]) {
  return page.evaluate(
    ([sel, [r, g, b]]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement | null;
      if (canvas === null) return null;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      let colour = 0;
      let band = 0;
      for (let i = 0; i < data.length; i += 4) {
        const a = data[i + 3]!;
        if (a === 0) continue;
        drawn++;
        const near = Math.abs(data[i]! - r) < 12 && Math.abs(data[i + 1]! - g) < 12 && Math.abs(data[i + 2]! - b) < 12;
        if (near && a > 200) colour++;
        // The detection window: the band's translucent red fill.
        if (Math.abs(data[i]! - 198) < 4 && Math.abs(data[i + 1]! - 40) < 4 && a > 15 && a < 40) band++;
      }
      return { width: canvas.width, height: canvas.height, drawn, colour, band };
    },
    [`#plot-${id} canvas`, rgb] as const,
  );
}

describe('leakwatch view --html', () => {
  it('draws heap, handles and loop-lag charts with no network, and lists every suspect', async () => {
    const { page, requests, dialogs, errors } = await open(path.join(FIXTURES, 'all.json'), 'all');
    expect(await page.getAttribute('html', 'data-charts')).toBe('3');
    // Series colours (view-html-page.ts COLORS): heap floor is the 2nd
    // series, the leading handle type and loop p50 the 1st.
    const heap = await canvasPixels(page, 'heap', [198, 40, 40]);
    const handles = await canvasPixels(page, 'handles', [21, 101, 192]);
    const loop = await canvasPixels(page, 'loop', [21, 101, 192]);
    for (const c of [heap, handles, loop]) {
      expect(c).not.toBeNull();
      expect(c!.width).toBeGreaterThan(300);
      expect(c!.height).toBeGreaterThan(100);
      expect(c!.colour).toBeGreaterThan(200);
      expect(c!.band).toBeGreaterThan(5_000);
    }
    // The legends name the series (uPlot writes them as text).
    expect(await page.locator('#chart-heap .u-legend').innerText()).toMatch(
      /heap used[\s\S]*heap floor[\s\S]*heap limit/,
    );
    expect(await page.locator('#chart-handles .u-legend').innerText()).toMatch(
      /Timeout[\s\S]*TCPSocketWrap[\s\S]*FSReqCallback/,
    );
    expect(await page.locator('#chart-loop .u-legend').innerText()).toMatch(
      /loop lag p50[\s\S]*loop lag p99[\s\S]*loop lag max/,
    );

    const report = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'all.json'), 'utf8')) as LeakReport;
    const rows = page.locator('#suspects-table tbody tr');
    expect(await rows.count()).toBe(report.suspects.length);
    for (const [i, s] of report.suspects.entries()) {
      const row = rows.nth(i);
      expect(await row.locator('.kind').innerText()).toBe(s.kind);
      expect(await row.innerText()).toContain(s.title);
      if (s.site !== null) expect(await row.locator('.site').innerText()).toBe(s.site);
      if (s.stack.length > 0) {
        const frames = row.locator('details li');
        expect(await frames.first().isVisible()).toBe(false);
        await row.locator('details summary').click();
        expect(await frames.first().isVisible()).toBe(true);
        expect(await frames.allInnerTexts()).toEqual(s.stack);
      }
    }
    expect(await page.locator('#signals tbody tr').count()).toBe(report.signals.length);
    expect(await page.locator('.oom').innerText()).toContain('6h 40m');
    expect(await page.locator('#metadata').innerText()).toContain(report.profiles[0]!.path);

    expect(requests).toEqual([pathToFileURL(path.join(dir, 'all.html')).href]);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it(`shows a function named ${XSS} as text and runs nothing from the report`, async () => {
    const { page, requests, dialogs, errors } = await open(path.join(FIXTURES, 'hostile.json'), 'hostile');
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('svg').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    // The page's own three scripts only: data, uPlot, the chart code.
    expect(await page.locator('script').count()).toBe(3);

    const row = page.locator('#suspects-table tbody tr').first();
    expect(await row.innerText()).toContain(`12 live intervals, callback ${XSS}`);
    expect(await row.locator('.site').innerText()).toBe(`/srv/app/${XSS}.js:3:7`);
    await row.locator('details summary').click();
    expect(await row.locator('details li').allInnerTexts()).toEqual([
      `${XSS} (/srv/app/${XSS}.js:3:7)`,
      `evil (/srv/app/"quoted" & 'single'.js:1:1)`,
    ]);
    expect(await row.innerText()).toContain('</script><script>window.__pwned = 1</script>');
    expect(await page.locator('h1').innerText()).toContain('<script>window.__pwned = 2</script>');
    expect(await page.locator('h1').innerText()).toContain('"><svg onload=alert(3)>');
    expect(await page.title()).toContain('<script>window.__pwned = 2</script>');
    expect(await page.locator('#metadata').innerText()).toContain('</script><script>window.__pwned = 3</script><!--');
    // A handle type named with markup is a legend label, as text.
    expect(await page.locator('#chart-handles .u-legend').innerText()).toContain(XSS);
    expect(await page.locator('#chart-handles .u-legend').innerText()).toContain(
      '</script><script>window.__pwned = 4</script>',
    );
    expect(await page.getAttribute('html', 'data-charts')).toBe('3');
    expect(requests).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a report of 100,000 samples and 500 suspects opens downsampled, with every suspect', async () => {
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, JSON.stringify(makeReport({ kind: 'all', samples: 100_000, suspects: 500 })));
    const { page, errors } = await open(file, 'big');
    expect(fs.statSync(path.join(dir, 'big.html')).size).toBeLessThan(3 * 1024 * 1024);
    const points = await page.evaluate(
      () => (JSON.parse(document.getElementById('leakwatch-data')!.textContent!) as { t: number[] }).t.length,
    );
    expect(points).toBeLessThanOrEqual(2_000);
    expect(points).toBeGreaterThan(1_000);
    expect(await page.locator('#charts').innerText()).toContain('The report holds 100,000 samples; the charts draw');
    expect((await canvasPixels(page, 'heap', [198, 40, 40]))!.colour).toBeGreaterThan(200);
    expect(await page.locator('#suspects-table tbody tr').count()).toBe(500);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('--open hands the page to the desktop opener, and says so when there is none', () => {
    // A stand-in xdg-open on PATH records what it was asked to open.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const log = path.join(dir, 'opened.txt');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${log}'\n`, { mode: 0o755 });
    const out = path.join(dir, 'open.html');
    const r = runCli(['view', '--html', path.join(FIXTURES, 'timer.json'), '-o', out, '--open'], { PATH: bin });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (let i = 0; i < 200 && !fs.existsSync(log); i++)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    expect(fs.readFileSync(log, 'utf8')).toBe(pathToFileURL(out).href);

    const none = runCli(['view', '--html', path.join(FIXTURES, 'timer.json'), '-o', out, '--open'], {
      PATH: path.join(dir, 'empty'),
    });
    expect(none.status).toBe(0);
    expect(none.stderr).toBe(
      `leakwatch: could not open a browser (xdg-open: spawn xdg-open ENOENT); open ${pathToFileURL(out).href} yourself\n`,
    );

    // An opener that finds no browser (xdg-open exits 3): said, with the URL.
    const failing = path.join(dir, 'failing-bin');
    fs.mkdirSync(failing, { recursive: true });
    fs.writeFileSync(path.join(failing, 'xdg-open'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const nobrowser = runCli(['view', '--html', path.join(FIXTURES, 'timer.json'), '-o', out, '--open'], {
      PATH: failing,
    });
    expect(nobrowser.status).toBe(0);
    expect(nobrowser.stderr).toBe(
      `leakwatch: could not open a browser (xdg-open exited with 3); open ${pathToFileURL(out).href} yourself\n`,
    );
  });

  it('writes beside the report by default and to stdout with -o -', () => {
    const copy = path.join(dir, 'leakwatch-1-2026-11-26T19-04-59-000Z.json');
    fs.copyFileSync(path.join(FIXTURES, 'timer.json'), copy);
    const r = runCli(['view', '--html', copy]);
    expect(r.status).toBe(0);
    const beside = copy.replace(/\.json$/, '.html');
    expect(r.stdout).toContain(`wrote ${beside}`);
    expect(fs.readFileSync(beside, 'utf8')).toMatch(/^<!doctype html>/);
    expect(fs.statSync(beside).mode & 0o777).toBe(0o600);
    const piped = runCli(['view', '--html', copy, '-o', '-']);
    expect(piped.stdout).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
  });
});
