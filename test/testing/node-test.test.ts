import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, killSurvivors, runNode } from '../helpers';
import { siteOf } from './helpers';

const SUITE = path.join(FIXTURES, 'testing/node-test/suite.js');
const ENTRY = path.join(ROOT, 'dist/testing/node-test.js');

afterEach(killSurvivors);

async function runSuite(preload: '--import' | '--require', env: Record<string, string> = {}) {
  const run = runNode([preload, ENTRY, '--test', '--test-reporter=tap', SUITE], { preload: false, env });
  const { code } = await run.exited;
  return { code, out: run.stdout() + run.stderr() };
}

describe('leakwatch/node-test', () => {
  // Issue 9: the node:test equivalent of the vitest setup file.
  it.each(['--import', '--require'] as const)(
    'fails leaking tests with their lines, passes clean ones (%s)',
    async (preload) => {
      const { code, out } = await runSuite(preload);
      expect(code, out).toBe(1);
      expect(out).toMatch(/^ok \d+ - clean: clears its interval$/m);
      expect(out).toMatch(/^ok \d+ - clean: closes its server$/m);
      expect(out).toMatch(/^not ok \d+ - leaky: leaves an interval$/m);
      expect(out).toMatch(/^not ok \d+ - leaky: leaves a server$/m);
      expect(out).toContain(`setInterval every 1000ms, created at ${siteOf(SUITE, 'LEAK: interval', 'setInterval')}`);
      expect(out).toContain(`created at ${siteOf(SUITE, 'LEAK: server', 'srv.listen')}`);
      expect(out).toContain("code: 'LEAKWATCH_ERR_LEAKS'");
      // One report: the `--test` orchestrator registers no hooks of its own.
      expect(out.match(/^# tests /gm)).toHaveLength(1);
    },
    60_000,
  );

  it("an unref'd leak alone fails its test: it is not cancelled for want of anything holding the loop", async () => {
    const file = path.join(FIXTURES, 'testing/node-test/unref-only.js');
    const run = runNode(['--require', ENTRY, '--test', '--test-reporter=tap', file], { preload: false });
    const { code } = await run.exited;
    const out = run.stdout() + run.stderr();
    expect(code, out).toBe(1);
    expect(out).toMatch(/^not ok \d+ - leaky: leaves an unref'd interval$/m);
    expect(out).toContain(`created at ${siteOf(file, "LEAK: unref'd interval", 'setInterval')}`);
    expect(out).toMatch(/^# cancelled 0$/m);
  }, 60_000);

  it('passes a test whose afterEach closes what its beforeEach opened (the check runs after afterEach hooks)', async () => {
    const { out } = await runSuite('--require');
    expect(out).toMatch(/^\s*ok \d+ - clean: server from beforeEach closed in afterEach$/m);
  }, 60_000);

  it('LEAKWATCH_TEST_SCOPE=file is not supported: one stderr note, tests still checked one by one', async () => {
    const { code, out } = await runSuite('--require', { LEAKWATCH_TEST_SCOPE: 'file' });
    expect(code, out).toBe(1);
    expect(out).toContain('LEAKWATCH_TEST_SCOPE=file is not supported by leakwatch/node-test');
    expect(out).toMatch(/^not ok \d+ - leaky: leaves an interval$/m);
  }, 60_000);
});
