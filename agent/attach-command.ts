/**
 * `leakwatch attach|status|snapshot|detach <pid>`. Errors carry stable codes
 * (agent/attach-errors.ts); the exit status comes from the code.
 */
import * as path from 'node:path';
import { ATTACH_ERRORS, AttachError, exitStatusOf } from './attach-errors';
import type { EntryOptions } from './attach-entry';
import type { ControlCommand, ControlResponse } from './control';
import { parseDuration } from './duration';
import { formatStatus, ms } from './status-format';

const USAGE = `usage:
  leakwatch attach <pid> [--window 5m] [--interval 1s] [--report-dir dir]
                         [--duration 30m] [--debug] [--timeout 10s] [--any-executable] [--json]
  leakwatch status [<pid>] [--json] [--inspector]     (no pid: every agent of this user;
                                                      --timeout, 2s, for each to answer)
  leakwatch snapshot <pid> [--json] [--inspector]
  leakwatch detach <pid> [--json] [--inspector]
`;
const DEFAULT_TIMEOUT_MS = 10_000;

interface Parsed {
  pid: number;
  json: boolean;
  inspector: boolean;
  anyExecutable: boolean;
  timeoutMs: number;
  /** Whether --timeout was given (the list of agents has its own default). */
  timeoutGiven: boolean;
  entry: EntryOptions;
}

/** Runs one of the four commands. @returns the exit status */
export async function run(command: string, args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let parsed: Parsed | null = null;
  try {
    parsed = parseArgs(command, args);
    if (command === 'status' && parsed.pid === 0) {
      if (parsed.inspector) throw new AttachError('LEAKWATCH_ERR_USAGE', `status --inspector needs a pid\n${USAGE}`);
      const { printAgentList } = await import('./status-list');
      return await printAgentList(parsed.json, parsed.timeoutGiven ? parsed.timeoutMs : undefined);
    }
    switch (command) {
      case 'attach':
        return await runAttach(parsed);
      case 'status':
      case 'snapshot':
      case 'detach':
        return await runControl(command, parsed);
      default:
        throw new AttachError('LEAKWATCH_ERR_USAGE', `unknown command ${command}`);
    }
  } catch (err) {
    return fail(err, parsed?.json ?? args.includes('--json'));
  }
}

const SWITCHES = new Set(['--json', '--inspector', '--any-executable', '--debug']);

function parseArgs(command: string, args: string[]): Parsed {
  const out: Parsed = {
    pid: 0,
    json: false,
    inspector: false,
    anyExecutable: false,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    timeoutGiven: false,
    entry: {},
  };
  const usage = (why: string) => new AttachError('LEAKWATCH_ERR_USAGE', `${why}\n${USAGE}`);
  const value = (i: number, flag: string) => {
    const v = args[i + 1];
    if (v === undefined) throw usage(`${flag} needs a value`);
    return v;
  };
  const duration = (v: string, flag: string) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0)
      throw usage(`${flag} ${JSON.stringify(v)} is not a duration (expected e.g. 500ms, 1s, 10m)`);
    return v;
  };
  let pidText: string | undefined;
  // `--window=5m` as well as `--window 5m`, as `view` takes them; a switch
  // with a value is refused, never read as on.
  args = args.flatMap((arg) => {
    const m = /^(--[a-z-]+)=(.*)$/s.exec(arg);
    if (m === null) return [arg];
    if (SWITCHES.has(m[1] as string)) throw usage(`${m[1]} takes no value (got ${arg})`);
    return [m[1] as string, m[2] as string];
  });
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const attachOnly = (): void => {
      if (command !== 'attach') throw usage(`${a} is an option of attach only`);
    };
    switch (a) {
      case '--json':
        out.json = true;
        break;
      case '--inspector':
        out.inspector = true;
        break;
      case '--any-executable':
        attachOnly();
        out.anyExecutable = true;
        break;
      case '--debug':
        attachOnly();
        out.entry.debug = true;
        break;
      case '--timeout':
        out.timeoutMs = parseDuration(duration(value(i, a), a)) as number;
        out.timeoutGiven = true;
        i++;
        break;
      case '--window':
        attachOnly();
        out.entry.window = duration(value(i, a), a);
        i++;
        break;
      case '--interval':
        attachOnly();
        out.entry.interval = duration(value(i, a), a);
        i++;
        break;
      case '--duration':
        attachOnly();
        out.entry.duration = parseDuration(duration(value(i, a), a)) as number;
        i++;
        break;
      case '--report-dir':
        attachOnly();
        out.entry.reportDir = path.resolve(value(i, a));
        i++;
        break;
      default:
        if (a.startsWith('-') || pidText !== undefined) throw usage(`unexpected argument ${JSON.stringify(a)}`);
        pidText = a;
    }
  }
  if (pidText === undefined) {
    // `status` alone lists every agent (./status-list).
    if (command === 'status') return out;
    throw usage(`${command} needs a pid`);
  }
  if (!/^\d{1,10}$/.test(pidText) || Number(pidText) < 1 || Number(pidText) > 4_194_304)
    throw usage(`${JSON.stringify(pidText)} is not a pid`);
  out.pid = Number(pidText);
  return out;
}

/** checkProcess, and for a pid that is gone, its stale control socket goes too. */
async function checkTarget(pid: number): Promise<void> {
  const { checkProcess } = await import('./control-client');
  try {
    checkProcess(pid);
  } catch (err) {
    if ((err as AttachError).code === 'LEAKWATCH_ERR_ATTACH_ESRCH') {
      const { controlSocketPath, removeIfRefused } = await import('./control-files');
      await new Promise<void>((resolve) => removeIfRefused(controlSocketPath(pid), () => resolve()));
    }
    throw err;
  }
}

