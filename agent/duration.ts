/** A duration in milliseconds. */
export type Milliseconds = number;

/** The duration grammar accepted in options and environment variables. */
export type DurationString = `${number}ms` | `${number}s` | `${number}m` | `${number}h`;

/** Longer input is rejected outright; no real duration needs it. */
const MAX_INPUT_LENGTH = 32;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses `500ms`, `1s`, `1.5m`, `2h` into milliseconds.
 * @returns the duration in ms, or `undefined` when the text is not of that
 *   grammar (NaN never passes: a NaN delay is a 1 ms timer in Node).
 */
export function parseDuration(text: string): Milliseconds | undefined {
  if (text.length > MAX_INPUT_LENGTH) return undefined;
  const m = DURATION_RE.exec(text.trim());
  if (m === null) return undefined;
  const value = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Number.isFinite(value) ? value : undefined;
}

/** Formats milliseconds the way the grammar reads them (`1500` → `1.5s`). */
export function formatDuration(ms: Milliseconds): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  return `${+(ms / 3_600_000).toFixed(2)}h`;
}
