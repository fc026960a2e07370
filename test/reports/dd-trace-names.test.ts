// The names leakwatch leaves to dd-trace's runtime metrics are the ones the
// installed dd-trace sends: read from its runtime_metrics.js, histograms
// expanded into the fields its histogram() writes.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DD_TRACE_RUNTIME_NAMES } from '../../reports/dd-trace-names';

const req = createRequire(__filename);
const SOURCE = path.join(
  path.dirname(req.resolve('dd-trace/package.json')),
  'packages/dd-trace/src/runtime_metrics/runtime_metrics.js',
);

describe("dd-trace's runtime metric names", () => {
  it('equal what the installed dd-trace sends over DogStatsD', () => {
    // Calls in line comments (dd-trace's TODOs) are not sent.
    const src = fs.readFileSync(SOURCE, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const gauges = [...src.matchAll(/\b(?:gauge|increment)\('(runtime\.node\.[a-z0-9_.]+)'/g)].map((m) => m[1]);
    const histograms = [...src.matchAll(/\bhistogram\('(runtime\.node\.[a-z0-9_.]+)'/g)].map((m) => m[1]);
    const fields = [...src.matchAll(/client\.(?:gauge|increment)\(`\$\{name\}\.([a-z0-9]+)`/g)].map((m) => m[1]);
    expect(fields.sort()).toEqual(['95percentile', 'avg', 'count', 'max', 'median', 'min', 'sum', 'total']);
    const expected = new Set([...gauges, ...histograms.flatMap((h) => fields.map((f) => `${h}.${f}`))]);
    expect([...DD_TRACE_RUNTIME_NAMES].sort()).toEqual([...expected].sort());
  });
});
