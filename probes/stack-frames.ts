/**
 * Stack frames as plain data, and the rule that picks a suspect's `site`:
 * the innermost frame in the user's own code. Node internals and
 * leakwatch's own frames are never a site; `node_modules` frames are one
 * only when no user frame exists (the leak is inside a library). Every
 * frame stays in the stack.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One frame; `line` and `column` are 1-based. */
export interface Frame {
  fn: string;
  file: string;
  line: number;
  column: number;
}

/**
 * leakwatch's own code: the compiled `dist/{agent,probes,reports,bin}`, or
 * the TypeScript sources beside them when run from source. Tests and
 * fixtures are not ours.
 */
const OWN_ROOT = path.resolve(__dirname, '..');
const OWN_DIRS = ['agent', 'probes', 'reports', 'bin'].flatMap((d) => [
  path.join(OWN_ROOT, d) + path.sep,
  // Run from source (tests), the compiled copy beside it is ours too.
  path.join(OWN_ROOT, 'dist', d) + path.sep,
]);

/** `file:///a/b.js` → `/a/b.js`; other names unchanged. */
export function toPath(file: string): string {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return file;
    }
  }
  return file;
}

/** Node's own modules (`node:internal/...`) and engine builtins. */
export function isNodeInternal(file: string): boolean {
  return (
    file === '' ||
    file.startsWith('node:') ||
    file === 'native' ||
    // Older Node versions name internals without a scheme.
    (!path.isAbsolute(file) && !file.includes('://'))
  );
}

/**
 * Node's module loader and entry point (`Module._compile`, `require`,
 * `runMain`). Below code that ran while a file loaded they repeat on every
 * stack and name nothing to change, so printed stacks skip them; reports
 * keep every frame.
 */
export function isModuleLoaderFile(file: string): boolean {
  return file.startsWith('node:internal/modules/') || file.startsWith('node:internal/main/');
}

/** The frames a printed stack shows: the first `max`, loader frames skipped. */
export function printedFrames(frames: readonly Frame[], max: number): Frame[] {
  const out: Frame[] = [];
  for (const f of frames) {
    if (out.length >= max) break;
    if (!isModuleLoaderFile(f.file)) out.push(f);
  }
  return out;
}

/** `isModuleLoaderFile` for a frame as `formatFrame` wrote it into a report. */
export function isModuleLoaderFrameText(text: string): boolean {
  const frame = parseStackText(`at ${text}`, 1)[0];
  return frame !== undefined && isModuleLoaderFile(frame.file);
}

/** Whether `file` is one of leakwatch's own (compiled or source) files. */
export function isOwnFrame(file: string): boolean {
  for (const d of OWN_DIRS) if (file.startsWith(d)) return true;
  return false;
}

/** Whether `file` is inside a `node_modules` directory. */
export function isLibraryFrame(file: string): boolean {
  return file.includes(`${path.sep}node_modules${path.sep}`);
}

/** `fn (file:line:column)`, the V8 stack format, for the report. */
export function formatFrame(f: Frame): string {
  const at = `${f.file}:${f.line}:${f.column}`;
  return f.fn === '' ? at : `${f.fn} (${at})`;
}

/** `file:line:column`, as reports write a site. */
export function formatLocation(f: Pick<Frame, 'file' | 'line' | 'column'>): string {
  return `${f.file}:${f.line}:${f.column}`;
}

/**
 * The frame a developer has to change: the innermost user-code frame, else
 * (the whole path is library code) the innermost library frame. Null when
 * the stack holds only internals and leakwatch itself.
 */
export function pickSite(frames: readonly Frame[]): Frame | null {
  let library: Frame | null = null;
  for (const f of frames) {
    if (isNodeInternal(f.file) || isOwnFrame(f.file)) continue;
    if (!isLibraryFrame(f.file)) return f;
    library ??= f;
  }
  return library;
}

/** Structured V8 call sites to frames (unnamed or native ones skipped). */
export function framesFromCallSites(sites: readonly NodeJS.CallSite[], max: number): Frame[] {
  const out: Frame[] = [];
  for (const cs of sites) {
    if (out.length >= max) break;
    const file = cs.getFileName() ?? cs.getScriptNameOrSourceURL?.() ?? '';
    if (!file) continue;
    const type = cs.isToplevel() ? null : cs.getTypeName();
    const name = cs.getFunctionName() ?? cs.getMethodName() ?? '';
    const fn = cs.isConstructor() ? `new ${name}` : type && name && !name.includes('.') ? `${type}.${name}` : name;
    out.push({ fn, file: toPath(file), line: cs.getLineNumber() ?? 0, column: cs.getColumnNumber() ?? 0 });
  }
  return out;
}

/**
 * An object whose lazily formatted `stack` came from
 * `Error.captureStackTrace`: V8 keeps the frames unformatted until the
 * property is read, which is what makes capture cheap.
 */
export interface StackHolder {
  stack?: unknown;
}

/**
 * Captures the caller's stack into a holder, left unformatted: `frames`
 * frames plus one (so a cut stack can be counted as such), starting below
 * `skip`. Never throws. Where `Error` is frozen (hardened code,
 * `--frozen-intrinsics`) the limit cannot be raised and the stack is
 * captured at the host's own limit; a stack that cannot be captured at all
 * leaves the holder empty (its site unknown).
 */
export function captureHolder(skip: (...args: never[]) => unknown, frames: number): StackHolder {
  const holder: StackHolder = {};
  const limit = Error.stackTraceLimit;
  let raised = false;
  try {
    Error.stackTraceLimit = frames + 1;
    raised = true;
  } catch {
    // Read-only: keep the host's limit.
  }
  try {
    Error.captureStackTrace(holder, skip);
  } catch {
    // No stack.
  } finally {
    // Writable, since it was just raised.
    if (raised) Error.stackTraceLimit = limit;
  }
  return holder;
}

/**
 * Reads the structured frames of a holder captured earlier. V8 formats a
 * captured stack on first read, through `Error.prepareStackTrace`, so
 * swapping that hook in for the read yields the CallSite objects.
 * https://v8.dev/docs/stack-trace-api
 */
export function readHolder(holder: StackHolder, max: number): Frame[] {
  const prev = Error.prepareStackTrace;
  let sites: unknown;
  let swapped = false;
  try {
    // Fails where `Error` is frozen: the stack is then read as text.
    Error.prepareStackTrace = (_err, cs) => cs;
    swapped = true;
  } catch {
    // Read-only.
  }
  try {
    sites = holder.stack;
  } catch {
    sites = undefined;
  } finally {
    if (swapped) Error.prepareStackTrace = prev;
  }
  if (Array.isArray(sites)) return framesFromCallSites(sites as NodeJS.CallSite[], max);
  // Already formatted as text (read before, or by a user hook): parse it.
  return typeof sites === 'string' ? parseStackText(sites, max) : [];
}

const FRAME_RE = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** Parses V8's `at fn (file:line:col)` lines. */
export function parseStackText(text: string, max: number): Frame[] {
  const out: Frame[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= max) break;
    const m = FRAME_RE.exec(line);
    if (m === null) continue;
    out.push({ fn: m[1] ?? '', file: toPath(m[2] as string), line: Number(m[3]), column: Number(m[4]) });
  }
  return out;
}
