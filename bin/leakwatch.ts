#!/usr/bin/env node
/**
 * The `leakwatch` command. A thin entry: each command lives with the code
 * it drives and is loaded only when asked for.
 */
import { VERSION } from '../agent/version';

const USAGE = `usage: leakwatch <command> [options]

commands:
  view [file|dir] [--json] [--html [-o out.html]]   show leak reports
  attach <pid> [--window 5m] [--report-dir dir]    start watching a running process
  status [pid] | snapshot <pid> | detach <pid>     talk to an agent (status: all of them)
  why -- node app.js                               what keeps a process alive
  version                                          print the version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default: {
      const commands = loadCommands();
      const run = commands[command];
      if (run === undefined) {
        process.stderr.write(`leakwatch: unknown command "${command}"\n${USAGE}`);
        return 2;
      }
      return run(rest);
    }
  }
}

type Command = (args: string[]) => Promise<number>;

/**
 * Each command's module, loaded only when that command runs. A module
 * exports `run(args): Promise<number>` (the exit status).
 */
const COMMAND_MODULES: Readonly<Record<string, string>> = {
  view: '../reports/view-command',
  attach: '../agent/attach-command',
  status: '../agent/attach-command',
  snapshot: '../agent/attach-command',
  detach: '../agent/attach-command',
  why: '../agent/why-command',
};

function loadCommands(): Record<string, Command> {
  const out: Record<string, Command> = {};
  for (const [name, file] of Object.entries(COMMAND_MODULES)) {
    out[name] = (args) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { run: (command: string, args: string[]) => Promise<number> };
      return mod.run(name, args);
    };
  }
  return out;
}

/**
 * Output that cannot be written: a reader that quits early (`| head`) is
 * not an error; a full disk or a closed file is, and makes the status 1.
 * Either way one line at most, never a stack trace.
 */
let outputFailed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') return;
  if (!outputFailed) process.stderr.write(`leakwatch: cannot write output (${err.message})\n`);
  outputFailed = true;
  if (!process.exitCode) process.exitCode = 1;
});
process.stderr.on('error', () => {
  // Nowhere left to say anything.
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = outputFailed && code === 0 ? 1 : code;
  },
  (err: unknown) => {
    process.stderr.write(`leakwatch: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
