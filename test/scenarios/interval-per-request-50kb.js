'use strict';
// LEAK: each request starts a polling interval that retains 50 KB and is
// never cleared (the reference leak for the production-defaults check:
// 20 requests/s is about 1 MB/s of heap and 20 more live timers a second).
const serve = require('./lib/serve');
const blob = require('./lib/blob');

let n = 0;
serve((req, res) => {
  const state = blob(50_000, n++);
  setInterval(function poll() {
    state[0] = Date.now() & 0xffff;
  }, 60_000);
  res.end('ok');
});
