import { VmpoolError } from '../../shared/errors.js';

/** CloudInitErrorCode is the closed set of reasons a NoCloud seed cannot be built. */
export type CloudInitErrorCode = 'invalid_seed_input' | 'seed_iso_failed';

/** CloudInitError reports a seed that cannot be built (bad input) or written (genisoimage or I/O failed). */
export class CloudInitError extends VmpoolError {
  declare readonly code: CloudInitErrorCode;

  constructor(
    code: CloudInitErrorCode,
    message: string,
    opts: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, opts);
    this.name = 'CloudInitError';
  }
}
