'use strict';
// About `bytes` of live JS heap: an array of small integers (8 bytes per
// element on 64-bit Node). Strings are no good here: V8 builds 'x'.repeat(n)
// as a rope of shared pieces, so a million of them cost almost nothing.
module.exports = function blob(bytes, seed = 0) {
  const a = new Array(Math.ceil(bytes / 8));
  for (let i = 0; i < a.length; i++) a[i] = (seed + i) & 0x3fffffff;
  return a;
};
