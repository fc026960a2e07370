'use strict';
// Starts a scenario's HTTP service on 127.0.0.1 (a free port) and prints
// "listening <port>" so the runner knows where to send load.
const http = require('node:http');

module.exports = function serve(handler) {
  const server = http.createServer((req, res) => {
    try {
      handler(req, res);
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  return server;
};
