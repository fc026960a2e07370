/**
 * How every boolean-ish variable is read. A module of its own, with no
 * imports, so that the worker-thread gate (agent/worker-gate.ts) reads
 * `LEAKWATCH_WORKERS` exactly as the config does without loading it.
 */

/** The words read as "on" (`1` included). */
export const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'true', 'yes', 'on']);

/** The words read as "off" (`0` included). */
export const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'false', 'no', 'off']);
