import { z } from 'zod';

/** DEFAULT_DISK_QUOTA_GB is a new tenant's disk ceiling when the admin names none (10 TiB). */
export const DEFAULT_DISK_QUOTA_GB = 10_240;

/** TenantCreateSchema is the body of POST /v1/tenants. */
export const TenantCreateSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/),
  quota: z.strictObject({
    vcpus: z.number().int().min(0).max(1_000_000),
    memory_mb: z.number().int().min(0).max(1_000_000_000),
    vms: z.number().int().min(0).max(100_000),
    /** disk_gb caps root + extra disks over all the tenant's VMs (default 10 TiB) */
    disk_gb: z.number().int().min(0).max(100_000_000).default(DEFAULT_DISK_QUOTA_GB),
  }),
});

/** TenantCreateBody is a validated POST /v1/tenants body. */
export type TenantCreateBody = z.input<typeof TenantCreateSchema>;

/** Tenant is one row of GET /v1/tenants (the token is never listed). */
export interface Tenant {
  id: string;
  name: string;
  quota: { vcpus: number; memory_mb: number; vms: number; disk_gb?: number };
  created_at: string;
}

/** TenantCreated is the answer to POST /v1/tenants: the tenant and its token, shown this once. */
export interface TenantCreated extends Tenant {
  token: string;
}

/** TenantList is GET /v1/tenants. */
export interface TenantList {
  tenants: Tenant[];
}

/** TenantUpdateSchema is the body of PATCH /v1/tenants/{id}: a new name, a new quota, or both. */
export const TenantUpdateSchema = z
  .strictObject({
    name: TenantCreateSchema.shape.name.optional(),
    quota: TenantCreateSchema.shape.quota.optional(),
    /** force sets a quota below what the tenant uses now (its new creates are then refused until usage drops) */
    force: z.boolean().optional(),
  })
  .refine((b) => b.name !== undefined || b.quota !== undefined, 'give name, quota or both');

/** TenantIdParamSchema is the `{id}` of /v1/tenants/{id}. */
export const TenantIdParamSchema = z.strictObject({
  id: z.string().regex(/^t[0-9a-f]{8,32}$/, 'must be a tenant id'),
});

/** TokenRotateSchema is the body of POST /v1/tenants/{id}/token: how long the old token still works. */
export const TokenRotateSchema = z.strictObject({
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(3600),
});

/** TokenRotated answers a rotation: the new token (shown once) and when the old one stops working. */
export interface TokenRotated {
  token: string;
  old_token_valid_until: string;
}

/** TenantUsage is what a tenant's VMs hold against its quota. */
export interface TenantUsage {
  vcpus: number;
  memory_mb: number;
  vms: number;
  disk_gb: number;
}

/** TenantSelf is GET /v1/tenant (the caller's own) and GET /v1/tenants/{id} (admin): quota and usage. */
export interface TenantSelf extends Tenant {
  usage: TenantUsage;
}

/** TenantUpdateBody is a PATCH /v1/tenants/{id} body as a client sends it. */
export type TenantUpdateBody = z.input<typeof TenantUpdateSchema>;
