import { describe, expect, it } from 'vitest';
import { type StoreState, type TenantRecord, type VmRecord, emptyState } from '../store/types.js';
import { authenticate, bearerFromHeader } from './authenticate.js';
import { TenantGate } from './gate.js';
import { QuotaError, checkQuota } from './quota.js';
import { createHash } from 'node:crypto';
import { generateToken, hashMatcher, hashToken, verifyToken } from './tokens.js';

function tenant(id: string, tokenHash: string, quota = { vcpus: 8, memory_mb: 8192, vms: 3 }): TenantRecord {
  return { id, name: id, token_hash: tokenHash, quota, created_at: '2026-01-01T00:00:00Z' };
}

function vm(id: string, vcpus: number, memory: number, state: VmRecord['state'] = 'running'): VmRecord {
  return {
    id,
    tenant: 'acme',
    name: id,
    vmid: 5700,
    tags: [],
    request: { vcpu_count: vcpus, memory_mb: memory },
    state,
    node_id: null,
    placement: null,
    created_at: '',
    updated_at: '',
  };
}

describe('tokens', () => {
  it('generateToken makes a vmp_ token of 32 random bytes whose hash verifies', () => {
    const { token, hash } = generateToken();
    expect(token).toMatch(/^vmp_[A-Za-z0-9_-]{43}$/);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.slice(4));
    expect(verifyToken(token, hash)).toBe(true);
  });

  it('generateToken never repeats', () => {
    expect(new Set(Array.from({ length: 50 }, () => generateToken().token)).size).toBe(50);
  });

  it.each([
    ['a different token', generateToken().token],
    ['the token with one character changed', 'vmp_x'],
    ['the empty string', ''],
  ])('verifyToken rejects %s', (_what, wrong) => {
    const { hash } = generateToken();
    expect(verifyToken(wrong, hash)).toBe(false);
  });

  it.each(['vmp_abc', 'admin-token-for-unit-tests', 'tök€n ✓', ''])(
    'hashToken(%j) is the sha256 hex of its UTF-8 bytes (the stored form)',
    (token) => {
      expect(hashToken(token)).toBe(createHash('sha256').update(Buffer.from(token, 'utf8')).digest('hex'));
    },
  );

  it('hashMatcher accepts only the stored digest, whatever the length presented', () => {
    const stored = hashToken('vmp_admin');
    const isAdmin = hashMatcher(stored);
    expect(isAdmin(hashToken('vmp_admin'))).toBe(true);
    expect(isAdmin(hashToken('vmp_other'))).toBe(false);
    expect(isAdmin(stored.slice(0, 32))).toBe(false);
    expect(isAdmin('')).toBe(false);
  });

  it('verifyToken is false for a malformed stored hash instead of throwing', () => {
    const { token } = generateToken();
    expect(verifyToken(token, 'abc')).toBe(false);
  });
});

describe('authenticate', () => {
  const admin = generateToken();
  const a = generateToken();
  const b = generateToken();
  const state: StoreState = { ...emptyState(), tenants: { a: tenant('a', a.hash), b: tenant('b', b.hash) } };

  it.each([
    ['admin token', admin.token, 'admin'],
    ['tenant a token', a.token, 'a'],
    ['tenant b token', b.token, 'b'],
  ])('maps the %s to its principal', (_what, token, expected) => {
    const p = authenticate(state, token, { adminTokenHash: admin.hash });
    expect(p?.kind === 'tenant' ? p.tenant.id : p?.kind).toBe(expected);
  });

  it.each([
    ['an unknown token', generateToken().token],
    ['the stored hash itself', a.hash],
    ['an empty token', ''],
  ])('returns null for %s', (_what, token) => {
    expect(authenticate(state, token, { adminTokenHash: admin.hash })).toBeNull();
  });

  it('has no admin when no admin hash is configured', () => {
    expect(authenticate(state, admin.token)).toBeNull();
  });

  it('bearerFromHeader reads only well-formed Bearer headers', () => {
    expect(bearerFromHeader('Bearer vmp_abc')).toBe('vmp_abc');
    expect(bearerFromHeader('Basic vmp_abc')).toBeNull();
    expect(bearerFromHeader(undefined)).toBeNull();
  });

  it('stores the hash, not the token', () => {
    expect(JSON.stringify(state)).not.toContain(a.token);
    expect(state.tenants.a?.token_hash).toBe(hashToken(a.token));
  });
});

