import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
      for (const t of [id, id + 36]) cpus.push({ id: t, core_id: core, socket_id: socket, siblings: [id, id + 36] });
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

const emulatorNode0 = '16-17,52-53';
const emulatorNode1 = '34-35,70-71';
const hostReservedCpus = parseCpuList(`${emulatorNode0},${emulatorNode1}`);

// The four seed-003 VM specs, copied verbatim; only /var/lib/libvirt/images becomes the temp imagesDir.
const SEED_003_SPECS_JSON = String.raw`[
  {
    "name": "k3s-worker-slm-heavy",
    "vcpu_count": 32,
    "memory_mb": 120832,
    "disk_path": "/var/lib/libvirt/images/slm-heavy.qcow2",
    "disk_size_gb": 40,
    "base_image_path": "/var/lib/libvirt/images/base.qcow2",
    "bridge_network_interface": "br0",
    "cloud_init_iso_path": "/var/lib/libvirt/images/slm-heavy-cloud-init.iso",
    "tuning": {
      "vcpu_pins": [
        "0",
        "36",
        "1",
        "37",
        "2",
        "38",
        "3",
        "39",
        "4",
        "40",
        "5",
        "41",
        "6",
        "42",
        "7",
        "43",
        "8",
        "44",
        "9",
        "45",
        "10",
        "46",
        "11",
        "47",
        "12",
        "48",
        "13",
        "49",
        "14",
        "50",
        "15",
        "51"
      ],
      "emulator_cpuset": "16-17,52-53",
      "numa_memory": {
        "nodeset": "0",
        "mode": "strict"
      }
    },
    "user_configs": [
      {
        "username": "admin",
        "ssh_authorized_keys": [
          "ssh-rsa AAAAB3NzaC1yc2E... user@host"
        ]
      }
    ]
  },
  {
    "name": "k3s-worker-data",
    "vcpu_count": 12,
    "memory_mb": 61440,
    "disk_path": "/var/lib/libvirt/images/data.qcow2",
    "disk_size_gb": 40,
    "base_image_path": "/var/lib/libvirt/images/base.qcow2",
    "bridge_network_interface": "br0",
    "cloud_init_iso_path": "/var/lib/libvirt/images/data-cloud-init.iso",
    "tuning": {
      "vcpu_pins": [
        "18",
        "54",
        "19",
        "55",
        "20",
        "56",
        "21",
        "57",
        "22",
        "58",
        "23",
        "59"
      ],
      "emulator_cpuset": "34-35,70-71",
      "numa_memory": {
        "nodeset": "1",
        "mode": "strict"
      }
    },
    "user_configs": [
      {
        "username": "admin",
        "ssh_authorized_keys": [
          "ssh-rsa AAAAB3NzaC1yc2E... user@host"
        ]
      }
    ]
  },
  {
    "name": "k3s-worker-slm",
    "vcpu_count": 8,
    "memory_mb": 32768,
    "disk_path": "/var/lib/libvirt/images/slm.qcow2",
    "disk_size_gb": 40,
    "base_image_path": "/var/lib/libvirt/images/base.qcow2",
    "bridge_network_interface": "br0",
    "cloud_init_iso_path": "/var/lib/libvirt/images/slm-cloud-init.iso",
    "tuning": {
      "vcpu_pins": [
        "24",
        "60",
        "25",
        "61",
        "26",
        "62",
        "27",
        "63"
      ],
      "emulator_cpuset": "34-35,70-71",
      "numa_memory": {
        "nodeset": "1",
        "mode": "strict"
      }
    },
    "user_configs": [
      {
        "username": "admin",
        "ssh_authorized_keys": [
          "ssh-rsa AAAAB3NzaC1yc2E... user@host"
        ]
      }
    ]
  },
  {
    "name": "k3s-server-tasks",
    "vcpu_count": 12,
    "memory_mb": 24576,
    "disk_path": "/var/lib/libvirt/images/tasks.qcow2",
    "disk_size_gb": 40,
    "base_image_path": "/var/lib/libvirt/images/base.qcow2",
    "bridge_network_interface": "br0",
    "cloud_init_iso_path": "/var/lib/libvirt/images/tasks-cloud-init.iso",
    "tuning": {
      "vcpu_pins": [
        "28",
        "64",
        "29",
        "65",
        "30",
        "66",
        "31",
        "67",
        "32",
        "68",
        "33",
        "69"
      ],
      "emulator_cpuset": "34-35,70-71",
      "numa_memory": {
        "nodeset": "1",
        "mode": "strict"
      }
    },
    "user_configs": [
      {
        "username": "admin",
        "ssh_authorized_keys": [
          "ssh-rsa AAAAB3NzaC1yc2E... user@host"
        ]
      }
    ]
  }
]`;
const seedSpecs: SpawnSpec[] = JSON.parse(SEED_003_SPECS_JSON.replaceAll('/var/lib/libvirt/images', imagesDir)).map(
  (raw: unknown) => SpawnSpecSchema.parse(raw),
);

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
