'use strict';
/**
 * Preload for the prom-client configuration: `collectDefaultMetrics()` as
 * its README shows, plus a scrape every 5 s (the registry serialised to
 * the exposition format, which is what a `/metrics` handler does).
 */
const client = require('prom-client');

const SCRAPE_EVERY_MS = 5_000;

client.collectDefaultMetrics();
setInterval(() => {
  client.register.metrics().catch(() => {});
}, SCRAPE_EVERY_MS).unref();
