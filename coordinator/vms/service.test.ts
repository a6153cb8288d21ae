import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoordinatorEvent } from '../../shared/events.js';
import { helloFor } from '../registry/testing.js';
import { FakeAgent } from '../testing/fake-agent.js';
import { type InProcess, JOIN_TOKEN, startInProcess, vmBody } from '../testing/in-process.js';

describe('VM service through the real app and link', () => {
  let c: InProcess;
  let agent: FakeAgent;
  let tenant: { id: string; token: string };
  beforeEach(async () => {
    c = await startInProcess();
    agent = await FakeAgent.connect(c.agentUrl, { joinToken: JOIN_TOKEN, hello: helloFor('n1') });
    tenant = await c.tenant('acme');
  });
  afterEach(async () => {
    await agent.close();
    await c.close();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'treats VM id %j as missing: GET and DELETE are 404 and the audit chain stays whole',
    async (id) => {
      await c.call('POST', '/v1/vms', { token: tenant.token, body: vmBody('web-1') });
      for (const token of [undefined, tenant.token]) {
        const get = await c.call('GET', `/v1/vms/${id}`, token ? { token } : {});
        expect([get.status, get.body.code]).toEqual([404, 'not_found']);
        const del = await c.call('DELETE', `/v1/vms/${id}`, token ? { token } : {});
        expect([del.status, del.body.code]).toEqual([404, 'not_found']);
      }
      expect(agent.received.filter((m) => m.type === 'destroy')).toEqual([]);
      // tenant.create, vm.create claimed + running, and the two refused DELETEs (admin 404, tenant 404)
      expect((await c.call('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true, entries: 5 });
      expect(Object.keys(c.store.read().vms)).toHaveLength(1);
    },
  );

  it('dry-runs take no placement seed; each real placement takes the next one', async () => {
    const placed: CoordinatorEvent[] = [];
    c.bus.on('vm.placed', (e) => placed.push(e));
    for (let i = 0; i < 3; i++)
      expect(
        (await c.call('POST', '/v1/placements/dry-run', { token: tenant.token, body: vmBody('x') })).status,
      ).toBe(200);
    await c.call('POST', '/v1/vms', { token: tenant.token, body: vmBody('web-1') });
    await c.call('POST', '/v1/placements/dry-run', { token: tenant.token, body: vmBody('x') });
    await c.call('POST', '/v1/vms', { token: tenant.token, body: vmBody('web-2') });
    expect(placed.map((e) => e.type === 'vm.placed' && e.seed)).toEqual([0, 1]);
  });

  it('GET /v1/audit shows the newest entries first and filters by tenant, vm, since and before', async () => {
    const other = await c.tenant('beta');
    const a = (await c.call('POST', '/v1/vms', { token: tenant.token, body: vmBody('web-1') })).body;
    await c.call('POST', '/v1/vms', { token: other.token, body: vmBody('web-1') });
    const all = (await c.call('GET', '/v1/audit')).body.entries as { seq: number; vm: string | null }[];
    expect(all.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(
      (await c.call('GET', '/v1/audit?limit=2')).body.entries.map((e: { seq: number }) => e.seq),
    ).toEqual([6, 5]);
    const page2 = (await c.call('GET', '/v1/audit?limit=2&before=5')).body.entries;
    expect(page2.map((e: { seq: number }) => e.seq)).toEqual([4, 3]);
    const mine = (await c.call('GET', `/v1/audit?vm=${a.id}`)).body.entries;
    expect(mine.map((e: { result: string }) => e.result)).toEqual(['running', 'claimed']);
    const beta = (await c.call('GET', `/v1/audit?tenant=${other.id}&since=2`)).body.entries;
    expect(beta.map((e: { seq: number }) => e.seq)).toEqual([6, 5]);
    const bad = await c.call('GET', '/v1/audit?before=soon');
    expect([bad.status, bad.body.code]).toEqual([422, 'validation_failed']);
  });
});
