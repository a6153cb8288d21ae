import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

const vmBody = (name: string) => ({ name, vcpu_count: 2, memory_mb: 1024, disk_size_gb: 5, image: 'debian' });

async function stoppedVm(quota?: { vcpus: number; memory_mb: number; vms: number }) {
  const h = await appHarness();
  h.addNode('n1');
  const t = await h.tenant('a', quota);
  const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') })).body;
  await h.call('POST', '/v1/vms/web-1/stop', { token: t.token });
  return { h, t, vm };
}

describe('POST /v1/vms/{ref}/resize', () => {
  it('re-places a stopped VM on its own node, tells the node, records the claim; audited and an event', async () => {
    const { h, t, vm } = await stoppedVm();
    const r = await h.call('POST', '/v1/vms/web-1/resize', {
      token: t.token,
      body: { vcpu_count: 4, memory_mb: 2048, disk_size_gb: 8 },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      id: vm.id,
      node_id: 'n1',
      vcpu_count: 4,
      memory_mb: 2048,
      disk_size_gb: 8,
    });
    const sent = h.sent.find((m) => m.type === 'resize');
    expect(sent).toMatchObject({ vm_id: vm.id, vcpu_count: 4, memory_mb: 2048, disk_size_gb: 8 });
    expect(sent && 'vcpu_pins' in sent ? sent.vcpu_pins : []).toEqual(r.body.vcpu_pins);
    expect(new Set(r.body.vcpu_pins).size).toBe(4);
    const audit = (await h.call('GET', '/v1/audit')).body.entries.map(
      (e: { op: string; result: string }) => e.op,
    );
    expect(audit).toContain('vm.resize');
    expect(h.events.after(0).events.filter((e) => e.type === 'vm.resized')).toHaveLength(1);
    // the old pins are free again: the usage and the next placement see the new claim only
    const usage = (await h.call('GET', '/v1/tenant', { token: t.token })).body;
    expect(JSON.stringify(usage)).toContain('2048');
  });

  it('refuses a running VM, a disk shrink, an empty body and another tenant, changing nothing', async () => {
    const { h, t } = await stoppedVm();
    const other = await h.tenant('b');
    await h.call('POST', '/v1/vms/web-1/start', { token: t.token });
    const running = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: { vcpu_count: 4 } });
    expect([running.status, running.body.code]).toEqual([409, 'conflict']);
    await h.call('POST', '/v1/vms/web-1/stop', { token: t.token });
    const shrink = await h.call('POST', '/v1/vms/web-1/resize', {
      token: t.token,
      body: { disk_size_gb: 4 },
    });
    expect([shrink.status, shrink.body.code]).toEqual([422, 'disk_shrink_refused']);
    const empty = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: {} });
    expect([empty.status, empty.body.code]).toEqual([422, 'validation_failed']);
    const theirs = await h.call('POST', '/v1/vms/web-1/resize', {
      token: other.token,
      body: { vcpu_count: 4 },
    });
    expect(theirs.status).toBe(404);
    expect(h.sent.filter((m) => m.type === 'resize')).toHaveLength(0);
    expect((await h.call('GET', '/v1/vms/web-1', { token: t.token })).body.vcpu_count).toBe(2);
  });

  it('checks the quota with the VM counted at its new size, not twice', async () => {
    const { h, t } = await stoppedVm({ vcpus: 4, memory_mb: 8192, vms: 2 });
    const over = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: { vcpu_count: 6 } });
    expect([over.status, over.body.code]).toEqual([403, 'quota_exceeded']);
    const fits = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: { vcpu_count: 4 } });
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
  });

  it('answers no_capacity with the placement summary when the node cannot hold the new shape', async () => {
    const { h, t } = await stoppedVm();
    const r = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: { vcpu_count: 40 } });
    expect([r.status, r.body.code]).toEqual([409, 'no_capacity']);
    // a tenant gets the verdict in one sentence, no node ids or free threads (see redaction tests)
    expect(r.body.detail).toMatch(/no capacity/);
    expect(JSON.stringify(r.body)).not.toContain('"n1"');
    expect(h.sent.filter((m) => m.type === 'resize')).toHaveLength(0);
  });

  it('keeps the old claim when the node refuses, answering its code and message', async () => {
    const h = await appHarness();
    h.addNode('n1', (m) =>
      m.type === 'resize'
        ? { ok: false, error: { code: 'pin_in_use', message: 'thread 3 is taken' } }
        : { ok: true },
    );
    const t = await h.tenant('a');
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') })).body;
    await h.call('POST', '/v1/vms/web-1/stop', { token: t.token });
    const r = await h.call('POST', '/v1/vms/web-1/resize', { token: t.token, body: { vcpu_count: 4 } });
    expect([r.status, r.body.code]).toEqual([409, 'conflict']);
    expect(r.body.detail).toContain('thread 3 is taken');
    const now = (await h.call('GET', '/v1/vms/web-1', { token: t.token })).body;
    expect([now.vcpu_count, now.vcpu_pins]).toEqual([2, vm.vcpu_pins]);
  });
});
