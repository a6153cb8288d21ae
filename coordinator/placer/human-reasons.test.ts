import { describe, expect, it } from 'vitest';
import { appHarness } from '../http/testing/harness.js';

const body = (name: string) => ({
  name,
  vcpu_count: 2,
  memory_mb: 1024,
  disk_size_gb: 5,
  image: 'debian',
  placement: { anti_affinity_group: 'web' },
});

describe('anti-affinity reasons in people words', () => {
  it('tell a tenant its own group ruled the nodes out, never ids, the internal key or node names', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('acme');
    const first = await h.call('POST', '/v1/vms', { token: t.token, body: body('web-1') });
    expect(first.status).toBe(201);
    const dry = await h.call('POST', '/v1/placements/dry-run?detail=nodes', {
      token: t.token,
      body: body('web-2'),
    });
    const real = await h.call('POST', '/v1/vms', { token: t.token, body: body('web-2') });
    expect(real.status).toBe(409);
    for (const text of [dry.body.reason, real.body.detail])
      expect(text).toMatch(
        /your anti-affinity group "web" rules out every node that already holds one of its VMs/,
      );
    for (const answer of [dry.body, real.body]) {
      const text = JSON.stringify(answer);
      expect(text).not.toContain(first.body.id);
      expect(text).not.toContain(`${t.id}:web`);
      expect(text).not.toContain('"n1"');
    }
  });

  it('say nothing of a group when it ruled nothing out', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('acme', { vcpus: 200, memory_mb: 262_144, vms: 10 });
    // fill both NUMA nodes, then ask for more under a group that holds nothing yet
    for (const name of ['big-1', 'big-2']) {
      const big = { ...body(name), vcpu_count: 30, placement: {} };
      expect((await h.call('POST', '/v1/vms', { token: t.token, body: big })).status).toBe(201);
    }
    const other = { ...body('db-1'), vcpu_count: 30, placement: { anti_affinity_group: 'db' } };
    const r = await h.call('POST', '/v1/vms', { token: t.token, body: other });
    expect(r.status).toBe(409);
    expect(r.body.detail).not.toMatch(/anti-affinity/);
  });
});
