import { VmpoolError } from '../shared/errors.js';
import type { Problem } from './problems.js';

/** ApiError is a problem+json answer from the coordinator; `problem` keeps the whole body. */
export class ApiError extends VmpoolError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly problem: Partial<Problem> & Record<string, unknown>,
  ) {
    super(code, message);
    this.name = 'ApiError';
  }
}

/** ClientErrorCode says why a call never got an answer: a bad base URL, an unreachable or a too slow coordinator. */
export type ClientErrorCode = 'invalid_url' | 'unreachable' | 'timeout';

/** ClientError is a failure on the client side of the API, before any answer arrived. */
export class ClientError extends VmpoolError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'ClientError';
  }
}
