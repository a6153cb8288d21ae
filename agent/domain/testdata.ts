import { parseCpuList } from '../../shared/cpulist.js';
import { type SpawnSpec, SpawnSpecSchema } from '../../shared/spec.js';
import type { DomainContext } from './xml.js';

/** seedVm1Spec is seed 003's VM1 (k3s-worker-slm-heavy) spec, parsed by the real schema; for tests and demos. */
export function seedVm1Spec(overrides: Partial<SpawnSpec> = {}): SpawnSpec {
  const pins: string[] = [];
  for (let core = 0; core < 16; core++) pins.push(String(core), String(core + 36));
  return SpawnSpecSchema.parse({
    name: 'k3s-worker-slm-heavy',
    vcpu_count: 32,
    memory_mb: 120832,
    disk_path: '/var/lib/libvirt/images/slm-heavy.qcow2',
    disk_size_gb: 40,
    base_image_path: '/var/lib/libvirt/images/base.qcow2',
    bridge_network_interface: 'br0',
    cloud_init_iso_path: '/var/lib/libvirt/images/slm-heavy-cloud-init.iso',
    tuning: {
      vcpu_pins: pins,
      emulator_cpuset: '16-17,52-53',
      numa_memory: { nodeset: '0', mode: 'strict' },
    },
    user_configs: [{ username: 'admin', ssh_authorized_keys: ['ssh-rsa AAAAB3NzaC1yc2E... user@host'] }],
    ...overrides,
  });
}

/** contextFor derives a DomainContext from a spec's own tuning, as the agent does after its checks. */
export function contextFor(spec: SpawnSpec, overrides: Partial<DomainContext> = {}): DomainContext {
  return {
    kvm: true,
    vmId: 'vm-0001',
    pins: spec.tuning.vcpu_pins.map(Number),
    emulatorCpus: parseCpuList(spec.tuning.emulator_cpuset),
    bridgeExists: true,
    threadsPerCore: 2,
    ...overrides,
  };
}
