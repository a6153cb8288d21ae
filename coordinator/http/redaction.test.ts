import { describe, expect, it } from 'vitest';
import { helloFor } from '../registry/testing.js';
import { largestNuma } from '../vms/redact.js';
import { appHarness } from './testing/harness.js';

// A tenant's placement answers (dry run, 409 no_capacity) carry the verdict and one sentence: never
// node ids, pins, free threads, reasons per node or anything else that moves with other tenants'
// usage. The fleet's shape (the largest NUMA node) may be named. The admin keeps every detail.

const vm = (name: string, vcpu_count: number, memory_mb = 2048) => ({
  name,
  vcpu_count,
  memory_mb,
  disk_size_gb: 2,
  image: 'debian',
});
const big = { vcpus: 512, memory_mb: 4_000_000, vms: 50 };
const LEAKS = [
  'n1',
  'n2',
  'vcpu_pins',
  'threads_free',
  'cpu_room',
  'passes',
  'rejected',
  'closest',
  'largest_free',
];

async function fleet() {
  const h = await appHarness({ bands: [{ name: 'default', from: 100, to: 999 }] });
  h.addNode('n1');
  h.addNode('n2');
  const a = await h.tenant('acme', big);
  const b = await h.tenant('bravo', big);
  return { h, a, b };
}

const withoutVmid = (body: Record<string, unknown>) => {
  const { vmid: _v, ...rest } = body;
  return rest;
};

describe("a tenant's placement answers are redacted; the admin's are not", () => {
  it('a fitting dry run says only that it fits, and does not change as another tenant fills the fleet', async () => {
    const { h, a, b } = await fleet();
    const ask = () => h.call('POST', '/v1/placements/dry-run', { token: b.token, body: vm('b-1', 8) });
    const before = await ask();
    expect(before.body).toEqual({
      ok: true,
      redacted: true,
      vmid: 100,
      reason: 'fits: there is room for 8 dedicated vCPUs and 2048 MiB on one NUMA node',
    });
    for (let i = 0; i < 3; i++)
      expect((await h.call('POST', '/v1/vms', { token: a.token, body: vm(`a-${i}`, 16) })).status).toBe(201);
    const after = await ask();
    // VMIDs are one fleet-wide space (README "Trust boundary"): the next free one is the only change
    expect(withoutVmid(after.body)).toEqual(withoutVmid(before.body));
    for (const leak of [...LEAKS, a.id]) expect(JSON.stringify(after.body)).not.toContain(leak);
  });

  it('no room now: the 409 and the dry run name the ask, not the nodes, and are the same whoever fills the fleet', async () => {
    const { h, a, b } = await fleet();
    const shape = largestNuma([helloFor('n1')])!;
    // fill every NUMA node of both nodes to the last thread, half by A, half by B
    const answers: unknown[] = [];
    for (const filler of [a, b]) {
      const h2 = await fleet();
      const who = filler === a ? h2.a : h2.b;
      for (let i = 0; i < 4; i++)
        expect(
          (await h2.h.call('POST', '/v1/vms', { token: who.token, body: vm(`f-${i}`, shape.threads) }))
            .status,
        ).toBe(201);
      const dry = await h2.h.call('POST', '/v1/placements/dry-run', { token: h2.b.token, body: vm('x', 2) });
      const real = await h2.h.call('POST', '/v1/vms', { token: h2.b.token, body: vm('x', 2) });
      expect(real.status).toBe(409);
      answers.push({ dry: withoutVmid(dry.body), real: { ...real.body, request_id: undefined } });
      for (const leak of [...LEAKS, h2.a.id]) {
        expect(JSON.stringify(dry.body)).not.toContain(leak);
        expect(JSON.stringify(real.body)).not.toContain(leak);
      }
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({
      dry: { ok: false, redacted: true, code: 'no_capacity', shortfall: 'no_room_now' },
      real: {
        code: 'no_capacity',
        shortfall: 'no_room_now',
        detail: 'Cannot place VM: no capacity for 2 dedicated vCPUs and 2048 MiB on one NUMA node right now',
      },
    });
    // the admin sees every node and why
    const admin = await h.call('POST', '/v1/placements/dry-run', { body: vm('x', 2) });
    expect(admin.body.ok).toBe(true);
    expect(admin.body.decision.node_id).toMatch(/^n[12]$/);
    expect(admin.body.passes[0].candidates).toEqual(['n1', 'n2']);
  });

  it('never fits: the tenant learns the largest NUMA node (shape), the admin every node and reason', async () => {
    const { h, b } = await fleet();
    const shape = largestNuma([helloFor('n1')])!;
    const ask = vm('huge', shape.threads + 1);
    const sentence = `never fits: the largest NUMA node has ${shape.threads} threads and ${shape.memory_mb} MiB for VMs`;
    const dry = await h.call('POST', '/v1/placements/dry-run', { token: b.token, body: ask });
    expect(dry.body).toEqual({
      ok: false,
      redacted: true,
      code: 'no_capacity',
      shortfall: 'never_fits',
      reason: sentence,
    });
    const real = await h.call('POST', '/v1/vms', { token: b.token, body: ask });
    expect(real.body).toMatchObject({ code: 'no_capacity', shortfall: 'never_fits', reason: sentence });
    expect(real.body.detail).toBe(`Cannot place VM: ${sentence}`);
    const admin = await h.call('POST', '/v1/placements/dry-run', { body: ask });
    expect(admin.body).toMatchObject({ ok: false, shortfall: 'never_fits' });
    expect(admin.body.passes[0].rejected.map((r: { node_id: string }) => r.node_id)).toEqual(['n1', 'n2']);
    expect(Object.keys(admin.body.passes[0].reasons)).toContain('numa_cpu_fit');
  });
});
