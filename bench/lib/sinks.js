'use strict';
/**
 * Loopback peers for dd-trace: a UDP socket standing in for the DogStatsD
 * agent (counts datagrams, so the table can show runtime metrics were really
 * sent) and an HTTP server standing in for the trace agent. 127.0.0.1 only.
 */
const dgram = require('node:dgram');
const http = require('node:http');

async function startSinks() {
  const counts = { datagrams: 0, httpRequests: 0, paths: {} };
  const udp = dgram.createSocket('udp4');
  udp.on('message', () => counts.datagrams++);
  udp.on('error', () => {});
  await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const server = http.createServer((req, res) => {
    counts.httpRequests++;
    const p = (req.url ?? '').split('?')[0];
    counts.paths[p] = (counts.paths[p] ?? 0) + 1;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    counts,
    statsdPort: udp.address().port,
    traceAgentPort: server.address().port,
    async close() {
      udp.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startSinks };
