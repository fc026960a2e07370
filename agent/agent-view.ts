/**
 * What the rest of leakwatch sees of a running agent: the public handle
 * `start()` returns, and the read-only view exporters, the report builder
 * and the control channel are given (./agent implements both).
 */
import type { LeakState } from './state-machine';
import type { OldSpaceLimit } from '../probes/heap';
import type { Config } from './config';
import type { Debug } from './debug';
import type { History } from './history';
import type { Readings } from './sampler';

/** The agent's own counters: what it costs, what it did, what it dropped. */
export interface SelfMetrics {
  ticks: number;
  /** Duration of the newest sampling tick (µs). */
  tickCostUs: number;
  /** Sum of all tick durations (µs), for an average. */
  tickCostTotalUs: number;
  evaluations: number;
  errors: number;
  reportsWritten: number;
  /** Reports not written: the hourly cap, the file cap, a write error. */
  reportsSuppressed: number;
  /** Exporter sends that failed or were dropped (datagrams, scrapes, exports). */
  exportsDropped: number;
  /** The same, by channel (`dogstatsd`, `prometheus`, `otlp`); a channel appears at its first drop. */
  exportsDroppedByChannel: Record<string, number>;
}

/** Counters at zero, for a new agent. */
export function createSelfMetrics(): SelfMetrics {
  return {
    ticks: 0,
    tickCostUs: 0,
    tickCostTotalUs: 0,
    evaluations: 0,
    errors: 0,
    reportsWritten: 0,
    reportsSuppressed: 0,
    exportsDropped: 0,
    exportsDroppedByChannel: {},
  };
}

/** A metrics channel, as `exportsDroppedByChannel` and the drop metrics name it. */
export type ExportChannel = 'dogstatsd' | 'prometheus' | 'otlp';

/** What exporters and the control channel may read of a running agent. */
export interface AgentView {
  readonly config: Config;
  readonly readings: Readings;
  readonly self: Readonly<SelfMetrics>;
  readonly history: History;
  readonly state: LeakState;
  /** 0 in the main thread; a worker thread's agent watches that thread only (agent/agent.ts). */
  readonly threadId: number;
  /** `heap_size_limit`, the metric. */
  readonly heapLimitBytes: number;
  /** What a growing heap floor runs into: time to OOM's limit. */
  readonly oldSpaceLimit: OldSpaceLimit;
  readonly cgroupLimitBytes: number | null;
  readonly debug: Debug;
  /** Records a failure in the agent's own metrics and the debug log. */
  onError(where: string, err: unknown): void;
  /** Counts a dropped send on `channel`; `where` names the endpoint for debug lines. */
  onDrop(channel: ExportChannel, where: string, count: number, why: string): void;
  /**
   * Records a channel the user asked for that cannot run (an endpoint whose
   * port is taken), and says so in one line on stderr whatever the debug
   * mode: the metric that counts it may be served by that very channel.
   */
  onChannelDown(where: string, message: string): void;
  /**
   * Says once, in one line on stderr whatever the debug mode, that a channel
   * changed what it sends (not a failure: nothing is counted).
   */
  onNotice(where: string, message: string): void;
}

/** The public handle returned by `start()`. */
export interface Agent {
  /** The resolved configuration. */
  readonly config: Config;
  /** watching, suspect, leaking or cooldown. */
  readonly state: LeakState;
  /** Stops sampling, disarms everything, closes exporters. Idempotent. */
  stop(): Promise<void>;
  /** Writes a report now, whatever the state. @returns its path. */
  snapshot(): Promise<string>;
}
