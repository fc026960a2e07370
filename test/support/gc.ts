/**
 * Garbage collections on demand inside the test process, as
 * `node --expose-gc` would allow: `gc()` is exposed at run time, so a test
 * forces exactly the collections it counts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const exposed = runInNewContext('gc') as (options?: { type: 'minor' }) => void;

/** A full mark-compact. Node 20's V8 reads any options object as "minor", so none is passed. */
export const majorGc = (): void => exposed();
/** A scavenge. */
export const minorGc = (): void => exposed({ type: 'minor' });
/** Node queues `gc` performance entries and delivers them after the current task. */
export const gcEntriesDelivered = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
