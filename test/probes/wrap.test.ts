// Wrappers reach ES modules that imported a builtin's function by name:
// Node updates such a binding only on module.syncBuiltinESMExports(), which
// the patcher runs when it publishes and when it restores; inside
// `batched`, once at the end.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { hostname, uptime } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyFn, batched, createPatcher } from '../../probes/wrap';

const os = createRequire(__filename)('node:os') as Record<string, AnyFn>;
const original = { hostname: os.hostname, uptime: os.uptime };

afterEach(() => {
  Object.assign(os, original);
  syncBuiltinESMExports();
});

const tagged = (tag: string) => (fn: AnyFn) => {
  const wrapper = (...args: unknown[]) => `${tag}:${String(fn(...args))}`;
  return wrapper;
};

describe('wrappers and ES bindings', () => {
  it('reach a named import once published, and leave it on restore', () => {
    let armed = true;
    const p = createPatcher(() => armed);
    p.patch(os, 'hostname', tagged('w'));
    // Assigned to the CommonJS exports, not yet visible through the binding.
    expect(hostname()).toBe(original.hostname());
    p.publish();
    expect(hostname()).toBe(`w:${original.hostname()}`);
    // The wrapper keeps the original's name.
    expect(hostname.name).toBe(original.hostname.name);
    armed = false;
    p.restore();
    expect(hostname).toBe(original.hostname);
    expect(os.hostname).toBe(original.hostname);
  });

  it('sync once at the end of a batch', () => {
    let armed = true;
    const a = createPatcher(() => armed);
    const b = createPatcher(() => armed);
    const seen = batched(() => {
      a.patch(os, 'hostname', tagged('a'));
      a.publish();
      b.patch(os, 'uptime', tagged('b'));
      b.publish();
      return { hostname: hostname(), uptime: String(uptime()) };
    });
    // Inside the batch, the bindings still held the originals.
    expect(seen.hostname).toBe(original.hostname());
    expect(seen.uptime.startsWith('b:')).toBe(false);
    expect(hostname()).toBe(`a:${original.hostname()}`);
    expect(String(uptime()).startsWith('b:')).toBe(true);
    armed = false;
    batched(() => {
      a.restore();
      b.restore();
      expect(hostname).not.toBe(original.hostname);
    });
    expect(hostname).toBe(original.hostname);
    expect(uptime).toBe(original.uptime);
  });

  it('returns what the batch returns, and syncs even when it throws', () => {
    let armed = true;
    const p = createPatcher(() => armed);
    expect(() =>
      batched(() => {
        p.patch(os, 'hostname', tagged('t'));
        p.publish();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(hostname()).toBe(`t:${original.hostname()}`);
    armed = false;
    p.restore();
    expect(batched(() => 7)).toBe(7);
    expect(hostname).toBe(original.hostname);
  });
});
