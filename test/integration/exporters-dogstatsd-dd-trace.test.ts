// DogStatsD beside dd-trace's own runtime metrics in one process: with them
// on, leakwatch leaves dd-trace's runtime.node.* names to dd-trace (each
// would otherwise arrive twice, from two readings under two tag sets) and
// sends only what dd-trace has not. Real dd-trace 5, a real UDP receiver for
// leakwatch and a real HTTP server standing in for the Datadog agent, which
// dd-trace 5 posts its runtime metrics to.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DD_TRACE_RUNTIME_NAMES } from '../../reports/dd-trace-names';
import { FIXTURES, killSurvivors, runNode } from '../helpers';
import { until } from '../support/until';

const FIXTURE = path.join(FIXTURES, 'dd-trace-runtime.js');

const closers: (() => void)[] = [];
afterEach(() => {
  killSurvivors();
  for (const c of closers.splice(0)) c();
});

/** A UDP receiver for leakwatch's datagrams: the metric names of each line. */
async function udpReceiver(): Promise<{ port: number; names: string[] }> {
  const sock = dgram.createSocket('udp4');
  const names: string[] = [];
  sock.on('message', (d: Buffer) => {
    for (const line of d.toString('utf8').split('\n')) {
      if (!line.startsWith('_e{')) names.push(line.slice(0, line.indexOf(':')));
    }
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  closers.push(() => sock.close());
  return { port: (sock.address() as AddressInfo).port, names };
}

/** An HTTP server standing in for the Datadog agent: every request body, as text. */
async function agentSink(): Promise<{ port: number; bodies: string[] }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      bodies.push(`${req.url ?? ''}\n${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, bodies };
}

function ddTraceEnv(agentPort: number, statsdPort: number, rm: boolean): Record<string, string> {
  return {
    RM: rm ? '1' : '0',
    LEAKWATCH_DOGSTATSD: `udp://127.0.0.1:${statsdPort}`,
    LEAKWATCH_FLUSH_INTERVAL: '200ms',
    LEAKWATCH_INTERVAL: '100ms',
    DD_AGENT_HOST: '127.0.0.1',
    DD_TRACE_AGENT_PORT: String(agentPort),
    DD_DOGSTATSD_PORT: String(agentPort),
    DD_RUNTIME_METRICS_FLUSH_INTERVAL: '500',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_TRACE_STARTUP_LOGS: 'false',
  };
}

/** Waits until `pred` holds (checked every 200 ms, at most 30 s). */
function waitFor(what: string, pred: () => boolean): Promise<true> {
  return until(what, async () => (pred() ? true : undefined));
}

describe('DogStatsD beside dd-trace runtime metrics', () => {
  it("leaves dd-trace's names to it, says so once, and still sends its own", async () => {
    const udp = await udpReceiver();
    const agent = await agentSink();
    const run = runNode([FIXTURE], { env: ddTraceEnv(agent.port, udp.port, true) });
    await run.waitFor(/leaving their \d+ runtime\.node\.\* names to dd-trace/, 'stderr');
    // Flushes before dd-trace started may hold its names: only later ones count.
    await new Promise((r) => setTimeout(r, 500));
    udp.names.splice(0);
    await waitFor('two flushes of leakwatch', () => udp.names.filter((n) => n === 'leakwatch.agent.state').length >= 2);
    expect(udp.names.filter((n) => DD_TRACE_RUNTIME_NAMES.has(n))).toEqual([]);
    expect(udp.names).toEqual(
      expect.arrayContaining(['leakwatch.heap.floor', 'runtime.node.handles.by.type', 'runtime.node.handles.total']),
    );
    // dd-trace itself sends the names leakwatch left to it.
    await waitFor('dd-trace runtime metrics at the agent', () =>
      agent.bodies.some((b) => b.includes('runtime.node.mem.heap_used')),
    );
    expect(run.stderr().match(/leaving their/g)).toHaveLength(1);
  });

  it('sends every name when dd-trace runs without runtime metrics', async () => {
    const udp = await udpReceiver();
    const agent = await agentSink();
    const run = runNode([FIXTURE], { env: ddTraceEnv(agent.port, udp.port, false) });
    await run.waitFor(/^ready$/m);
    await waitFor(
      'leakwatch runtime metrics',
      () => udp.names.filter((n) => n === 'leakwatch.agent.state').length >= 3,
    );
    expect(udp.names).toEqual(
      expect.arrayContaining(['runtime.node.mem.heap_used', 'runtime.node.heap.total_heap_size']),
    );
    expect(run.stderr()).not.toContain('leaving their');
  });
});
