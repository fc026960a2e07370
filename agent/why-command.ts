/**
 * `leakwatch why [--idle 5s] -- node app.js`: runs the command with the
 * `why` preload (through NODE_OPTIONS, so `node` anywhere in the command
 * gets it) and, when the process should have exited but did not, has it
 * print what keeps it alive with creation sites:
 *
 * - Ctrl-C (SIGINT to this command, forwarded to the child),
 * - SIGTERM (a supervisor, a CI timeout; forwarded too), or
 * - `--idle <duration>`: once the child's event loop has been idle that long.
 *
 * The exit status is the child's: its code, or 128 + the signal number
 * when a signal ended it (130 after Ctrl-C, 143 after SIGTERM or an idle
 * report).
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { whyChildEnv } from './cli-env';
import { parseDuration } from './duration';

const USAGE = `usage: leakwatch why [--idle <duration>] -- <command> [args...]

  Runs <command> (e.g. node app.js) with creation sites armed. When it
  should have exited but did not, prints what keeps it alive:
    Ctrl-C            print, then end it as Ctrl-C would
    SIGTERM           print, then end it (a supervisor, a CI timeout)
    --idle 5s         print once its event loop has been idle for 5s, then SIGTERM it
`;

/** The preload, beside this file in dist/. */
const PRELOAD = path.resolve(__dirname, '../testing/why-preload.js');

interface WhyArgs {
  idle: string | null;
  command: string[];
}

/** Parses `[--idle d] [--] cmd...`; null with a message when malformed. */
export function parseWhyArgs(args: readonly string[]): WhyArgs | string {
  let idle: string | null = null;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--idle' || a.startsWith('--idle=')) {
      const v = a === '--idle' ? args[++i] : a.slice('--idle='.length);
      if (v === undefined) return '--idle needs a duration (e.g. 5s)';
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) return `--idle "${v}" is not a duration (expected e.g. 500ms, 5s, 1m)`;
      idle = v;
      continue;
    }
    if (a.startsWith('-')) return `unknown option ${a}`;
    break;
  }
  const command = args.slice(i);
  if (command.length === 0) return 'no command to run';
  return { idle, command };
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `leakwatch why`: runs a command with the why preload and prints what kept it alive.
 * @returns the exit status
 */
export async function run(_command: string, args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseWhyArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`leakwatch why: ${parsed}\n${USAGE}`);
    return 2;
  }
  const env = whyChildEnv(PRELOAD, parsed.idle);
  const [file, ...rest] = parsed.command as [string, ...string[]];
  const child = spawn(file, rest, { stdio: 'inherit', env });
  // Ctrl-C reaches the whole process group; a SIGINT, SIGTERM or SIGHUP
  // sent to this command alone (a supervisor, a CI timeout) is forwarded as
  // itself. Either way this command waits for the child: it never leaves
  // one running.
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    return await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        process.stderr.write(`leakwatch why: could not run ${file}: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        if (signal !== null) {
          resolve(128 + (os.constants.signals[signal] ?? 0));
          return;
        }
        if (code === 0) process.stderr.write('leakwatch why: the process exited by itself; nothing kept it alive\n');
        resolve(code ?? 1);
      });
    });
  } finally {
    for (const signal of FORWARDED) process.removeListener(signal, forward);
  }
}
