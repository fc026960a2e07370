'use strict';
// LEAK: each request subscribes to a long-lived emitter and never
// unsubscribes; every listener holds its request's 20 KB context.
const { EventEmitter } = require('node:events');
const serve = require('./lib/serve');
const blob = require('./lib/blob');

const bus = new EventEmitter();
serve((req, res) => {
  const context = { url: req.url, scratch: blob(20_000, bus.listenerCount('config-changed')) };
  bus.on('config-changed', () => {
    context.url = '';
  });
  res.end('ok');
});
