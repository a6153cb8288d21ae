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

/** NoCapacityError is a failed placement; it carries every node's reasons per pass (409 no_capacity). */
export class NoCapacityError extends VmpoolError {
  constructor(
    readonly passes: PassReport[],
    readonly shortfall?: Shortfall,
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
}
