import { VmpoolError } from '../../shared/errors.js';
import type { PassReport, PlacementRequest } from './types.js';

/** PlacementErrorCode is the stable code of a PlacementError. */
export type PlacementErrorCode = 'invalid_placement_request' | 'no_capacity';

/** PlacementError is placement's one error class: a malformed request, or no node fits. */
export class PlacementError extends VmpoolError {
  declare readonly code: PlacementErrorCode;

  constructor(
    code: PlacementErrorCode,
    message: string,
    opts: { retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, opts);
    this.name = 'PlacementError';
  }
}

/** noCapacityError turns a failed placement into an error carrying every pass's per-node reasons. */
export function noCapacityError(request: PlacementRequest, passes: PassReport[]): PlacementError {
  const summary = passes
    .map((p) =>
      p.ran ? `pass ${p.pass}: ${p.rejected.length} nodes rejected` : `pass ${p.pass} did not run`,
    )
    .join('; ');
  return new PlacementError(
    'no_capacity',
    `Cannot place VM ${JSON.stringify(request.vm_id)}: no node fits (${summary})`,
    {
      retryable: true,
      details: { passes },
    },
  );
}

/** invalidRequestError reports a request or config placement cannot work with. */
export function invalidRequestError(request: PlacementRequest, detail: string): PlacementError {
  return new PlacementError(
    'invalid_placement_request',
    `Cannot place VM ${JSON.stringify(request.vm_id)}: ${detail}`,
  );
}
