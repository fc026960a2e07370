/**
 * A real Prometheus server (Debian's package) for tests: a temporary config
 * scraping one target every second, temporary storage, loopback only; and
 * its HTTP API's instant queries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freeTcpPort } from '../helpers';
import { tempDir } from './temp';

export const PROMETHEUS = '/usr/bin/prometheus';

/** One series of an instant vector. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus server. */
export interface PrometheusServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** The instant vector for `q`; empty while the server is not up yet. */
  query(q: string): Promise<Sample[]>;
  /** Kills the server and waits for it. */
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `target` (`host:port`) every 1 s as job `job`. */
export async function startPrometheus(job: string, target: string): Promise<PrometheusServer> {
  const dir = tempDir('lw-prom-');
  const port = await freeTcpPort();
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  return {
    port,
    child,
    async query(q) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { status: string; data?: { result: Sample[] } };
        return body.status === 'success' ? (body.data?.result ?? []) : [];
      } catch {
        return []; // not up yet
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
