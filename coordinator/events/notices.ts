import type { EventBus } from './bus.js';

/** QuotaRefusal is what a quota error says: which resource, its limit, what was used and asked. */
export interface QuotaRefusal {
  resource: string;
  limit: number;
  used: number;
  requested: number;
}

/**
 * Notices emits the events that change no record: a quota refusal and a failed audit verify. The
 * claim book and the registry emit every state change; these two are refusals and findings, seen by
 * neither, yet webhooks must be able to deliver them (seed 004). This file is the one sanctioned
 * third emitter (coordinator/architecture.test.ts names it); add nothing that changes state here.
 */
export class Notices {
  constructor(private readonly bus: EventBus) {}

  /** quotaRejected reports a create or resize the tenant's quota refused. */
  quotaRejected(tenantId: string, r: QuotaRefusal, requestId?: string): Promise<void> {
    return this.bus.emit({
      type: 'quota.rejected',
      node_id: null,
      tenant_id: tenantId,
      ...r,
      ...(requestId ? { request_id: requestId } : {}),
    });
  }

  /** auditVerifyFailed reports a broken audit chain (the line and why). */
  auditVerifyFailed(line: number, reason: string): Promise<void> {
    return this.bus.emit({ type: 'audit.verify_failed', node_id: null, line, reason });
  }
}