describe('checkQuota', () => {
  const acme = tenant('acme', '', { vcpus: 8, memory_mb: 8192, vms: 3 });
  const twoVms = [vm('v1', 2, 2048), vm('v2', 2, 2048)];

  it.each([
    ['fits exactly', twoVms, { vcpu_count: 4, memory_mb: 4096 }, null],
    [
      'too many vCPUs',
      twoVms,
      { vcpu_count: 5, memory_mb: 1024 },
      { resource: 'vcpus', limit: 8, used: 4, requested: 5 },
    ],
    [
      'too much memory',
      twoVms,
      { vcpu_count: 1, memory_mb: 4097 },
      { resource: 'memory_mb', limit: 8192, used: 4096, requested: 4097 },
    ],
    [
      'too many VMs',
      [...twoVms, vm('v3', 1, 512)],
      { vcpu_count: 1, memory_mb: 512 },
      { resource: 'vms', limit: 3, used: 3, requested: 1 },
    ],
    [
      'failed VMs still count: a crashed guest keeps its domain and threads until destroyed',
      [...twoVms, vm('v3', 4, 512, 'failed')],
      { vcpu_count: 1, memory_mb: 512 },
      { resource: 'vms', limit: 3, used: 3, requested: 1 },
    ],
    [
      'stopped VMs still count',
      [...twoVms, vm('v3', 4, 512, 'stopped')],
      { vcpu_count: 1, memory_mb: 512 },
      { resource: 'vms', limit: 3, used: 3, requested: 1 },
    ],
  ])('%s', (_what, vms, request, expected) => {
    if (expected === null) {
      expect(() => checkQuota(acme, vms, request)).not.toThrow();
      return;
    }
    try {
      checkQuota(acme, vms, request);
      expect.unreachable('checkQuota should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(QuotaError);
      expect((err as QuotaError).code).toBe('quota_exceeded');
      expect((err as QuotaError).details).toEqual(expected);
    }
  });

  it('counts a placed VM by its placement', () => {
    const placed = { ...vm('v1', 1, 512), placement: { vcpu_count: 8 } as VmRecord['placement'] };
    expect(() => checkQuota(acme, [placed], { vcpu_count: 1, memory_mb: 1 })).toThrow(QuotaError);
  });
});

describe('TenantGate', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));

  async function track(gate: TenantGate, key: string, log: string[], name: string): Promise<void> {
    await gate.run(key, async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    });
  }

  it('never overlaps two runs for the same tenant and keeps call order', async () => {
    const gate = new TenantGate();
    const log: string[] = [];
    await Promise.all([
      track(gate, 'acme', log, '1'),
      track(gate, 'acme', log, '2'),
      track(gate, 'acme', log, '3'),
    ]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets different tenants run at the same time', async () => {
    const gate = new TenantGate();
    const log: string[] = [];
    await Promise.all([track(gate, 'acme', log, 'a'), track(gate, 'other', log, 'b')]);
    expect(log.slice(0, 2).sort()).toEqual(['start a', 'start b']);
  });

  it('passes errors through and keeps serving the key afterwards, dropping idle keys', async () => {
    const gate = new TenantGate();
    const failed = gate.run('acme', () => Promise.reject(new Error('nope')));
    const next = gate.run('acme', () => 42);
    await expect(failed).rejects.toThrow('nope');
    expect(await next).toBe(42);
    await tick();
    expect(gate.size).toBe(0);
  });
});
