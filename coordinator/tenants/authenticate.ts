import type { StoreState, TenantRecord } from '../store/types.js';
import { hashToken, hashesEqual } from './tokens.js';

/** Principal is who a request acts as: the fleet admin or one tenant. */
export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenant: TenantRecord };

/** AuthenticateOptions carries the admin token's sha256 (the lead reads the token from the environment). */
export interface AuthenticateOptions {
  adminTokenHash?: string;
  /** now decides whether a rotated-out token is still in its grace period */
  now?: () => Date;
}

/**
 * authenticate maps a bearer token to a Principal, or null when it matches nobody.
 *
 * A linear scan comparing every tenant hash in constant time: no early exit leaks which prefix
 * matched, and for the tens to thousands of tenants a coordinator has this costs microseconds.
 */
export function authenticate(
  state: StoreState,
  bearer: string,
  opts: AuthenticateOptions = {},
): Principal | null {
  if (bearer.length === 0 || bearer.length > 512) return null;
  const hash = hashToken(bearer);
  if (opts.adminTokenHash !== undefined && hashesEqual(hash, opts.adminTokenHash)) return { kind: 'admin' };
  let found: TenantRecord | null = null;
  const now = (opts.now ?? (() => new Date()))().toISOString();
  for (const tenant of Object.values(state.tenants)) {
    if (hashesEqual(hash, tenant.token_hash)) found = tenant;
    const prev = tenant.previous_token;
    if (prev && hashesEqual(hash, prev.hash) && now < prev.until) found = tenant;
  }
  return found ? { kind: 'tenant', tenant: found } : null;
}

/** bearerFromHeader extracts the token from an `Authorization: Bearer …` header value. */
export function bearerFromHeader(header: string | undefined | null): string | null {
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header?.trim() ?? '');
  return match?.[1] ?? null;
}
