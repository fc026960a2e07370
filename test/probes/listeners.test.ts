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
