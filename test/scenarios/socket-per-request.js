'use strict';
// LEAK: each request opens a connection to an upstream (a local TCP service
// in this process) and never closes it.
const net = require('node:net');
const serve = require('./lib/serve');

const upstream = net.createServer((s) => s.on('error', () => {}));
upstream.listen(0, '127.0.0.1', () => {
  const { port } = upstream.address();
  serve((req, res) => {
    const conn = net.connect(port, '127.0.0.1');
    conn.on('error', () => {});
    conn.write('hello\n');
    res.end('ok');
  });
});
