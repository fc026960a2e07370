'use strict';
/**
 * Preload for the "leakwatch armed" configuration: starts the agent with the
 * default config (as `register` does) and forces the *suspect* state's
 * tracking with `agent.arm()`, whatever that switches on in this build.
 * Prints one `LEAKWATCH_ARMED {...}` line on stderr saying what it saw
 * switched on, so the benchmark can show what it measured.
 */
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const { LeakwatchAgent } = require(path.join(root, 'dist/agent/agent.js'));
const { resolveConfig } = require(path.join(root, 'dist/agent/config.js'));

const SIGNALS = ['handles.Timeout', 'heap.floor'];
const before = {
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  modules: new Set(Object.keys(require.cache)),
};

const { config } = resolveConfig();
const agent = new LeakwatchAgent(config).start();
globalThis[Symbol.for('leakwatch.agent')] = agent;
agent.arm(SIGNALS);
// The state machine may disarm a calm agent; re-arming is a no-op while armed.
setInterval(() => agent.arm(SIGNALS), 1_000).unref();

setTimeout(() => {
  const tracking = agent.tracking;
  const loaded = Object.keys(require.cache)
    .filter((m) => !before.modules.has(m))
    .map((m) => path.relative(root, m));
  const packages = [...new Set(loaded.map((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1] ?? m))];
  const seen = {
    armed: tracking != null,
    // Which parts of the tracking are on (non-null), as arm() returned them.
    on:
      tracking == null
        ? []
        : Object.keys(tracking).filter(
            (k) => tracking[k] != null && typeof tracking[k] === 'object' && !Array.isArray(tracking[k]),
          ),
    notes: tracking?.notes ?? [],
    patched: ['setTimeout', 'setInterval'].filter((k) => globalThis[k] !== before[k]),
    loaded: packages,
    errors: agent.self.errors,
  };
  process.stderr.write(`LEAKWATCH_ARMED ${JSON.stringify(seen)}\n`);
}, 300).unref();
