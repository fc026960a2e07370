'use strict';
// HEALTHY: an LRU of 150 entries of 100 KB: it fills up (about 15 MB) and
// then evicts as fast as it inserts.
const serve = require('./lib/serve');
const blob = require('./lib/blob');

const MAX = 150;
const lru = new Map();
let n = 0;
serve((req, res) => {
  const key = `k${n++}`;
  lru.set(key, blob(100_000, n));
  if (lru.size > MAX) lru.delete(lru.keys().next().value);
  res.end('ok');
});
