import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Frame,
  formatFrame,
  isModuleLoaderFrameText,
  isOwnFrame,
  parseStackText,
  pickSite,
  printedFrames,
  toPath,
} from '../../probes/stack-frames';

const ROOT = path.resolve(__dirname, '../..');
const f = (file: string, line = 1, fn = 'f'): Frame => ({ fn, file, line, column: 2 });

describe('pickSite (issue 5)', () => {
  it('skips Node internals and leakwatch frames, picks the innermost user frame', () => {
    const frames = [
      f('node:internal/timers', 10),
      f(path.join(ROOT, 'dist/probes/creation-sites.js'), 20),
      f('/srv/app/lib/client.js', 30, 'new Client'),
      f('/srv/app/server.js', 40, 'handle'),
    ];
    expect(pickSite(frames)).toBe(frames[2]);
  });

  it('prefers the user call into a library over library internals', () => {
    const frames = [
      f('/srv/app/node_modules/hot-shots/lib/statsd.js', 5),
      f('/srv/app/node_modules/hot-shots/index.js', 6),
      f('/srv/app/metrics.js', 7, 'makeClient'),
    ];
    expect(pickSite(frames)).toBe(frames[2]);
  });

  it('falls back to the innermost library frame when no user frame exists', () => {
    const frames = [
      f('node:net', 1),
      f('/srv/app/node_modules/pg/lib/client.js', 2),
      f('/srv/app/node_modules/pg/lib/pool.js', 3),
    ];
    expect(pickSite(frames)).toBe(frames[1]);
  });

  it('returns null for stacks of internals and leakwatch only', () => {
    expect(pickSite([f('node:events'), f(path.join(ROOT, 'agent/agent.ts'))])).toBeNull();
  });

  it('knows its own directories but not tests or fixtures', () => {
    expect(isOwnFrame(path.join(ROOT, 'probes/timers.ts'))).toBe(true);
    expect(isOwnFrame(path.join(ROOT, 'test/fixtures/snapshot-founding.js'))).toBe(false);
  });
});

describe('frame text', () => {
  it('formats like V8 and parses V8 text back', () => {
    const text = 'Error\n    at watch (/srv/a.js:3:9)\n    at /srv/b.js:4:1\n    at node:internal/x:1:2';
    const frames = parseStackText(text, 10);
    expect(frames.map(formatFrame)).toEqual(['watch (/srv/a.js:3:9)', '/srv/b.js:4:1', 'node:internal/x:1:2']);
    expect(parseStackText(text, 1)).toHaveLength(1);
  });

  it('turns file URLs into paths', () => {
    expect(toPath('file:///srv/app/x.mjs')).toBe('/srv/app/x.mjs');
    expect(toPath('node:events')).toBe('node:events');
  });
});

// `leakwatch why` on a timer created at a module's top level printed five
// frames of Node's module loader under the one line that mattered.
describe('printedFrames', () => {
  it('skips the module loader, so a require chain reads file by file', () => {
    const frames = [
      f('/srv/app/lib.js', 1, 'Object.<anonymous>'),
      f('node:internal/modules/cjs/loader', 1521, 'Module._compile'),
      f('node:internal/modules/cjs/loader', 1266, 'Module.load'),
      f('node:internal/modules/helpers', 177, 'require'),
      f('/srv/app/app.js', 2, 'Object.<anonymous>'),
      f('node:internal/modules/run_main', 164, 'Function.executeUserEntryPoint [as runMain]'),
      f('node:internal/main/run_main_module', 28),
    ];
    expect(printedFrames(frames, 6)).toEqual([frames[0], frames[4]]);
    expect(printedFrames(frames, 1)).toEqual([frames[0]]);
  });

  it('keeps every other Node frame: they say how the code was reached', () => {
    const frames = [
      f('/srv/app/server.js', 9),
      f('node:events', 524, 'Server.emit'),
      f('node:_http_server', 1139, 'parserOnIncoming'),
    ];
    expect(printedFrames(frames, 6)).toEqual(frames);
  });

  it('reads formatted frames the same way', () => {
    expect(isModuleLoaderFrameText('Module._compile (node:internal/modules/cjs/loader:1521:14)')).toBe(true);
    expect(isModuleLoaderFrameText('node:internal/main/run_main_module:28:49')).toBe(true);
    expect(isModuleLoaderFrameText('Server.emit (node:events:524:28)')).toBe(false);
    expect(isModuleLoaderFrameText('/srv/app/server.js:14:3')).toBe(false);
  });
});
