'use strict';
// HEALTHY: a burst at start-up queues 3,000 retries (each a 4 s timer holding
// 8 KB); they all run and release. Steady requests after that are cheap.
const serve = require('./lib/serve');
const blob = require('./lib/blob');

for (let i = 0; i < 3_000; i++) {
  const payload = blob(8_000, i);
  setTimeout(() => payload.length, 1_000 + (i % 3_000));
}
serve((req, res) => res.end('ok'));
