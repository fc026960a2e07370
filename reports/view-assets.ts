/**
 * Reads the chart library the HTML page inlines. uPlot is a dependency of
 * leakwatch; its files are read from node_modules when a page is rendered,
 * never fetched, so the page needs no network when opened.
 */
import * as fs from 'node:fs';
import type { ChartAssets } from './view-html';

/** uPlot's IIFE build and stylesheet, resolved like any dependency. */
export function loadChartAssets(): ChartAssets {
  const js = require.resolve('uplot/dist/uPlot.iife.min.js');
  const css = require.resolve('uplot/dist/uPlot.min.css');
  return { js: fs.readFileSync(js, 'utf8'), css: fs.readFileSync(css, 'utf8') };
}
