'use strict';
// A metrics-style client, as a library would ship it: it flushes on one
// interval and watches its connection on another. close() was meant to stop
// both, but only clears the first: every client ever made keeps watch2 (and
// the 4 KB buffer it closes over) alive. This is leakwatch's founding story.
class MetricsClient {
  constructor(name) {
    this.name = name;
    this.buffer = Buffer.alloc(4096);
    this.points = [];
    this.flushTimer = setInterval(function watch1() { this.points.length = 0; }.bind(this), 5_000);
    const buffer = this.buffer;
    this.watchTimer = setInterval(function watch2() { buffer.fill(0, 0, 1); }, 5_000);
  }
  increment(metric) {
    this.points.push(metric);
  }
  close() {
    clearInterval(this.flushTimer);
  }
}
module.exports = { MetricsClient };
