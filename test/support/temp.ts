/**
 * Temporary directories for tests, removed when the test file ends. Without
 * this a full run left about seventy directories in the system's temporary
 * directory (report directories, socket directories, compiled fixtures).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered once per test file: each file loads its own copy of this module.
afterAll(() => {
  for (const dir of made.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      // A directory a test made unwritable may refuse a non-root user: say so.
      process.stderr.write(`could not remove ${dir}: ${(err as Error).message}\n`);
    }
  }
});

/** A new directory `<tmpdir>/<prefix>XXXXXX`, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
