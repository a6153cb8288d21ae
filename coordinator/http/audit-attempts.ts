import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../shared/log.js';
import type { AuditJournal } from '../audit/index.js';
import type { Principal } from '../tenants/index.js';
import type { Env } from './env.js';
import type { UnauthTally } from './unauth-tally.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** OPS names a write route for the audit log by method and path shape (ids never come from here). */
const OPS: [method: string, path: RegExp, op: string][] = [
  ['POST', /^\/v1\/vms$/, 'vm.create'],
  ['DELETE', /^\/v1\/vms\/[^/]+$/, 'vm.destroy'],
  ['POST', /^\/v1\/placements\/dry-run$/, 'placement.dry_run'],
  ['POST', /^\/v1\/tenants$/, 'tenant.create'],
  ['PATCH', /^\/v1\/tenants\/[^/]+$/, 'tenant.update'],
  ['DELETE', /^\/v1\/tenants\/[^/]+$/, 'tenant.delete'],
  ['DELETE', /^\/v1\/nodes\/[^/]+$/, 'node.remove'],
  ['POST', /^\/v1\/join-token$/, 'join_token.rotate'],
];

/** principalId names who asked without any secret: `admin`, `tenant:<id>` or `anonymous`. */
export function principalId(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  return p.kind === 'admin' ? 'admin' : `tenant:${p.tenant.id}`;
}

/**
 * auditSource is the server-side origin of a request: the peer address and the authenticated
 * principal. Nothing the client wrote (X-Request-Id, headers, body) goes into it.
 */
export function auditSource(c: Context<Env>): string {
  return `http ${peerOf(c)} ${principalId(c.get('principal'))}`;
}

/** peerOf is the TCP peer address of a request (`in-process` for app.request in tests). */
export function peerOf(c: Context<Env>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'in-process';
}

/**
 * auditRejectedWrites records every write attempt the API refused (401, 403, 404, 409, 422, …)
 * with its server-side source and the stable code; accepted writes are audited where they change
 * state. A failed audit append here is logged: the request was refused and changed nothing.
 * Writes refused for want of a valid token go through `unauth`, which audits the first of each
 * interval and summarises the rest, so an unauthenticated flood cannot grow the log per request.
 */
export function auditRejectedWrites(
  audit: AuditJournal,
  log: Logger,
  unauth: UnauthTally,
): MiddlewareHandler<Env> {
  return async (c, next) => {
    await next();
    if (!WRITES.has(c.req.method) || c.res.status < 400) return;
    const path = new URL(c.req.url).pathname;
    const op = OPS.find(([m, re]) => m === c.req.method && re.test(path))?.[2] ?? 'unknown_route';
    const p = c.get('principal');
    const code = await c.res
      .clone()
      .json()
      .then((b: { code?: unknown }) => (typeof b.code === 'string' ? b.code : String(c.res.status)))
      .catch(() => String(c.res.status));
    const entry = {
      tenant: p?.kind === 'tenant' ? p.tenant.id : null,
      vm: null,
      op,
      source: auditSource(c),
      result: `rejected:${code}`,
    };
    if (!p && code === 'unauthorized') await unauth.note(entry, peerOf(c));
    else await audit.append(entry).catch((err) => log.error('audit of a rejected write failed', { err, op }));
  };
}
