import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killSurvivors } from '../helpers';
import { at, describeSuspects, get, markerLine, readReport, reportDir, runFixture } from './snapshot-support';

const FIXTURE = path.join(FIXTURES, 'snapshot-sockets.js');
const REQUESTS = 60;

let upstream: net.Server | null = null;
const accepted: net.Socket[] = [];
afterEach(() => {
  killSurvivors();
  for (const s of accepted.splice(0)) s.destroy();
  upstream?.close();
  upstream = null;
});

describe('snapshot: a socket-per-request leak (issue 5)', () => {
  // Issue 5 acceptance: the top suspect is a socket group with the
  // upstream's address and the line that opens the connection.
  it('names the upstream address and the net.connect line', async () => {
    upstream = net.createServer((s) => {
      accepted.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => upstream?.listen(0, '127.0.0.1', r));
    const upPort = (upstream.address() as net.AddressInfo).port;
    const run = runFixture('snapshot-sockets.js', reportDir(), { LW_UPSTREAM: String(upPort) });
    const port = Number((await run.waitFor(/listening (\d+)/))[1]);
    for (let i = 0; i < REQUESTS; i++) await get(port, `/u${i}`);
    const { file, served } = JSON.parse(await get(port, '/snapshot')) as { file: string; served: number };
    expect(served).toBe(REQUESTS);
    const report = readReport(file);
    const top = report.suspects[0];
    expect(top?.kind, describeSuspects(report.suspects)).toBe('socket');
    if (top === undefined) return;
    expect(top.detail?.endpoint).toBe(`127.0.0.1:${upPort}`);
    expect(top.title).toContain(`127.0.0.1:${upPort}`);
    expect(top.detail?.role).toBe('client');
    expect(top.detail?.type).toBe('tcp');
    expect(top.count).toBe(REQUESTS);
    expect(top.growth).toBe(REQUESTS);
    expect(
      top.site?.startsWith(at(FIXTURE, markerLine(FIXTURE, 'site connect'))),
      `${top.site}\n${top.stack.join('\n')}`,
    ).toBe(true);
    // All sockets here are ref'd: the fd table accounts for every one, so
    // the snapshot skipped the heap walk.
    expect(report.notes).toContain(
      "sockets: every open socket fd is a ref'd handle or leakwatch's own, so no heap walk was needed",
    );
    // Each socket wrote one request line to the upstream.
    expect(top.detail?.bytesWritten).toBeGreaterThanOrEqual(REQUESTS * 'GET /uN\n'.length);
  });
});

describe('snapshot: finding sockets without a heap walk (issue 5)', () => {
  // The fd-table shortcut must never hide a socket: with every socket
  // ref'd it gives the heap walk's groups; one unref'd socket forces the walk.
  it("gives the same groups as the heap walk, and walks when a socket is unref'd", async () => {
    const run = runFixture('snapshot-socket-paths.js', reportDir());
    const m = await run.waitFor(/^(\{.*\})$/m);
    const out = JSON.parse(m[1] as string) as {
      refd: { fast: { via: string; groups: string[] }; walk: { via: string; groups: string[] } };
      unrefd: { via: string; groups: string[] };
    };
    expect(out.refd.fast.via).toBe('active-handles');
    expect(out.refd.walk.via).toBe('heap-walk');
    expect(out.refd.fast.groups).toEqual(out.refd.walk.groups);
    expect(out.refd.fast.groups.some((g) => / 5 5$/.test(g) && g.startsWith('client tcp 127.0.0.1:'))).toBe(true);
    expect(out.unrefd.via).toBe('heap-walk');
    expect(out.unrefd.groups.some((g) => / 5 4$/.test(g) && g.startsWith('client tcp 127.0.0.1:'))).toBe(true);
  });
});
