'use strict';
// HEALTHY: a large reference data set (about 200 MB) loaded at start-up,
// then steady serving: big, but flat.
const serve = require('./lib/serve');
const blob = require('./lib/blob');

const data = [];
for (let i = 0; i < 2_000; i++) data.push(blob(100_000, i));
serve((req, res) => res.end(String(data.length)));
