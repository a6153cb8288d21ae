/**
 * The problem codes of the coordinator's HTTP API and the status each one answers with.
 * STATUS_BY_CODE must name every code (the compiler checks), so no code falls through to a silent 500.
 */

/** ERROR_CODES is every stable `code` a problem+json answer can carry. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'quota_exceeded',
  'forbidden',
  'not_found',
  'no_capacity',
  'name_in_use',
  'conflict',
  'vmid_in_use',
  'band_full',
  'payload_too_large',
  'rate_limited',
  'validation_failed',
  'idempotency_key_reused',
  'unknown_band',
  'band_required',
  'vmid_outside_bands',
  'name_pattern_mismatch',
  'image_not_found',
  'disk_too_small',
  'invalid_placement_request',
  'internal',
  'spawn_failed',
  'node_unavailable',
  'agent_disconnected',
  'store_write_failed',
  'store_not_loaded',
  'audit_write_failed',
  'agent_timeout',
  'no_quorum',
  'not_leader',
  'fenced',
  'ambiguous',
  'invalid_cursor',
  'disk_shrink_refused',
  'spawn_outcome_unknown',
  'guest_not_ready',
  'quota_below_usage',
] as const;

/** ErrorCode is one of ERROR_CODES: the closed set a client may branch on. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** ProblemStatus is every HTTP status a problem answer uses. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 502 | 503 | 504;

/** STATUS_BY_CODE maps every error code to its HTTP status. */
export const STATUS_BY_CODE = {
  bad_request: 400,
  unauthorized: 401,
  quota_exceeded: 403,
  forbidden: 403,
  not_found: 404,
  no_capacity: 409,
  name_in_use: 409,
  conflict: 409,
  vmid_in_use: 409,
  band_full: 409,
  payload_too_large: 413,
  rate_limited: 429,
  validation_failed: 422,
  idempotency_key_reused: 422,
  unknown_band: 422,
  band_required: 422,
  vmid_outside_bands: 422,
  name_pattern_mismatch: 422,
  image_not_found: 422,
  disk_too_small: 422,
  invalid_placement_request: 422,
  invalid_cursor: 422,
  internal: 500,
  spawn_failed: 502,
  node_unavailable: 503,
  agent_disconnected: 503,
  store_write_failed: 503,
  store_not_loaded: 503,
  audit_write_failed: 503,
  agent_timeout: 504,
  no_quorum: 503,
  not_leader: 503,
  fenced: 503,
  ambiguous: 409,
  disk_shrink_refused: 422,
  spawn_outcome_unknown: 504,
  guest_not_ready: 504,
  quota_below_usage: 409,
} as const satisfies Record<ErrorCode, ProblemStatus>;

/** isErrorCode narrows a code read off an error or a wire body to the API's closed set. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code);
}

/** FieldIssue is one validation problem at a dotted field path (in `issues` of validation_failed). */
export interface FieldIssue {
  path: string;
  code: string;
  message: string;
}

/** Problem is an RFC 9457 problem+json body with our stable `code`; codes add their own fields. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  retryable?: boolean;
  issues?: FieldIssue[];
  [extra: string]: unknown;
}
