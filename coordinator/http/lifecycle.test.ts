import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

const vmBody = (name: string) => ({ name, vcpu_count: 2, memory_mb: 1024, disk_size_gb: 5, image: 'debian' });

async function setup() {
  const h = await appHarness({ bands: [{ name: 'd', from: 100, to: 150 }] });
  h.addNode('n1');
  h.addNode('n2');
  const t = await h.tenant('a');
  return { h, t };
}

describe('day-2 lifecycle through the API', () => {
  it('stops, starts and reboots a VM by name, keeping its claim; each is audited and an event', async () => {
    const { h, t } = await setup();
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') })).body;
    const stop = await h.call('POST', '/v1/vms/web-1/stop?timeout_s=5', { token: t.token });
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({ id: vm.id, state: 'stopped', vcpu_pins: vm.vcpu_pins });
    expect(h.sent.find((m) => m.type === 'power')).toMatchObject({
      op: 'stop',
      vm_id: vm.id,
      timeout_ms: 5000,
    });
    expect((await h.call('POST', `/v1/vms/${vm.vmid}/start`, { token: t.token })).body.state).toBe('running');
    expect((await h.call('POST', `/v1/vms/${vm.id}/reboot`, { token: t.token })).body.state).toBe('running');
    const audit = (await h.call('GET', '/v1/audit')).body.entries.map(
      (e: { op: string; result: string }) => `${e.op} ${e.result}`,
    );
    expect(audit).toEqual(
      expect.arrayContaining(['vm.stop ok:stopped', 'vm.start ok:running', 'vm.reboot ok:running']),
    );
    expect(h.events.after(0).events.filter((e) => e.type === 'vm.power').length).toBe(3);
  });

  it('answers a node refusal with its code and message', async () => {
    const h = await appHarness({
      power: () => ({ ok: false, error: { code: 'libvirt_error', message: 'domain is locked' } }),
    });
    h.addNode('n1');
    const t = await h.tenant('a');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') });
    const r = await h.call('POST', '/v1/vms/web-1/stop', { token: t.token });
    expect(r.body.code).toBe('conflict');
    expect(r.body.detail).toContain('domain is locked');
    expect(r.body.agent_error).toEqual({ code: 'libvirt_error', message: 'domain is locked' });
  });

  it('cordons a node: no new placements there, reason `cordoned`; uncordon reopens it', async () => {
    const { h, t } = await setup();
    expect(
      (await h.call('POST', '/v1/nodes/n1/cordon', { body: { reason: 'disk swap' } })).body,
    ).toMatchObject({
      cordoned: true,
      reason: 'disk swap',
    });
    const dry = await h.call('POST', '/v1/placements/dry-run', { body: vmBody('x') });
    expect(dry.body.decision.node_id).toBe('n2');
    expect(dry.body.passes[0].rejected).toContainEqual(
      expect.objectContaining({ node_id: 'n1', reason: 'cordoned' }),
    );
    expect((await h.call('POST', '/v1/nodes/n1/cordon', { token: t.token, body: {} })).status).toBe(404);
    await h.call('DELETE', '/v1/nodes/n1/cordon');
    const again = await h.call('POST', '/v1/placements/dry-run', { body: vmBody('x') });
    expect(again.body.passes[0].rejected.some((r: { reason: string }) => r.reason === 'cordoned')).toBe(
      false,
    );
  });

  it('drains a node with VMs: the plan first changes nothing, then it cordons and stops each VM', async () => {
    const { h, t } = await setup();
    await h.call('POST', '/v1/nodes/n2/cordon', { body: {} });
    for (const n of ['a-1', 'a-2']) await h.call('POST', '/v1/vms', { token: t.token, body: vmBody(n) });
    await h.call('DELETE', '/v1/nodes/n2/cordon');
    const plan = await h.call('POST', '/v1/nodes/n1/drain?dry_run=true');
    expect(plan.body).toMatchObject({ node_id: 'n1', policy: 'stop', dry_run: true });
    expect(plan.body.steps.map((s: { name: string; action: string }) => `${s.name}:${s.action}`)).toEqual([
      'a-1:stop',
      'a-2:stop',
    ]);
    expect(h.sent.some((m) => m.type === 'power')).toBe(false);
    const done = await h.call('POST', '/v1/nodes/n1/drain?timeout_s=1');
    expect(done.body.steps.map((s: { state: string; result: string }) => `${s.state}:${s.result}`)).toEqual([
      'stopped:ok',
      'stopped:ok',
    ]);
    const dry = await h.call('POST', '/v1/placements/dry-run', { body: vmBody('x') });
    expect(dry.body.decision.node_id).toBe('n2');
  });

  it('force-forgets the VMs of a node only once it is down, audited', async () => {
    const { h, t } = await setup();
    const vm = (await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('a-1') })).body;
    const node = vm.node_id as string;
    expect((await h.call('POST', `/v1/nodes/${node}/forget-vms`)).body.code).toBe('conflict');
    h.registry.sweep(Date.now() + 3_600_000);
    const r = await h.call('POST', `/v1/nodes/${node}/forget-vms`);
    expect(r.body.forgotten).toEqual([vm.id]);
    expect(h.store.read().vms).toEqual({});
    const audit = (await h.call('GET', '/v1/audit')).body.entries.map(
      (e: { op: string; source: string }) => `${e.op} ${e.source}`,
    );
    expect(audit.some((l: string) => l.startsWith('vm.destroy admin force-forget'))).toBe(true);
  });
});

describe('GET /v1/images', () => {
  it('lists what nodes hold, updated by a heartbeat, and placement follows at once', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('a');
    const body = { name: 'x', vcpu_count: 1, memory_mb: 512, disk_size_gb: 5, image: 'fresh' };
    const mine = await h.call('POST', '/v1/placements/dry-run', { token: t.token, body });
    expect(mine.body).toMatchObject({ ok: false, shortfall: 'never_fits' });
    expect(mine.body.reason).toMatch(/^never fits: no node takes this image, KVM or placement constraint/);
    const before = await h.call('POST', '/v1/placements/dry-run', { body });
    expect(before.body.passes[0].rejected[0]).toMatchObject({
      reason: 'image_missing',
      detail: 'node does not have base image "fresh"',
    });
    const conn = h.registry.get('n1')!.conn!;
    h.registry.heartbeat(
      'n1',
      conn,
      {
        type: 'heartbeat',
        seq: 1,
        free_memory_mb: h.registry
          .get('n1')!
          .hello.topology.numa_nodes.map((n) => ({ numa_node: n.id, free_memory_mb: n.free_memory_mb })),
        vms: [],
        images: ['debian', 'fresh'],
        image_info: { fresh: { virtual_size: 2 * 1024 ** 3, format: 'qcow2', sha256: 'ab'.repeat(32) } },
      },
      Date.now(),
    );
    const facts = {
      virtual_size: 2 * 1024 ** 3,
      format: 'qcow2',
      sha256: 'ab'.repeat(32),
      checksums_agree: true,
    };
    expect((await h.call('GET', '/v1/images')).body.images).toContainEqual({
      name: 'fresh',
      nodes: 1,
      ...facts,
      node_ids: ['n1'],
    });
    expect((await h.call('GET', '/v1/images', { token: t.token })).body.images).toContainEqual({
      name: 'fresh',
      nodes: 1,
      ...facts,
    });
    const after = await h.call('POST', '/v1/placements/dry-run', { token: t.token, body });
    expect(after.body.ok, JSON.stringify(after.body)).toBe(true);
  });
});
