import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, killSurvivors, runNode } from '../helpers';
import { siteOf } from './helpers';

const SUITE = path.join(FIXTURES, 'testing/vitest-suite');
const CONFIG = path.join(FIXTURES, 'testing/vitest.config.mjs');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');

interface Assertion {
  title: string;
  status: string;
  failureMessages: string[];
}
interface FileResult {
  name: string;
  status: string;
  message: string;
  assertionResults: Assertion[];
}

afterEach(killSurvivors);

let tmp: string;
let results: FileResult[];
let output: string;

// Issue 9 acceptance: a suite with clean and deliberately leaking tests, run
// in a child vitest whose config has the one-line `setupFiles:
// ['leakwatch/vitest']`. Needs dist/ built (npm test builds first).
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-vitest-'));
  const out = path.join(tmp, 'results.json');
  const run = runNode(
    [VITEST, 'run', '--config', CONFIG, '--reporter=json', `--outputFile=${out}`, '--reporter=default'],
    { preload: false, env: { NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  const { code } = await run.exited;
  output = run.stdout() + run.stderr();
  expect(code, output).toBe(1);
  results = (JSON.parse(fs.readFileSync(out, 'utf8')) as { testResults: FileResult[] }).testResults;
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name: string): FileResult {
  const f = results.find((r) => path.basename(r.name) === name);
  if (f === undefined) throw new Error(`${name} did not run:\n${output}`);
  return f;
}
function test(fileName: string, title: string): Assertion {
  const a = file(fileName).assertionResults.find((t) => t.title === title);
  if (a === undefined) throw new Error(`${fileName} > ${title} did not run`);
  return a;
}

describe('leakwatch/vitest', () => {
  it('passes every clean test', () => {
    for (const a of file('clean.fixture.js').assertionResults) expect([a.title, a.status]).toEqual([a.title, 'passed']);
    expect(file('clean.fixture.js').assertionResults).toHaveLength(4);
    expect(test('leaky.fixture.js', 'a clean test between leaky ones passes').status).toBe('passed');
  });

  it('fails a test leaving an interval with the exact setInterval line', () => {
    const a = test('leaky.fixture.js', 'leaks an interval');
    expect(a.status).toBe('failed');
    const site = siteOf(path.join(SUITE, 'leaky.fixture.js'), 'LEAK: interval', 'setInterval');
    expect(a.failureMessages.join('\n')).toContain(`setInterval every 1000ms, created at ${site}`);
  });

  it('fails a test leaving a socket with the exact net.connect line', () => {
    const a = test('leaky.fixture.js', 'leaks a socket');
    expect(a.status).toBe('failed');
    const site = siteOf(path.join(SUITE, 'leaky.fixture.js'), 'LEAK: socket', 'net.connect');
    expect(a.failureMessages.join('\n')).toMatch(
      new RegExp(`socket to 127\\.0\\.0\\.1:\\d+, created at ${escape(site)}`),
    );
    // Only its own handle: the interval of the previous test is not repeated.
    expect(a.failureMessages.join('\n')).toContain('1 handle created by this test');
  });

  it('fails a test leaving a server listening with the listen line', () => {
    const a = test('leaky.fixture.js', 'leaks a server');
    expect(a.status).toBe('failed');
    const site = siteOf(path.join(SUITE, 'leaky.fixture.js'), 'LEAK: server', 'srv.listen');
    expect(a.failureMessages.join('\n')).toContain(`created at ${site}`);
  });

  it('names the .ts line of a TypeScript test (source-mapped through vitest)', () => {
    const a = test('typed.fixture.ts', 'leaks an interval from TypeScript');
    expect(a.status).toBe('failed');
    const site = siteOf(path.join(SUITE, 'typed.fixture.ts'), 'LEAK: typed interval', 'setInterval');
    expect(a.failureMessages.join('\n')).toContain(`created at ${site}`);
  });

  it('ignores known handles by site pattern and by type (configureLeakCheck in the test file)', () => {
    expect(file('ignored.fixture.js').assertionResults.map((a) => a.status)).toEqual(['passed', 'passed']);
  });

  it('file scope: checks once per file, beforeAll handles included', () => {
    const f = file('scope-file.fixture.js');
    expect(f.assertionResults.map((a) => a.status)).toEqual(['passed']);
    expect(f.status).toBe('failed');
    const site = siteOf(path.join(SUITE, 'scope-file.fixture.js'), 'LEAK: file interval', 'setInterval');
    expect(f.message).toContain(`created by this file`);
    expect(f.message).toContain(`setInterval every 2000ms, created at ${site}`);
    // The test's own interval was cleared before the file ended.
    expect(f.message).not.toContain('every 3000ms');
  });
});

describe('leakwatch/vitest in the threads pool', () => {
  it('gives the same verdicts as in the forks pool', async () => {
    const out = path.join(tmp, 'threads.json');
    const run = runNode(
      [VITEST, 'run', '--config', CONFIG, '--pool=threads', '--reporter=json', `--outputFile=${out}`],
      { preload: false, env: { NO_COLOR: '1' } },
    );
    await run.exited;
    const threads = (JSON.parse(fs.readFileSync(out, 'utf8')) as { testResults: FileResult[] }).testResults;
    const verdicts = (rs: FileResult[]) =>
      Object.fromEntries(
        rs.flatMap((f) => [
          [path.basename(f.name), f.status],
          ...f.assertionResults.map((a) => [`${path.basename(f.name)} > ${a.title}`, a.status]),
        ]),
      );
    expect(verdicts(threads)).toEqual(verdicts(results));
    const a = threads
      .find((f) => f.name.endsWith('leaky.fixture.js'))
      ?.assertionResults.find((t) => t.title === 'leaks an interval');
    expect(a?.failureMessages.join('\n')).toContain(
      `created at ${siteOf(path.join(SUITE, 'leaky.fixture.js'), 'LEAK: interval', 'setInterval')}`,
    );
  }, 120_000);
});

describe('LEAKWATCH_TEST_SCOPE', () => {
  const runLeaky = async (scope: string) => {
    const out = path.join(tmp, `scope-${scope}.json`);
    const run = runNode(
      [
        VITEST,
        'run',
        '--config',
        CONFIG,
        path.join(SUITE, 'leaky.fixture.js'),
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { preload: false, env: { NO_COLOR: '1', LEAKWATCH_TEST_SCOPE: scope } },
    );
    const { code } = await run.exited;
    const [f] = (JSON.parse(fs.readFileSync(out, 'utf8')) as { testResults: FileResult[] }).testResults;
    return { code, f: f as FileResult, stderr: run.stderr() };
  };

  it('=file checks the file once: the leaky tests pass because the file cleans up in afterAll', async () => {
    const { code, f } = await runLeaky('file');
    expect(f.assertionResults.map((a) => a.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(f.status).toBe('passed');
    expect(code).toBe(0);
  }, 120_000);

  it('a bad value gets one stderr line and the per-test default', async () => {
    const { f, stderr } = await runLeaky('suite');
    expect(stderr).toContain('LEAKWATCH_TEST_SCOPE="suite" is not test or file; using test');
    expect(f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.title)).toEqual([
      'leaks an interval',
      'leaks a socket',
      'leaks a server',
    ]);
  }, 120_000);
});

describe('leakwatch/vitest options per file', () => {
  // Issue 9: configureLeakCheck in a test file applies to that file only,
  // even when the next file runs in the same worker process.
  it('a file that ignores intervals does not make the next file in the same process ignore them', async () => {
    const out = path.join(tmp, 'reset.json');
    const run = runNode(
      [
        VITEST,
        'run',
        '--config',
        path.join(FIXTURES, 'testing/vitest-reset.config.mjs'),
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { preload: false, env: { NO_COLOR: '1' } },
    );
    const { code } = await run.exited;
    expect(code, run.stdout() + run.stderr()).toBe(1);
    const files = (JSON.parse(fs.readFileSync(out, 'utf8')) as { testResults: FileResult[] }).testResults;
    const a = files.find((f) => f.name.endsWith('a-configures.fixture.js'))?.assertionResults[0];
    const b = files.find((f) => f.name.endsWith('b-defaults.fixture.js'))?.assertionResults[0];
    expect(a?.status).toBe('passed');
    expect(b?.status).toBe('failed');
    // One worker process ran both files.
    expect(a?.title.match(/pid (\d+)/)?.[1]).toBe(b?.title.match(/pid (\d+)/)?.[1]);
    const site = siteOf(
      path.join(FIXTURES, 'testing/vitest-reset/b-defaults.fixture.js'),
      'LEAK: reset interval',
      'setInterval',
    );
    expect(b?.failureMessages.join('\n')).toContain(`created at ${site}`);
  }, 120_000);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
