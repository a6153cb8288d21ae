import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED003_SPECS_PATH } from '../../test/fixtures/seed003.js';
import { parseCpuList } from '../../shared/cpulist.js';
import { type SpawnSpec, SpawnSpecSchema } from '../../shared/spec.js';
import type { HostThread, HostTopology, NumaNode } from '../../shared/topology.js';
import { SpawnValidationError } from './errors.js';
import type { HostView, HostVm } from './host-view.js';
import { validateSpawn } from './validate.js';

// The seed-003 host: 2 sockets × 18 cores × 2 threads, thread N's sibling is N+36, one NUMA node per socket.
function seed003Topology(): HostTopology {
  const node = (socket: number): NumaNode => {
    const cpus: HostThread[] = [];
    for (let core = 0; core < 18; core++) {
      const id = socket * 18 + core;
      for (const t of [id, id + 36])
        cpus.push({ id: t, core_id: core, socket_id: socket, siblings: [id, id + 36] });
    }
    cpus.sort((a, b) => a.id - b.id);
    return { id: socket, memory_mb: 131_072, free_memory_mb: 128_000, cpus };
  };
  return {
    hostname: 'seed003',
    kvm: true,
    cpu_model: 'Intel Xeon (seed 003)',
    sockets: 2,
    cores_per_socket: 18,
    threads_per_core: 2,
    memory_mb: 262_144,
    numa_nodes: [node(0), node(1)],
    offline_cpus: [],
  };
}

const imagesDir = mkdtempSync(path.join(tmpdir(), 'vmpool-validate-'));
writeFileSync(path.join(imagesDir, 'base.qcow2'), 'base');
afterAll(() => rmSync(imagesDir, { recursive: true, force: true }));

// The seed reserves cores 16-17 of each socket (and their siblings) for the host and emulator.
const hostReservedCpus = parseCpuList('16-17,34-35,52-53,70-71');

// The four seed-003 VM specs, copied verbatim from the seed into testdata/; only /var/lib/libvirt/images becomes the temp imagesDir.
const SEED_003_SPECS_JSON = readFileSync(SEED003_SPECS_PATH, 'utf8');
const seedSpecs: SpawnSpec[] = JSON.parse(
  SEED_003_SPECS_JSON.replaceAll('/var/lib/libvirt/images', imagesDir),
).map((raw: unknown) => SpawnSpecSchema.parse(raw));

function vmOf(spec: SpawnSpec, policy: HostVm['cpu_policy'] = 'dedicated'): HostVm {
  return {
    name: spec.name,
    vm_id: `id-${spec.name}`,
    pins: spec.tuning.vcpu_pins.map(Number),
    cpu_policy: policy,
    numa_node: Number(spec.tuning.numa_memory.nodeset),
    memory_mb: spec.memory_mb,
  };
}

function hostWith(vms: HostVm[] = [], extra: Partial<HostView> = {}): HostView {
  return { topology: seed003Topology(), hostReservedCpus, imagesDir, vms, ...extra };
}

function thrown(fn: () => void): SpawnValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpawnValidationError) return err;
    throw err;
  }
  throw new Error('expected a SpawnValidationError, none thrown');
}

describe('validateSpawn with the seed-003 specs', () => {
  it('accepts the four seed VMs in order on a host that accumulates them', () => {
    const vms: HostVm[] = [];
    for (const spec of seedSpecs) {
      expect(() => validateSpawn(spec, hostWith(vms))).not.toThrow();
      vms.push(vmOf(spec));
    }
    expect(vms.map((vm) => vm.pins.length)).toEqual([32, 12, 8, 12]);
  });

  it('rejects a seed VM a second time: its name and threads are taken', () => {
    const data = seedSpecs[1]!;
    const err = thrown(() => validateSpawn(data, hostWith(seedSpecs.map((s) => vmOf(s)))));
    expect([err.code, err.details?.field]).toEqual(['name_in_use', 'name']);
  });
});

// probe is a small valid VM on node 1 next to seed VM1 (slm-heavy, node 0); each row breaks one rule.
function probe(): SpawnSpec {
  return SpawnSpecSchema.parse({
    name: 'probe',
    vcpu_count: 4,
    memory_mb: 4096,
    disk_path: `${imagesDir}/probe.qcow2`,
    disk_size_gb: 10,
    base_image_path: `${imagesDir}/base.qcow2`,
    cloud_init_iso_path: `${imagesDir}/probe-seed.iso`,
    tuning: {
      vcpu_pins: ['18', '54', '19', '55'],
      emulator_cpuset: '34-35,70-71',
      numa_memory: { nodeset: '1', mode: 'strict' },
    },
    user_configs: [],
  });
}

