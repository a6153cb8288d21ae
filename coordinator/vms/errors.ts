import { VmpoolError } from '../../shared/errors.js';
import type { PassReport, Shortfall } from '../placement/types.js';

/** VmError covers VM API failures that are not validation, quota or store errors. */
export class VmError extends VmpoolError {
  constructor(
    code:
      | 'not_found'
      | 'name_in_use'
      | 'idempotency_key_reused'
      | 'spawn_failed'
      | 'image_not_found'
      | 'disk_too_small'
      | 'conflict'
      | 'ambiguous'
      | 'forbidden'
      | 'invalid_cursor'
      | 'disk_shrink_refused'
      | 'spawn_outcome_unknown'
      | 'guest_not_ready',
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'VmError';
  }
}

function countOf(p: PassReport): number {
  return p.candidate_count + Object.values(p.reasons).reduce((a: number, b) => a + (b ?? 0), 0);
}

/**
 * NoCapacityError is a failed placement; it carries every node's reasons per pass (409 no_capacity)
 * for the admin and logs, and `tenantReason`, the one sentence a tenant is shown instead (forTenant).
 */
export class NoCapacityError extends VmpoolError {
  constructor(
    readonly passes: PassReport[],
    readonly shortfall?: Shortfall,
    readonly tenantReason?: string,
  ) {
    const nodes = Math.max(0, ...passes.map((p) => countOf(p)));
    super(
      'no_capacity',
      `Cannot place VM: no node fits (${nodes} node${nodes === 1 ? '' : 's'} considered)`,
      {
        details: { passes, ...(shortfall ? { shortfall } : {}) },
        retryable: true,
      },
    );
    this.name = 'NoCapacityError';
  }

  /** forTenant is the refusal without node ids, free threads, pins or counts that show occupancy. */
  forTenant(): VmpoolError {
    const reason = this.tenantReason ?? 'no capacity for this VM right now';
    return new VmpoolError('no_capacity', `Cannot place VM: ${reason}`, {
      details: { shortfall: this.shortfall ?? 'no_room_now', reason },
      retryable: true,
    });
  }
}
