/**
 * The named filters that keep leakwatch's own handles, and the process's
 * stdio, out of its reports (goleak's IgnoreCurrent idea): each says what
 * it leaves out and why, and the report counts and notes every exclusion.
 */
import type { SocketMember } from '../probes/sockets';
import { type Frame, isNodeInternal, isOwnFrame, readHolder } from '../probes/stack-frames';
import type { TimerGroup } from '../probes/timers';

/** A goleak-style named filter: what it leaves out, and why. */
export interface OwnFilter<T> {
  name: string;
  reason: string;
  test(x: T): boolean;
}

/** The first frame that is neither Node internals: leakwatch's own? */
function createdByLeakwatch(frames: readonly Frame[]): boolean {
  for (const f of frames) {
    if (isNodeInternal(f.file)) continue;
    return isOwnFrame(f.file);
  }
  return false;
}

/** Timers leakwatch makes itself. */
export const TIMER_FILTERS: readonly OwnFilter<TimerGroup>[] = [
  {
    name: 'leakwatch-timer',
    reason: "leakwatch's own sampling and flush timers (callback in leakwatch's code)",
    test: (g) => g.location !== null && isOwnFrame(g.location.file),
  },
  {
    name: 'leakwatch-created',
    reason: 'timers leakwatch created while armed (its creation stack starts in leakwatch)',
    test: (g) => g.samples.length > 0 && g.samples.every((s) => createdByLeakwatch(readHolder(s.holder, 4))),
  },
];

/** Endpoints leakwatch owns: exporter peers, its servers, the control socket. */
export interface OwnEndpoints {
  exact: ReadonlySet<string>;
}

/**
 * The stdio pipes of live child processes: counted with their process,
 * which is a suspect of its own.
 */
export function childStdioFilter(fds: ReadonlySet<number>): OwnFilter<SocketMember> {
  return {
    name: 'child-stdio',
    reason: 'stdio pipes of live child processes (each child is listed as a process)',
    test: (m) => m.fd !== null && fds.has(m.fd),
  };
}

/** Sockets and servers leakwatch makes, and the process's stdio. */
export function socketFilters(own: OwnEndpoints): readonly OwnFilter<SocketMember>[] {
  return [
    { name: 'stdio', reason: "the process's stdin, stdout and stderr", test: (m) => m.fd !== null && m.fd <= 2 },
    {
      name: 'leakwatch-endpoint',
      reason: "leakwatch's exporters and control socket (configured addresses)",
      test: (m) => own.exact.has(m.exact),
    },
    {
      name: 'leakwatch-created',
      reason: 'sockets leakwatch opened while armed (creation stack starts in leakwatch)',
      test: (m) => m.record !== undefined && m.record !== 1 && createdByLeakwatch(readHolder(m.record.holder, 4)),
    },
  ];
}
