/**
 * Metric exporters. Each channel is loaded only when configured, so a
 * service with no exporter loads none of their code or libraries.
 */
import type { AgentView } from '../agent/agent';
import type { LeakReport } from './report-schema';

/** A metric channel driven by the agent's tick. */
export interface Exporter {
  readonly name: string;
  /** Called after each sampling tick with fresh readings. Must be cheap. */
  onTick(): void;
  /** A report was written: emit an event so monitors see it. */
  onReport?(report: LeakReport, file: string): void;
  /** Flushes what is pending and releases sockets and servers. */
  stop(): Promise<void>;
}

/** Starts the exporters the config names. */
export function startExporters(view: AgentView): Exporter[] {
  const out: Exporter[] = [];
  const { config } = view;
  if (config.dogstatsd !== null || config.prometheus !== null || config.otlp !== null) {
    view.debug('metric exporters are not built in this version; nothing is exported');
  }
  return out;
}
