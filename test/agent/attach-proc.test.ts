/**
 * Issue 7: what attach reads from /proc before it signals anything.
 * Real processes and sockets, no mocks.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_INSPECTOR_PORT,
  findPortOwner,
  inspectorAddressOf,
  isLoopback,
  listeningPortsOf,
  looksLikeNode,
  readTarget,
  targetSocketBase,
} from '../../agent/attach-proc';

const onLinux = process.platform === 'linux';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('inspectorAddressOf', () => {
  const at = (argv: string[], nodeOptions = '') => inspectorAddressOf({ argv: ['node', ...argv], nodeOptions });

  it('defaults to 127.0.0.1:9229 without flags', () => {
    expect(at(['server.js'])).toEqual({ host: '127.0.0.1', port: DEFAULT_INSPECTOR_PORT, inspectFlag: false });
  });
  it('reads --inspect-port (port, host:port, separate value) without calling it --inspect', () => {
    expect(at(['--inspect-port=9333', 'server.js'])).toEqual({ host: '127.0.0.1', port: 9333, inspectFlag: false });
    expect(at(['--inspect-port', '9444', 'server.js'])).toEqual({ host: '127.0.0.1', port: 9444, inspectFlag: false });
    expect(at(['--inspect-port=0.0.0.0:9229', 'server.js'])).toEqual({
      host: '0.0.0.0',
      port: 9229,
      inspectFlag: false,
    });
  });
  it('reads --inspect, --inspect-brk, --inspect-wait with and without an address', () => {
    expect(at(['--inspect', 'a.js'])).toMatchObject({ port: 9229, inspectFlag: true });
    expect(at(['--inspect=127.0.0.1:0', 'a.js'])).toMatchObject({ host: '127.0.0.1', port: 0, inspectFlag: true });
    expect(at(['--inspect-brk=9555', 'a.js'])).toMatchObject({ port: 9555, inspectFlag: true });
    expect(at(['--inspect-wait=[::1]:9666', 'a.js'])).toMatchObject({ host: '::1', port: 9666, inspectFlag: true });
  });
  it("ignores the script's own arguments and option values that look like flags", () => {
    expect(at(['server.js', '--inspect-port=1234'])).toMatchObject({ port: 9229, inspectFlag: false });
    expect(at(['-r', '--inspect', 'server.js'])).toMatchObject({ inspectFlag: false });
    expect(at(['-e', 'x', '--', '--inspect'])).toMatchObject({ inspectFlag: false });
  });
  it('reads NODE_OPTIONS, the command line winning', () => {
    expect(at(['server.js'], '--inspect-port=9777')).toMatchObject({ port: 9777 });
    expect(at(['--inspect-port=9888', 'server.js'], '--inspect-port=9777')).toMatchObject({ port: 9888 });
  });
  it('reads NODE_OPTIONS as Node splits it: quoted words keep their spaces and lose their quotes', () => {
    expect(at(['server.js'], '--require "/srv/my app/pre.js" "--inspect-port=127.0.0.1:9333"')).toEqual({
      host: '127.0.0.1',
      port: 9333,
      inspectFlag: false,
    });
  });
});

describe('looksLikeNode and isLoopback', () => {
  it('accepts node binaries by name, refuses others', () => {
    for (const exe of ['/usr/bin/node', '/usr/bin/nodejs', '/opt/node20', '/x/node-v20.11.1', process.execPath])
      expect(looksLikeNode(exe)).toBe(true);
    for (const exe of ['/usr/bin/sleep', '/usr/bin/python3', '/usr/sbin/nodeexporterd', ''])
      expect(looksLikeNode(exe)).toBe(false);
  });
  it('knows loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1']) expect(isLoopback(h)).toBe(false);
  });
});

describe.skipIf(!onLinux)('/proc readers', () => {
  it('a Node.js process catches SIGUSR1; sleep does not', async () => {
    expect(readTarget(process.pid)).toMatchObject({ pid: process.pid, catchesSigusr1: true, alive: true });
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => sleeper.kill('SIGKILL'));
    await new Promise((r) => setTimeout(r, 200));
    const t = readTarget(sleeper.pid as number);
    expect(t).toMatchObject({ catchesSigusr1: false, alive: true });
    expect(t?.exe).toMatch(/sleep$/);
    expect(readTarget(0x3fffff)).toBe(null);
  });

  it('finds the ports a process listens on and the owner of a port', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    cleanups.push(() => server.close());
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    expect(listeningPortsOf(process.pid)).toContainEqual(expect.objectContaining({ host: '127.0.0.1', port }));
    expect(findPortOwner(port)).toMatchObject({ pid: process.pid });
  });

  it("the control socket base is the target's uid and TMPDIR", async () => {
    expect(targetSocketBase(process.pid)).toEqual({ uid: process.getuid?.(), tmpdir: os.tmpdir() });
    const child = spawn('sleep', ['30'], { stdio: 'ignore', env: { ...process.env, TMPDIR: '/var/tmp/x/' } });
    cleanups.push(() => child.kill('SIGKILL'));
    await new Promise((r) => setTimeout(r, 200));
    expect(targetSocketBase(child.pid as number)).toEqual({ uid: process.getuid?.(), tmpdir: '/var/tmp/x' });
  });
});
