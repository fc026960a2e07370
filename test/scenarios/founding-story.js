'use strict';
// LEAK: a metrics client opened per request; its close() clears one of its
// two intervals, so one interval per request survives.
const serve = require('./lib/serve');
const { MetricsClient } = require('./lib/client');

serve((req, res) => {
  const client = new MetricsClient('api');
  client.increment('requests');
  client.close();
  res.end('ok');
});
