import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Profile } from 'pprof-format';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { describeSuspects, get, markerLine, readReport, reportDir, runFixture } from './snapshot-support';

afterEach(killSurvivors);

const FIXTURE = path.join(FIXTURES, 'snapshot-heap.js');
/** Each request keeps a ~66 KB entry: ~33 MB in all. */
const REQUESTS = 500;

describe('snapshot: a pure heap leak (issue 5)', () => {
  // Issue 5 acceptance: the top heap suspect names the line that allocates
  // the retained entries, and the .pb.gz decodes with pprof-format and
  // contains that site. V8 samples by allocating function, so the site is
  // that function's first line.
  it('names the allocating function and writes a pprof profile that contains it', async () => {
    const run = runFixture('snapshot-heap.js', reportDir());
    const port = Number((await run.waitFor(/listening (\d+)/))[1]);
    for (let i = 0; i < REQUESTS; i++) await get(port, `/user/${i}`);
    const out = JSON.parse(await get(port, '/snapshot')) as { file: string; entries: number };
    expect(out.entries).toBe(REQUESTS);
    const report = readReport(out.file);
    const heap = report.suspects.filter((s) => s.kind === 'heap');
    const top = heap[0];
    expect(top, describeSuspects(report.suspects)).toBeDefined();
    if (top === undefined) return;
    expect(report.suspects[0]).toBe(top);
    const line = markerLine(FIXTURE, 'alloc');
    expect(top.site?.startsWith(`${FIXTURE}:${line}:`), describeSuspects(report.suspects)).toBe(true);
    expect(top.detail?.function).toBe('cacheProfile');
    // 500 entries of ~66 KB each, sampled: ~33 MB.
    expect(top.bytes).toBeGreaterThan(20 * 1_048_576);
    const profile = report.profiles.find((p) => p.kind === 'pprof-heap');
    expect(profile).toBeDefined();
    if (profile === undefined) return;
    expect(path.dirname(profile.path)).toBe(path.dirname(out.file));
    const bytes = fs.readFileSync(profile.path);
    expect(profile.bytes).toBe(bytes.length);
    const decoded = Profile.decode(zlib.gunzipSync(bytes));
    const str = (i: number | bigint) => decoded.stringTable.strings[Number(i)] as string;
    const fn = decoded.function.find((f) => str(f.name) === 'cacheProfile' && str(f.filename) === FIXTURE);
    expect(fn, 'cacheProfile in the pprof functions').toBeDefined();
    if (fn === undefined) return;
    // The site's line is a location of that function in the profile.
    const siteLocations = decoded.location.filter((l) =>
      l.line.some((ln) => Number(ln.functionId) === Number(fn.id) && Number(ln.line) === line),
    );
    expect(siteLocations.length).toBeGreaterThan(0);
    // Samples whose stack holds cacheProfile carry the leaked bytes.
    const locOf = new Map(decoded.location.map((l) => [Number(l.id), l]));
    const valueIdx = decoded.sampleType.findIndex((t) => str(t.type) === 'inuse_space');
    expect(valueIdx).toBeGreaterThanOrEqual(0);
    const leafBytes = decoded.sample
      .filter((s) =>
        s.locationId.some((id) => locOf.get(Number(id))?.line.some((l) => Number(l.functionId) === Number(fn.id))),
      )
      .reduce((a, s) => a + Number(s.value[valueIdx]), 0);
    expect(leafBytes).toBeGreaterThan(20 * 1_048_576);
  });
});
