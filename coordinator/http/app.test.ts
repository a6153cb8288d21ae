import { beforeEach, describe, expect, it } from 'vitest';
import { appHarness as harness } from './testing/harness.js';

const vmBody = (over: Record<string, unknown> = {}) => ({
  name: 'web-1',
  vcpu_count: 4,
  memory_mb: 4096,
  disk_size_gb: 10,
  image: 'debian',
  ...over,
});

describe('coordinator HTTP API', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeEach(async () => {
    h = await harness();
  });

  it.each([
    [null, 401],
    ['wrong-token', 401],
  ])('refuses bearer %j with %i unauthorized as problem+json', async (token, status) => {
    const r = await h.call('GET', '/v1/vms', { token });
    expect(r.status).toBe(status);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.code).toBe('unauthorized');
  });

  it('creates a tenant whose token works and is stored only as a hash', async () => {
    const t = await h.tenant('acme');
    expect(t.token).toMatch(/^vmp_/);
    expect(JSON.stringify(h.store.read())).not.toContain(t.token);
    expect((await h.call('GET', '/v1/vms', { token: t.token })).status).toBe(200);
    expect((await h.call('GET', '/v1/nodes', { token: t.token })).status).toBe(404);
  });

  it('spawns on a node with pins from placement and shows them; another tenant gets 404', async () => {
    h.addNode('n1');
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const r = await h.call('POST', '/v1/vms', { token: a.token, body: vmBody() });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      state: 'running',
      node_id: 'n1',
      numa_node: 0,
      vcpu_pins: [0, 36, 1, 37],
      emulator_cpuset: [16, 17, 52, 53],
      vmid: 100,
    });
    const spawn = h.sent.find((m) => m.type === 'spawn');
    // the order carries what placement decided and no agent-local paths
    expect(spawn?.type === 'spawn' && spawn.vm).toEqual({
      vm_id: r.body.id,
      vmid: 100,
      tenant: a.id,
      name: `${a.id}-web-1`,
      image: 'debian',
      vcpu_count: 4,
      memory_mb: expect.any(Number),
      disk_size_gb: expect.any(Number),
      extra_disks: [],
      vcpu_pins: [0, 36, 1, 37],
      emulator_cpuset: [16, 17, 52, 53],
      numa_node: 0,
      cpu_policy: 'dedicated',
      users: expect.any(Array),
      bridge: null,
    });
    expect((await h.call('GET', `/v1/vms/${r.body.id}`, { token: a.token })).body.vcpu_pins).toEqual([
      0, 36, 1, 37,
    ]);
    for (const method of ['GET', 'DELETE']) {
      const other = await h.call(method, `/v1/vms/${r.body.id}`, { token: b.token });
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('not_found');
    }
    expect((await h.call('GET', '/v1/vms', { token: b.token })).body.vms).toEqual([]);
  });

  it.each([
    ['not json', '{', 400, 'bad_request'],
    ['a missing field', { name: 'x', vcpu_count: 1 }, 422, 'validation_failed'],
    ['an unknown field', vmBody({ colour: 'red' }), 422, 'validation_failed'],
    ['a hostile name', vmBody({ name: 'a<b' }), 422, 'validation_failed'],
    ['a huge body', 'x'.repeat(300 * 1024), 413, 'payload_too_large'],
    ['too many vCPUs for the quota', vmBody({ vcpu_count: 65 }), 403, 'quota_exceeded'],
    ['more than any node has', vmBody({ vcpu_count: 40 }), 409, 'no_capacity'],
    ['an image no node has', vmBody({ image: 'nope' }), 409, 'no_capacity'],
    ['a VMID outside the bands', vmBody({ vmid: 5 }), 422, 'vmid_outside_bands'],
  ])('rejects %s and leaves nothing behind', async (_what, body, status, code) => {
    h.addNode('n1');
    const t = await h.tenant('t');
    const r = await h.call('POST', '/v1/vms', { token: t.token, body });
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(Object.keys(h.store.read().vms)).toEqual([]);
    expect(h.sent.filter((m) => m.type === 'spawn')).toEqual([]);
  });

  it('reports field paths on validation errors; no_capacity: a redacted sentence for the tenant, every node for the admin', async () => {
    h.addNode('n1');
    const t = await h.tenant('t');
    const bad = await h.call('POST', '/v1/vms', {
      token: t.token,
      body: vmBody({ user_configs: [{ username: 'Root!', ssh_authorized_keys: [] }] }),
    });
    expect(bad.body.issues[0].path).toBe('user_configs.0.username');
    const full = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody({ vcpu_count: 40 }) });
    expect(full.body).toMatchObject({ code: 'no_capacity', shortfall: 'never_fits' });
    expect(full.body).not.toHaveProperty('passes');
    expect(JSON.stringify(full.body)).not.toContain('n1');
    const admin = await h.call('POST', '/v1/placements/dry-run', { body: vmBody({ vcpu_count: 40 }) });
    expect(admin.body.passes[0].rejected).toEqual([
      expect.objectContaining({ node_id: 'n1', reason: 'numa_cpu_fit' }),
    ]);
  });

  it('honours Idempotency-Key: same body gives the same VM, another body is refused', async () => {
    h.addNode('n1');
    const t = await h.tenant('t');
    const headers = { 'idempotency-key': 'k1' };
    const first = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody(), headers });
    const again = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody(), headers });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const other = await h.call('POST', '/v1/vms', {
      token: t.token,
      body: vmBody({ name: 'web-2' }),
      headers,
    });
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(h.sent.filter((m) => m.type === 'spawn')).toHaveLength(1);
  });

  it('retries a stale claim on another node, and releases everything when the agent fails for good', async () => {
    h.addNode('a-stale', () => ({ ok: false, error: { code: 'pin_in_use', message: 'thread 0 is taken' } }));
    h.addNode('b-good');
    const t = await h.tenant('t');
    const r = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() });
    expect(r.status).toBe(201);
    expect(r.body.node_id).toBe('b-good');

    const h2 = await harness();
    h2.addNode('broken', () => ({ ok: false, error: { code: 'bridge_not_found', message: 'no br0' } }));
    const t2 = await h2.tenant('t');
    const failed = await h2.call('POST', '/v1/vms', { token: t2.token, body: vmBody() });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ code: 'spawn_failed', agent_error: { code: 'bridge_not_found' } });
    expect(h2.store.read().vms).toEqual({});
    const next = await h2.call('POST', '/v1/placements/dry-run', { body: vmBody() }); // admin: pins shown
    expect(next.body.decision.vcpu_pins).toEqual([0, 36, 1, 37]);
  });

  it('dry-run claims nothing; destroy frees threads and VMID; audit chain verifies', async () => {
    h.addNode('n1');
    const t = await h.tenant('t');
    const dry = await h.call('POST', '/v1/placements/dry-run', { body: vmBody() }); // admin: full detail
    expect(dry.body).toMatchObject({ ok: true, decision: { node_id: 'n1', pass: 1 } });
    const mine = await h.call('POST', '/v1/placements/dry-run', { token: t.token, body: vmBody() });
    expect(mine.body).toEqual({
      ok: true,
      redacted: true,
      vmid: 100,
      reason: expect.stringMatching(/^fits: /),
    });
    expect(h.store.read().vms).toEqual({});
    const vm = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() });
    const bands = await h.call('GET', '/v1/vmid-bands');
    expect(bands.body.bands[0]).toMatchObject({ name: 'default', total: 2, used: 1, available: 1 });
    const nodes = await h.call('GET', '/v1/nodes');
    expect(nodes.body.nodes[0]).toMatchObject({ id: 'n1', vcpu_used: 4, vcpu_total: 64, vms: ['web-1'] });
    const detail = await h.call('GET', '/v1/nodes/n1');
    expect(detail.body.numa_nodes[0].threads.find((x: { id: number }) => x.id === 36).vms).toEqual(['web-1']);
    expect((await h.call('DELETE', `/v1/vms/${vm.body.id}`, { token: t.token })).status).toBe(204);
    expect(h.sent.some((m) => m.type === 'destroy' && m.vm_id === vm.body.id && m.keep_disk === false)).toBe(
      true,
    );
    expect(h.store.read().vms).toEqual({});
    const again = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() });
    expect(again.body).toMatchObject({ vmid: 100, vcpu_pins: [0, 36, 1, 37] });
    const verdict = await h.call('GET', '/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: true });
    expect(verdict.body.entries).toBeGreaterThanOrEqual(5);
  });

  it('keeps the claim when a spawn was sent but never answered: the node report decides later', async () => {
    const slow = await harness({ spawnTimeoutMs: 50 });
    slow.addNode('mute', () => null);
    const t = await slow.tenant('t');
    const r = await slow.call('POST', '/v1/vms', { token: t.token, body: vmBody() });
    expect(r.status).toBe(504);
    expect(r.body).toMatchObject({
      code: 'spawn_outcome_unknown',
      cause: 'agent_timeout',
      state: 'creating',
    });
    const [vm] = Object.values(slow.store.read().vms);
    expect(vm).toMatchObject({
      state: 'creating',
      node_id: 'mute',
      placement: { vcpu_pins: [0, 36, 1, 37] },
    });
    const next = await slow.call('POST', '/v1/placements/dry-run', { body: vmBody({ name: 'web-2' }) });
    expect(next.body.decision.vcpu_pins).toEqual([2, 38, 3, 39]);
    const busy = await slow.call('DELETE', `/v1/vms/${vm!.id}`, { token: t.token });
    expect(busy.body.code).toBe('conflict');
  });

  it('passes ?keep_disk=true through to the node for the admin only (403 forbidden for a tenant)', async () => {
    h.addNode('n1');
    const t = await h.tenant('t');
    const vm = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody() });
    const tenantKeep = await h.call('DELETE', `/v1/vms/${vm.body.id}?keep_disk=true`, { token: t.token });
    expect([tenantKeep.status, tenantKeep.body.code]).toEqual([403, 'forbidden']);
    expect(h.sent.some((m) => m.type === 'destroy')).toBe(false);
    expect((await h.call('DELETE', `/v1/vms/${vm.body.id}?keep_disk=true`)).status).toBe(204);
    expect(h.sent.find((m) => m.type === 'destroy')).toMatchObject({ vm_id: vm.body.id, keep_disk: true });
  });
});
