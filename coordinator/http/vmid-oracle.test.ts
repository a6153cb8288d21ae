import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

// The VMID oracle: before the fix, tenant B asking for a VMID tenant A held got 409 vmid_in_use
// while a free VMID got 409 no_capacity, so B learnt which VMIDs other tenants hold.

const body = (name: string, vmid: number, vcpu: number) => ({
  name,
  vcpu_count: vcpu,
  memory_mb: 1024,
  disk_size_gb: 2,
  image: 'debian',
  vmid,
});

describe('explicit vmid answers do not reveal other tenants', () => {
  it('a VMID held by another tenant answers exactly like a free one when placement fails', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const a = await h.tenant('a');
    const b = await h.tenant('b', { vcpus: 1000, memory_mb: 1_000_000, vms: 10 });
    expect((await h.call('POST', '/v1/vms', { token: a.token, body: body('a1', 100, 2) })).status).toBe(201);
    // 400 dedicated vCPUs fit no node: both asks fail placement
    const held = await h.call('POST', '/v1/vms', { token: b.token, body: body('b1', 100, 400) });
    const free = await h.call('POST', '/v1/vms', { token: b.token, body: body('b1', 101, 400) });
    expect(held.status).toBe(409);
    expect(held.body.code).toBe('no_capacity');
    expect({ ...held.body, instance: null, request_id: null }).toEqual({
      ...free.body,
      instance: null,
      request_id: null,
    });
    expect(held.status).toBe(free.status);
    // nothing changed: A still owns 100, B owns nothing
    expect((await h.call('GET', '/v1/vms', { token: b.token })).body.vms).toEqual([]);
  });
});

describe('the bounded VMID leak (README "Trust boundary")', () => {
  it('a fitting request for a VMID another tenant holds answers vmid_in_use naming nobody, audited, nothing claimed', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const mine = await h.call('POST', '/v1/vms', { token: a.token, body: body('secret-name', 100, 2) });
    expect(mine.status).toBe(201);
    const before = JSON.stringify(h.store.read().vms);
    const r = await h.call('POST', '/v1/vms', { token: b.token, body: body('b1', 100, 2) });
    expect([r.status, r.body.code]).toEqual([409, 'vmid_in_use']);
    for (const leak of [a.id, mine.body.id, 'secret-name', 'n1'])
      expect(JSON.stringify(r.body)).not.toContain(leak);
    expect(JSON.stringify(h.store.read().vms)).toBe(before);
    const [entry] = await h.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ tenant: b.id, op: 'vm.create', result: 'rejected:vmid_in_use' });
    // the dry run's next free VMID says as much by design
    const dry = await h.call('POST', '/v1/placements/dry-run', {
      token: b.token,
      body: { ...body('b2', 0, 2), vmid: undefined },
    });
    expect(dry.body).toMatchObject({ ok: true, vmid: 101 });
  });
});
