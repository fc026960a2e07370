/**
 * `leakwatch view`: the shell around the viewers. It reads arguments and
 * files, picks colour and width for the terminal, and writes the output.
 * Exit status: 0 shown, 1 a report or file could not be read or written,
 * 2 bad arguments.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { colorFromEnv, reportDirFromEnv } from '../agent/cli-env';
import { ReportError, type LeakReport } from './report-schema';
import { loadChartAssets } from './view-assets';
import { renderHtml } from './view-html';
import { listReports, readReport, type ReportListEntry } from './view-list';
import { buildViewModel } from './view-model';
import { DEFAULT_MAX_SUSPECTS, DEFAULT_WIDTH, renderListText, renderReportText } from './view-terminal';
import { sanitizeText } from './safe-text';

const USAGE = `usage: leakwatch view [file|dir] [--json] [--all] [--color|--no-color] [--width n]
       leakwatch view --html [file|dir] [-o out.html|-] [--open]

  dir (default: LEAKWATCH_REPORT_DIR or <tmpdir>/leakwatch) lists the
  reports newest first; a file is shown in full. With --html, a directory
  means its newest report, and the page is written beside the report
  unless -o names the output (- for stdout).
`;

/** Widest layout used on a wide terminal: longer lines read worse. */
const MAX_TTY_WIDTH = 120;

interface ViewArgs {
  target: string | undefined;
  json: boolean;
  html: boolean;
  output: string | undefined;
  open: boolean;
  all: boolean;
  color: boolean | undefined;
  width: number | undefined;
  help: boolean;
}

/** The options that take no value. */
const SWITCHES = new Set(['--json', '--html', '--open', '--all', '--color', '--no-color', '--help']);

/** Parses the arguments; returns an error message for bad ones. */
export function parseViewArgs(args: readonly string[]): ViewArgs | string {
  const out: ViewArgs = {
    target: undefined,
    json: false,
    html: false,
    output: undefined,
    open: false,
    all: false,
    color: undefined,
    width: undefined,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    // `--color=no` must not turn colour on.
    if (inline !== undefined && SWITCHES.has(flag)) return `${flag} takes no value (got ${arg})`;
    switch (flag) {
      case '--json':
        out.json = true;
        break;
      case '--html':
        out.html = true;
        break;
      case '--open':
        out.open = true;
        break;
      case '--all':
        out.all = true;
        break;
      case '--color':
        out.color = true;
        break;
      case '--no-color':
        out.color = false;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      case '-o':
      case '--output': {
        const v = value();
        if (v === undefined || v === '') return `${flag} needs a file name (or - for stdout)`;
        out.output = v;
        break;
      }
      case '--width': {
        const text = value() ?? '';
        const v = /^\d+$/.test(text) ? Number(text) : NaN;
        if (!Number.isInteger(v) || v < 40 || v > 1000)
          return '--width needs a whole number of columns from 40 to 1000';
        out.width = v;
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
        if (out.target !== undefined) return `one file or directory at a time (got ${out.target} and ${arg})`;
        out.target = arg;
    }
  }
  if (out.html && out.json) return '--html and --json do not go together';
  if (!out.html && (out.output !== undefined || out.open)) return `${out.open ? '--open' : '-o'} goes with --html`;
  if (out.open && out.output === '-') return '--open needs a file to open, not -o -';
  return out;
}

/** Runs `leakwatch view ...`; resolves to the exit status. */
export async function run(_command: string, args: string[]): Promise<number> {
  const parsed = parseViewArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`leakwatch view: ${parsed}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const explicit = parsed.target !== undefined;
  const target = parsed.target ?? reportDirFromEnv();
  const stat = await fs.stat(target).catch((err: NodeJS.ErrnoException) => err);
  if (stat instanceof Error) {
    // The default directory is created with the first report.
    if (!explicit && stat.code === 'ENOENT') {
      return parsed.html
        ? fail(`no leak report in ${target} (no report has been written there yet): nothing to show`)
        : showList(target, [], parsed);
    }
    return fail(
      stat.code === 'ENOENT' ? `no such file or directory: ${target}` : `cannot read ${target} (${stat.message})`,
    );
  }
  if (stat.isDirectory()) {
    const entries = await listReports(target).catch((err: Error) => err);
    if (entries instanceof Error) return fail(`cannot list ${target} (${entries.message})`);
    if (!parsed.html) return showList(target, entries, parsed);
    const newest = entries.find((e) => e.error === null);
    if (newest === undefined) return fail(`no readable leak report in ${target}: nothing to show`);
    return showReport(newest.file, parsed);
  }
  return showReport(target, parsed);
}

/** Longest error line: a message may quote a hostile file's text. */
const MAX_MESSAGE = 1_000;

function fail(message: string): number {
  // A parse error quotes the file: its control characters are escaped.
  const safe = sanitizeText(message);
  process.stderr.write(`leakwatch: ${safe.length > MAX_MESSAGE ? `${safe.slice(0, MAX_MESSAGE)}…` : safe}\n`);
  return 1;
}

function terminalOptions(args: ViewArgs): { color: boolean; width: number; maxSuspects: number } {
  const tty = process.stdout.isTTY === true;
  const columns = tty ? process.stdout.columns : undefined;
  return {
    color: args.color ?? colorFromEnv(tty),
    width:
      args.width ??
      (columns !== undefined && columns > 0 ? Math.min(Math.max(columns, 40), MAX_TTY_WIDTH) : DEFAULT_WIDTH),
    maxSuspects: args.all ? Infinity : DEFAULT_MAX_SUSPECTS,
  };
}

function showList(dir: string, entries: ReportListEntry[], args: ViewArgs): number {
  if (args.json) {
    const reports = entries.map(({ detectedAtMs, pid, ...rest }) => ({
      ...rest,
      pid: Number.isNaN(pid) ? null : pid,
      detectedAt: rest.error === null && Number.isFinite(detectedAtMs) ? new Date(detectedAtMs).toISOString() : null,
    }));
    process.stdout.write(`${JSON.stringify({ dir, reports }, null, 2)}\n`);
  } else {
    process.stdout.write(renderListText(dir, entries, terminalOptions(args)));
  }
  return 0;
}

async function showReport(file: string, args: ViewArgs): Promise<number> {
  let report: LeakReport;
  try {
    report = await readReport(file);
  } catch (err) {
    if (err instanceof ReportError) return fail(`${err.message} [${err.code}]`);
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? `no such file or directory: ${file}` : `cannot read ${file} (${(err as Error).message})`,
    );
  }
  try {
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summarize(report, file), null, 2)}\n`);
      return 0;
    }
    if (args.html) return await writeHtml(report, file, args);
    process.stdout.write(renderReportText(buildViewModel(report, file), terminalOptions(args)));
    return 0;
  } catch (err) {
    // A report that passed validation yet breaks a renderer is still one
    // clear line, never a stack trace.
    return fail(`cannot render ${file} (${(err as Error).message}) [LEAKWATCH_ERR_REPORT_CORRUPT]`);
  }
}

