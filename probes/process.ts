import * as fs from 'node:fs';

/** CPU over the last interval, in percent of one core (100 = one core busy). */
export interface ProcessReading {
  cpuUserPercent: number;
  cpuSystemPercent: number;
}

/** `process.cpuUsage()`, available on every supported Node. */
export function isSupported(): boolean {
  return typeof process.cpuUsage === 'function';
}

/** CPU since the previous read. */
export interface ProcessProbe {
  read(out: ProcessReading): ProcessReading;
}

/** A reading object to pass to the probe's `read` again and again. */
export function createProcessReading(): ProcessReading {
  return { cpuUserPercent: 0, cpuSystemPercent: 0 };
}

/** Keeps the previous CPU reading to report per-interval percentages. */
export function createProcessProbe(): ProcessProbe {
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  return {
    read(out) {
      const now = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const elapsedUs = Number(now - lastAt) / 1_000;
      if (elapsedUs > 0) {
        out.cpuUserPercent = ((cpu.user - lastCpu.user) / elapsedUs) * 100;
        out.cpuSystemPercent = ((cpu.system - lastCpu.system) / elapsedUs) * 100;
      }
      lastCpu = cpu;
      lastAt = now;
      return out;
    },
  };
}

/** cgroup v2 says "max", v1 a huge number, when there is no limit. */
const CGROUP_V1_UNLIMITED = 2 ** 60;

/**
 * The container memory limit in bytes, or null when there is none.
 * Reads cgroup v2 (`memory.max`) then v1 (`memory.limit_in_bytes`) for the
 * cgroup this process is in. Read once at start; limits rarely change.
 * https://docs.kernel.org/admin-guide/cgroup-v2.html#memory-interface-files
 */
export function readCgroupMemoryLimit(root = '/sys/fs/cgroup'): number | null {
  try {
    const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
    const v2 = /^0::(.*)$/m.exec(self);
    if (v2 !== null) {
      const limit = readLimit(`${root}${v2[1] === '/' ? '' : v2[1]}/memory.max`) ?? readLimit(`${root}/memory.max`);
      if (limit !== undefined) return limit;
    }
    const v1 = /^\d+:[^:]*\bmemory\b[^:]*:(.*)$/m.exec(self);
    if (v1 !== null) {
      const limit =
        readLimit(`${root}/memory${v1[1]}/memory.limit_in_bytes`) ?? readLimit(`${root}/memory/memory.limit_in_bytes`);
      if (limit !== undefined) return limit;
    }
  } catch {
    // Not Linux, or no cgroup filesystem: no limit known.
  }
  return null;
}

function readLimit(file: string): number | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (text === 'max') return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n >= CGROUP_V1_UNLIMITED ? null : n;
}
