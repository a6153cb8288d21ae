import { describe, expect, it } from 'vitest';
import { emptyState, type StoreState, type TenantRecord } from '../store/types.js';
import { TOKEN_CACHE_MAX, TokenAuthenticator } from './token-cache.js';
import { generateToken, hashToken } from './tokens.js';

function tenant(id: string, tokenHash: string, extra: Partial<TenantRecord> = {}): TenantRecord {
  const quota = { vcpus: 8, memory_mb: 8192, vms: 3 };
  return { id, name: id, token_hash: tokenHash, quota, created_at: '2026-01-01T00:00:00Z', ...extra };
}

function stateOf(...tenants: TenantRecord[]): StoreState {
  return { ...emptyState(), tenants: Object.fromEntries(tenants.map((t) => [t.id, t])) };
}

const tenantId = (p: ReturnType<TokenAuthenticator['authenticate']>) =>
  p?.kind === 'tenant' ? p.tenant.id : (p?.kind ?? null);

describe('TokenAuthenticator (verified tenant tokens cached by hash)', () => {
  const admin = generateToken();
  const a = generateToken();
  const b = generateToken();

  it('answers like authenticate() and keeps only the tokens that verified', () => {
    const auth = new TokenAuthenticator({ adminTokenHash: admin.hash });
    const state = stateOf(tenant('a', a.hash), tenant('b', b.hash));
    expect(tenantId(auth.authenticate(state, admin.token))).toBe('admin');
    expect(tenantId(auth.authenticate(state, a.token))).toBe('a');
    expect(tenantId(auth.authenticate(state, a.token))).toBe('a');
    expect(tenantId(auth.authenticate(state, b.token))).toBe('b');
    for (let i = 0; i < 20; i++) expect(auth.authenticate(state, generateToken().token)).toBeNull();
    expect(auth.authenticate(state, a.hash)).toBeNull();
    expect(auth.authenticate(state, '')).toBeNull();
    expect(auth.size).toBe(2);
  });

  it('returns the tenant record as the store holds it now, not the one it first matched', () => {
    const auth = new TokenAuthenticator();
    expect(tenantId(auth.authenticate(stateOf(tenant('a', a.hash)), a.token))).toBe('a');
    const raised = tenant('a', a.hash, { quota: { vcpus: 99, memory_mb: 8192, vms: 3 } });
    const p = auth.authenticate(stateOf(raised), a.token);
    expect(p?.kind === 'tenant' && p.tenant).toBe(raised);
  });

  it('stops a cached token at once when the tenant is deleted or its token rotated', () => {
    const auth = new TokenAuthenticator();
    expect(tenantId(auth.authenticate(stateOf(tenant('a', a.hash)), a.token))).toBe('a');
    expect(auth.authenticate(stateOf(), a.token)).toBeNull();
    expect(auth.size).toBe(0);
    expect(tenantId(auth.authenticate(stateOf(tenant('a', a.hash)), a.token))).toBe('a');
    const rotated = generateToken();
    expect(auth.authenticate(stateOf(tenant('a', rotated.hash)), a.token)).toBeNull();
    expect(tenantId(auth.authenticate(stateOf(tenant('a', rotated.hash)), rotated.token))).toBe('a');
  });

  it('keeps a rotated-out token only inside its grace period, read from the clock on every hit', () => {
    let now = new Date('2026-05-01T00:00:00Z');
    const auth = new TokenAuthenticator({ now: () => now });
    const next = generateToken();
    const state = stateOf(
      tenant('a', next.hash, { previous_token: { hash: a.hash, until: '2026-05-01T01:00:00.000Z' } }),
    );
    expect(tenantId(auth.authenticate(state, a.token))).toBe('a');
    expect(tenantId(auth.authenticate(state, a.token))).toBe('a');
    now = new Date('2026-05-01T01:00:01Z');
    expect(auth.authenticate(state, a.token)).toBeNull();
    expect(tenantId(auth.authenticate(state, next.token))).toBe('a');
  });

  it('does not let a token move to another tenant that later shows the same id', () => {
    const auth = new TokenAuthenticator();
    expect(tenantId(auth.authenticate(stateOf(tenant('a', a.hash)), a.token))).toBe('a');
    // tenant a deleted and an id reused for someone else: a's token must not open it
    expect(auth.authenticate(stateOf(tenant('a', b.hash)), a.token)).toBeNull();
  });

  it('is bounded: past its size it starts again from empty', () => {
    const auth = new TokenAuthenticator({}, 3);
    const tokens = Array.from({ length: 4 }, () => generateToken());
    const state = stateOf(...tokens.map((t, i) => tenant(`t${i}`, t.hash)));
    for (const t of tokens.slice(0, 3)) auth.authenticate(state, t.token);
    expect(auth.size).toBe(3);
    expect(tenantId(auth.authenticate(state, tokens[3]!.token))).toBe('t3');
    expect(auth.size).toBe(1);
    expect(TOKEN_CACHE_MAX).toBeGreaterThan(1000);
  });
});

