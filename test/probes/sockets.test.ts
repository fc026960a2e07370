import dgram = require('node:dgram');
import * as fs from 'node:fs';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openInspector } from '../../probes/inspector-session';
import { readLiveSockets, type ExcludeSocket } from '../../probes/sockets';
import { tempDir } from '../support/temp';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function read(exclude: ExcludeSocket | null = null) {
  const insp = openInspector();
  try {
    return await readLiveSockets(insp, null, exclude);
  } finally {
    insp.close();
  }
}

describe('readLiveSockets (issue 5)', () => {
  it("lists unref'd TCP and UDP sockets and servers with their endpoints", async () => {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      cleanup.push(() => s.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const clients: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      await new Promise<void>((r) => c.once('connect', r));
      c.write('hello\n');
      c.unref();
      clients.push(c);
      cleanup.push(() => c.destroy());
    }
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.connect(peer.address().port, '127.0.0.1', r));
    udp.unref();
    cleanup.push(
      () => udp.close(),
      () => peer.close(),
    );
    // A destroyed socket still referenced is not live.
    const dead = net.connect(port, '127.0.0.1');
    dead.on('error', () => {});
    dead.destroy();

    const r = await read();
    // Unref'd sockets are open fds no active handle explains: heap walk.
    expect(r.via).toBe('heap-walk');
    const client = r.groups.find((g) => g.role === 'client' && g.endpoint === `127.0.0.1:${port}`);
    expect(client).toMatchObject({ kind: 'tcp', count: 3, refed: 0 });
    expect(client?.bytesWritten).toBe(3 * 'hello\n'.length);
    expect(r.groups.find((g) => g.role === 'accepted' && g.endpoint === `127.0.0.1:${port}`)?.count).toBe(3);
    const srv = r.groups.find((g) => g.role === 'server' && g.endpoints.includes(`127.0.0.1:${port}`));
    expect(srv).toMatchObject({ kind: 'tcp', endpoint: '127.0.0.1' });
    expect(r.groups.find((g) => g.role === 'udp' && g.endpoint === `127.0.0.1:${peer.address().port}`)).toMatchObject({
      count: 1,
      refed: 0,
      kind: 'udp',
    });
    expect(r.inactive).toBeGreaterThanOrEqual(1);
    expect(dead.destroyed).toBe(true);
  });

  it('leaves out what the exclusion predicate names, counting it', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => server.close());
    const exact = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const r = await read((m) => (m.exact === exact ? 'mine' : null));
    expect(r.excluded.mine).toBe(1);
    expect(r.groups.some((g) => g.endpoints.includes(exact))).toBe(false);
  });
});

describe('readLiveSockets: pipes (issue 5)', () => {
  it('names a pipe client by the path it connected to (it has no readable peer address)', async () => {
    const { armCreationSites } = await import('../../probes/creation-sites');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(tempDir('lw-pipe-'), 'upstream.sock');
    const server = net.createServer((s) => {
      s.on('error', () => {});
      cleanup.push(() => s.destroy());
    });
    await new Promise<void>((r) => server.listen(file, r));
    cleanup.push(() => server.close());
    const sites = armCreationSites({ timers: false, sockets: true });
    cleanup.push(() => sites.disarm());
    for (let i = 0; i < 2; i++) {
      const c = net.connect(file);
      c.on('error', () => {});
      await new Promise<void>((r) => c.once('connect', r));
      cleanup.push(() => c.destroy());
    }
    const insp = openInspector();
    try {
      const r = await readLiveSockets(insp, sites.recordOf, null);
      // (The test runner's own pipes are other groups.)
      expect(r.groups.find((g) => g.role === 'client' && g.endpoint === file)).toMatchObject({
        kind: 'pipe',
        count: 2,
        createdWhileArmed: 2,
      });
      expect(r.groups.find((g) => g.role === 'accepted' && g.endpoint === file)).toMatchObject({
        kind: 'pipe',
        count: 2,
      });
    } finally {
      insp.close();
    }
  });
});
