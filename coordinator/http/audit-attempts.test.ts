import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

const vm = (name: string, vcpu = 1) => ({
  name,
  vcpu_count: vcpu,
  memory_mb: 512,
  disk_size_gb: 2,
  image: 'debian',
});

describe('every write attempt is audited, rejected ones included, with a server-side source', () => {
  it('401, 403 quota, 404 cross-tenant DELETE, 422 and 409 no_capacity each leave an entry; X-Request-Id never does', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const a = await h.tenant('acme', { vcpus: 2, memory_mb: 4096, vms: 5 });
    const b = await h.tenant('bravo');
    const own = await h.call('POST', '/v1/vms?wait=true', { token: b.token, body: vm('b-1') });
    expect(own.status).toBe(201);
    const evil = { 'x-request-id': 'forged"source' };
    const tries = [
      await h.call('POST', '/v1/vms', { token: 'vmp_nobody', body: vm('x'), headers: evil }),
      await h.call('POST', '/v1/vms', { token: a.token, body: vm('big', 4), headers: evil }),
      await h.call('DELETE', `/v1/vms/${own.body.id}`, { token: a.token, headers: evil }),
      await h.call('POST', '/v1/vms', { token: a.token, body: { name: 'x' }, headers: evil }),
      await h.call('POST', '/v1/vms', {
        token: b.token,
        body: { ...vm('huge', 1), memory_mb: 250_000 },
        headers: evil,
      }),
    ];
    expect(tries.map((r) => r.status)).toEqual([401, 403, 404, 422, 409]);
    const entries = (await h.audit.list({ limit: 100 })).filter((e) => e.result.startsWith('rejected:'));
    expect(entries.map((e) => [e.op, e.result, e.tenant]).reverse()).toEqual([
      ['vm.create', 'rejected:unauthorized', null],
      ['vm.create', 'rejected:quota_exceeded', a.id],
      ['vm.destroy', 'rejected:not_found', a.id],
      ['vm.create', 'rejected:validation_failed', a.id],
      ['vm.create', 'rejected:no_capacity', b.id],
    ]);
    expect(entries.map((e) => e.source).reverse()).toEqual([
      'http in-process anonymous',
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${b.id}`,
    ]);
    const all = await h.audit.list({ limit: 100 });
    expect(all.some((e) => e.source.includes('forged'))).toBe(false);
    expect((await h.call('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});
