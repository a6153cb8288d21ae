import { z } from 'zod';

/** TenantCreateSchema is the body of POST /v1/tenants. */
export const TenantCreateSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/),
  quota: z.strictObject({
    vcpus: z.number().int().min(0).max(1_000_000),
    memory_mb: z.number().int().min(0).max(1_000_000_000),
    vms: z.number().int().min(0).max(100_000),
  }),
});

/** TenantCreateBody is a validated POST /v1/tenants body. */
export type TenantCreateBody = z.infer<typeof TenantCreateSchema>;

/** Tenant is one row of GET /v1/tenants (the token is never listed). */
export interface Tenant {
  id: string;
  name: string;
  quota: { vcpus: number; memory_mb: number; vms: number };
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
