/** Helpers for the snapshot integration tests (issue 5). */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseReport, type LeakReport, type Suspect } from '../../reports/report-schema';
import { FIXTURES, ROOT, runNode, type Run } from '../helpers';
import { tempDir } from '../support/temp';

/** The 1-based line of `file` that carries the comment `// @<marker>`. */
export function markerLine(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`// @${marker}`));
  if (i < 0) throw new Error(`no // @${marker} in ${file}`);
  return i + 1;
}

/** `file:line:` as a site or frame starts with it. */
export function at(file: string, line: number): string {
  return `${file}:${line}:`;
}

export function reportDir(): string {
  return tempDir('lw-snap-');
}

export function readReport(file: string): LeakReport {
  return parseReport(fs.readFileSync(file, 'utf8'), file);
}

/** GET on 127.0.0.1 without keep-alive, body as text. */
export function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`))));
      })
      .on('error', reject);
  });
}

/** Spawns a fixture that starts its own agent (no preload). */
export function runFixture(name: string, dir: string, env: Record<string, string> = {}): Run {
  return runNode([path.join(FIXTURES, name)], { preload: false, env: { LW_ROOT: ROOT, LW_REPORT_DIR: dir, ...env } });
}

/** A fixture that prints one JSON line and exits: that line. */
export async function runToReport<T extends { file: string }>(
  name: string,
  env: Record<string, string>,
): Promise<{ out: T; report: LeakReport; run: Run }> {
  const dir = reportDir();
  const run = runFixture(name, dir, env);
  const m = await run.waitFor(/^(\{.*\})$/m, 'stdout', 50_000);
  const out = JSON.parse(m[1] as string) as T;
  return { out, report: readReport(out.file), run };
}

export function describeSuspects(suspects: readonly Suspect[]): string {
  return suspects.map((s, i) => `${i}: [${s.kind}] ${s.title} @ ${s.site}`).join('\n');
}
