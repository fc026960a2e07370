'use strict';
// Starts a benchmark service on 127.0.0.1 ($PORT or a free one), prints
// "LISTENING <port>", and stops quickly on SIGTERM/SIGINT: keep-alive
// connections would otherwise hold close() open.
module.exports = function listen(server) {
  server.keepAliveTimeout = 30_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};
