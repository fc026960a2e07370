'use strict';
/**
 * Benchmark service: an HTTP API doing the work a typical handler does.
 * Per request: parse the query, a simulated downstream call (a timer), a
 * request-timeout guard (a second timer, cleared when the call returns),
 * build a JSON document of ~2 KB and serialise it. Healthy: nothing leaks.
 *
 * Listens on 127.0.0.1:$PORT (0 = any) and prints `LISTENING <port>` on
 * stdout. Exits on SIGTERM/SIGINT.
 */
const http = require('node:http');

const CATALOGUE = Array.from({ length: 200 }, (_, i) => ({
  id: i,
  sku: `SKU-${String(i).padStart(5, '0')}`,
  name: `Item number ${i}`,
  price: Math.round(((i * 7.31) % 100) * 100) / 100,
  tags: ['bench', i % 2 ? 'odd' : 'even', `t${i % 7}`],
}));

/** A downstream call: resolves on a timer, like a cache or a DB round trip. */
function fetchItems(offset, cb) {
  setTimeout(() => cb(null, CATALOGUE.slice(offset, offset + 10)), 1);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const offset = Number(url.searchParams.get('offset') ?? 0) % 190;
  let done = false;
  // The guard every production handler has: answer 504 if downstream hangs.
  const guard = setTimeout(() => {
    if (done) return;
    done = true;
    res.writeHead(504).end();
  }, 5_000);
  fetchItems(offset, (err, items) => {
    if (done) return;
    done = true;
    clearTimeout(guard);
    const body = JSON.stringify({
      requestId: `${Date.now().toString(36)}-${offset}`,
      offset,
      total: CATALOGUE.length,
      items: items.map((it) => ({ ...it, priceWithTax: Math.round(it.price * 119) / 100 })),
    });
    // Round-trip the body as a client library validating its payload would.
    JSON.parse(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

require('./listen')(server);
