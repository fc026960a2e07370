import { describe, expect, it } from 'vitest';
import { testingFromEnv } from '../../agent/cli-env';

describe('testingFromEnv', () => {
  it('defaults: per-test scope, no idle report', () => {
    expect(testingFromEnv({})).toEqual({ testScope: 'test', whyIdleMs: null, warnings: [] });
  });

  it('reads LEAKWATCH_TEST_SCOPE and LEAKWATCH_WHY_IDLE', () => {
    expect(testingFromEnv({ LEAKWATCH_TEST_SCOPE: ' file ', LEAKWATCH_WHY_IDLE: '1.5s' })).toEqual({
      testScope: 'file',
      whyIdleMs: 1500,
      warnings: [],
    });
  });

  it('a bad value is one warning naming the variable, and the fallback', () => {
    const r = testingFromEnv({ LEAKWATCH_TEST_SCOPE: 'suite', LEAKWATCH_WHY_IDLE: 'NaNs' });
    expect(r.testScope).toBe('test');
    expect(r.whyIdleMs).toBeNull();
    expect(r.warnings).toEqual([
      'leakwatch: LEAKWATCH_TEST_SCOPE="suite" is not test or file; using test',
      'leakwatch: LEAKWATCH_WHY_IDLE="NaNs" is not a duration (expected e.g. 500ms, 2s); reporting on SIGINT only',
    ]);
    expect(testingFromEnv({ LEAKWATCH_WHY_IDLE: '0s' }).whyIdleMs).toBeNull();
  });
});
