import { parseCpuList } from '../../shared/cpulist.js';
import type { SpawnSpec } from '../../shared/spec.js';
import { SpawnValidationError } from './errors.js';
import type { HostIndex, HostVm } from './host-view.js';

const PINS = 'tuning.vcpu_pins';

/** checkPinCount requires exactly one pin per vCPU. */
export function checkPinCount(spec: SpawnSpec): void {
  const n = spec.tuning.vcpu_pins.length;
  if (n === spec.vcpu_count) return;
  throw new SpawnValidationError(
    'pin_count_mismatch',
    PINS,
    `Cannot pin VM "${spec.name}": ${n} pins for ${spec.vcpu_count} vCPUs`,
    {
      details: { pins: n, vcpu_count: spec.vcpu_count },
    },
  );
}

/** checkPins requires every pin online, not host-reserved, and not taken by a VM it may not share with. */
export function checkPins(spec: SpawnSpec, host: HostIndex): void {
  const policy = spec.cpu_policy ?? 'dedicated';
  const owners = pinOwners(host.view.vms);
  const seen = new Set<number>();
  spec.tuning.vcpu_pins.forEach((text, i) => {
    const id = Number(text);
    const field = `${PINS}[${i}]`;
    const fail = (
      code: 'pin_not_online' | 'pin_host_reserved' | 'pin_in_use' | 'pin_duplicate',
      why: string,
      extra = {},
    ) =>
      new SpawnValidationError(code, field, `Cannot pin VM "${spec.name}" to thread ${id}: ${why}`, {
        details: { thread: id, ...extra },
      });
    if (!host.nodeOfThread.has(id)) throw fail('pin_not_online', 'not an online thread of this host');
    if (host.reserved.has(id)) throw fail('pin_host_reserved', 'reserved for the host and emulator');
    if (policy === 'dedicated' && seen.has(id))
      throw fail('pin_duplicate', 'listed twice for a dedicated VM');
    seen.add(id);
    const clash = owners.get(id)?.find((vm) => policy === 'dedicated' || vm.cpu_policy === 'dedicated');
    if (clash)
      throw fail('pin_in_use', `already pinned by VM "${clash.name}"`, {
        vm: clash.name,
        vm_id: clash.vm_id,
      });
  });
}

/** checkEmulatorCpus requires every emulator_cpuset thread to be online. */
export function checkEmulatorCpus(spec: SpawnSpec, host: HostIndex): void {
  const field = 'tuning.emulator_cpuset';
  let ids: number[];
  try {
    ids = parseCpuList(spec.tuning.emulator_cpuset);
  } catch (err) {
    throw new SpawnValidationError(
      'emulator_cpu_unknown',
      field,
      `Cannot pin emulator of VM "${spec.name}": bad cpu list`,
      {
        cause: err,
      },
    );
  }
  const unknown = ids.filter((id) => !host.nodeOfThread.has(id));
  if (ids.length > 0 && unknown.length === 0) return;
  const why = ids.length === 0 ? 'empty cpu list' : `threads ${unknown.join(',')} are not online`;
  throw new SpawnValidationError(
    'emulator_cpu_unknown',
    field,
    `Cannot pin emulator of VM "${spec.name}": ${why}`,
    {
      details: { threads: unknown },
    },
  );
}

function pinOwners(vms: readonly HostVm[]): Map<number, HostVm[]> {
  const owners = new Map<number, HostVm[]>();
  for (const vm of vms) for (const pin of vm.pins) owners.set(pin, [...(owners.get(pin) ?? []), vm]);
  return owners;
}
