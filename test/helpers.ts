/** Shared helpers for integration tests: spawn preloaded children, kill survivors. */
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const REGISTER = path.join(ROOT, 'dist/agent/register.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

const live = new Set<ChildProcess>();

/** Kills every child still running (call in afterEach). */
export function killSurvivors(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  live.clear();
}

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stdout or stderr matches. */
  waitFor: (re: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number) => Promise<RegExpMatchArray>;
}

/** Spawns `node [--require register] args` with the given env additions. */
export function runNode(
  args: string[],
  opts: { env?: Record<string, string>; preload?: boolean; cwd?: string } & SpawnOptions = {},
): Run {
  const pre = opts.preload === false ? [] : ['--require', REGISTER];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LEAKWATCH_') && v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [...pre, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Another user (tests that need a directory this user cannot write).
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  live.add(child);
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.slice()) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.slice()) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
      for (const w of waiters.slice()) w();
    }),
  );
  const waitFor = (re: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`timed out waiting for ${re} on ${stream}\nstdout: ${out}\nstderr: ${err.slice(-4000)}`)),
        timeoutMs,
      );
      const check = () => {
        const m = (stream === 'stdout' ? out : err).match(re);
        if (m !== null) {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`child exited before ${re} on ${stream}\nstdout: ${out}\nstderr: ${err.slice(-4000)}`));
        }
      };
      waiters.push(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
