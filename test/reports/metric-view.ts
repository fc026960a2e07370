/** A hand-filled AgentView for the pure formatting tests (no agent, no timers). */
import { resolveConfig } from '../../agent/config';
import { type AgentView, createSelfMetrics, type SelfMetrics } from '../../agent/agent-view';
import type { LeakState } from '../../agent/state-machine';
import { createEventLoopReading } from '../../probes/event-loop';
import { createGcReading, GC_KINDS } from '../../probes/gc';
import { createHandlesReading } from '../../probes/handles';
import { createHeapReading, spaceNames } from '../../probes/heap';
import { createProcessReading } from '../../probes/process';
import type { Readings } from '../../agent/sampler';

export interface TestView extends AgentView {
  readings: Readings;
  self: SelfMetrics;
  state: LeakState;
  drops: { where: string; count: number; why: string }[];
}

export function testView(options: Parameters<typeof resolveConfig>[0] = {}): TestView {
  const { config } = resolveConfig(
    { service: 'svc', env: 'test', version: '1.0.0', tags: ['team:core'], ...options },
    {},
  );
  const readings: Readings = {
    heap: createHeapReading(),
    handles: createHandlesReading(),
    loop: createEventLoopReading(),
    gc: createGcReading(),
    process: createProcessReading(),
  };
  const drops: TestView['drops'] = [];
  const view = {
    config,
    readings,
    self: createSelfMetrics(),
    history: undefined as never,
    state: 'watching' as LeakState,
    threadId: 0,
    heapLimitBytes: 4_000_000_000,
    oldSpaceLimit: { bytes: 3_950_000_000, source: 'v8-old-space' },
    cgroupLimitBytes: null,
    debug: Object.assign((_m: string) => {}, { enabled: false as const }),
    onError() {},
    onChannelDown() {},
    onNotice() {},
    onDrop(_channel: string, where: string, count: number, why: string) {
      drops.push({ where, count, why });
    },
    drops,
  };
  return view as unknown as TestView;
}

/** Fills the readings as one tick would. */
export function fillTick(
  v: TestView,
  opts: { timers?: number; pausesMs?: [kind: (typeof GC_KINDS)[number], ms: number][]; loopMs?: number } = {},
): void {
  const r = v.readings;
  r.heap.usedBytes = 10_000_000;
  r.heap.totalBytes = 20_000_000;
  r.heap.externalBytes = 1_000_000;
  r.heap.rssBytes = 50_000_000;
  r.heap.oldGenUsedBytes = 8_000_000;
  spaceNames.forEach((_, i) => (r.heap.spaceUsedBytes[i] = 1_000 * (i + 1)));
  r.handles.byType.set('Timeout', opts.timers ?? 3);
  r.handles.byType.set('TCPSocketWrap', 1);
  r.handles.openFds = 21;
  const loop = opts.loopMs ?? 10;
  Object.assign(r.loop, {
    minMs: loop - 1,
    meanMs: loop,
    p50Ms: loop,
    p90Ms: loop + 1,
    p95Ms: loop + 2,
    p99Ms: loop + 3,
    maxMs: loop + 4,
    utilization: 0.25,
  });
  r.process.cpuUserPercent = 12;
  r.process.cpuSystemPercent = 3;
  r.gc.pauses.length = 0;
  r.gc.pauseKinds.length = 0;
  for (const [kind, ms] of opts.pausesMs ?? []) {
    r.gc.pauses.push(ms);
    r.gc.pauseKinds.push(GC_KINDS.indexOf(kind));
  }
  r.gc.floorBytes = 7_000_000;
  v.self.ticks++;
  v.self.tickCostUs = 40;
  v.self.tickCostTotalUs += 40;
}
