/**
 * Number, time and text formatting shared by the terminal and HTML viewers.
 * Pure: no I/O, no environment.
 */
import type { SignalTrend } from './report-schema';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `52428800` → `50.0 MiB`. Binary units, as V8 and the OS count. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${sign}${i === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 1)} ${BYTE_UNITS[i]}`;
}

/** `12345` → `12,345`; fractions keep up to two significant decimals. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  return n.toLocaleString('en-US', { maximumFractionDigits: abs >= 10 ? 1 : abs >= 1 ? 2 : 3 });
}

/** A value in a signal's unit, for people. */
export function formatValue(value: number, unit: SignalTrend['unit']): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return `${formatCount(Math.round(value * 100) / 100)} ms`;
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 'count':
      return formatCount(Math.round(value * 100) / 100);
  }
}

/** `+` before positive numbers, so growth reads as growth. */
const signed = (text: string, value: number): string => (value > 0 ? `+${text}` : text);

/**
 * A slope in the unit a person grasps: per second when it is large, per
 * minute or per hour when it is small (`0.02 handles/s` reads as `+1.2/min`).
 * @param perSec slope in `unit` per second
 */
export function formatRate(perSec: number, unit: SignalTrend['unit']): string {
  if (!Number.isFinite(perSec)) return '?';
  const abs = Math.abs(perSec);
  const [value, per] =
    unit === 'bytes'
      ? abs * 60 >= 1024 * 1024 || abs === 0
        ? [perSec * 60, 'min']
        : [perSec * 3600, 'h']
      : abs >= 1 || abs === 0
        ? [perSec, 's']
        : abs * 60 >= 1
          ? [perSec * 60, 'min']
          : [perSec * 3600, 'h'];
  return `${signed(formatValue(value, unit), value)}/${per}`;
}

/** `5025000` → `1h 23m`; `90000` → `1m 30s`; `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)}s`;
  const s = Math.round(ms / 1_000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
}

/** `2026-11-26 20:31:05Z`: UTC, second precision, sortable. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** `20:31:05`: the time of day (UTC), for times within one report. */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  return new Date(ms).toISOString().slice(11, 19);
}

/** A p-value as people read it: `p<0.001`, `p=0.012`. */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return 'p=?';
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/**
 * A short label for a history column: `heap.floor` → `heap floor`,
 * `handles.TCPSocketWrap` → `TCPSocketWrap`, `loop.p99` → `loop lag p99`.
 */
export function columnLabel(name: string): string {
  if (name.startsWith('handles.')) return name.slice('handles.'.length);
  if (name.startsWith('space.')) return `heap ${name.slice('space.'.length)}`;
  if (name === 'loop.utilization') return 'loop utilization';
  if (name.startsWith('loop.')) return `loop lag ${name.slice('loop.'.length)}`;
  if (name === 'fds') return 'open fds';
  return name.replace('.', ' ');
}

/** The unit of a history column (matches the agent's judge). */
export function columnUnit(name: string): SignalTrend['unit'] {
  if (name.startsWith('heap.') || name.startsWith('space.') || name === 'rss') return 'bytes';
  if (name === 'loop.utilization') return 'ratio';
  if (name.startsWith('loop.') || name.startsWith('gc.pause')) return 'ms';
  return 'count';
}

/** A function's name as reports show it: `''` → `(anonymous)`, `'bound '` → `bound (anonymous)`. */
export function displayName(name: string): string {
  if (name === '') return '(anonymous)';
  return name.endsWith(' ') ? `${name}(anonymous)` : name;
}
