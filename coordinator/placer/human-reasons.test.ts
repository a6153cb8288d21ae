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
  it('name the VM holding the group and the group label, never ids or the internal key', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('acme');
    const first = await h.call('POST', '/v1/vms', { token: t.token, body: body('web-1') });
    expect(first.status).toBe(201);
    const dry = await h.call('POST', '/v1/placements/dry-run?detail=nodes', {
      token: t.token,
      body: body('web-2'),
    });
    const rejected = dry.body.passes[0].rejected.find(
      (r: { reason: string }) => r.reason === 'anti_affinity',
    );
    expect(rejected.detail).toBe('node already holds VM "web-1" of anti-affinity group "web"');
    const text = JSON.stringify(dry.body);
    expect(text).not.toContain(first.body.id);
    expect(text).not.toContain(`${t.id}:web`);
  });
});
