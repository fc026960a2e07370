/**
 * The stable error codes of `attach`, `status`, `snapshot` and `detach`,
 * with the exit status the CLI gives each. Messages may change; codes and
 * statuses are the contract scripts and tests rely on.
 */

/** code → exit status. 0 and 2 are taken by success and usage errors. */
export const ATTACH_ERRORS = Object.freeze({
  /** Bad arguments: no pid, an unknown flag, a bad duration. */
  LEAKWATCH_ERR_USAGE: 2,
  /** No process has that pid. */
  LEAKWATCH_ERR_ATTACH_ESRCH: 3,
  /** The process belongs to another user (and we are not root). */
  LEAKWATCH_ERR_ATTACH_EPERM: 4,
  /** The process is not Node.js, or cannot open an inspector on SIGUSR1. */
  LEAKWATCH_ERR_ATTACH_NOT_NODE: 5,
  /** The port the target's inspector would open is held by another process. */
  LEAKWATCH_ERR_ATTACH_PORT_IN_USE: 6,
  /** The target exited while leakwatch was attaching. */
  LEAKWATCH_ERR_ATTACH_TARGET_EXITED: 7,
  /** The target did not open its inspector, or did not answer, in time. */
  LEAKWATCH_ERR_ATTACH_TIMEOUT: 8,
  /** status/snapshot/detach: no leakwatch agent answers in that process. */
  LEAKWATCH_ERR_ATTACH_NO_AGENT: 9,
  /** The inspector leakwatch opened did not close again (a loud failure). */
  LEAKWATCH_ERR_ATTACH_INSPECTOR_OPEN: 10,
  /** The target's Node.js is older than leakwatch supports. */
  LEAKWATCH_ERR_ATTACH_NODE_VERSION: 11,
  /** The agent answered with an error (e.g. a report could not be written). */
  LEAKWATCH_ERR_ATTACH_AGENT: 12,
  /** The inspector would listen beyond loopback (`--inspect-port=0.0.0.0:…`). */
  LEAKWATCH_ERR_ATTACH_UNSAFE_HOST: 13,
  /** attach needs Linux's /proc for its safety checks; other platforms are refused. */
  LEAKWATCH_ERR_ATTACH_UNSUPPORTED: 14,
  /** The process is stopped (SIGSTOP, ^Z) or traced; a signal would wait until it resumes. */
  LEAKWATCH_ERR_ATTACH_STOPPED: 15,
  /** Anything else: the message says what. */
  LEAKWATCH_ERR_ATTACH_FAILED: 1,
});

/** The stable codes of attach errors (`LEAKWATCH_ERR_ATTACH_*`); the CLI maps each to an exit status. */
export type AttachErrorCode = keyof typeof ATTACH_ERRORS;

/** An error with a stable code; `detail` carries extra facts for `--json`. */
export class AttachError extends Error {
  readonly code: AttachErrorCode;
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: AttachErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AttachError';
    this.code = code;
    this.detail = detail;
  }
}

/** The exit status for an error: its code's, or 1 for anything unexpected. */
export function exitStatusOf(err: unknown): number {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code in ATTACH_ERRORS
    ? ATTACH_ERRORS[code as AttachErrorCode]
    : ATTACH_ERRORS.LEAKWATCH_ERR_ATTACH_FAILED;
}
