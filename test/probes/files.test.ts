// The file-open probe on this process's own fd table: targets read from
// /proc/self/fd, the armed wrappers' records, a reused fd number, the cap.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_STACKS_PER_SECOND, type FileSites, armFileSites, readFdTargets } from '../../probes/files';
import { tempDir } from '../support/temp';

// The module object the wrappers patch, as CommonJS code sees it (an ESM
// namespace keeps the functions it bound at import: README, Limits).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

let sites: FileSites | null = null;
const open: number[] = [];
afterEach(() => {
  sites?.disarm();
  sites = null;
  for (const fd of open.splice(0)) fs.closeSync(fd);
});

function fileIn(dir: string, name: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, 'x');
  return p;
}

describe.skipIf(process.platform !== 'linux')('open files probe', () => {
  it('lists non-socket fds by path, and counts what was open at arming', () => {
    const dir = tempDir('lw-fd-');
    const a = fileIn(dir, 'a.txt');
    open.push(fs.openSync(a, 'r'), fs.openSync(a, 'r'));
    expect(readFdTargets()?.get(a)).toEqual(open);
    sites = armFileSites();
    expect(sites.baseline?.get(a)).toBe(2);
    // Opened before arming: no record.
    expect(sites.recordOf(open[0] as number, a)).toBeUndefined();
  });

  it('records where a file was opened, only while its fd still points there', () => {
    const dir = tempDir('lw-fd-');
    const [a, b] = [fileIn(dir, 'a.txt'), fileIn(dir, 'b.txt')];
    const unwrapped = fs.openSync;
    sites = armFileSites();
    const fd = fs.openSync(a, 'r');
    const rec = sites.recordOf(fd, a);
    expect(rec?.path).toBe(a);
    expect(sites.counts).toEqual({ opens: 1, capped: 0 });
    // The number reused by an open leakwatch did not see: not misattributed.
    fs.closeSync(fd);
    const reused = unwrapped(b, 'r');
    open.push(reused);
    expect(reused).toBe(fd);
    expect(sites.recordOf(reused, b)).toBeUndefined();
    // A deleted file still matches the path it was opened as.
    const fd2 = fs.openSync(a, 'r');
    open.push(fd2);
    fs.unlinkSync(a);
    expect(sites.recordOf(fd2, `${a} (deleted)`)?.path).toBe(a);
  });

  it(`captures at most ${FILE_STACKS_PER_SECOND} stacks at once, and counts the rest`, () => {
    const dir = tempDir('lw-fd-');
    const a = fileIn(dir, 'a.txt');
    sites = armFileSites();
    for (let i = 0; i < 300; i++) open.push(fs.openSync(a, 'r'));
    const withRecord = open.filter((fd) => sites?.recordOf(fd, a) !== undefined).length;
    expect(sites.counts.opens).toBe(300);
    // A burst of 100, plus whatever refilled while the loop ran (100 a second).
    expect(withRecord).toBeGreaterThanOrEqual(FILE_STACKS_PER_SECOND);
    expect(withRecord).toBeLessThan(FILE_STACKS_PER_SECOND + 20);
    expect(sites.counts.capped).toBe(300 - withRecord);
  });
});
