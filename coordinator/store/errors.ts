import { VmpoolError } from '../../shared/errors.js';

/** StoreError is a failure to load or persist coordinator state (codes: store_write_failed, store_corrupt, store_not_loaded). */
export class StoreError extends VmpoolError {
  constructor(
    code: 'store_write_failed' | 'store_corrupt' | 'store_not_loaded',
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'StoreError';
  }
}
