'use strict';
// LEAK: responses memoised by a key that is unique per request, in a Map
// that is never pruned: about 100 KB more live heap per request.
const serve = require('./lib/serve');
const blob = require('./lib/blob');

const cache = new Map();
let n = 0;
function render(key) {
  return { key, body: blob(100_000, key.length) };
}
serve((req, res) => {
  const key = `${req.url}#${n++}`;
  if (!cache.has(key)) cache.set(key, render(key));
  res.end('ok');
});
