import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

const big = { vcpus: 10_000, memory_mb: 100_000_000, vms: 10_000 };

describe('GET /v1/capacity (what-if on a copy of the fleet)', () => {
  it.each([
    [4, 4096, 'dedicated'],
    [16, 30_000, 'dedicated'],
    [2, 2048, 'shared'],
  ])(
    'answers, for %i vCPU / %i MiB %s on the seed-003 host, exactly the creates that then succeed',
    async (vcpus, mem, policy) => {
      const h = await appHarness({ bands: [{ name: 'd', from: 100, to: 5000 }] });
      h.addNode('n1');
      const t = await h.tenant('a', big);
      const cap = await h.call(
        'GET',
        `/v1/capacity?vcpu_count=${vcpus}&memory_mb=${mem}&cpu_policy=${policy}`,
      );
      expect(cap.status).toBe(200);
      expect(cap.body.capped).toBe(false);
      expect(h.store.read().vms).toEqual({}); // nothing claimed
      let made = 0;
      for (;;) {
        const body = {
          name: `v${made}`,
          vcpu_count: vcpus,
          memory_mb: mem,
          disk_size_gb: 5,
          image: 'debian',
          placement: { cpu_policy: policy },
        };
        const r = await h.call('POST', '/v1/vms', { token: t.token, body });
        if (r.status !== 201) {
          expect(r.body.code).toBe('no_capacity');
          break;
        }
        made++;
      }
      expect(cap.body.fits).toBe(made);
      expect(made).toBeGreaterThan(0);
      const perNuma = cap.body.nodes[0].numa_nodes as Record<string, number>;
      expect(Object.values(perNuma).reduce((a, b) => a + b, 0)).toBe(made);
      expect(Object.keys(cap.body.exhausted).length).toBeGreaterThan(0);
    },
  );

  it("is the admin's and refuses a bad shape", async () => {
    const h = await appHarness();
    const t = await h.tenant('a');
    expect((await h.call('GET', '/v1/capacity?vcpu_count=1&memory_mb=512', { token: t.token })).status).toBe(
      404,
    );
    expect((await h.call('GET', '/v1/capacity?vcpu_count=0&memory_mb=512')).body.code).toBe(
      'validation_failed',
    );
  });
});
