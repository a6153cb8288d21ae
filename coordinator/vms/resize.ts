import type { ResizeBody } from '../../api/lifecycle.js';
import type { ClaimBook } from '../claims/claim-book.js';
import type { Placer } from '../placer/placer.js';
import type { VmRecord } from '../store/index.js';
import { checkQuota } from '../tenants/index.js';
import { NoCapacityError, VmError } from './errors.js';
import type { CreateVmRequest } from './schema.js';
import type { Spawner } from './spawner.js';

/** ResizeDeps are the parts a resize goes through: claims (record + event), placer, the node link. */
export interface ResizeDeps {
  claims: ClaimBook;
  placer: Placer;
  spawner: Spawner;
}

/**
 * resizeVm changes a stopped VM's vCPUs, memory and root disk (grow only). Order: refuse what is
 * wrong (state, shrink, quota), re-place on the VM's own node with the real placement (its own claim
 * taken out), have the node redefine the domain, then record the new claim (vm.resized: audited,
 * logged, on the bus). The node checks the new pins against its own VMs too, so a create racing
 * between placement and the record is refused there (pin_in_use) rather than double-booked.
 */
export async function resizeVm(
  d: ResizeDeps,
  vm: VmRecord,
  ask: ResizeBody,
  opts: { source: string; requestId: string },
): Promise<VmRecord> {
  if (vm.state !== 'stopped' || !vm.node_id || !vm.placement)
    throw new VmError(
      'conflict',
      `Cannot resize VM "${vm.name}": it is ${vm.state}; stop it first (sizes change only while stopped)`,
    );
  const req = vm.request as CreateVmRequest;
  const next = {
    vcpu_count: ask.vcpu_count ?? vm.placement.vcpu_count,
    memory_mb: ask.memory_mb ?? vm.placement.memory_mb,
    disk_size_gb: ask.disk_size_gb ?? req.disk_size_gb,
  };
  if (next.disk_size_gb < req.disk_size_gb)
    throw new VmError(
      'disk_shrink_refused',
      `Cannot resize VM "${vm.name}": disks only grow (${req.disk_size_gb} GiB now, ${next.disk_size_gb} GiB asked)`,
      { details: { disk_size_gb: req.disk_size_gb, requested: next.disk_size_gb } },
    );
  checkResizeQuota(d.claims, vm, { ...next, extra_disks: req.extra_disks ?? [] });
  const placed = d.placer.placeWithin(vm.id, vm.node_id, { ...req, ...next }, vm.tenant);
  if (!placed.ok) throw new NoCapacityError(placed.passes, placed.shortfall);
  const dec = placed.decision;
  await d.spawner.resizeOnNode(
    vm,
    {
      vm_id: vm.id,
      ...next,
      vcpu_pins: dec.vcpu_pins,
      // a NUMA node without host-reserved threads keeps the emulator on the VM's own threads
      emulator_cpuset: dec.emulator_cpuset.length ? dec.emulator_cpuset : dec.vcpu_pins,
      numa_node: dec.numa_node,
    },
    opts.requestId,
  );
  return d.claims.resized(vm.id, { ...next, decision: dec }, opts.source, opts.requestId);
}

/** checkResizeQuota checks the tenant's quota with this VM counted at its new sizes (admin-adopted VMs have none). */
function checkResizeQuota(
  claims: ClaimBook,
  vm: VmRecord,
  next: {
    vcpu_count: number;
    memory_mb: number;
    disk_size_gb: number;
    extra_disks: readonly { size_gb: number }[];
  },
): void {
  const state = claims.state();
  const tenant = Object.hasOwn(state.tenants, vm.tenant) ? state.tenants[vm.tenant] : undefined;
  if (!tenant) return;
  const others = Object.values(state.vms).filter((v) => v.tenant === vm.tenant && v.id !== vm.id);
  checkQuota(tenant, others, next);
}
