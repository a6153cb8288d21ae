import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SpawnSpec, SpawnSpecSchema } from '../../shared/spec.js';
import { type Sidecar, newSidecar, phaseReached, sidecarPathFor } from './schema.js';
import { SidecarStore } from './store.js';

/** specIn builds a schema-valid spawn spec whose files live in `dir`. */
function specIn(dir: string, name: string): SpawnSpec {
  return SpawnSpecSchema.parse({
    name,
    vcpu_count: 2,
    memory_mb: 1024,
    disk_path: path.join(dir, `${name}.qcow2`),
    disk_size_gb: 10,
    base_image_path: path.join(dir, 'base.qcow2'),
    cloud_init_iso_path: path.join(dir, `${name}-seed.iso`),
    tuning: {
      vcpu_pins: ['0', '36'],
      emulator_cpuset: '16-17,52-53',
      numa_memory: { nodeset: '0', mode: 'strict' },
    },
    user_configs: [],
  });
}

let dir: string;
let clock: number;
let store: SidecarStore;
const sidecarFor = (name: string): Sidecar =>
  newSidecar(specIn(dir, name), { vm_id: `vm-${name}`, phase: 'overlay', now: clock });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vmpool-sidecar-'));
  clock = Date.UTC(2025, 0, 1);
  store = new SidecarStore({ imagesDir: dir, now: () => clock });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sidecarPathFor', () => {
  it.each([
    ['/var/lib/libvirt/images/slm.qcow2', '/var/lib/libvirt/images/slm.qcow2.vmpool.json'],
    ['/img/vm-1/disk.qcow2', '/img/vm-1/disk.qcow2.vmpool.json'],
  ])('names the sidecar of %s beside the disk', (disk, expected) => {
    expect(sidecarPathFor(disk)).toBe(expected);
  });
});

describe('SidecarStore', () => {
  it('reads back exactly what write stored', async () => {
    const written = await store.write(sidecarFor('web-1'));
    expect(await store.read(sidecarPathFor(written.spec.disk_path))).toEqual(written);
    expect(await store.readForDisk(written.spec.disk_path)).toEqual(written);
  });

  it('writes the file with mode 0600 and no temp file left behind', async () => {
    const written = await store.write(sidecarFor('web-1'));
    const st = await stat(sidecarPathFor(written.spec.disk_path));
    expect(st.mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('increments generation and refreshes updated_at on every write', async () => {
    const first = await store.write(sidecarFor('web-1'));
    clock += 5_000;
    const second = await store.write({ ...first, observed_state: 'running', phase: 'done' });
    expect([first.generation, second.generation]).toEqual([1, 2]);
    expect(second.created_at).toBe(first.created_at);
    expect(second.updated_at).toBe(new Date(clock).toISOString());
    expect((await store.readForDisk(first.spec.disk_path))?.observed_state).toBe('running');
  });

  it.each([
    ['an absolute path elsewhere', '/etc/vm.qcow2'],
    ['a .. segment', '../escape.qcow2'],
  ])('refuses a sidecar for a disk at %s', async (_label, rel) => {
    const sc = sidecarFor('web-1');
    const disk = rel.startsWith('/') ? rel : `${dir}/${rel}`;
    const bad = { ...sc, spec: { ...sc.spec, disk_path: disk } };
    await expect(store.write(bad)).rejects.toMatchObject({ code: 'path_outside_images_dir' });
  });

  it('refuses to write content that would not read back', async () => {
    const bad = { ...sidecarFor('web-1'), domain_uuid: 'not a uuid' };
    await expect(store.write(bad)).rejects.toMatchObject({ code: 'sidecar_write_failed' });
    expect(await store.readForDisk(bad.spec.disk_path)).toBeNull();
  });

  it('returns null for a missing sidecar and removes an existing one', async () => {
    const written = await store.write(sidecarFor('web-1'));
    await store.remove(written.spec.disk_path);
    expect(await store.readForDisk(written.spec.disk_path)).toBeNull();
    await expect(store.remove(written.spec.disk_path)).resolves.toBeUndefined();
  });

  it('rejects a file with an unknown schema_version distinctly from corruption', async () => {
    const file = path.join(dir, 'x.qcow2.vmpool.json');
    await writeFile(file, JSON.stringify({ schema_version: 2 }));
    await expect(store.read(file)).rejects.toMatchObject({ code: 'sidecar_unknown_version' });
    await writeFile(file, '{"schema_version": 1');
    await expect(store.read(file)).rejects.toMatchObject({ code: 'sidecar_corrupt' });
  });

  it('stores pretty JSON that names the schema version', async () => {
    const written = await store.write(sidecarFor('web-1'));
    const text = await readFile(sidecarPathFor(written.spec.disk_path), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ schema_version: 1, vm_id: 'vm-web-1', generation: 1 });
  });
});

describe('phaseReached', () => {
  it.each([
    ['accepted', 'overlay', false],
    ['overlay', 'overlay', true],
    ['defined', 'seed_iso', true],
    ['seed_iso', 'defined', false],
    ['done', 'verified', true],
  ] as const)('phase %s has reached %s: %s', (phase, step, expected) => {
    expect(phaseReached(phase, step)).toBe(expected);
  });
});
