/** Helpers for the test-helper tests: where a marked line is in a fixture. */
import * as fs from 'node:fs';

/**
 * `file:line:column` of the call `callee` on the line marked `// <marker>`
 * (column of the callee's last name part, where V8 puts a call's position).
 */
export function siteOf(file: string, marker: string, callee: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`// ${marker}`));
  if (i < 0) throw new Error(`no line marked "${marker}" in ${file}`);
  const line = lines[i] as string;
  const at = line.indexOf(`${callee}(`);
  if (at < 0) throw new Error(`no call to ${callee} on line ${i + 1} of ${file}`);
  const dot = callee.lastIndexOf('.');
  return `${file}:${i + 1}:${at + dot + 2}`;
}
