import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** relativeImports lists the project files one source file imports (bare packages are skipped). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_RE)]
    .map((m) => m[1] ?? m[2]!)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

/** reachable walks the import graph from the entry files and returns every project file it reaches. */
function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...relativeImports(file));
  }
  return seen;
}

function productionFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split('/').includes('testing'))
    .map((f) => join(ROOT, dir, f));
}

const top = (file: string) => relative(ROOT, file).split('/')[0];

describe('package boundaries', () => {
  it('vmpoolctl reaches only ctl/, api/ and shared/ (nothing of coordinator/ or agent/)', () => {
    const files = reachable(productionFiles('ctl'));
    expect(files.size).toBeGreaterThan(10);
    const outside = [...files]
      .map((f) => relative(ROOT, f))
      .filter((f) => !['ctl', 'api', 'shared'].includes(f.split('/')[0]!));
    expect(outside).toEqual([]);
  });

  it('api/ reaches only api/ and shared/', () => {
    const files = reachable(productionFiles('api'));
    expect(
      [...files].filter((f) => !['api', 'shared'].includes(top(f)!)).map((f) => relative(ROOT, f)),
    ).toEqual([]);
  });

  it('finds a coordinator import when there is one (the walk is not vacuous)', () => {
    const files = reachable([join(ROOT, 'coordinator/http/app.ts')]);
    expect([...files].some((f) => top(f) === 'api')).toBe(true);
    expect([...files].some((f) => relative(ROOT, f).startsWith('coordinator/vms/'))).toBe(true);
  });
});
