/**
 * Helpers for the attach tests (issue 7): plain targets (no preload), the
 * CLI as a child process, bounded loopback load, the 9229 probe, and a
 * cross-process lock so two test runs on this machine never share 9229.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, ROOT, runNode, type Run } from '../helpers';

export const CLI = path.join(ROOT, 'dist/bin/leakwatch.js');
export const INSPECTOR_PORT = 9229;

export interface Target extends Run {
  pid: number;
  port: number;
}

/** Starts a fixture server without leakwatch and waits for its port. */
export async function startTarget(
  fixture: string,
  opts: { nodeArgs?: string[]; env?: Record<string, string>; preload?: boolean } = {},
): Promise<Target> {
  const run = runNode([...(opts.nodeArgs ?? []), path.join(FIXTURES, fixture)], {
    preload: opts.preload ?? false,
    env: opts.env ?? {},
  });
  const m = await run.waitFor(/\{"port":(\d+),"pid":(\d+)\}/);
  return Object.assign(run, { port: Number(m[1]), pid: Number(m[2]) });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The --json line, when asked for. */
  json: Record<string, unknown> | null;
}

const cliChildren = new Set<ChildProcess>();

/** Runs `leakwatch <args>`; `uid` runs it as another user (root only), `env` adds variables. */
export function runCli(
  args: string[],
  opts: { uid?: number; gid?: number; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LEAKWATCH_') && v !== undefined) env[k] = v;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: os.tmpdir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    cliChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      cliChildren.delete(child);
      let json: Record<string, unknown> | null = null;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
        } catch {
          json = null;
        }
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** Kills CLI children a failed test left behind. */
export function killCliChildren(): void {
  for (const c of cliChildren) c.kill('SIGKILL');
  cliChildren.clear();
}

/** Connects to 127.0.0.1:port: 'open', or the error code (ECONNREFUSED). */
export function probePort(port: number = INSPECTOR_PORT): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One GET; resolves to the status code, or rejects. */
export function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: keepAlive, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

export interface Load {
  sent: number;
  ok: number;
  failed: number;
  errors: string[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/**
 * Bounded loopback load: one GET every `everyMs`, at most `maxInFlight` in
 * flight (beyond that a tick is skipped, not queued: the load stays bounded
 * whatever the machine's speed).
 */
export function startLoad(port: number, urlPath: string, everyMs: number, maxInFlight = 8): Load {
  const inFlight = new Set<Promise<void>>();
  const load: Load = {
    sent: 0,
    ok: 0,
    failed: 0,
    errors: [],
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
  const timer = setInterval(() => {
    if (inFlight.size >= maxInFlight) return;
    load.sent++;
    const p = get(port, urlPath)
      .then(
        (r) => {
          if (r.status === 200) load.ok++;
          else {
            load.failed++;
            load.errors.push(`HTTP ${r.status}`);
          }
        },
        (err: Error) => {
          load.failed++;
          load.errors.push(err.message);
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, everyMs);
  return load;
}

/** Waits until `check` returns a value, polling; throws with `what` at the deadline. */
export async function waitUntil<T>(
  what: string,
  check: () => T | null | undefined | Promise<T | null | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Report files in `dir` (full paths). */
export function reportsIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => /^leakwatch-.*\.json$/.test(f))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

const LOCK_DIR = path.join(os.tmpdir(), 'leakwatch-test-9229.lock');

/**
 * Takes the machine-wide 9229 lock (a directory holding the owner's pid);
 * a lock whose owner is dead is taken over.
 */
export async function lockInspectorPort(timeoutMs: number): Promise<void> {
  await waitUntil(
    'the 9229 test lock',
    () => {
      try {
        fs.mkdirSync(LOCK_DIR);
        fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
        return true;
      } catch {
        let owner = NaN;
        try {
          owner = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
        } catch {
          // Being written right now, or a crashed writer: judged next round.
        }
        if (Number.isInteger(owner) && owner > 0 && !alive(owner))
          fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        return null;
      }
    },
    timeoutMs,
    200,
  );
}

export function unlockInspectorPort(): void {
  try {
    if (fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8') === String(process.pid))
      fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch {
    // Not ours or already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
