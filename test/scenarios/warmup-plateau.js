'use strict';
// HEALTHY: the first requests fill lazily built lookup tables (about 24 MB
// over the first 300 requests); after that the heap is flat.
const serve = require('./lib/serve');
const blob = require('./lib/blob');

const tables = [];
serve((req, res) => {
  if (tables.length < 300) tables.push(blob(80_000, tables.length));
  res.end(String(tables.length));
});
