import { describe, expect, it } from 'vitest';
import { appHarness as harness } from './testing/harness.js';

const vmBody = (over: Record<string, unknown> = {}) => ({
  name: 'web-1',
  vcpu_count: 2,
  memory_mb: 1024,
  disk_size_gb: 10,
  image: 'debian',
  ...over,
});

const bands = [
  { name: 'prod', from: 100, to: 109, name_pattern: '^prod-' },
  { name: 'dev', from: 200, to: 209 },
];

/** Each case: a state set up first, then a body the create refuses; the dry-run must refuse it alike. */
const cases: [string, Record<string, unknown>, string][] = [
  ['name in use', vmBody({ name: 'prod-a', vmid_band: 'prod' }), 'name_in_use'],
  ['VMID in use', vmBody({ name: 'prod-b', vmid: 100 }), 'vmid_in_use'],
  ['unknown band', vmBody({ name: 'x', vmid_band: 'nope' }), 'unknown_band'],
  ['name pattern', vmBody({ name: 'web-9', vmid_band: 'prod' }), 'name_pattern_mismatch'],
  ['over quota', vmBody({ name: 'dev-big', vmid_band: 'dev', vcpu_count: 9 }), 'quota_exceeded'],
  [
    'no room',
    vmBody({ name: 'dev-huge', vmid_band: 'dev', vcpu_count: 5, memory_mb: 2_000_000 }),
    'no_capacity',
  ],
  ['VMID outside bands', vmBody({ name: 'x', vmid: 5000 }), 'vmid_outside_bands'],
];

describe('dry-run is the first half of create', () => {
  it.each(cases)('refuses %s with the code the create answers, claiming nothing', async (_, body, code) => {
    const h = await harness({ bands });
    h.addNode('n1');
    const t = await h.tenant('a', { vcpus: 10, memory_mb: 4_000_000, vms: 5 });
    const first = await h.call('POST', '/v1/vms', {
      token: t.token,
      body: vmBody({ name: 'prod-a', vmid_band: 'prod' }),
    });
    expect(first.status).toBe(201);
    const before = JSON.stringify(h.store.read());
    const dry = await h.call('POST', '/v1/placements/dry-run', { token: t.token, body });
    expect(JSON.stringify(h.store.read())).toBe(before);
    const real = await h.call('POST', '/v1/vms', { token: t.token, body });
    expect(real.body.code).toBe(code);
    expect(dry.body.code).toBe(code);
    if (code !== 'no_capacity') expect(dry.status).toBe(real.status);
  });

  it('answers ok with the VMID the create then gets', async () => {
    const h = await harness({ bands });
    h.addNode('n1');
    const t = await h.tenant('a');
    const dry = await h.call('POST', '/v1/placements/dry-run', {
      token: t.token,
      body: vmBody({ vmid_band: 'dev' }),
    });
    expect(dry.body).toMatchObject({ ok: true, vmid: 200 });
    const real = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody({ vmid_band: 'dev' }) });
    expect(real.body.vmid).toBe(200);
    expect(dry.body).not.toHaveProperty('decision'); // a tenant sees no node or pins
    const admin = await h.call('POST', '/v1/placements/dry-run', {
      body: vmBody({ name: 'dev-2', vmid_band: 'dev' }),
    });
    expect(admin.body.decision.node_id).toBe('n1');
  });
});