const slmHeavy = vmOf(seedSpecs[0]!);
const sharedOnNode1: HostVm = { ...vmOf(probe(), 'shared'), name: 'shared-1', vm_id: 'id-shared-1' };
const pins = (...ids: number[]) => ids.map(String);
mkdirSync(path.join(imagesDir, 'vm-dir'));
writeFileSync(path.join(imagesDir, 'taken.qcow2'), '');
writeFileSync(path.join(imagesDir, 'taken.iso'), '');
symlinkSync('/etc', path.join(imagesDir, 'etc-link'));
symlinkSync('/etc/passwd', path.join(imagesDir, 'passwd-link.qcow2'));
symlinkSync('/nonexistent-vmpool-dir', path.join(imagesDir, 'dangling-dir'));

type Row = [label: string, edit: (s: SpawnSpec) => void, code: string, field: string, vms?: HostVm[]];
const rules: Row[] = [
  [
    'a pin on a thread the host lacks',
    (s) => (s.tuning.vcpu_pins[2] = '72'),
    'pin_not_online',
    'tuning.vcpu_pins[2]',
  ],
  [
    'a pin on a host-reserved thread',
    (s) => (s.tuning.vcpu_pins[3] = '34'),
    'pin_host_reserved',
    'tuning.vcpu_pins[3]',
  ],
  ['a pin listed twice', (s) => (s.tuning.vcpu_pins[1] = '18'), 'pin_duplicate', 'tuning.vcpu_pins[1]'],
  [
    'a pin another VM owns',
    (s) => (s.tuning.vcpu_pins[1] = '55'),
    'pin_in_use',
    'tuning.vcpu_pins[1]',
    [{ ...slmHeavy, pins: [55] }],
  ],
  ['a dedicated pin on a shared VM thread', () => {}, 'pin_in_use', 'tuning.vcpu_pins[0]', [sharedOnNode1]],
  [
    'a shared pin on a dedicated VM thread',
    (s) => (s.cpu_policy = 'shared'),
    'pin_in_use',
    'tuning.vcpu_pins[0]',
    [{ ...sharedOnNode1, cpu_policy: 'dedicated' }],
  ],
  ['fewer pins than vCPUs', (s) => (s.vcpu_count = 6), 'pin_count_mismatch', 'tuning.vcpu_pins'],
  [
    'an offline emulator thread',
    (s) => (s.tuning.emulator_cpuset = '34-35,99'),
    'emulator_cpu_unknown',
    'tuning.emulator_cpuset',
  ],
  [
    'a backwards emulator range',
    (s) => (s.tuning.emulator_cpuset = '35-34'),
    'emulator_cpu_unknown',
    'tuning.emulator_cpuset',
  ],
  [
    'a pin on the other NUMA node',
    (s) => (s.tuning.vcpu_pins = pins(18, 54, 0, 36)),
    'numa_mismatch',
    'tuning.vcpu_pins[2]',
    [],
  ],
  [
    'a strict nodeset of two nodes',
    (s) => (s.tuning.numa_memory.nodeset = '0-1'),
    'numa_mismatch',
    'tuning.numa_memory.nodeset',
  ],
  [
    'an unknown NUMA node',
    (s) => (s.tuning.numa_memory.nodeset = '2'),
    'numa_node_unknown',
    'tuning.numa_memory.nodeset',
  ],
  ['more memory than the node has', (s) => (s.memory_mb = 131_073), 'insufficient_memory', 'memory_mb'],
  [
    'more memory than other VMs leave',
    (s) => (s.memory_mb = 8192),
    'insufficient_memory',
    'memory_mb',
    [{ ...slmHeavy, pins: [], numa_node: 1, memory_mb: 124_000 }],
  ],
  [
    'more memory than the host has (preferred mode)',
    (s) => {
      s.tuning.numa_memory.mode = 'preferred';
      s.memory_mb = 262_145;
    },
    'insufficient_memory',
    'memory_mb',
  ],
  ['a name already used', (s) => (s.name = slmHeavy.name), 'name_in_use', 'name', [slmHeavy]],
  [
    'a disk outside imagesDir',
    (s) => (s.disk_path = '/etc/probe.qcow2'),
    'path_outside_images_dir',
    'disk_path',
  ],
  [
    'a disk path with ..',
    (s) => (s.disk_path = `${imagesDir}/vm-dir/../probe.qcow2`),
    'path_outside_images_dir',
    'disk_path',
  ],
  [
    'a disk path climbing out with ..',
    (s) => (s.disk_path = `${imagesDir}/../probe.qcow2`),
    'path_outside_images_dir',
    'disk_path',
  ],
  [
    'a disk under a symlink to /etc',
    (s) => (s.disk_path = `${imagesDir}/etc-link/probe.qcow2`),
    'path_symlink_escape',
    'disk_path',
  ],
  [
    'a disk under a dangling symlink',
    (s) => (s.disk_path = `${imagesDir}/dangling-dir/probe.qcow2`),
    'path_symlink_escape',
    'disk_path',
  ],
  ['an existing disk', (s) => (s.disk_path = `${imagesDir}/taken.qcow2`), 'path_exists', 'disk_path'],
  [
    'a disk that is an existing symlink',
    (s) => (s.disk_path = `${imagesDir}/passwd-link.qcow2`),
    'path_symlink_escape',
    'disk_path',
  ],
  [
    'an existing seed ISO',
    (s) => (s.cloud_init_iso_path = `${imagesDir}/taken.iso`),
    'path_exists',
    'cloud_init_iso_path',
  ],
  [
    'a seed ISO under a symlink',
    (s) => (s.cloud_init_iso_path = `${imagesDir}/etc-link/x.iso`),
    'path_symlink_escape',
    'cloud_init_iso_path',
  ],
  [
    'an extra disk outside',
    (s) =>
      (s.extra_disks = [
        { path: `${imagesDir}/hot.qcow2`, size_gb: 1 },
        { path: '/tmp/cold.qcow2', size_gb: 1 },
      ]),
    'path_outside_images_dir',
    'extra_disks[1].path',
  ],
  [
    'an extra disk equal to the disk',
    (s) => (s.extra_disks = [{ path: s.disk_path, size_gb: 1 }]),
    'path_duplicate',
    'extra_disks[0].path',
  ],
  ['a disk equal to the base image', (s) => (s.disk_path = s.base_image_path), 'path_duplicate', 'disk_path'],
  [
    'a missing base image',
    (s) => (s.base_image_path = `${imagesDir}/nope.qcow2`),
    'base_image_missing',
    'base_image_path',
  ],
  [
    'a base image that is a directory',
    (s) => (s.base_image_path = `${imagesDir}/vm-dir`),
    'base_image_missing',
    'base_image_path',
  ],
  [
    'a base image outside',
    (s) => (s.base_image_path = '/etc/passwd'),
    'path_outside_images_dir',
    'base_image_path',
  ],
  [
    'a base image symlinked to /etc/passwd',
    (s) => (s.base_image_path = `${imagesDir}/passwd-link.qcow2`),
    'path_symlink_escape',
    'base_image_path',
  ],
];

