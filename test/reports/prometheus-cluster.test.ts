// Which processes the Prometheus endpoint asks for their metrics: the
// family, read from /proc on this machine, with real child processes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFamilyAgents, readParentPid } from '../../reports/prometheus-cluster';
import { tempDir } from '../support/temp';

describe('readParentPid', () => {
  it("reads a process's parent from /proc", () => {
    expect(readParentPid(process.pid)).toBe(process.ppid);
  });

  it('is undefined for a pid that does not exist', () => {
    expect(readParentPid(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('findFamilyAgents', () => {
  it('lists the children and the parent that have a control socket, and no one else', async () => {
    const dir = tempDir('lw-family-');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const pid = child.pid as number;
      // Any file of that name stands for an agent's socket here.
      for (const p of [pid, process.ppid, process.pid, 1]) fs.writeFileSync(path.join(dir, `${p}.sock`), '');
      fs.writeFileSync(path.join(dir, 'not-a-pid.sock'), '');
      const found = findFamilyAgents(dir);
      expect(found).toContain(pid);
      expect(found).toContain(process.ppid);
      expect(found).not.toContain(process.pid);
      // pid 1 is nobody's sibling here: the test runner's parent is not init.
      if (process.ppid !== 1 && readParentPid(process.ppid) !== 1) expect(found).not.toContain(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('lists siblings: processes with the same parent', async () => {
    const dir = tempDir('lw-family-');
    const lib = path.resolve(__dirname, '../../dist/reports/prometheus-cluster.js');
    // The asker prints its family; the parent starts a sibling, then the asker.
    const asker = path.join(dir, 'asker.js');
    fs.writeFileSync(
      asker,
      `console.log(JSON.stringify(require(${JSON.stringify(lib)}).findFamilyAgents(${JSON.stringify(dir)})));\n`,
    );
    const parent = path.join(dir, 'parent.js');
    fs.writeFileSync(
      parent,
      [
        "const { spawn, execFileSync } = require('node:child_process');",
        "const sib = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });",
        "sib.once('spawn', () => {",
        `  require('node:fs').writeFileSync(${JSON.stringify(dir)} + '/' + sib.pid + '.sock', '');`,
        `  const found = JSON.parse(execFileSync(process.execPath, [${JSON.stringify(asker)}], { encoding: 'utf8' }));`,
        '  sib.kill();',
        '  console.log(JSON.stringify({ sib: sib.pid, found }));',
        '});',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    const { sib, found } = JSON.parse(out) as { sib: number; found: number[] };
    expect(found).toEqual([sib]);
  });
});
