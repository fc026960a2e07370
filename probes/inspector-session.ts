/**
 * A short-lived in-process inspector session for snapshots only: it finds
 * every live object with a given prototype (`Runtime.queryObjects`, which
 * sees unref'd timers and sockets that `process.getActiveResourcesInfo()`
 * does not) and where functions are defined (`[[FunctionLocation]]`).
 *
 * `Runtime.queryObjects` forces a full GC and walks the heap (measured:
 * ~120–250 ms with 10,000 live intervals): fine for a report, never per
 * tick. The objects found are handed back to JavaScript through a
 * symbol-keyed global that is deleted at once, so the caller works on the
 * real objects instead of serialising them through the protocol.
 * https://chromedevtools.github.io/devtools-protocol/v8/Runtime/#method-queryObjects
 */
import type * as Inspector from 'node:inspector';
import { toPath } from './stack-frames';

const STASH = 'leakwatch.inspector.stash';
const GROUP = 'leakwatch-snapshot';
/** Function lookups between two yields to the event loop (~8 ms of work). */
const YIELD_EVERY = 64;

/** A function's definition: 1-based line and column. */
export interface FunctionLocation {
  file: string;
  line: number;
  column: number;
}

/** A short-lived in-process inspector session, for snapshots only. */
export interface InspectorProbe {
  /** Every live object whose prototype chain holds `proto`. */
  queryObjects(proto: object): Promise<unknown[]>;
  /**
   * Where each function is defined (bound functions: their target).
   * Protocol calls per function: about 0.13 ms each in process, measured
   * with 10,000 closures, so callers resolve representatives, not all.
   */
  functionLocations(fns: readonly unknown[]): Promise<(FunctionLocation | null)[]>;
  /**
   * The value of a variable `name` closed over by `fn` (read through its
   * `[[Scopes]]`), or undefined when there is none.
   */
  closureVariable(fn: (...a: never[]) => unknown, name: string): Promise<unknown>;
  /** Protocol round trips made, for the notes. */
  readonly calls: number;
  close(): void;
}

type Post = <T>(method: string, params?: object) => Promise<T>;

interface RemoteObject {
  objectId?: string;
  type?: string;
  value?: unknown;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}
interface Properties {
  result: PropertyDescriptor[];
  internalProperties?: PropertyDescriptor[];
}

/** Whether this Node was built with the inspector. */
export function isSupported(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return typeof (require('node:inspector') as typeof Inspector).Session === 'function';
  } catch {
    return false;
  }
}

/**
 * Lets the event loop run between protocol calls: an in-process session
 * answers synchronously, so without this a whole snapshot would be one
 * long block of the host's loop. Ref'd on purpose: a snapshot in progress
 * (bounded) finishes its report even if the host has nothing else to do.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Opens a session; the caller must `close()` it. */
