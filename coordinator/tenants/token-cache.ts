import type { StoreState, TenantRecord } from '../store/types.js';
import { type AuthenticateOptions, authenticate, type Principal } from './authenticate.js';
import { digestOn, rememberOn } from './conn-token.js';
import { hashMatcher, hashToken } from './tokens.js';

/** TOKEN_CACHE_MAX bounds the verified-token cache; past it the cache starts again empty. */
export const TOKEN_CACHE_MAX = 4096;

/**
 * TokenAuthenticator is authenticate() with the scan over every tenant done once per token: a
 * verified tenant token's sha256 maps to its tenant id. A hit is checked again against the tenant's
 * record as it is now (same current hash, or the previous one inside its grace period), so a
 * revoked, rotated or deleted token stops working at once without any invalidation hook, and a
 * store replaced wholesale (HA follower) is read as it is. Only tokens that verified are kept, so
 * bad tokens cannot grow the cache; its key is a digest of a 256-bit secret, so a lookup's timing
 * tells nothing about any stored hash.
 */
export class TokenAuthenticator {
  private readonly tenantOf = new Map<string, string>();
  /** isAdmin compares a digest with the admin's stored one in constant time (its bytes made once) */
  private readonly isAdmin: (hash: string) => boolean;

  constructor(
    private readonly opts: AuthenticateOptions = {},
    private readonly max = TOKEN_CACHE_MAX,
    /** hash is the stored-form digest (tests count its calls) */
    private readonly hash: (token: string) => string = hashToken,
  ) {
    this.isAdmin = opts.adminTokenHash === undefined ? () => false : hashMatcher(opts.adminTokenHash);
  }

  /**
   * authenticate maps a bearer token to a Principal, or null, exactly as authenticate() does.
   * `conn` is the request's connection: a token that verified on it skips its sha256 next time
   * (digestOn says why that is safe).
   */
  authenticate(state: StoreState, bearer: string, conn?: object): Principal | null {
    if (bearer.length === 0 || bearer.length > 512) return null;
    const hash = digestOn(conn, bearer, this.hash);
    const found = this.principalOf(state, bearer, hash);
    if (found) rememberOn(conn, bearer, hash);
    return found;
  }

  private principalOf(state: StoreState, bearer: string, hash: string): Principal | null {
    if (this.isAdmin(hash)) return { kind: 'admin' };
    const id = this.tenantOf.get(hash);
    if (id !== undefined) {
      const tenant = Object.hasOwn(state.tenants, id) ? state.tenants[id] : undefined;
      if (tenant && this.stillValid(tenant, hash)) return { kind: 'tenant', tenant };
      this.tenantOf.delete(hash);
    }
    const found = authenticate(state, bearer, this.opts);
    if (found?.kind === 'tenant') {
      if (this.tenantOf.size >= this.max) this.tenantOf.clear();
      this.tenantOf.set(hash, found.tenant.id);
    }
    return found;
  }

  /** size is the number of verified tokens held (tests). */
  get size(): number {
    return this.tenantOf.size;
  }

  private stillValid(tenant: TenantRecord, hash: string): boolean {
    if (tenant.token_hash === hash) return true;
    const prev = tenant.previous_token;
    if (!prev || prev.hash !== hash) return false;
    return (this.opts.now ?? (() => new Date()))().toISOString() < prev.until;
  }
}
