'use strict';
// HEALTHY: each request allocates about 2 MB of short-lived garbage; the
// raw heap saws up and down, the post-GC floor does not move.
const serve = require('./lib/serve');

serve((req, res) => {
  const rows = [];
  for (let i = 0; i < 20_000; i++) rows.push({ i, s: `row ${i}` });
  res.end(String(rows.length));
});
