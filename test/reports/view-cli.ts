/** Runs the built `leakwatch` CLI for the viewer tests (build first). */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'dist/bin/leakwatch.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures/reports');
// eslint-disable-next-line no-control-regex
export const ANSI_RE = /\u001b\[[0-9;]*m/;

if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.json first`);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** An environment without the colour and report-dir variables of the caller. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'LEAKWATCH_REPORT_DIR', 'NODE_OPTIONS']) delete env[k];
  return { ...env, TERM: 'xterm-256color', ...extra };
}

/** Runs the CLI with stdout piped. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: cleanEnv(env), timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI with stdout on a pseudo-terminal, through util-linux
 * `script` (the pty's output comes back on our pipe, with CRLF endings).
 */
export function runCliInPty(args: string[], env: Record<string, string> = {}): CliResult {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: cleanEnv(env),
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, stdout: r.stdout.replace(/\r\n/g, '\n'), stderr: r.stderr };
}

/** Text without ANSI SGR sequences. */
// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');
