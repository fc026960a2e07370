'use strict';
// LEAK: each request schedules a one-hour "session expiry" timer that holds
// the session; nothing ever clears it, and under steady load they pile up.
const serve = require('./lib/serve');

serve((req, res) => {
  const session = { id: Math.random(), data: new Array(64).fill(req.url) };
  setTimeout(() => {
    session.data = null;
  }, 3_600_000);
  res.end('ok');
});
