/**
 * Merges the `/metrics` texts of several processes into one exposition
 * (pure): the processes of one cluster, served by the one that holds the
 * port. Every sample gets a `pid` label, so a worker's series stays its own
 * (a leak is in one process; a sum over workers would hide it), and each
 * metric family keeps one HELP and TYPE header with all of its samples
 * under it, as the format requires.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#grouping-and-sorting
 */

/** One process's exposition text. */
export interface ProcessExposition {
  readonly pid: number;
  readonly text: string;
}

interface Family {
  help: string | null;
  type: string | null;
  readonly samples: string[];
}

/** Matches a sample line: its name, and its label set if any. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/;

/** A sample line with `pid="…"` as its first label. */
export function labelSample(line: string, pid: number): string {
  const m = SAMPLE.exec(line);
  if (m === null) return line;
  const name = m[1] as string;
  if (m[2] === '{') {
    const rest = line.slice(name.length + 1);
    return `${name}{pid="${pid}"${rest.startsWith('}') ? '' : ','}${rest}`;
  }
  return `${name}{pid="${pid}"}${line.slice(name.length)}`;
}

/**
 * One exposition holding every process's samples, each labelled with its
 * pid. Families come in the order they first appear; a family's header is
 * the first process's.
 */
export function mergeExpositions(parts: readonly ProcessExposition[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const { pid, text } of parts) {
    let current: Family | null = null;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const header = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (header !== null) {
        current = familyOf(header[2] as string);
        if (header[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample before any header: a family of its own, without one.
      current ??= familyOf(SAMPLE.exec(line)?.[1] ?? line);
      current.samples.push(labelSample(line, pid));
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help !== null) out.push(f.help);
    if (f.type !== null) out.push(f.type);
    out.push(...f.samples);
  }
  out.push('');
  return out.join('\n');
}
