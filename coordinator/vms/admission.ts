import { createHash } from 'node:crypto';
import { allocate, type BandConfig, checkName, findBand } from '../bands/index.js';
import { idempotencyKey, type StoreState, type VmRecord } from '../store/index.js';
import type { VmIndex } from '../claims/vm-index.js';
import { checkQuota } from '../tenants/index.js';
import { VmError } from './errors.js';
import type { CreateVmRequest } from './schema.js';

/** admit checks the tenant exists, the name is free in its namespace and the quota has room (index: O(1)). */
export function admit(state: StoreState, tenantId: string, req: CreateVmRequest, index?: VmIndex): void {
  const tenant = Object.hasOwn(state.tenants, tenantId) ? state.tenants[tenantId] : undefined;
  if (!tenant) throw new VmError('not_found', 'Cannot find tenant');
  if (index) {
    if (index.nameTaken(tenantId, req.name))
      throw new VmError('name_in_use', 'Cannot create VM: the name is in use');
    checkQuota(tenant, index.tenantUsage(tenantId), req);
    return;
  }
  const own = Object.values(state.vms).filter((v) => v.tenant === tenantId);
  if (own.some((v) => v.name === req.name))
    throw new VmError('name_in_use', 'Cannot create VM: the name is in use');
  checkQuota(tenant, own, req);
}

const GIB = 1024 ** 3;

/** checkDiskSize refuses a disk smaller than the base image's virtual size, naming both, before anything is made. */
export function checkDiskSize(req: CreateVmRequest, imageBytes: number | undefined): void {
  if (imageBytes === undefined || req.disk_size_gb * GIB >= imageBytes) return;
  const imageGb = Math.ceil((imageBytes / GIB) * 100) / 100;
  throw new VmError(
    'disk_too_small',
    `Cannot create VM: disk_size_gb ${req.disk_size_gb} is smaller than image "${req.image}" (${imageGb} GiB)`,
    { details: { disk_size_gb: req.disk_size_gb, image: req.image, image_size_bytes: imageBytes } },
  );
}

/** allocateVmid picks the VMID (asked for, or the band's next free one) and checks the band's name rule. */
export function allocateVmid(bands: BandConfig, state: StoreState, req: CreateVmRequest, index?: VmIndex) {
  const used = index ? index.usedVmids() : new Set(Object.values(state.vms).map((v) => v.vmid));
  const alloc = allocate(
    bands,
    used,
    {
      ...(req.vmid_band !== undefined ? { band: req.vmid_band } : {}),
      ...(req.vmid !== undefined ? { vmid: req.vmid } : {}),
    },
    index ? (from, to) => index.firstFree(from, to) : undefined,
  );
  const band = alloc.band === undefined ? undefined : findBand(bands, alloc.band);
  if (band) checkName(band, req.name);
  return { vmid: alloc.vmid, band };
}

/** findIdempotent returns the VM an Idempotency-Key already created; the same key with another body is refused. */
export function findIdempotent(
  state: StoreState,
  tenantId: string,
  req: CreateVmRequest,
  key: string | undefined,
): VmRecord | null {
  if (!key) return null;
  const rec = state.idempotency[idempotencyKey(tenantId, key)];
  if (!rec) return null;
  if (rec.request_hash !== hashRequest(req)) {
    throw new VmError(
      'idempotency_key_reused',
      'Cannot reuse Idempotency-Key: it was used with a different body',
    );
  }
  return state.vms[rec.vm_id] ?? null;
}

/** hashRequest fingerprints a validated create body for Idempotency-Key reuse checks. */
export function hashRequest(req: CreateVmRequest): string {
  return createHash('sha256').update(JSON.stringify(req)).digest('hex');
}