describe('TokenAuthenticator on a connection (a token that verified skips its sha256 there)', () => {
  const admin = generateToken();
  const a = generateToken();
  const b = generateToken();
  const counting = () => {
    const calls: string[] = [];
    const auth = new TokenAuthenticator({ adminTokenHash: admin.hash }, TOKEN_CACHE_MAX, (t) => {
      calls.push(t);
      return hashToken(t);
    });
    return { auth, calls };
  };

  it('hashes a repeated token once per connection, and again on another connection', () => {
    const { auth, calls } = counting();
    const state = stateOf(tenant('a', a.hash));
    const conn1 = {};
    const conn2 = {};
    for (let i = 0; i < 3; i++) expect(tenantId(auth.authenticate(state, a.token, conn1))).toBe('a');
    expect(calls).toEqual([a.token]);
    expect(tenantId(auth.authenticate(state, a.token, conn2))).toBe('a');
    expect(calls).toEqual([a.token, a.token]);
    for (let i = 0; i < 2; i++) expect(tenantId(auth.authenticate(state, admin.token, conn1))).toBe('admin');
    expect(calls.length).toBe(3);
  });

  it('never answers a different token with the remembered one, even one character apart', () => {
    const { auth, calls } = counting();
    const state = stateOf(tenant('a', a.hash), tenant('b', b.hash));
    const conn = {};
    expect(tenantId(auth.authenticate(state, a.token, conn))).toBe('a');
    const last = a.token.at(-1) === 'A' ? 'B' : 'A';
    expect(auth.authenticate(state, a.token.slice(0, -1) + last, conn)).toBeNull();
    expect(auth.authenticate(state, `${a.token}x`, conn)).toBeNull();
    expect(tenantId(auth.authenticate(state, b.token, conn))).toBe('b');
    expect(calls.length).toBe(4);
    expect(tenantId(auth.authenticate(state, a.token, conn))).toBe('a'); // b is remembered now: hashed again
    expect(calls.length).toBe(5);
  });

  it('checks a remembered token against the store as it is now: a revoked or rotated token stops at once', () => {
    const { auth } = counting();
    const conn = {};
    expect(tenantId(auth.authenticate(stateOf(tenant('a', a.hash)), a.token, conn))).toBe('a');
    expect(auth.authenticate(stateOf(), a.token, conn)).toBeNull();
    expect(auth.authenticate(stateOf(tenant('a', b.hash)), a.token, conn)).toBeNull();
  });

  it('remembers nothing for a token that failed', () => {
    const { auth, calls } = counting();
    const state = stateOf(tenant('a', a.hash));
    const conn = {};
    const bad = generateToken().token;
    expect(auth.authenticate(state, bad, conn)).toBeNull();
    expect(auth.authenticate(state, bad, conn)).toBeNull();
    expect(calls).toEqual([bad, bad]);
    expect(Object.getOwnPropertySymbols(conn)).toEqual([]);
  });
});
