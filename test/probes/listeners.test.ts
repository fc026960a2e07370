import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { armListenerWarnings, type ListenerCapture } from '../../probes/listeners';
import { pickSite, readHolder } from '../../probes/stack-frames';

let capture: ListenerCapture | null = null;
afterEach(() => {
  capture?.disarm();
  capture = null;
});

class Bus extends EventEmitter {}

describe('listener warnings (issue 5)', () => {
  it('keeps the MaxListenersExceededWarning stack and reads the count now, without holding the emitter', async () => {
    capture = armListenerWarnings();
    const bus = new Bus();
    const onTick = () => {};
    for (let i = 0; i < 11; i++) bus.on('tick', () => {});
    bus.on('tick', onTick);
    // process.emitWarning delivers on the next tick.
    await new Promise((r) => setImmediate(r));
    const [reading] = capture.read();
    expect(reading).toBeDefined();
    if (reading === undefined) return;
    expect(reading.warning).toMatchObject({ type: 'tick', countAtWarning: 11, emitterName: 'Bus' });
    expect(reading.countNow).toBe(12);
    expect(reading.maxListeners).toBe(10);
    expect(reading.newest).toBe(onTick);
    const site = pickSite(readHolder(reading.warning.holder, 16));
    expect(site?.file).toBe(__filename);
    expect(reading.warning.emitter).toBeInstanceOf(WeakRef);
  });
});

describe('listener warnings: one process listener (issue 5)', () => {
  it('adds a single warning listener to process however many captures are armed', () => {
    const base = process.listenerCount('warning');
    const caps = Array.from({ length: 15 }, () => armListenerWarnings());
    expect(process.listenerCount('warning')).toBe(base + 1);
    for (const c of caps) c.disarm();
    expect(process.listenerCount('warning')).toBe(base);
  });
});
