import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The backend seam as a rule over the source tree: everything libvirt-shaped lives under
// agent/backends/libvirt/ and the rest of the project reaches it only through its index.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TREES = ['agent', 'coordinator', 'shared', 'api', 'ctl', 'test', 'bench'];
const LIBVIRT = 'agent/backends/libvirt/';
const IMPORT_RE = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return []; // a tree this checkout does not have yet (api/, ctl/)
  }
  return entries.flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** importsOf lists a file's imports: relative ones as repo paths (.ts), packages as their names. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT_RE)].map(([, spec]) =>
    spec!.startsWith('.')
      ? relative(ROOT, normalize(join(ROOT, dirname(file), spec!))).replace(/\.js$/, '.ts')
      : spec!,
  );
}

const files = TREES.flatMap(sourceFiles);
const outside = files.filter((f) => !f.startsWith(LIBVIRT));
const isTest = (f: string) => f.endsWith('.test.ts');

describe('agent backend layout', () => {
  it('finds the source tree', () => {
    expect(files).toContain('agent/vms/manager.ts');
    expect(files).toContain(`${LIBVIRT}binding/binding.ts`);
    // imports resolve to repo paths, so the rules below look at real edges
    expect(importsOf('agent/host.ts')).toContain(`${LIBVIRT}index.ts`);
    expect(importsOf(`${LIBVIRT}backend.ts`)).toContain(`${LIBVIRT}binding/index.ts`);
  });

  it('nothing outside agent/backends/libvirt/ imports past its index', () => {
    const bad = outside.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith(LIBVIRT) && i !== `${LIBVIRT}index.ts`)
        .map((i) => `${f} -> ${i}`),
    );
    // bench/ compares vmpool's own domain XML with virsh and virt-install, so it builds it directly
    expect(bad.filter((b) => !b.startsWith('bench/'))).toEqual([]);
  });

  it('only the binding loads libvirt.so', () => {
    const prod = files.filter((f) => !isTest(f) && !f.startsWith('test/'));
    const loaders = prod.filter((f) =>
      /\.load\(\s*['"]libvirt\.so/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(loaders).toEqual([`${LIBVIRT}binding/symbols.ts`]);
  });

  it('the RPC client reaches neither koffi nor the koffi binding, and only a lazy import reaches those', () => {
    const KOFFI_SIDE = [
      'koffi',
      'binding.ts',
      'callFailure.ts',
      'symbols.ts',
      'ops.ts',
      'koffiClient.ts',
    ].map((m) => (m === 'koffi' ? m : `${LIBVIRT}binding/${m}`));
    const rpc = files.filter((f) => f.startsWith(`${LIBVIRT}rpc/`) && !isTest(f));
    expect(rpc.length).toBeGreaterThan(5);
    expect(
      rpc.flatMap((f) =>
        importsOf(f)
          .filter((i) => KOFFI_SIDE.includes(i))
          .map((i) => `${f} -> ${i}`),
      ),
    ).toEqual([]);
    const hv = readFileSync(join(ROOT, `${LIBVIRT}binding/libvirtHypervisor.ts`), 'utf8');
    expect(hv).toMatch(/await import\('\.\/koffiClient\.js'\)/);
    expect(hv).not.toMatch(/^import .*(koffiClient|ops|symbols)\.js/m);
  });

  it('domain XML is read in one place (domain/read.ts); the only other XML reader is the capabilities probe', () => {
    const readers = files.filter((f) => !isTest(f) && importsOf(f).includes('fast-xml-parser'));
    expect(readers.sort()).toEqual([`${LIBVIRT}domain/read.ts`, 'agent/topology/kvm.ts']);
  });

  it('no production code switches on a test: libvirt URI or branches on bare libvirt error numbers', () => {
    const prod = files.filter((f) => !isTest(f) && !f.startsWith('test/') && !f.startsWith('bench/'));
    const hits = prod.filter((f) => /startsWith\(['"]test:/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(hits).toEqual([]);
    const bare = prod
      .filter((f) => f !== `${LIBVIRT}binding/constants.ts`)
      .filter((f) =>
        /libvirtCode\s*[!=]==?\s*\d|isLibvirtError\([^,)]+,\s*\d/.test(readFileSync(join(ROOT, f), 'utf8')),
      );
    expect(bare).toEqual([]);
  });
});
