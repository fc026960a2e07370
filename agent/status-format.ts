/** `leakwatch status <pid>` as text: the control channel's `status` answer, read by a person. */
import { formatDuration } from './duration';

/** The answer as lines: state, cost, latest samples, handles, metric channels, reports. */
export function formatStatus(s: Record<string, unknown>): string {
  const samples = (s.samples ?? {}) as Record<string, number | null>;
  const config = (s.config ?? {}) as { intervalMs?: number; windowMs?: number };
  const handles =
    Object.entries((s.handles ?? {}) as Record<string, number>)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none';
  const mb = (x: number | null | undefined) => (typeof x === 'number' ? `${(x / 1048576).toFixed(1)} MB` : 'n/a');
  const reports = (s.reports ?? []) as string[];
  const since = typeof s.startedAt === 'number' ? `${Math.round((Date.now() - s.startedAt) / 1000)} s` : '?';
  return (
    `leakwatch ${String(s.version)} in pid ${String(s.pid)} (Node.js ${String(s.node)}, ${String(s.mode)}, running ${since}): state ${String(s.state)}\n` +
    `  interval ${ms(config.intervalMs)}, window ${ms(config.windowMs)}, ${String(s.ticks)} samples, ${String(s.errors)} errors${ownCost(s)}\n` +
    `  heap ${mb(samples['heap.used'])} (floor ${mb(samples['heap.floor'])}), rss ${mb(samples.rss)}, loop p99 ${typeof samples['loop.p99'] === 'number' ? `${samples['loop.p99'].toFixed(1)} ms` : 'n/a'}, fds ${samples.fds ?? 'n/a'}\n` +
    `  handles ${handles}\n` +
    `  metrics ${channels(s)}\n` +
    `  reports written ${String(s.reportsWritten)} (suppressed ${String(s.reportsSuppressed)}) in ${String(s.reportDir)}\n` +
    reports.map((r) => `    ${r}\n`).join('')
  );
}

/**
 * `dogstatsd udp://127.0.0.1:8125, otlp http://localhost:4318/v1/metrics (3
 * sends dropped)`: where the agent sends its metrics, and what it lost.
 */
function channels(s: Record<string, unknown>): string {
  const c = (s.config ?? {}) as {
    dogstatsd?: { protocol: string; host?: string; port?: number; path?: string } | null;
    prometheus?: { host: string; port: number } | null;
    otlp?: { url: string } | null;
  };
  const dropped = (s.exportsDropped ?? {}) as Record<string, number>;
  const host = (h: string) => (h.includes(':') ? `[${h}]` : h);
  const out: string[] = [];
  const add = (name: string, where: string) => {
    const n = dropped[name] ?? 0;
    out.push(`${name} ${where}${n > 0 ? ` (${n} ${n === 1 ? 'send' : 'sends'} dropped)` : ''}`);
  };
  const d = c.dogstatsd;
  if (d) add('dogstatsd', d.protocol === 'unix' ? `unix://${d.path}` : `udp://${host(d.host ?? '')}:${d.port}`);
  if (c.prometheus) add('prometheus', `http://${host(c.prometheus.host)}:${c.prometheus.port}/metrics`);
  if (c.otlp) add('otlp', c.otlp.url);
  return out.length > 0 ? out.join(', ') : 'not sent (no LEAKWATCH_DOGSTATSD, LEAKWATCH_PROMETHEUS or LEAKWATCH_OTLP)';
}

/**
 * `, own cost 48 µs a tick on average, 41 µs the latest`: the agent's own
 * time, as it timed it.
 */
function ownCost(s: Record<string, unknown>): string {
  const ticks = s.ticks;
  const total = s.tickCostTotalUs;
  if (typeof ticks !== 'number' || typeof total !== 'number' || ticks <= 0) return '';
  const last = s.lastTickCostUs;
  const latest = typeof last === 'number' ? `, ${Math.round(last)} µs the latest` : '';
  return `, own cost ${Math.round(total / ticks)} µs a tick on average${latest}`;
}

export function ms(x: number | undefined): string {
  return typeof x === 'number' ? formatDuration(x) : '?';
}
