import { VmpoolError } from '../../shared/errors.js';
import type { TenantRecord, VmRecord } from '../store/types.js';

/** QuotaResource names the three capped resources. */
export type QuotaResource = 'vcpus' | 'memory_mb' | 'vms' | 'disk_gb';

/** QuotaError is a create refused by the tenant's quota (HTTP 403 `quota_exceeded`). */
export class QuotaError extends VmpoolError {
  constructor(
    tenant: string,
    details: { resource: QuotaResource; limit: number; used: number; requested: number },
  ) {
    super(
      'quota_exceeded',
      `Cannot create VM for tenant "${tenant}": ${details.resource} quota exceeded (limit ${details.limit}, used ${details.used}, requested ${details.requested})`,
      { details },
    );
    this.name = 'QuotaError';
  }
}

/** QuotaRequest is what a new VM asks for (disks from the create body: root + extra disks). */
export interface QuotaRequest {
  vcpu_count: number;
  memory_mb: number;
  disk_size_gb?: number;
  extra_disks?: readonly { size_gb: number }[];
}

/** VmUsage is what one VM counts against quota. */
export interface VmUsage {
  vcpu_count: number;
  memory_mb: number;
  disk_gb: number;
}

/** diskGb is a create body's disk total: root plus every extra disk. */
export function diskGb(req: Partial<Record<'disk_size_gb' | 'extra_disks', unknown>>): number {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const extra = Array.isArray(req.extra_disks) ? req.extra_disks : [];
  return (
    num(req.disk_size_gb) + extra.reduce((a: number, d: { size_gb?: unknown }) => a + num(d?.size_gb), 0)
  );
}

/** vmUsage is what a VM counts against quota: its placement, else its create request; disks from the request. */
export function vmUsage(vm: VmRecord): VmUsage {
  const req = (vm.request ?? {}) as Partial<
    Record<'vcpu_count' | 'memory_mb' | 'disk_size_gb' | 'extra_disks', unknown>
  >;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const disk_gb = diskGb(req);
  if (vm.placement)
    return { vcpu_count: vm.placement.vcpu_count, memory_mb: vm.placement.memory_mb, disk_gb };
  return { vcpu_count: num(req.vcpu_count), memory_mb: num(req.memory_mb), disk_gb };
}

/** TenantUsage is what a tenant's VMs hold in total. */
export interface TenantUsage {
  vms: number;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

/** tenantUsage sums what the VMs count against quota. */
export function tenantUsage(vms: readonly VmRecord[]): TenantUsage {
  const usage = { vms: 0, vcpus: 0, memory_mb: 0, disk_gb: 0 };
  for (const vm of vms) addUsage(usage, vm, 1);
  return usage;
}

/** addUsage adds (sign 1) or removes (sign -1) one VM's usage, for indexes kept incrementally. */
export function addUsage(usage: TenantUsage, vm: VmRecord, sign: 1 | -1): void {
  const u = vmUsage(vm);
  usage.vms += sign;
  usage.vcpus += sign * u.vcpu_count;
  usage.memory_mb += sign * u.memory_mb;
  usage.disk_gb += sign * u.disk_gb;
}

/** checkQuota throws QuotaError when adding request to the tenant's live VMs (or their usage) would pass a limit. */
export function checkQuota(
  tenant: TenantRecord,
  vmsOfTenant: readonly VmRecord[] | TenantUsage,
  request: QuotaRequest,
): void {
  // every record counts: a create that failed is deleted outright, and a crashed guest keeps its
  // domain and threads until it is destroyed
  const usage = Array.isArray(vmsOfTenant)
    ? tenantUsage(vmsOfTenant.filter((vm: VmRecord) => vm.tenant === tenant.id))
    : (vmsOfTenant as TenantUsage);
  const checks: [QuotaResource, number, number][] = [
    ['vms', usage.vms, 1],
    ['vcpus', usage.vcpus, request.vcpu_count],
    ['memory_mb', usage.memory_mb, request.memory_mb],
    ['disk_gb', usage.disk_gb, diskGb(request)],
  ];
  for (const [resource, inUse, requested] of checks) {
    const limit = tenant.quota[resource];
    if (limit === undefined) continue; // a tenant made before disk quotas: no disk cap
    if (inUse + requested > limit)
      throw new QuotaError(tenant.id, { resource, limit, used: inUse, requested });
  }
}

/**
 * checkQuotaCovers refuses a new quota below the tenant's current usage with quota_below_usage,
 * naming each limit it would break (an admin may force it instead).
 */
export function checkQuotaCovers(
  tenant: TenantRecord,
  quota: TenantRecord['quota'],
  usage: TenantUsage,
): void {
  const over = (['vms', 'vcpus', 'memory_mb', 'disk_gb'] as const)
    .filter((k) => quota[k] !== undefined && usage[k] > quota[k]!)
    .map((k) => `${k} ${quota[k]} < ${usage[k]} in use`);
  if (over.length)
    throw new VmpoolError(
      'quota_below_usage',
      `Cannot lower the quota of tenant "${tenant.name}" below what it uses (${over.join(', ')}): destroy VMs first, or send "force": true to set it anyway (its creates are then refused until usage drops)`,
    );
}
