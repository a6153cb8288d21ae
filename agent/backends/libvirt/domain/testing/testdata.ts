import { seed003Specs } from '../../../../../test/fixtures/seed003.js';
import { parseCpuList } from '../../../../../shared/cpulist.js';
import { type SpawnSpec, SpawnSpecSchema } from '../../../../../shared/spec.js';
import type { DomainContext } from '../xml.js';

/** seedVm1Spec is seed 003's VM1 (k3s-worker-slm-heavy) spec, parsed by the real schema; for tests and demos. */
export function seedVm1Spec(overrides: Partial<SpawnSpec> = {}): SpawnSpec {
  return SpawnSpecSchema.parse({ ...seed003Specs()[0], ...overrides });
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
