'use strict';
/**
 * Benchmark service: promise-heavy request handling, as async/await code
 * over a data layer produces it. Per request: a chain of 20 awaited async
 * calls, a Promise.all fan-out of 8 lookups that each await a microtask and
 * one a macrotask (setImmediate), then a JSON answer. Many promises and
 * async resources per request: the shape that async_hooks-based tools tax.
 *
 * Listens on 127.0.0.1:$PORT (0 = any) and prints `LISTENING <port>` on
 * stdout. Exits on SIGTERM/SIGINT.
 */
const http = require('node:http');

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function step(acc, i) {
  await null;
  return acc + i;
}

async function lookup(key) {
  await Promise.resolve();
  if (key % 4 === 0) await tick();
  return { key, value: (key * 31) % 97 };
}

async function handle(n) {
  let acc = 0;
  for (let i = 0; i < 20; i++) acc = await step(acc, i);
  const rows = await Promise.all(Array.from({ length: 8 }, (_, k) => lookup(n + k)));
  return { n, acc, rows };
}

const server = http.createServer((req, res) => {
  const n = Number(new URL(req.url, 'http://localhost').searchParams.get('n') ?? 1) | 0;
  handle(n).then(
    (result) => {
      const body = JSON.stringify(result);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    () => res.writeHead(500).end(),
  );
});

require('./listen')(server);
