/**
 * Maps compiled locations back to sources (`.ts` lines) where the app ships
 * source maps. Node's own cache (`module.findSourceMap`) answers when the
 * app runs with `--enable-source-maps`; otherwise the `//# sourceMappingURL`
 * comment of the file is followed and parsed with `module.SourceMap`.
 * Used only while writing a report; nothing is loaded before.
 * https://nodejs.org/api/module.html#source-map-v3-support
 */
import * as fs from 'node:fs';
import type * as Module from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files parsed per report, and the largest file or map read. */
const MAX_FILES = 256;
const MAX_BYTES = 32 * 1024 * 1024;

/** A 1-based location in a file. */
export interface Located {
  file: string;
  line: number;
  column: number;
}

/** Maps compiled locations back to sources, with a cap on the maps read. */
export interface SourceMapper {
  /** The original location of a 1-based compiled one, or null if unmapped. */
  map(loc: Located): Located | null;
  /** Files whose map was used, and files capped, for the report notes. */
  readonly mapped: number;
  readonly skipped: number;
}

type Payload = ConstructorParameters<typeof Module.SourceMap>[0];

const URL_RE = /\/\/[#@] ?sourceMappingURL=([^\s'"]+)\s*$/;

/**
 * A mapper over Node's own source-map support (`module.findSourceMap`): maps
 * the files that carry a map, passes others through.
 */
export function createSourceMapper(): SourceMapper {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('node:module') as typeof Module;
  const cache = new Map<string, { sm: Module.SourceMap; base: string } | null>();
  let mapped = 0;
  let skipped = 0;

  const load = (file: string): { sm: Module.SourceMap; base: string } | null => {
    if (cache.has(file)) return cache.get(file) ?? null;
    if (cache.size >= MAX_FILES) {
      skipped++;
      return null;
    }
    let entry: { sm: Module.SourceMap; base: string } | null = null;
    try {
      const known = mod.findSourceMap?.(file);
      if (known !== undefined) {
        // Node resolves `sources` to absolute URLs in its own cache.
        entry = { sm: known, base: path.dirname(file) };
      } else {
        entry = readMap(mod, file);
      }
    } catch {
      entry = null;
    }
    cache.set(file, entry);
    if (entry !== null) mapped++;
    return entry;
  };

  return {
    get mapped() {
      return mapped;
    },
    get skipped() {
      return skipped;
    },
    map(loc) {
      if (!path.isAbsolute(loc.file)) return null;
      const e = load(loc.file);
      if (e === null) return null;
      const hit = e.sm.findEntry(loc.line - 1, Math.max(0, loc.column - 1)) as Partial<Module.SourceMapping>;
      if (typeof hit.originalSource !== 'string' || typeof hit.originalLine !== 'number') return null;
      const src = hit.originalSource.startsWith('file://')
        ? fileURLToPath(hit.originalSource)
        : path.resolve(e.base, hit.originalSource);
      return { file: src, line: hit.originalLine + 1, column: (hit.originalColumn ?? 0) + 1 };
    },
  };
}

/** Follows the file's `sourceMappingURL` (a data: URL or a file). */
function readMap(mod: typeof Module, file: string): { sm: Module.SourceMap; base: string } | null {
  if (fs.statSync(file).size > MAX_BYTES) return null;
  const text = fs.readFileSync(file, 'utf8');
  const tail = text.slice(Math.max(0, text.length - 4096)).trimEnd();
  const m = URL_RE.exec(tail);
  if (m === null) return null;
  const url = m[1] as string;
  let json: string;
  let mapFile = file;
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const meta = url.slice(5, comma);
    const data = url.slice(comma + 1);
    json = meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
  } else {
    mapFile = url.startsWith('file://')
      ? fileURLToPath(url)
      : path.resolve(path.dirname(file), decodeURIComponent(url));
    if (fs.statSync(mapFile).size > MAX_BYTES) return null;
    json = fs.readFileSync(mapFile, 'utf8');
  }
  const payload = JSON.parse(json) as Payload & { sourceRoot?: string };
  const base = path.resolve(path.dirname(mapFile), payload.sourceRoot ?? '');
  return { sm: new mod.SourceMap(payload), base };
}
