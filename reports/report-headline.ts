/**
 * What a report is about, in one line: the stderr line and the DogStatsD
 * event. Loaded when a report is written, not while watching.
 */
import type { LeakReport } from './report-schema';
import { columnLabel, formatRate } from './view-format';

/** Suspects counted by live handles: growth 0 means "not what grew". */
const COUNTED: ReadonlySet<string> = new Set([
  'timer',
  'immediate',
  'socket',
  'server',
  'file',
  'process',
  'worker',
  'handle',
]);

/**
 * The top suspect's title; but when a leak's top suspect is a handle group
 * that did not grow since arming, it does not explain the leak, and the line
 * names the signals that grew instead (`open fds +20/s; no listed suspect
 * grew since armed`), so it never points at the wrong thing.
 */
export function reportHeadline(report: LeakReport): string {
  const top = report.suspects[0];
  const grown = report.signals
    .filter((s) => s.leaking)
    .map((s) => `${columnLabel(s.name)} ${formatRate(s.slopePerSec, s.unit)}`)
    .join(', ');
  if (top === undefined) return grown === '' ? 'no suspect named' : grown;
  const explains = top.growth > 0 || !COUNTED.has(top.kind);
  if (explains || report.verdict !== 'leaking' || grown === '') return top.title;
  return `${grown}; no listed suspect grew since armed`;
}
