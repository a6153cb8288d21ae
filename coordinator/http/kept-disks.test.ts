import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

const body = {
  name: 'k1',
  vcpu_count: 1,
  memory_mb: 512,
  disk_size_gb: 3,
  image: 'debian',
  extra_disks: [{ size_gb: 2 }],
};

describe('kept disks are recorded, listed and removable by the admin only', () => {
  it('records a keep_disk destroy, lists it, and removes it through the node', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('a');
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body })).body;
    expect((await h.call('DELETE', `/v1/vms/${vm.id}?keep_disk=true`)).status).toBe(204);
    const listed = await h.call('GET', '/v1/kept-disks');
    expect(listed.body.kept_disks).toEqual([
      expect.objectContaining({ id: vm.id, node_id: 'n1', tenant: t.id, vmid: vm.vmid, disk_gb: 5 }),
    ]);
    // tenants see no such route, and cannot remove
    expect((await h.call('GET', '/v1/kept-disks', { token: t.token })).status).toBe(404);
    expect((await h.call('DELETE', `/v1/kept-disks/${vm.id}`, { token: t.token })).status).toBe(404);
    expect((await h.call('DELETE', '/v1/kept-disks/constructor')).status).toBe(404);

    expect((await h.call('DELETE', `/v1/kept-disks/${vm.id}`)).status).toBe(204);
    expect(h.sent.find((m) => m.type === 'remove_disks')).toMatchObject({ vm_id: vm.id });
    expect((await h.call('GET', '/v1/kept-disks')).body.kept_disks).toEqual([]);
    const ops = (await h.call('GET', '/v1/audit')).body.entries.map((e: { op: string }) => e.op);
    expect(ops).toContain('kept_disks.remove');
  });

  it('keeps the record when the node refuses, and records nothing for a plain destroy', async () => {
    const h = await appHarness();
    h.addNode('n1', (m) =>
      m.type === 'remove_disks' ? { ok: false, error: { code: 'vm_in_use', message: 'x' } } : { ok: true },
    );
    const t = await h.tenant('a');
    const plain = (await h.call('POST', '/v1/vms', { token: t.token, body })).body;
    await h.call('DELETE', `/v1/vms/${plain.id}`);
    expect((await h.call('GET', '/v1/kept-disks')).body.kept_disks).toEqual([]);
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: { ...body, name: 'k2' } })).body;
    await h.call('DELETE', `/v1/vms/${vm.id}?keep_disk=true`);
    expect((await h.call('DELETE', `/v1/kept-disks/${vm.id}`)).status).toBe(409);
    expect((await h.call('GET', '/v1/kept-disks')).body.kept_disks).toHaveLength(1);
  });
});