describe('validateSpawn rules', () => {
  it('accepts the unedited probe beside seed VM1', () => {
    expect(() => validateSpawn(probe(), hostWith([slmHeavy]))).not.toThrow();
  });

  it.each(rules)('rejects %s', (_label, edit, code, field, vms = [slmHeavy]) => {
    const spec = probe();
    edit(spec);
    const err = thrown(() => validateSpawn(spec, hostWith(vms)));
    expect({ code: err.code, field: err.details?.field }).toEqual({ code, field });
    expect(err.message).toMatch(/^Cannot [a-z]+ .*[^.]$/);
  });

  it('lets a shared VM overlap another shared VM', () => {
    const spec = { ...probe(), cpu_policy: 'shared' as const };
    expect(() => validateSpawn(spec, hostWith([sharedOnNode1]))).not.toThrow();
  });

  it('accepts a base image from an allowedBaseDirs entry and refuses imagesDir when it is not listed', () => {
    const baseDir = mkdtempSync(path.join(tmpdir(), 'vmpool-validate-base-'));
    try {
      writeFileSync(path.join(baseDir, 'golden.qcow2'), 'base');
      const spec = { ...probe(), base_image_path: path.join(baseDir, 'golden.qcow2') };
      expect(() => validateSpawn(spec, hostWith([], { allowedBaseDirs: [baseDir] }))).not.toThrow();
      const err = thrown(() => validateSpawn(probe(), hostWith([], { allowedBaseDirs: [baseDir] })));
      expect(err.code).toBe('path_outside_images_dir');
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  });

  it('treats a thread listed in offline_cpus as not online', () => {
    const host = hostWith([], { topology: { ...seed003Topology(), offline_cpus: [19] } });
    expect(thrown(() => validateSpawn(probe(), host)).details?.field).toBe('tuning.vcpu_pins[2]');
  });

  it('serialises the field path on the wire', () => {
    const spec = probe();
    spec.tuning.vcpu_pins[3] = '70';
    const wire = thrown(() => validateSpawn(spec, hostWith())).toJSON();
    expect(wire).toMatchObject({
      name: 'SpawnValidationError',
      code: 'pin_host_reserved',
      field: 'tuning.vcpu_pins[3]',
    });
  });
});
