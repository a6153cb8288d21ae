import { VmpoolError } from '../../../shared/errors.js';
import { formatCpuList, parseCpuList } from '../../../shared/cpulist.js';
import type { SpawnSpec } from '../../../shared/spec.js';
import type { Hypervisor } from './hypervisor.js';

/** PinMismatchError says libvirt applied different pinning than the spec asked for. */
export class PinMismatchError extends VmpoolError {
  constructor(name: string, what: string, want: string, got: string) {
    super('pin_mismatch', `Cannot confirm pinning of VM "${name}": ${what} is ${got}, spec says ${want}`, {
      details: { field: what, want, got },
    });
    this.name = 'PinMismatchError';
  }
}

/** verifyPinning reads vCPU pins, emulator pins and NUMA tuning back from libvirt and compares them to the spec. */
export async function verifyPinning(hv: Hypervisor, spec: SpawnSpec): Promise<void> {
  const pins = await hv.vcpuPins(spec.name);
  spec.tuning.vcpu_pins.forEach((want, i) => {
    const got = formatCpuList(pins[i] ?? []);
    if (got !== want) throw new PinMismatchError(spec.name, `vcpu ${i} pin`, want, got || '(none)');
  });
  const emulator = formatCpuList(await hv.emulatorPin(spec.name));
  const wantEmu = formatCpuList(parseCpuList(spec.tuning.emulator_cpuset));
  if (emulator !== wantEmu)
    throw new PinMismatchError(spec.name, 'emulator pin', wantEmu, emulator || '(none)');
  const numa = await hv.numaTune(spec.name);
  const wantNodes = formatCpuList(parseCpuList(spec.tuning.numa_memory.nodeset));
  if (numa.mode !== spec.tuning.numa_memory.mode || formatCpuList(parseCpuList(numa.nodeset)) !== wantNodes) {
    throw new PinMismatchError(
      spec.name,
      'numa memory',
      `${spec.tuning.numa_memory.mode} ${wantNodes}`,
      `${numa.mode} ${numa.nodeset}`,
    );
  }
}
