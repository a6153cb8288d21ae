import { beforeEach, describe, expect, it } from 'vitest';
import { appHarness as harness } from './testing/harness.js';

const vmBody = (over: Record<string, unknown> = {}) => ({
  name: 'web-1',
  vcpu_count: 2,
  memory_mb: 1024,
  disk_size_gb: 10,
  image: 'debian',
  ...over,
});

describe('addressing a VM as operators do', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeEach(async () => {
    h = await harness({ bands: [{ name: 'default', from: 100, to: 120 }] });
    h.addNode('n1');
  });

  it('finds one VM by id, id prefix, name, VMID and domain name; another tenant finds none', async () => {
    const t = await h.tenant('a');
    const other = await h.tenant('b');
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() })).body;
    for (const ref of [vm.id, vm.id.slice(0, 8), 'web-1', String(vm.vmid), vm.domain_name]) {
      const r = await h.call('GET', `/v1/vms/${ref}`, { token: t.token });
      expect([ref, r.status, r.body.id]).toEqual([ref, 200, vm.id]);
      const hidden = await h.call('GET', `/v1/vms/${ref}`, { token: other.token });
      expect([ref, hidden.status, hidden.body.code]).toEqual([ref, 404, 'not_found']);
    }
    // destroy by name works too
    expect((await h.call('DELETE', '/v1/vms/web-1', { token: t.token })).status).toBe(204);
    expect(h.store.read().vms).toEqual({});
  });

  it('refuses a name two tenants share for the admin, listing the matches; each tenant gets its own', async () => {
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const va = (await h.call('POST', '/v1/vms', { token: a.token, body: vmBody() })).body;
    const vb = (await h.call('POST', '/v1/vms', { token: b.token, body: vmBody() })).body;
    const r = await h.call('GET', '/v1/vms/web-1');
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('ambiguous');
    expect(r.body.matches.map((m: { id: string }) => m.id).sort()).toEqual([va.id, vb.id].sort());
    expect(r.body.detail).toContain(va.id);
    expect((await h.call('GET', '/v1/vms/web-1', { token: b.token })).body.id).toBe(vb.id);
    // the domain name is unique across tenants, so the admin can use it
    expect((await h.call('GET', `/v1/vms/${va.domain_name}`)).body.id).toBe(va.id);
  });

  it('does not take a short prefix (under 4 characters) for an id', async () => {
    const t = await h.tenant('a');
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() })).body;
    const r = await h.call('GET', `/v1/vms/${vm.id.slice(0, 3)}`, { token: t.token });
    expect(r.body.code).toBe('not_found');
  });

  it('filters the list by node, tenant, state and tag', async () => {
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    await h.call('POST', '/v1/vms', { token: a.token, body: vmBody({ tags: ['web'] }) });
    await h.call('POST', '/v1/vms', { token: b.token, body: vmBody({ name: 'db-1' }) });
    const names = async (q: string) =>
      (await h.call('GET', `/v1/vms${q}`)).body.vms.map((v: { name: string }) => v.name);
    expect(await names(`?tenant=${a.id}`)).toEqual(['web-1']);
    expect(await names('?tag=web')).toEqual(['web-1']);
    expect(await names('?node=n1&state=running')).toEqual(['web-1', 'db-1']);
    expect(await names('?state=stopped')).toEqual([]);
    expect((await h.call('GET', '/v1/vms?state=sleepy')).body.code).toBe('validation_failed');
  });
});
