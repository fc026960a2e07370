import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlesReading, isSupported, readHandles, readOpenFds } from '../../probes/handles';
import { tempDir } from '../support/temp';

const count = (type: string): number => readHandles(createHandlesReading()).byType.get(type) ?? 0;
/** `/proc/self/fd` has reported its entry count as its size since Linux 6.2. */
const [major = 0, minor = 0] = os.release().split('.').map(Number);
const fdCountKernel = process.platform === 'linux' && (major > 6 || (major === 6 && minor >= 2));
const once = <T>(emitter: NodeJS.EventEmitter, event: string): Promise<T> =>
  new Promise((resolve) => emitter.once(event, resolve as (v: unknown) => void));

describe('handles probe', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  it('is supported on the Node versions leakwatch runs on', () => {
    expect(isSupported()).toBe(true);
  });

  it('counts ref’d timers by type, and keeps a type that went away at 0', () => {
    const r = createHandlesReading();
    const before = readHandles(r).byType.get('Timeout') ?? 0;
    const timers = Array.from({ length: 5 }, () => setInterval(() => {}, 60_000));
    expect(readHandles(r).byType.get('Timeout')).toBe(before + 5);
    for (const t of timers) clearInterval(t);
    const after = readHandles(r);
    expect(after).toBe(r);
    expect(after.byType.has('Timeout')).toBe(true);
    expect(after.byType.get('Timeout')).toBe(before);
  });

  it('does not list unref’d timers (measured Node behaviour the heap floor and fd count cover)', () => {
    const before = count('Timeout');
    const t = setInterval(() => {}, 60_000).unref();
    cleanup.push(() => clearInterval(t));
    expect(count('Timeout')).toBe(before);
  });

  it.runIf(fdCountKernel)('counts a listening server, and an unref’d socket only in the open fds', async () => {
    const server = net.createServer((s) => cleanup.push(() => s.destroy()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    expect(count('TCPServerWrap')).toBeGreaterThanOrEqual(1);
    const socketsBefore = count('TCPSocketWrap');
    const fdsBefore = readOpenFds();
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await Promise.all([once(client, 'connect'), once(server, 'connection')]);
    cleanup.push(() => client.destroy());
    client.unref();
    // Both ends are open fds; only the server's ref'd end is an active resource.
    expect(readOpenFds()).toBe(fdsBefore + 2);
    expect(count('TCPSocketWrap')).toBe(socketsBefore + 1);
  });

  it.runIf(fdCountKernel)('counts open file descriptors exactly', () => {
    const fdsBefore = readOpenFds();
    expect(fdsBefore).toBeGreaterThan(2);
    const file = path.join(tempDir('lw-fds-'), 'f');
    fs.writeFileSync(file, '');
    const fds = [fs.openSync(file, 'r'), fs.openSync(file, 'r'), fs.openSync(file, 'r')];
    expect(readOpenFds()).toBe(fdsBefore + 3);
    for (const fd of fds) fs.closeSync(fd);
    expect(readOpenFds()).toBe(fdsBefore);
  });
});
