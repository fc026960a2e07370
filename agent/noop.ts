import type { Agent } from './agent-view';
import type { Config } from './config';

/** What `start()` returns when disabled: nothing runs, nothing is loaded. */
export function noopAgent(config: Config): Agent {
  return {
    config,
    state: 'watching',
    stop: () => Promise.resolve(),
    snapshot: () =>
      Promise.reject(
        Object.assign(new Error('leakwatch is disabled (LEAKWATCH_ENABLED=false)'), { code: 'LEAKWATCH_ERR_DISABLED' }),
      ),
  };
}
