/**
 * DogStatsD: runtime metrics under Datadog's own Node.js names, batched into
 * datagrams that never exceed the DogStatsD limit, flushed every 10 s.
 *
 * A small hand-written client rather than hot-shots: see the README (Runtime metrics)
 * ("Why the protocol code is written here") for the measurements. In short, hot-shots sends UDP
 * unconnected (a dead agent is invisible) and its Unix-socket transport
 * cannot be unref'd, so it keeps the host alive. UDP here is a connected,
 * unref'd `dgram` socket; Unix datagram sockets use `unix-dgram` (loaded
 * only for `unix://`), opened per flush and closed straight after.
 *
 * Protocol: https://docs.datadoghq.com/developers/dogstatsd/datagram_shell
 */
import type { AgentView } from '../agent/agent-view';
import { type Endpoint, formatEndpoint } from '../agent/endpoint';
import {
  buildGlobalTags,
  DatagramBatcher,
  formatEvent,
  formatPoints,
  UDP_MAX_DATAGRAM,
  UDS_MAX_DATAGRAM,
} from './dogstatsd-format';
import { udpTransport, unixTransport } from './dogstatsd-transport';
import { DD_TRACE_RUNTIME_NAMES, isDdTraceRuntimeMetricsOn } from './dd-trace-names';
import type { Exporter } from './exporters';
import { MetricPoints } from './metric-points';
import type { LeakReport } from './report-schema';
import { reportHeadline } from './report-headline';

/** Starts the DogStatsD channel: one unref'd flush timer, one socket. */
export function createDogStatsDExporter(view: AgentView, ep: Endpoint): Exporter {
  const points = new MetricPoints(view);
  const tags = buildGlobalTags(view.config);
  const where = `dogstatsd ${formatEndpoint(ep)}`;
  const refused = { n: 0 };
  const transport = ep.protocol === 'udp' ? udpTransport(ep, view, refused) : unixTransport(ep, view);
  const maxBytes = ep.protocol === 'udp' ? UDP_MAX_DATAGRAM : UDS_MAX_DATAGRAM;
  let queue: Buffer[] = [];
  const batcher = new DatagramBatcher(maxBytes, (d) => {
    queue.push(d);
  });
  const emit = (l: string) => batcher.add(l);

  const sendQueue = () => {
    const datagrams = queue;
    queue = [];
    if (batcher.oversized > 0) {
      view.onDrop('dogstatsd', where, batcher.oversized, `line longer than ${maxBytes} bytes`);
      batcher.oversized = 0;
    }
    transport.send(datagrams, (failed, why) => {
      if (failed > 0) view.onDrop('dogstatsd', where, failed, why);
    });
  };

  // Once dd-trace's runtime metrics are seen, for the rest of the process.
  let leftToDdTrace = false;
  const flush = () => {
    try {
      if (refused.n > 0) {
        view.onDrop('dogstatsd', where, refused.n, `ECONNREFUSED: nothing listens on ${formatEndpoint(ep)}`);
        refused.n = 0;
      }
      if (!leftToDdTrace && isDdTraceRuntimeMetricsOn()) {
        leftToDdTrace = true;
        // Said once, without debug mode: dashboards now read dd-trace's values.
        view.onNotice(
          'dogstatsd',
          `dd-trace's runtime metrics run in this process; leaving their ${DD_TRACE_RUNTIME_NAMES.size} runtime.node.* names to dd-trace, sending leakwatch.* and runtime.node.handles.*`,
        );
      }
      points.collect();
      formatPoints(points, tags, emit, leftToDdTrace ? DD_TRACE_RUNTIME_NAMES : null);
      batcher.flush();
      sendQueue();
    } catch (err) {
      view.onError(where, err);
    }
  };

  const timer = setInterval(flush, view.config.flushIntervalMs);
  timer.unref();
  view.debug(
    `dogstatsd: sending to ${formatEndpoint(ep)} every ${view.config.flushIntervalMs}ms, datagrams up to ${maxBytes} bytes, tags ${tags}`,
  );

  return {
    name: 'dogstatsd',
    onTick() {
      points.observe();
    },
    onReport(report: LeakReport, file: string) {
      try {
        const title = `leakwatch: ${report.verdict === 'leaking' ? 'leak detected' : 'snapshot'} in ${view.config.service}`;
        const text = `${reportHeadline(report)}\nreport: ${file}\npid ${process.pid}`;
        batcher.add(
          formatEvent(
            title,
            text,
            tags,
            maxBytes,
            `leakwatch-${view.config.service}`,
            report.verdict === 'leaking' ? 'error' : 'info',
          ),
        );
        batcher.flush();
        sendQueue();
      } catch (err) {
        view.onError(where, err);
      }
    },
    async stop() {
      clearInterval(timer);
      flush();
      // Let the last datagrams leave before the socket closes.
      await new Promise<void>((resolve) => setImmediate(resolve));
      transport.close();
    },
  };
}
