import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The import graph of the source, type-only imports included (a type cycle is still a design cycle).
// ctl/boundary.test.ts keeps ctl/ and api/ off coordinator/ and agent/; this file checks the rest.
const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['agent', 'api', 'coordinator', 'ctl', 'shared'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** importsOf lists the project files one file imports (relative specifiers only), as root-relative paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** cycles returns one path per strongly connected loop found by depth-first search. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

const isTest = (f: string) => /\.test\.ts$|\/testing(\/|\.ts$)|\/contract\.ts$/.test(f);
const production = SOURCE_DIRS.flatMap(sourceFiles).filter((f) => !isTest(f));
const graph = new Map(production.map((f) => [f, importsOf(f)]));

describe('source architecture', () => {
  it('cycles finds a loop in a graph that has one (the check can fail)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no import cycle between production files', () => {
    expect(production.length).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });

  it('coordinator/placement imports only itself and shared/', () => {
    const outside = [...graph]
      .filter(([f]) => f.startsWith('coordinator/placement/'))
      .flatMap(([f, deps]) =>
        deps.filter((d) => !/^(coordinator\/placement|shared)\//.test(d)).map((d) => `${f} → ${d}`),
      );
    expect(outside).toEqual([]);
  });

  it('coordinator folders depend one way (http → vms → spawner/placer/claims → store/registry/link)', () => {
    const folder = (f: string) => f.split('/').slice(0, 2).join('/').replace(/\.ts$/, '');
    const folders = new Map<string, Set<string>>();
    for (const [f, deps] of graph) {
      if (!f.startsWith('coordinator/')) continue;
      const from = folder(f);
      const set = folders.get(from) ?? new Set<string>();
      for (const d of deps) if (d.startsWith('coordinator/') && folder(d) !== from) set.add(folder(d));
      folders.set(from, set);
    }
    expect(cycles(new Map([...folders].map(([k, v]) => [k, [...v]])))).toEqual([]);
  });

  it('only coordinator/claims/ writes or deletes VM records', () => {
    const writers = production.filter((f) =>
      /\.vms\[[^\]]+\]\s*=[^=]|delete \w+\.vms\[|Object\.assign\((rec|vm)\b/.test(
        readFileSync(join(ROOT, f), 'utf8'),
      ),
    );
    expect(writers.every((f) => f.startsWith('coordinator/claims/'))).toBe(true);
    expect(writers).toContain('coordinator/claims/claim-book.ts');
  });

  it('only the claim book, the registry and the notices emit events', () => {
    const emitters = production.filter((f) =>
      /\.emit\(\{|bus\.emit\(/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    // events/notices.ts is sanctioned on purpose: quota refusals and audit-verify failures change no
    // record, so neither owner sees them, yet webhooks must deliver them (seed 004); it emits only those
    expect(emitters.sort()).toEqual([
      'coordinator/claims/claim-book.ts',
      'coordinator/events/notices.ts',
      'coordinator/registry/registry.ts',
    ]);
  });
});
