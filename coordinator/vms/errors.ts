import { VmpoolError } from '../../shared/errors.js';
import type { PassReport } from '../placement/types.js';

/** VmError covers VM API failures that are not validation, quota or store errors. */
export class VmError extends VmpoolError {
  constructor(
    code:
      | 'not_found'
      | 'name_in_use'
      | 'idempotency_key_reused'
      | 'spawn_failed'
      | 'image_not_found'
      | 'conflict'
      | 'forbidden',
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'VmError';
  }
}

/** NoCapacityError is a failed placement; it carries every node's reasons per pass (409 no_capacity). */
export class NoCapacityError extends VmpoolError {
  constructor(readonly passes: PassReport[]) {
    const nodes = new Set(passes.flatMap((p) => p.rejected.map((r) => r.node_id))).size;
    super(
      'no_capacity',
      `Cannot place VM: no node fits (${nodes} node${nodes === 1 ? '' : 's'} considered)`,
      {
        details: { passes },
        retryable: true,
      },
    );
    this.name = 'NoCapacityError';
  }
}