/** `--json`: the report without its sample series, suspects ranked. */
function summarize(report: LeakReport, file: string): Record<string, unknown> {
  const { series, suspects, ...rest } = report;
  return {
    file,
    ...rest,
    samples: Array.isArray(series.t) ? series.t.length : 0,
    suspects: suspects.map((s, i) => ({ rank: i + 1, ...s })),
  };
}

async function writeHtml(report: LeakReport, file: string, args: ViewArgs): Promise<number> {
  const html = renderHtml(buildViewModel(report, file), loadChartAssets());
  if (args.output === '-') {
    process.stdout.write(html);
    return 0;
  }
  const out = args.output ?? `${file.replace(/\.json$/i, '')}.html`;
  try {
    // Private like the report: it names code, hosts and command lines.
    await fs.writeFile(out, html, { mode: 0o600 });
  } catch (err) {
    return fail(`cannot write ${out} (${(err as Error).message})`);
  }
  process.stdout.write(`wrote ${out} (${Math.round(Buffer.byteLength(html) / 1024)} KiB)\n`);
  if (args.open) {
    const opened = await openInBrowser(out);
    if (opened !== null)
      process.stderr.write(
        `leakwatch: could not open a browser (${opened}); open ${pathToFileURL(out).href} yourself\n`,
      );
  }
  return 0;
}

/** Opens a file in the desktop's browser. @returns null, or why not */
function openInBrowser(file: string): Promise<string | null> {
  const url = pathToFileURL(file).href;
  const [cmd, argv] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd as string, argv as string[], { detached: true, stdio: 'ignore' });
    child.once('error', (err) => resolve(`${cmd}: ${err.message}`));
    // An opener that finds no browser exits non-zero at once (xdg-open: 3);
    // one still running after a moment has handed the page over, or is the
    // browser itself, and is left to run.
    const wait = setTimeout(() => {
      child.unref();
      resolve(null);
    }, OPENER_WAIT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(wait);
      resolve(code === 0 ? null : `${cmd} exited with ${code ?? signal}`);
    });
  });
}

/** How long `--open` waits to learn whether the opener failed. */
const OPENER_WAIT_MS = 2_000;
