import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProcessProbe, createProcessReading, isSupported, readCgroupMemoryLimit } from '../../probes/process';
import { tempDir } from '../support/temp';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spins until this process has used `ms` of CPU (not wall time: the machine may be busy). */
function burnCpu(ms: number): void {
  const start = process.cpuUsage();
  while (true) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1_000 >= ms) return;
  }
}

describe('process probe: CPU', () => {
  it('is supported on the Node versions leakwatch runs on', () => {
    expect(isSupported()).toBe(true);
  });

  it('reports CPU per interval in percent of one core: high while spinning, low while asleep', async () => {
    const probe = createProcessProbe();
    const r = createProcessReading();
    burnCpu(200);
    expect(probe.read(r)).toBe(r);
    const busy = r.cpuUserPercent + r.cpuSystemPercent;
    await sleep(300);
    probe.read(r);
    const asleep = r.cpuUserPercent + r.cpuSystemPercent;
    // 200 ms of CPU in at most the interval's wall time; one thread cannot pass 100 %.
    expect(busy).toBeGreaterThan(asleep);
    expect(busy).toBeGreaterThan(10);
    expect(busy).toBeLessThanOrEqual(100 * os.availableParallelism() + 1);
    expect(asleep).toBeGreaterThanOrEqual(0);
    expect(asleep).toBeLessThan(busy / 2);
  });
});

// The cgroup files of this process, laid out under a scratch root: the probe
// reads the real /proc/self/cgroup and only the root is moved.
const v2Path = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];

describe.runIf(process.platform === 'linux' && v2Path !== undefined)('process probe: container memory limit', () => {
  const root = tempDir('lw-cgroup-');
  const dir = path.join(root, v2Path === '/' ? '' : (v2Path ?? ''));
  const writeMax = (text: string): void => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'memory.max'), text);
  };

  it('reads a cgroup v2 limit in bytes', () => {
    writeMax('536870912\n');
    expect(readCgroupMemoryLimit(root)).toBe(536_870_912);
  });

  it('reads "max" as no limit', () => {
    writeMax('max\n');
    expect(readCgroupMemoryLimit(root)).toBeNull();
  });

  it('knows no limit when the files are missing or unreadable as a size', () => {
    writeMax('not a number\n');
    expect(readCgroupMemoryLimit(root)).toBeNull();
    expect(readCgroupMemoryLimit(path.join(root, 'absent'))).toBeNull();
  });
});

const v1Path = /^\d+:[^:]*\bmemory\b[^:]*:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];

describe.runIf(process.platform === 'linux' && v1Path !== undefined)('process probe: cgroup v1 memory limit', () => {
  // No memory.max under this root, so the v1 controller's file is read.
  const root = tempDir('lw-cgroup1-');
  const file = path.join(root, 'memory', v1Path ?? '', 'memory.limit_in_bytes');
  fs.mkdirSync(path.dirname(file), { recursive: true });

  it('reads a v1 limit in bytes', () => {
    fs.writeFileSync(file, '268435456\n');
    expect(readCgroupMemoryLimit(root)).toBe(268_435_456);
  });

  it('reads the page-rounded maximum v1 writes for "unlimited" as no limit', () => {
    fs.writeFileSync(file, '9223372036854771712\n');
    expect(readCgroupMemoryLimit(root)).toBeNull();
  });
});
