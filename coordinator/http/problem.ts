import type { Context } from 'hono';
import { type ErrorCode, isErrorCode, STATUS_BY_CODE } from '../../api/problems.js';
import { isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { redactProblem } from './redact.js';

/** problem renders an RFC 9457 problem+json body with our stable `code`. */
export function problem(
  c: Context,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const status = STATUS_BY_CODE[code];
  // the request's middleware logs the rejection once, with this code (see logRejection)
  (c as Context<{ Variables: { errorCode?: string; errorDetail?: string } }>).set('errorCode', code);
  (c as Context<{ Variables: { errorCode?: string; errorDetail?: string } }>).set('errorDetail', detail);
  const requestId = (c as Context<{ Variables: { requestId?: string } }>).get('requestId');
  return c.body(
    JSON.stringify({
      type: `https://vmpool.dev/problems/${code}`,
      title: code.replace(/_/g, ' '),
      status,
      code,
      detail,
      ...extra,
      ...(requestId ? { request_id: requestId } : {}),
    }),
    status,
    { ...headers, 'content-type': 'application/problem+json' },
  );
}

/**
 * errorResponse is the single place errors become HTTP. A typed error whose code is in the API's
 * union keeps its code and mapped status; anything else (a plain Error, or a code the contract does
 * not name) is logged with the request id and answered as 500 `internal` without its message.
 */
export function errorResponse(c: Context, err: unknown, log: Logger) {
  if (isVmpoolError(err) && isErrorCode(err.code)) {
    const { name: _n, code: _c, message: _m, ...rest } = err.toJSON();
    // a node's words reach a tenant without host paths; the admin reads them whole
    const principal = (c as Context<{ Variables: { principal?: { kind: string } } }>).get('principal');
    if (principal?.kind !== 'tenant') return problem(c, err.code, err.message, rest);
    const r = redactProblem(err.message, rest);
    return problem(c, err.code, r.detail, r.extra);
  }
  log.error('request failed', {
    err,
    code: isVmpoolError(err) ? err.code : undefined,
    request_id: c.get('requestId'),
  });
  return problem(c, 'internal', 'Internal error; see the coordinator log');
}

/** RejectionContext is what logRejection reads from the finished request. */
export interface RejectionContext {
  method: string;
  path: string;
  status: number;
  code: string | undefined;
  detail: string | undefined;
  requestId: string;
  tenantId: string | undefined;
}

/**
 * logRejection writes the one journal entry every refused request gets, with ERROR_CODE; a 5xx is
 * already logged as an error where it happened. A VM route names the VM id it asked for.
 */
export function logRejection(log: Logger, r: RejectionContext): void {
  if (r.status < 400 || r.status >= 500) return;
  const vmId = /^\/v1\/vms\/([^/]+)/.exec(r.path)?.[1];
  log.warn('request rejected', {
    error_code: r.code ?? 'not_found',
    status: r.status,
    method: r.method,
    path: r.path,
    detail: r.detail,
    request_id: r.requestId,
    tenant_id: r.tenantId,
    vm_id: vmId,
  });
}
