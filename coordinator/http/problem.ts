import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isVmpoolError } from '../../shared/errors.js';

/** STATUS_BY_CODE maps every stable error code to its HTTP status; unknown codes are 500. */
export const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  bad_request: 400,
  validation_failed: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  quota_exceeded: 403,
  no_capacity: 409,
  name_in_use: 409,
  conflict: 409,
  vmid_in_use: 409,
  band_full: 409,
  payload_too_large: 413,
  idempotency_key_reused: 422,
  unknown_band: 422,
  band_required: 422,
  vmid_outside_bands: 422,
  name_pattern_mismatch: 422,
  image_not_found: 422,
  spawn_failed: 502,
  node_unavailable: 503,
  agent_disconnected: 503,
  store_write_failed: 503,
  agent_timeout: 504,
};

/** problem renders an RFC 9457 problem+json body with our stable `code`. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return c.body(
    JSON.stringify({
      type: `https://vmpool.dev/problems/${code}`,
      title: code.replace(/_/g, ' '),
      status,
      code,
      detail,
      ...extra,
    }),
    status,
    { ...headers, 'content-type': 'application/problem+json' },
  );
}

/** errorResponse is the single place errors become HTTP: typed errors keep their code, others are 500. */
export function errorResponse(c: Context, err: unknown) {
  if (isVmpoolError(err)) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    const { name: _n, code: _c, message: _m, ...rest } = err.toJSON();
    return problem(c, status, err.code, err.message, rest);
  }
  return problem(c, 500, 'internal', 'Internal error; see the coordinator log');
}
