import { z } from 'zod';
import { IdParamSchema, limitQuerySchema } from './query.js';

/** AUDIT_LIMIT_MAX caps how many entries one GET /v1/audit returns. */
export const AUDIT_LIMIT_MAX = 10_000;

/** AuditQuerySchema is GET /v1/audit's query: how many entries, optionally one tenant's. */
export const AuditQuerySchema = z.strictObject({
  limit: limitQuerySchema(AUDIT_LIMIT_MAX, 100),
  tenant: IdParamSchema.optional(),
});

/** AuditQuery is a parsed GET /v1/audit query. */
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

/** AuditEntryView is one line of the audit log as GET /v1/audit shows it. */
export interface AuditEntryView {
  seq: number;
  ts: string;
  tenant: string | null;
  vm: string | null;
  op: string;
  source: string;
  /** result is 'ok' or the stable error code the operation failed with */
  result: string;
  prev_hash: string;
  hash: string;
}

/** AuditList is GET /v1/audit. */
export interface AuditList {
  entries: AuditEntryView[];
}

/** AuditVerdict is GET /v1/audit/verify: entries checked and the head hash, or the first bad line. */
export type AuditVerdict =
  | { ok: true; entries: number; head_hash: string }
  | { ok: false; line: number; reason: string };
