import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createSourceMapper } from '../../agent/source-maps';
import { tempDir } from '../support/temp';

const SOURCE = [
  'interface Job { id: number }',
  '',
  'export function start(job: Job): NodeJS.Timeout {',
  '  return setInterval(function beat(): void { void job.id; }, 1000);',
  '}',
  '',
].join('\n');

function compile(dir: string, options: ts.CompilerOptions): string {
  const out = ts.transpileModule(SOURCE, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, ...options },
    fileName: 'job.ts',
  });
  fs.writeFileSync(path.join(dir, 'job.ts'), SOURCE);
  fs.writeFileSync(path.join(dir, 'job.js'), out.outputText);
  if (out.sourceMapText !== undefined) fs.writeFileSync(path.join(dir, 'job.js.map'), out.sourceMapText);
  return path.join(dir, 'job.js');
}

/** The 1-based line and column of `needle` in `text`. */
function find(text: string, needle: string): { line: number; column: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  return { line: i + 1, column: (lines[i] as string).indexOf(needle) + 1 };
}

describe('source maps (issue 5)', () => {
  for (const [name, options] of [
    ['a .map file', { sourceMap: true }],
    ['an inline data: URL', { inlineSourceMap: true }],
  ] as const) {
    it(`maps a compiled location back to the .ts line through ${name}`, () => {
      const dir = tempDir('lw-sm-');
      const js = compile(dir, options);
      const at = find(fs.readFileSync(js, 'utf8'), 'setInterval(');
      const mapper = createSourceMapper();
      const mapped = mapper.map({ file: js, ...at });
      expect(mapped).toEqual({ file: path.join(dir, 'job.ts'), ...find(SOURCE, 'setInterval(') });
      expect(mapper.mapped).toBe(1);
    });
  }

  it('leaves files without a source map alone', () => {
    const dir = tempDir('lw-sm-');
    const js = path.join(dir, 'plain.js');
    fs.writeFileSync(js, 'setInterval(() => {}, 1000);\n');
    expect(createSourceMapper().map({ file: js, line: 1, column: 1 })).toBeNull();
    expect(createSourceMapper().map({ file: 'node:events', line: 1, column: 1 })).toBeNull();
  });
});