async function runAttach(p: Parsed): Promise<number> {
  const { requestControl } = await import('./control-client');
  await checkTarget(p.pid);
  // Attach twice is a no-op: an agent with a control socket answers here,
  // without opening the inspector at all.
  const status = await requestControl(p.pid, 'status', 5_000).catch((err: unknown) => {
    if ((err as AttachError).code === 'LEAKWATCH_ERR_ATTACH_NO_AGENT') return null;
    throw err;
  });
  if (status?.ok === true) {
    return done(
      p,
      { ok: true, outcome: 'already-running', pid: p.pid, status },
      `leakwatch: pid ${p.pid} already runs leakwatch ${String(status.version)} (${String(status.mode)}, state ${String(status.state)}); nothing was changed. Reports go to ${String(status.reportDir)}.\n`,
    );
  }
  const { attachTo } = await import('./attach');
  const { answer, inspector } = await attachTo(p.pid, p.entry, {
    timeoutMs: p.timeoutMs,
    anyExecutable: p.anyExecutable,
  });
  const config = (answer.config ?? {}) as {
    intervalMs?: number;
    windowMs?: number;
    reportDir?: string;
    control?: boolean;
  };
  const how = inspector.preexisting
    ? `used the inspector pid ${p.pid} already had open (${inspector.url}); it was open before leakwatch and is left open`
    : `opened for ${inspector.openMs} ms and closed again (the port refuses connections)`;
  const result = { ok: answer.outcome === 'started' || answer.outcome === 'already-running', ...answer, inspector };
  switch (answer.outcome) {
    case 'started':
      return done(
        p,
        result,
        `leakwatch: attached to pid ${p.pid} (Node.js ${answer.node}): leakwatch ${answer.version} is watching, interval ${ms(config.intervalMs)}, window ${ms(config.windowMs)}\n` +
          `  reports:   ${config.reportDir}\n` +
          `  control:   ${answer.controlSocket ?? (config.control === false ? 'off (LEAKWATCH_CONTROL=false: use --inspector)' : 'not opened in the target (its LEAKWATCH_DEBUG=1 output says why): use --inspector')} (leakwatch status|snapshot|detach ${p.pid})\n` +
          `  inspector: ${how}\n`,
      );
    case 'already-running':
      return done(
        p,
        result,
        `leakwatch: pid ${p.pid} already runs a leakwatch agent; nothing was changed. Reports go to ${config.reportDir}.\n  inspector: ${how}\n`,
      );
    default:
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_AGENT',
        `the agent did not start in pid ${p.pid}: ${answer.message ?? answer.outcome}${answer.code ? ` (${answer.code})` : ''}; the inspector was ${inspector.preexisting ? 'left as it was' : 'closed again'}`,
        { answer },
      );
  }
}

async function runControl(command: Exclude<ControlCommand, 'metrics'>, p: Parsed): Promise<number> {
  const { requestControl } = await import('./control-client');
  await checkTarget(p.pid);
  let res: ControlResponse;
  let via = 'control socket';
  try {
    res = await requestControl(p.pid, command, Math.max(p.timeoutMs, 30_000));
  } catch (err) {
    if ((err as AttachError).code !== 'LEAKWATCH_ERR_ATTACH_NO_AGENT') throw err;
    if (!p.inspector) {
      throw new AttachError(
        'LEAKWATCH_ERR_ATTACH_NO_AGENT',
        `${(err as Error).message}. Start one with \`leakwatch attach ${p.pid}\`; if it runs with LEAKWATCH_CONTROL=false, add --inspector to ask through the inspector.`,
        { pid: p.pid },
      );
    }
    const { requestViaInspector } = await import('./attach');
    const r = await requestViaInspector(p.pid, command, { timeoutMs: p.timeoutMs });
    res = r.answer as ControlResponse;
    via = r.inspector.preexisting ? 'its own inspector' : `the inspector (open ${r.inspector.openMs} ms, closed again)`;
  }
  if (!res.ok) {
    const code = res.code === 'LEAKWATCH_ERR_ATTACH_NO_AGENT' ? res.code : 'LEAKWATCH_ERR_ATTACH_AGENT';
    throw new AttachError(code, `the agent in pid ${p.pid} answered "${command}" with ${res.code}: ${res.message}`, {
      agentCode: res.code,
    });
  }
  switch (command) {
    case 'status':
      return done(p, res, formatStatus(res));
    case 'snapshot':
      return done(p, res, `leakwatch: report written by pid ${p.pid}: ${String(res.path)}\n`);
    case 'detach':
      return done(
        p,
        res,
        `leakwatch: detached from pid ${p.pid} (via ${via}): the agent stopped and released what it had armed\n`,
      );
  }
}

function done(p: Parsed, result: unknown, text: string): number {
  if (p.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(text);
  return 0;
}

function fail(err: unknown, json: boolean): number {
  const e = err as Error & { code?: string; detail?: Record<string, unknown> };
  const known = typeof e?.code === 'string' && e.code in ATTACH_ERRORS;
  const code = known ? (e.code as string) : 'LEAKWATCH_ERR_ATTACH_FAILED';
  const message = e?.message ?? String(err);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message, ...(e?.detail ?? {}) })}\n`);
  process.stderr.write(`leakwatch: ${message} [${code}]\n`);
  return exitStatusOf(known ? e : { code });
}
