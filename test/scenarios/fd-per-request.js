'use strict';
// LEAK: each request reads a template's first bytes through a raw fd, and
// the path that finds it non-empty returns before fs.close: one open file
// per request, invisible to every handle count (a raw fd is not a handle).
const fs = require('node:fs');
const path = require('node:path');
const serve = require('./lib/serve');

const TEMPLATE = path.join(__dirname, 'lib', 'serve.js');

function readHeader(done) {
  fs.open(TEMPLATE, 'r', (err, fd) => {
    if (err) return done(err);
    fs.read(fd, Buffer.alloc(16), 0, 16, 0, (err2, n) => {
      if (!err2 && n > 0) return done(null, n); // forgot fs.close(fd)
      fs.close(fd, () => done(err2, 0));
    });
  });
}

serve((req, res) => {
  readHeader((err, n) => res.end(err ? 'error' : `ok ${n}`));
});
