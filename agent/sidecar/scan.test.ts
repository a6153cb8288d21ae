import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnSpecSchema } from '../../shared/spec.js';
import { type Sidecar, newSidecar, sidecarPathFor } from './schema.js';
import { SidecarStore } from './store.js';

const NOW = Date.UTC(2025, 0, 1);
let dir: string;
let store: SidecarStore;

function sidecarAt(diskDir: string, name: string): Sidecar {
  const spec = SpawnSpecSchema.parse({
    name,
    vcpu_count: 1,
    memory_mb: 512,
    disk_path: path.join(diskDir, `${name}.qcow2`),
    disk_size_gb: 10,
    base_image_path: path.join(dir, 'base.qcow2'),
    cloud_init_iso_path: path.join(diskDir, `${name}-seed.iso`),
    tuning: { vcpu_pins: ['1'], emulator_cpuset: '16', numa_memory: { nodeset: '0', mode: 'strict' } },
    user_configs: [],
  });
  return newSidecar(spec, { vm_id: `id-${name}`, phase: 'done', now: NOW });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vmpool-sidecar-scan-'));
  store = new SidecarStore({ imagesDir: dir, now: () => NOW });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SidecarStore.scan', () => {
  it('finds sidecars in the images dir and its VM subfolders', async () => {
    await mkdir(path.join(dir, 'vm-b'));
    await store.write(sidecarAt(dir, 'vm-a'));
    await store.write(sidecarAt(path.join(dir, 'vm-b'), 'vm-b'));
    const scan = await store.scan();
    expect(scan.sidecars.map((s) => s.name)).toEqual(['vm-a', 'vm-b']);
    expect(scan.quarantined).toEqual([]);
  });

  it('keeps the old sidecar and deletes the temp file a crashed write left behind', async () => {
    const old = await store.write(sidecarAt(dir, 'vm-a'));
    const stray = path.join(dir, '.vm-a.qcow2.vmpool.json.tmp-0123456789ab');
    await writeFile(stray, '{"schema_version": 1, "half-writ');
    const scan = await store.scan();
    expect(scan.sidecars).toEqual([old]);
    expect(scan.removedTemps).toEqual([stray]);
    expect(await readdir(dir)).toEqual(['vm-a.qcow2.vmpool.json']);
  });

  it.each([
    ['unparseable JSON', '{"schema_version": 1,', 'sidecar_corrupt'],
    ['a schema mismatch', JSON.stringify({ schema_version: 1, vm_id: 'x' }), 'sidecar_corrupt'],
    [
      'an unknown schema_version',
      JSON.stringify({ schema_version: 99, future: true }),
      'sidecar_unknown_version',
    ],
    ['a JSON array', '[]', 'sidecar_corrupt'],
  ])('quarantines a sidecar holding %s and still returns the good ones', async (_label, text, code) => {
    const good = await store.write(sidecarAt(dir, 'good'));
    const bad = path.join(dir, 'bad.qcow2.vmpool.json');
    await writeFile(bad, text);
    const scan = await store.scan();
    expect(scan.sidecars).toEqual([good]);
    expect(scan.quarantined).toEqual([
      { path: bad, movedTo: `${bad}.corrupt-${NOW}`, code, reason: expect.stringContaining(bad) },
    ]);
    expect(await readFile(`${bad}.corrupt-${NOW}`, 'utf8')).toBe(text);
    expect((await store.scan()).quarantined).toEqual([]); // moved aside, so not reported twice
  });

  it('does not follow symlinks out of the images dir', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'vmpool-sidecar-outside-'));
    try {
      await writeFile(path.join(outside, 'x.qcow2.vmpool.json'), 'garbage');
      await symlink(outside, path.join(dir, 'linked-dir'));
      await symlink(path.join(outside, 'x.qcow2.vmpool.json'), path.join(dir, 'linked.qcow2.vmpool.json'));
      const scan = await store.scan();
      expect(scan).toEqual({ sidecars: [], quarantined: [], removedTemps: [] });
      expect(await readFile(path.join(outside, 'x.qcow2.vmpool.json'), 'utf8')).toBe('garbage');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('stops descending at maxDepth', async () => {
    const deep = path.join(dir, 'a', 'b');
    await mkdir(deep, { recursive: true });
    await store.write(sidecarAt(path.join(dir, 'a'), 'shallow'));
    await store.write(sidecarAt(deep, 'deep'));
    const shallowStore = new SidecarStore({ imagesDir: dir, now: () => NOW, maxDepth: 1 });
    expect((await shallowStore.scan()).sidecars.map((s) => s.name)).toEqual(['shallow']);
  });

  it('fails loudly when the images dir itself is missing', async () => {
    const missing = new SidecarStore({ imagesDir: path.join(dir, 'nope') });
    await expect(missing.scan()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('scans 500 sidecars quickly', async () => {
    const all = Array.from({ length: 500 }, (_, i) => sidecarAt(dir, `vm-${String(i).padStart(3, '0')}`));
    for (let i = 0; i < all.length; i += 50)
      await Promise.all(all.slice(i, i + 50).map((s) => store.write(s)));
    const started = performance.now();
    const scan = await store.scan();
    const elapsed = performance.now() - started;
    expect(scan.sidecars).toHaveLength(500);
    expect(scan.sidecars[499]?.spec.disk_path).toBe(path.join(dir, 'vm-499.qcow2'));
    expect(sidecarPathFor(scan.sidecars[0]!.spec.disk_path)).toBe(path.join(dir, 'vm-000.qcow2.vmpool.json'));
    expect(elapsed).toBeLessThan(2_000);
  });
});
