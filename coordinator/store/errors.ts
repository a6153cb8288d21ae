import { VmpoolError } from '../../shared/errors.js';

/** StoreErrorCode: store_write_failed, store_corrupt, store_not_loaded; the etcd store adds no_quorum, fenced, not_leader. */
export type StoreErrorCode =
  | 'store_write_failed'
  | 'store_corrupt'
  | 'store_not_loaded'
  | 'no_quorum'
  | 'fenced'
  | 'not_leader';

/** StoreError is a failure to load or persist coordinator state. */
export class StoreError extends VmpoolError {
  constructor(
    code: StoreErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'StoreError';
  }
}
