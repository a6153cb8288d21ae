import { VmpoolError } from '../shared/errors.js';

/** BROKER_ERROR_STATUS maps every stable broker error code to its HTTP status (compiler-checked). */
export const BROKER_ERROR_STATUS = {
  invalid_request: 400,
  invalid_api_key: 401,
  permission_denied: 403,
  not_found: 404,
  model_not_found: 404,
  payload_too_large: 413,
  rate_limit_requests: 429,
  rate_limit_tokens: 429,
  internal: 500,
  upstream_error: 502,
  admission_full: 503,
  no_upstream: 503,
  license_invalid: 503,
  introspection_unavailable: 503,
  metering_write_failed: 503,
  upstream_timeout: 504,
} as const satisfies Record<string, 400 | 401 | 403 | 404 | 413 | 429 | 500 | 502 | 503 | 504>;

/** BrokerErrorCode is the closed set of `error.code` values a broker client may branch on. */
export type BrokerErrorCode = keyof typeof BROKER_ERROR_STATUS;

/** OPENAI_TYPE gives the OpenAI `error.type` word for each status family. */
const OPENAI_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** BrokerError is the broker's one error class: a stable code, and Retry-After seconds for 429/503. */
export class BrokerError extends VmpoolError {
  readonly retryAfterS: number | undefined;

  constructor(code: BrokerErrorCode, message: string, opts: { retryAfterS?: number; cause?: unknown } = {}) {
    super(code, message, {
      retryable: BROKER_ERROR_STATUS[code] >= 429,
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.name = 'BrokerError';
    this.retryAfterS = opts.retryAfterS;
  }

  /** status is the HTTP status this error answers with. */
  get status(): (typeof BROKER_ERROR_STATUS)[BrokerErrorCode] {
    return BROKER_ERROR_STATUS[this.code as BrokerErrorCode];
  }
}

/** openAiError renders the OpenAI error body: {error: {message, type, param, code}}. */
export function openAiError(code: BrokerErrorCode, message: string): { error: Record<string, unknown> } {
  const status = BROKER_ERROR_STATUS[code];
  return { error: { message, type: OPENAI_TYPE[status] ?? 'server_error', param: null, code } };
}
