/** The `status` answer of the control channel: plain JSON about a running agent. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportBaseName } from '../reports/report-names';
import { publicConfig } from './config';
import type { AttachedMark, ControlledAgent } from './control';
import { COLUMN, HANDLE_PREFIX } from './sampler';
import { VERSION } from './version';

// The process-wide holders (agent/control.ts); Symbol.for, so no import cycle.
const AGENT_KEY = Symbol.for('leakwatch.agent');
const ATTACHED_KEY = Symbol.for('leakwatch.attached');
type Holder = { [AGENT_KEY]?: unknown; [ATTACHED_KEY]?: AttachedMark };

/** `status` lists at most this many report paths. */
const MAX_LISTED_REPORTS = 20;

/** How this agent came to run: `attached`, `preloaded` (register) or `programmatic`. */
function modeOf(agent: ControlledAgent): string {
  const holder = globalThis as Holder;
  if (holder[AGENT_KEY] !== agent) return 'programmatic';
  return holder[ATTACHED_KEY] !== undefined ? 'attached' : 'preloaded';
}

/** The `status` answer: plain JSON. */
export async function describeAgent(agent: ControlledAgent): Promise<Record<string, unknown>> {
  const h = agent.history;
  const samples: Record<string, number | null> = {};
  for (const name of [
    COLUMN.heapUsed,
    COLUMN.heapFloor,
    COLUMN.heapExternal,
    COLUMN.rss,
    COLUMN.loopP99,
    COLUMN.loopUtilization,
    COLUMN.fds,
  ]) {
    samples[name] = finite(h.last(name));
  }
  const handles: Record<string, number> = {};
  for (const name of h.names()) {
    if (!name.startsWith(HANDLE_PREFIX)) continue;
    const n = h.last(name);
    if (n > 0) handles[name.slice(HANDLE_PREFIX.length)] = n;
  }
  const mark = (globalThis as Holder)[ATTACHED_KEY];
  return {
    version: VERSION,
    pid: process.pid,
    // The script and its arguments (empty for `node -e`): what `leakwatch
    // status` lists the process as.
    argv: process.argv.slice(1),
    node: process.version,
    mode: modeOf(agent),
    attachedAt: mark?.at ?? null,
    startedAt: agent.startedAt,
    state: agent.state,
    config: publicConfig(agent.config),
    reportDir: agent.config.reportDir,
    samples,
    handles,
    lastSampleAt: finite(h.lastTime()),
    ticks: agent.self.ticks,
    // The agent's own cost, timed inside every tick (sampling, exporters,
    // the share of an evaluation): total µs since start.
    tickCostTotalUs: agent.self.tickCostTotalUs,
    // The latest tick's cost (µs): the mean includes one-time work (code
    // compiled on first use, arming), the latest is what a tick costs now.
    lastTickCostUs: agent.self.tickCostUs,
    evaluations: agent.self.evaluations,
    loopTimerMs: agent.readings.loop.resolutionMs,
    errors: agent.self.errors,
    // Sends lost, by channel (`dogstatsd`, `prometheus`, `otlp`).
    exportsDropped: agent.self.exportsDroppedByChannel,
    reportsWritten: agent.self.reportsWritten,
    reportsSuppressed: agent.self.reportsSuppressed,
    reports: await listReports(agent.config.reportDir),
  };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** This process's reports in the report directory, newest last. */
async function listReports(dir: string): Promise<string[]> {
  const prefix = reportBaseName(process.pid, new Date(0)).replace(/1970.*$/, '');
  try {
    return (await fs.promises.readdir(dir))
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .sort()
      .slice(-MAX_LISTED_REPORTS)
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
