import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../agent/version';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};

// Packaging: a broken tarball is found here before users find it.
describe('package.json', () => {
  it('every exports target exists after the build, types first', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? { default: target } : target;
      if (typeof target !== 'string') expect(Object.keys(target)[0], subpath).toBe('types');
      for (const file of Object.values(targets))
        expect(fs.existsSync(path.join(ROOT, file)), `${subpath} → ${file}`).toBe(true);
    }
    for (const file of Object.values(pkg.bin)) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });

  it('has no install scripts (users install a package, not a build)', () => {
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[hook], hook).toBeUndefined();
  });

  it('VERSION matches package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
