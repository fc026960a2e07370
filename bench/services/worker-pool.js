'use strict';
/**
 * Benchmark service: an HTTP API that hands each request to a pool of
 * worker threads (as piscina or a hand-rolled pool does) and answers with
 * the worker's result: a ~2 KB JSON document built and serialised there.
 * Healthy: nothing leaks. $WORKERS threads (default 4).
 *
 * Listens on 127.0.0.1:$PORT (0 = any) and prints `LISTENING <port>` on
 * stdout. Exits on SIGTERM/SIGINT.
 */
const http = require('node:http');
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (!isMainThread) {
  parentPort.on('message', ({ id, offset }) => {
    const items = Array.from({ length: 10 }, (_, i) => ({ id: offset + i, name: `Item number ${offset + i}` }));
    parentPort.postMessage({ id, body: JSON.stringify({ offset, items, at: Date.now() }) });
  });
} else {
  const pool = Array.from({ length: Number(process.env.WORKERS ?? '4') }, () => new Worker(__filename));
  const waiting = new Map();
  let next = 0;
  for (const w of pool) {
    w.on('message', ({ id, body }) => {
      const res = waiting.get(id);
      waiting.delete(id);
      res?.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  }
  const server = http.createServer((req, res) => {
    const id = next++;
    waiting.set(id, res);
    pool[id % pool.length].postMessage({ id, offset: id % 190 });
  });
  server.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
  });
  const stop = () => {
    server.close();
    for (const w of pool) void w.terminate();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
