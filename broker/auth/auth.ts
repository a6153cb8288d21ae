import { createHash, timingSafeEqual } from 'node:crypto';
import type { IntrospectResult } from '../../api/broker.js';
import type { Logger } from '../../shared/log.js';
import { BrokerError } from '../errors.js';
import { ApiKeys } from './api-keys.js';

/** Caller is who an inference or billing request acts as. */
export type Caller = { kind: 'admin' } | { kind: 'tenant'; tenant: string; via: 'token' | 'api_key' };

/** AuthOptions: the admin token's hash, the API keys file, and the coordinator to introspect tokens with. */
export interface AuthOptions {
  adminTokenHash: string;
  apiKeysPath?: string;
  coordinator?: { url: string; token: string };
  cacheMs: number;
  log: Logger;
  fetchFn?: typeof fetch;
  now?: () => number;
}

const MAX_CACHE = 10_000;

/** sha256hex is how every token or key is held: its sha256 digest, hex. */
export function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticator maps a bearer to a Caller: the broker admin token, a per-tenant API key, or a
 * vmpool tenant token checked with the coordinator's introspection. Answers (including "not
 * active") are cached by the token's hash for cacheMs, so a revoked token stops working within it.
 * The coordinator being unreachable is 503, never a pass.
 */
export class Authenticator {
  private readonly cache = new Map<string, { caller: Caller | null; until: number }>();
  private readonly keys: ApiKeys | null;

  constructor(private readonly o: AuthOptions) {
    this.keys = o.apiKeysPath ? new ApiKeys(o.apiKeysPath, o.log) : null;
  }

  /** authenticate resolves a bearer (null: none given) or throws 401 invalid_api_key. */
  async authenticate(bearer: string | null): Promise<Caller> {
    if (!bearer || bearer.length > 512) throw unauthorized();
    const hash = sha256hex(bearer);
    if (sameHash(hash, this.o.adminTokenHash)) return { kind: 'admin' };
    const tenant = this.keys?.tenantFor(hash);
    if (tenant) return { kind: 'tenant', tenant, via: 'api_key' };
    const caller = await this.introspect(bearer, hash);
    if (!caller) throw unauthorized();
    return caller;
  }

  private async introspect(bearer: string, hash: string): Promise<Caller | null> {
    const now = (this.o.now ?? Date.now)();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.caller;
    if (!this.o.coordinator) return null;
    const result = await this.ask(bearer);
    const caller: Caller | null = result.active
      ? { kind: 'tenant', tenant: result.tenant_id, via: 'token' }
      : null;
    if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hash, { caller, until: now + this.o.cacheMs });
    return caller;
  }

  private async ask(bearer: string): Promise<IntrospectResult> {
    const c = this.o.coordinator!;
    try {
      const res = await (this.o.fetchFn ?? fetch)(`${c.url}/v1/tokens/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: bearer }),
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) throw new Error(`introspection answered ${res.status}`);
      return (await res.json()) as IntrospectResult;
    } catch (err) {
      this.o.log.error('introspection failed', { err });
      throw new BrokerError('introspection_unavailable', 'Cannot check the token now', {
        retryAfterS: 2,
        cause: err,
      });
    }
  }
}

function unauthorized(): BrokerError {
  return new BrokerError('invalid_api_key', 'Missing or unknown bearer token');
}
