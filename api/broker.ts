import { z } from 'zod';

/** IntrospectRequestSchema is the body of the coordinator's POST /v1/tokens/introspect (broker credential). */
export const IntrospectRequestSchema = z.strictObject({ token: z.string().min(1).max(512) });

/** IntrospectResult answers introspection: active with the tenant, or not active (unknown or revoked). */
export type IntrospectResult = { active: true; tenant_id: string; tenant_name: string } | { active: false };

/** ModelTotals is one tenant's consumption of one model over a billing period. */
export interface ModelTotals {
  requests: number;
  usage_unknown: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** TenantTotals is one tenant's consumption over the period: totals and the same split by model. */
export interface TenantTotals extends ModelTotals {
  tenant: string;
  models: Record<string, ModelTotals>;
}

/** Reconciliation is the broker's GET /v1/billing/reconciliation (and /v1/usage) answer. */
export interface Reconciliation {
  from: string;
  to: string;
  tenant: string | null;
  records: number;
  tenants: TenantTotals[];
  /** checksum is sha256 over the summed records' canonical lines sorted by (ended_at, request_id) */
  checksum: string;
}

/** ReconcileQuerySchema is the query of the reconciliation endpoint: from/to ISO instants, optional tenant. */
export const ReconcileQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
});
