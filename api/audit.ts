import { z } from 'zod';
import { IdParamSchema, limitQuerySchema } from './query.js';

/** AUDIT_LIMIT_MAX caps how many entries one GET /v1/audit returns. */
export const AUDIT_LIMIT_MAX = 10_000;

/** SeqQuerySchema reads an audit sequence number (a whole number) from a query string. */
const SeqQuerySchema = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().nonnegative());

/**
 * AuditQuerySchema is GET /v1/audit's query: the newest `limit` entries, optionally one tenant's or
 * one VM's, with seq above `since` and below `before` (page back with `before` = the last seq shown).
 */
export const AuditQuerySchema = z.strictObject({
  limit: limitQuerySchema(AUDIT_LIMIT_MAX, 100),
  tenant: IdParamSchema.optional(),
  vm: IdParamSchema.optional(),
  since: SeqQuerySchema.optional(),
  before: SeqQuerySchema.optional(),
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
  | {
      ok: false;
      line: number;
      reason: string /** the segment file, once the log has rotated */;
      file?: string;
    };
