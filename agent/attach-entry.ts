/**
 * What `leakwatch attach` loads into the target through the inspector. It
 * starts the agent the way `register` does (same `start()`, same global
 * holder, so a second attach, or an attach to a preloaded process, is a
 * no-op) with the options given on the command line. Never throws into the
 * target: every answer is plain JSON for `Runtime.evaluate`.
 */
import * as path from 'node:path';
import type { Agent } from './agent-view';
import { publicConfig, type StartOptions } from './config';
import { ATTACHED_KEY, type AttachedMark, type ControlCommand, type ControlledAgent } from './control';
import { VERSION } from './version';

const AGENT_KEY = Symbol.for('leakwatch.agent');
type Holder = { [AGENT_KEY]?: Agent; [ATTACHED_KEY]?: AttachedMark };

/** Options the CLI passes (JSON: durations as strings, as on the command line). */
export interface EntryOptions {
  window?: string;
  interval?: string;
  reportDir?: string;
  debug?: boolean;
  /** Detach by itself after this long (`--duration`). */
  duration?: number;
}

/** The answer `attach` gives the CLI. */
export interface EntryAnswer {
  outcome: 'started' | 'already-running' | 'disabled' | 'failed';
  version: string;
  pid: number;
  node: string;
  config?: unknown;
  controlSocket?: string | null;
  message?: string;
  code?: string;
}

/**
 * Starts the agent in this process unless one already runs.
 * @param options from the CLI; `duration` in ms
 */
export function attach(options: EntryOptions = {}): EntryAnswer {
  const holder = globalThis as Holder;
  const base = { version: VERSION, pid: process.pid, node: process.version };
  const running = holder[AGENT_KEY];
  if (running !== undefined) {
    return {
      ...base,
      outcome: 'already-running',
      config: publicConfig(running.config),
      controlSocket: controlPathOf(running),
      message: 'a leakwatch agent already runs in this process; nothing was changed',
    };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { start } = require('./index') as typeof import('./index');
    const opts: StartOptions = {};
    if (options.window !== undefined) opts.window = options.window as StartOptions['window'] & string;
    if (options.interval !== undefined) opts.interval = options.interval as StartOptions['interval'] & string;
    if (options.reportDir !== undefined) opts.reportDir = options.reportDir;
    if (options.debug !== undefined) opts.debug = options.debug;
    const agent = start(opts);
    if (!agent.config.enabled) {
      return {
        ...base,
        outcome: 'disabled',
        config: publicConfig(agent.config),
        message: "LEAKWATCH_ENABLED=false in the target's environment; nothing started",
      };
    }
    holder[AGENT_KEY] = agent;
    const mark: AttachedMark = { at: Date.now(), root: path.resolve(__dirname, '..') };
    holder[ATTACHED_KEY] = mark;
    if (options.duration !== undefined && options.duration > 0) {
      mark.timer = setTimeout(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { detachAgent } = require('./control') as typeof import('./control');
        detachAgent(agent as unknown as ControlledAgent).catch(() => {});
      }, options.duration);
      mark.timer.unref();
    }
    return { ...base, outcome: 'started', config: publicConfig(agent.config), controlSocket: controlPathOf(agent) };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { ...base, outcome: 'failed', message: e?.message ?? String(err), ...(e?.code ? { code: e.code } : {}) };
  }
}

function controlPathOf(agent: Agent): string | null {
  const control = (agent as { controlPath?: unknown }).controlPath;
  return typeof control === 'string' ? control : null;
}

/**
 * Answers a control command through the inspector, for an agent that has
 * no control socket (`LEAKWATCH_CONTROL=false`). Same answers as the socket.
 */
export async function request(cmd: ControlCommand): Promise<unknown> {
  const agent = (globalThis as Holder)[AGENT_KEY];
  if (agent === undefined) {
    return {
      ok: false,
      v: 1,
      code: 'LEAKWATCH_ERR_ATTACH_NO_AGENT',
      message: `no leakwatch agent runs in pid ${process.pid}`,
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handleRequest } = require('./control') as typeof import('./control');
  const { response, after } = await handleRequest(agent as unknown as ControlledAgent, { cmd });
  if (after !== undefined) setImmediate(after);
  return response;
}
