import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { openSync as openSyncNamed } from 'node:fs';
import { open as openNamed } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, LeakError } from '../../testing/expect-no-leaks';
import { FIXTURES } from '../helpers';
import { siteOf } from './helpers';

const CLIENT = path.join(FIXTURES, 'testing/founding-client.js');
// Loaded by Node itself, so its lines are the file's lines.
const { BuggyClient, FixedClient } = createRequire(__filename)(CLIENT) as {
  BuggyClient: new () => { watch1: NodeJS.Timeout; watch2: NodeJS.Timeout; close(): void };
  FixedClient: new () => { close(): void };
};
const formatSite = (l: { site: { file: string; line: number; column: number } | null }) =>
  l.site === null ? null : `${l.site.file}:${l.site.line}:${l.site.column}`;

const ORIGINAL_SET_TIMEOUT = globalThis.setTimeout;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function leaksOf(fn: () => unknown, opts?: Parameters<typeof expectNoLeaks>[1]): Promise<LeakError> {
  const err = await expectNoLeaks(fn, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeakError);
  return err as LeakError;
}

describe('expectNoLeaks', () => {
  // Issue 9 acceptance: the founding story's close() that clears one of two
  // intervals fails, naming the surviving interval's line; clearing both passes.
  it('fails on a client whose close() clears one of two intervals, naming the survivor', async () => {
    let client: InstanceType<typeof BuggyClient> | undefined;
    const err = await leaksOf(() => {
      client = new BuggyClient();
      client.close();
    });
    cleanup.push(
      () => client?.close() ?? undefined,
      () => clearInterval(client?.watch2),
    );
    expect(err.code).toBe('LEAKWATCH_ERR_LEAKS');
    expect(err.leaks).toHaveLength(1);
    const [leak] = err.leaks;
    expect(leak?.type).toBe('interval');
    expect(leak?.refed).toBe(true);
    expect(leak?.detail).toBe('every 5000ms');
    const site = siteOf(CLIENT, 'SITE: watch2', 'setInterval');
    expect(formatSite(leak as LeakError['leaks'][number])).toBe(site);
    expect(err.message).toContain(`setInterval every 5000ms, created at ${site}`);
    expect(err.message).not.toContain(siteOf(CLIENT, 'SITE: watch1', 'setInterval'));
  });

  it.skipIf(process.platform !== 'linux')(
    'fails on a file left open, naming the line that opened it; closed files pass',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-enl-'));
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, '{}');
      const fds: number[] = [];
      cleanup.push(() => fds.forEach((fd) => fs.closeSync(fd)));
      const err = await leaksOf(() => {
        fds.push(fs.openSync(file, 'r'));
      });
      const fd = fds[0] as number;
      expect(err.leaks.map((l) => [l.type, l.detail, l.refed])).toEqual([['file', `${file} (fd ${fd})`, false]]);
      expect(err.message).toContain(`open file ${file} (fd ${fd}), opened at ${__filename}:`);
      // Functions imported by name, bound before the window armed, reach it too.
      const handles: fs.promises.FileHandle[] = [];
      cleanup.push(() => handles.forEach((h) => void h.close()));
      const named = await leaksOf(async () => {
        fds.push(openSyncNamed(file, 'r'));
        handles.push(await openNamed(file, 'r'));
      });
      expect(named.leaks.map((l) => [l.type, l.detail])).toEqual([
        ['file', `${file} (fd ${fds[1]})`],
        ['file', `${file} (fd ${handles[0]?.fd})`],
      ]);
      expect(named.leaks.map((l) => l.site?.file)).toEqual([__filename, __filename]);
      // Opened and closed, every way: nothing to report.
      await expectNoLeaks(async () => {
        await (await fs.promises.open(file, 'r')).close();
        fs.closeSync(fs.openSync(file, 'r'));
        fs.readFileSync(file);
        const s = fs.createReadStream(file);
        s.resume();
        await once(s, 'close');
      });
      // A file never keeps the process alive, and ignoreUnref does not hide it;
      // ignoreTypes does.
      const unref = await leaksOf(
        () => {
          fds.push(fs.openSync(file, 'r'));
        },
        { ignoreUnref: true },
      );
      expect(unref.leaks.map((l) => l.type)).toEqual(['file']);
      await expectNoLeaks(
        () => {
          fds.push(fs.openSync(file, 'r'));
        },
        { ignoreTypes: ['file'] },
      );
    },
  );

  it('fails on a child process left running, naming the spawn; one that exited passes', async () => {
    const args = ['-e', 'setInterval(() => {}, 1e6)'];
    let child: ChildProcess | undefined;
    const err = await leaksOf(() => {
      child = spawn(process.execPath, args);
    });
    cleanup.push(() => child?.kill('SIGKILL'));
    const pid = (child as ChildProcess).pid;
    expect(err.leaks.map((l) => [l.type, l.detail, l.refed])).toEqual([
      ['process', `${process.execPath} ${args.join(' ')} (pid ${pid})`, true],
    ]);
    expect(err.message).toContain(`child process ${process.execPath} -e`);
    expect(err.message).toContain(`created at ${__filename}:`);
    // Its stdio pipes are not reported on their own.
    expect(err.leaks).toHaveLength(1);
    await expectNoLeaks(async () => {
      const done = spawn(process.execPath, ['-e', '0']);
      await once(done, 'close');
    });
  });

  it("fails on a worker thread left running, naming its new Worker line; an unref'd one says so, an ended one passes", async () => {
    const code = 'setInterval(() => {}, 1e6)';
    let worker: Worker | undefined;
    const err = await leaksOf(() => {
      worker = new Worker(code, { eval: true });
    });
    cleanup.push(() => void worker?.terminate());
    const id = (worker as Worker).threadId;
    expect(err.leaks.map((l) => [l.type, l.detail, l.refed])).toEqual([['worker', `thread ${id} ([eval])`, true]]);
    expect(err.message).toContain(`worker thread ${id} ([eval]), created at ${__filename}:`);
    let background: Worker | undefined;
    const unref = await leaksOf(() => {
      background = new Worker(code, { eval: true });
      background.unref();
    });
    cleanup.push(() => void background?.terminate());
    expect(unref.leaks.map((l) => [l.type, l.refed])).toEqual([['worker', false]]);
    expect(unref.message).toContain("(unref'd)");
    await expectNoLeaks(async () => {
      const w = new Worker(code, { eval: true });
      await once(w, 'online');
      await w.terminate();
    });
    // Made before arming, the class still answers instanceof.
    expect(worker).toBeInstanceOf(Worker);
  });

  it('passes once close() clears both', async () => {
    await expectNoLeaks(() => {
      new FixedClient().close();
    });
  });

  it('awaits an async function and checks what it left', async () => {
    await expectNoLeaks(async () => {
      const c = new FixedClient();
      await new Promise((r) => setTimeout(r, 5));
      c.close();
    });
    const err = await leaksOf(async () => {
      await new Promise((r) => setTimeout(r, 5));
      const t = setTimeout(() => {}, 60_000);
      cleanup.push(() => clearTimeout(t));
    });
    expect(err.leaks.map((l) => [l.type, l.detail])).toEqual([['timeout', 'in 60000ms']]);
  });

  it("rethrows the function's own error without a leak check", async () => {
    const boom = new Error('boom');
    await expect(
      expectNoLeaks(() => {
        const t = setInterval(() => {}, 1000);
        cleanup.push(() => clearInterval(t));
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it('names a socket left open, and passes when it is destroyed or ended', async () => {
    const server = net.createServer((s) => s.on('error', () => {}).resume());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    let open: net.Socket | undefined;
    const err = await leaksOf(async () => {
      open = net.connect(port, '127.0.0.1');
      await once(open, 'connect');
    });
    cleanup.push(() => open?.destroy());
    expect(err.leaks).toHaveLength(1);
    expect(err.leaks[0]?.type).toBe('socket');
    expect(err.leaks[0]?.detail).toBe(`to 127.0.0.1:${port}`);
    expect(err.leaks[0]?.site?.file).toBe(__filename);

    await expectNoLeaks(async () => {
      const s = net.connect(port, '127.0.0.1');
      await once(s, 'connect');
      s.destroy();
    });
    // end(): the socket closes a little later, within the settle wait
    // (generous, for a loaded machine; a clean call never waits).
    await expectNoLeaks(
      async () => {
        const s = net.connect(port, '127.0.0.1');
        await once(s, 'connect');
        s.end();
      },
      { settleMs: 5000 },
    );
  });

  it('names a pipe client by the path it connected to', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-pipe-'));
    const sock = path.join(dir, 's.sock');
    const server = net.createServer((s) => s.on('error', () => {})).listen(sock);
    await once(server, 'listening');
    let c: net.Socket | undefined;
    cleanup.push(() => {
      c?.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const err = await leaksOf(async () => {
      c = net.connect(sock);
      await once(c, 'connect');
    });
    expect(err.leaks.map((l) => [l.type, l.detail])).toEqual([['socket', `to ${sock}`]]);
  });

  it('reports servers left listening', async () => {
    let srv: net.Server | undefined;
    const err = await leaksOf(async () => {
      srv = net.createServer().listen(0, '127.0.0.1');
      await once(srv, 'listening');
    });
    cleanup.push(() => srv?.close());
    expect(err.leaks.map((l) => l.type)).toEqual(['server']);
    expect(err.leaks[0]?.detail).toMatch(/^listening on 127\.0\.0\.1:\d+$/);
  });

  it("marks unref'd handles, and ignoreUnref / ignoreTypes / ignoreSites leave them out", async () => {
    const make = () => {
      const t = setInterval(() => {}, 1000).unref();
      cleanup.push(() => clearInterval(t));
    };
    const err = await leaksOf(make);
    expect(err.leaks[0]?.refed).toBe(false);
    expect(err.message).toContain("(unref'd)");
    await expectNoLeaks(make, { ignoreUnref: true });
    await expectNoLeaks(make, { ignoreTypes: ['interval'] });
    await expectNoLeaks(make, { ignoreSites: [/expect-no-leaks\.test\.ts:\d+/] });
    await expectNoLeaks(make, { ignoreSites: ['expect-no-leaks.test.ts'] });
    // A pattern matching nothing in the stack ignores nothing.
    await leaksOf(make, { ignoreSites: [/no-such-file\.js/], ignoreTypes: ['timeout'] });
  });

  it('nests: an inner call sees only its own handles, the outer sees both', async () => {
    const outer = await leaksOf(async () => {
      const a = setInterval(() => {}, 1000);
      cleanup.push(() => clearInterval(a));
      const inner = await leaksOf(() => {
        const b = setInterval(() => {}, 2000);
        cleanup.push(() => clearInterval(b));
      });
      expect(inner.leaks.map((l) => l.detail)).toEqual(['every 2000ms']);
    });
    expect(outer.leaks.map((l) => l.detail).sort()).toEqual(['every 1000ms', 'every 2000ms']);
    // Both disarmed: the original function is back in place.
    expect(globalThis.setTimeout).toBe(ORIGINAL_SET_TIMEOUT);
  });

  // House style 17: pooled keep-alive sockets and Node's own unref'd
  // timers are named benign filters, reported only with strict: true.
  it('fetch and http.get keep-alive pools are not leaks by default; strict reports them', async () => {
    const newServer = async () => {
      const srv = http.createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
      await once(srv, 'listening');
      cleanup.push(() => {
        srv.closeAllConnections();
        srv.close();
      });
      return `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/`;
    };
    const viaFetch = (url: string) => async () => {
      await (await fetch(url)).text();
    };
    const viaGet = (url: string) => () =>
      new Promise<void>((resolve) => http.get(url, (r) => r.resume().on('end', resolve)));
    await expectNoLeaks(viaFetch(await newServer()));
    await expectNoLeaks(viaGet(await newServer()));
    // A new server each time: a new connection, not a reused pooled one.
    const f = await leaksOf(viaFetch(await newServer()), { strict: true });
    expect(f.leaks.some((l) => l.type === 'socket' && !l.refed && l.site === null)).toBe(true);
    const g = await leaksOf(viaGet(await newServer()), { strict: true });
    expect(g.leaks.map((l) => [l.type, l.refed, l.site?.file])).toEqual([['socket', false, __filename]]);
  });

  it('throws on nonsense options, naming them', async () => {
    await expect(expectNoLeaks(() => {}, { ignoreTypes: ['thread' as never] })).rejects.toThrow(RangeError);
    await expect(expectNoLeaks(() => {}, { settleMs: -1 })).rejects.toThrow(/settleMs/);
    await expect(expectNoLeaks(() => {}, { ignoreSites: [42 as never] })).rejects.toThrow(TypeError);
    await expect(expectNoLeaks('nope' as never)).rejects.toThrow(TypeError);
  });
});