export function openInspector(): InspectorProbe {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const inspector = require('node:inspector') as typeof Inspector;
  const session = new inspector.Session();
  session.connect();
  const scriptUrls = new Map<string, string>();
  let debuggerOn = false;
  let calls = 0;
  const onScript = (m: { params: { scriptId: string; url: string } }) => {
    scriptUrls.set(m.params.scriptId, m.params.url);
  };
  session.on('Debugger.scriptParsed', onScript);

  const post: Post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => {
      calls++;
      session.post(method, params ?? {}, (err: Error | null, res?: object) => (err ? reject(err) : resolve(res as T)));
    });

  /** scriptParsed is replayed for every loaded script on enable. */
  const enableDebugger = async () => {
    if (debuggerOn) return;
    await post('Debugger.enable');
    debuggerOn = true;
  };

  const g = globalThis as unknown as Record<symbol, unknown>;
  /**
   * A fresh stash slot per hand-over: two snapshots running at once (the
   * detector's and an on-demand one) must never read each other's objects.
   */
  let slot = 0;
  const nextSlot = (): { name: string; key: symbol } => {
    const name = `${STASH}.${process.pid}.${++slot}.${Math.random().toString(36).slice(2)}`;
    return { name, key: Symbol.for(name) };
  };

  /** Runs `this` of `objectId` into a fresh slot and takes it back. */
  const take = async (objectId: string): Promise<unknown> => {
    const { name, key } = nextSlot();
    try {
      await post('Runtime.callFunctionOn', {
        objectId,
        functionDeclaration: `function () { globalThis[Symbol.for(${JSON.stringify(name)})] = this; }`,
        silent: true,
      });
      return g[key];
    } finally {
      delete g[key];
    }
  };

  /** The protocol id of a JS value, via a fresh slot. */
  const idOf = async (value: unknown): Promise<string> => {
    const { name, key } = nextSlot();
    g[key] = value;
    try {
      const r = await post<{ result: RemoteObject }>('Runtime.evaluate', {
        expression: `globalThis[Symbol.for(${JSON.stringify(name)})]`,
        objectGroup: GROUP,
        silent: true,
      });
      if (r.result.objectId === undefined) throw new Error('inspector returned no object id');
      return r.result.objectId;
    } finally {
      delete g[key];
    }
  };

  const locationOf = async (objectId: string, depth: number): Promise<FunctionLocation | null> => {
    const p = await post<Properties>('Runtime.getProperties', { objectId, ownProperties: true });
    for (const ip of p.internalProperties ?? []) {
      if (ip.name === '[[FunctionLocation]]') {
        const v = ip.value?.value as { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
        if (v === undefined) return null;
        const url = scriptUrls.get(v.scriptId);
        if (url === undefined || url === '') return null;
        return { file: toPath(url), line: v.lineNumber + 1, column: v.columnNumber + 1 };
      }
    }
    const target = p.internalProperties?.find((ip) => ip.name === '[[TargetFunction]]')?.value?.objectId;
    return target !== undefined && depth < 4 ? locationOf(target, depth + 1) : null;
  };

  return {
    get calls() {
      return calls;
    },
    async queryObjects(proto) {
      await yieldToLoop();
      const protoId = await idOf(proto);
      const found = await post<{ objects: RemoteObject }>('Runtime.queryObjects', {
        prototypeObjectId: protoId,
        objectGroup: GROUP,
      });
      if (found.objects.objectId === undefined) return [];
      try {
        const v = await take(found.objects.objectId);
        return Array.isArray(v) ? v : [];
      } finally {
        await post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
      }
    },
    async closureVariable(fn, name) {
      await enableDebugger();
      try {
        const fnId = await idOf(fn);
        const props = await post<Properties>('Runtime.getProperties', { objectId: fnId, ownProperties: true });
        const scopesId = props.internalProperties?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
        if (scopesId === undefined) return undefined;
        const scopes = await post<Properties>('Runtime.getProperties', { objectId: scopesId, ownProperties: true });
        for (const scope of scopes.result) {
          const id = scope.value?.objectId;
          // The global scope is huge and never holds module internals.
          if (
            id === undefined ||
            scope.value?.type !== 'object' ||
            /^Global/.test(String((scope.value as { description?: string }).description))
          )
            continue;
          const vars = await post<Properties>('Runtime.getProperties', { objectId: id, ownProperties: true });
          const hit = vars.result.find((v) => v.name === name)?.value;
          if (hit === undefined) continue;
          return hit.objectId === undefined ? hit.value : await take(hit.objectId);
        }
        return undefined;
      } finally {
        await post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
      }
    },
    async functionLocations(fns) {
      if (fns.length === 0) return [];
      await yieldToLoop();
      await enableDebugger();
      try {
        const arrId = await idOf(fns.slice());
        const props = await post<Properties>('Runtime.getProperties', { objectId: arrId, ownProperties: true });
        const out: (FunctionLocation | null)[] = new Array(fns.length).fill(null);
        let done = 0;
        for (const p of props.result) {
          if (++done % YIELD_EVERY === 0) await yieldToLoop();
          const i = Number(p.name);
          const id = p.value?.objectId;
          if (!Number.isInteger(i) || i < 0 || i >= fns.length || id === undefined || p.value?.type !== 'function')
            continue;
          out[i] = await locationOf(id, 0);
        }
        return out;
      } finally {
        await post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
      }
    },
    close() {
      session.off('Debugger.scriptParsed', onScript);
      if (debuggerOn) session.post('Debugger.disable', {}, () => {});
      session.disconnect();
      scriptUrls.clear();
    },
  };
}
