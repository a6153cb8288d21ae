import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VmReport } from '../../shared/protocol.js';
import { helloFor } from '../registry/testing.js';
import { FakeAgent } from '../testing/fake-agent.js';
import { type InProcess, JOIN_TOKEN, startInProcess, vmBody } from '../testing/in-process.js';

// A spawn whose answer is lost: the real coordinator (app, link, registry, claim book) and a
// scripted agent over a real WebSocket that drops its socket once the spawn order arrives (a mock
// agent: the point is the link, and a real agent cannot be made to die between order and answer).

let c: InProcess;
let tenant: { id: string; token: string };
let first: FakeAgent;

beforeEach(async () => {
  c = await startInProcess();
  tenant = await c.tenant('acme');
  first = await FakeAgent.connect(c.agentUrl, {
    joinToken: JOIN_TOKEN,
    hello: helloFor('n1'),
    reply: () => {
      first.ws.terminate(); // the order arrived; the answer never leaves
      return { ok: true };
    },
  });
});
afterEach(async () => {
  await c.close();
});

/** reportOf is what the agent reports for a spawn order it carried out (or is still carrying out). */
function reportOf(
  order: Extract<FakeAgent['received'][number], { type: 'spawn' }>,
  state: 'running' | 'creating',
): VmReport {
  const v = order.vm;
  return {
    vm_id: v.vm_id,
    name: v.name,
    vmid: v.vmid,
    tenant: v.tenant,
    state,
    numa_node: v.numa_node,
    vcpu_pins: v.vcpu_pins,
    emulator_cpuset: v.emulator_cpuset,
    memory_mb: v.memory_mb,
    vcpu_count: v.vcpu_count,
    cpu_policy: v.cpu_policy,
    domain_uuid: null,
  };
}

async function lostCreate() {
  const r = await c.call('POST', '/v1/vms', { token: tenant.token, body: vmBody('web-1') });
  const order = first.received.find((m) => m.type === 'spawn');
  if (order?.type !== 'spawn') throw new Error('no spawn order reached the agent');
  return { r, order };
}

async function reconnect(vms: VmReport[]): Promise<FakeAgent> {
  return FakeAgent.connect(c.agentUrl, {
    joinToken: JOIN_TOKEN,
    hello: helloFor('n1', { vms }),
    ...(first.secret ? { secret: first.secret } : {}),
  });
}

describe('a spawn whose answer was lost', () => {
  it('answers 504 spawn_outcome_unknown with the VM id; the next report settles it running', async () => {
    const { r, order } = await lostCreate();
    expect(r.status).toBe(504);
    expect(r.body).toMatchObject({
      code: 'spawn_outcome_unknown',
      cause: 'agent_disconnected',
      state: 'creating',
    });
    expect(r.body.vm_id).toBe(order.vm.vm_id);
    expect((await c.call('GET', `/v1/vms/${r.body.vm_id}`, { token: tenant.token })).body.state).toBe(
      'creating',
    );
    const again = await reconnect([reportOf(order, 'running')]);
    await expect
      .poll(async () => (await c.call('GET', `/v1/vms/${r.body.vm_id}`, { token: tenant.token })).body.state)
      .toBe('running');
    await again.close();
  });

  it('releases the claim when the node comes back without the VM (it never came up)', async () => {
    const released: string[] = [];
    c.bus.on('vm.released', (e) => released.push(e.type === 'vm.released' ? e.reason : ''));
    const { r } = await lostCreate();
    const again = await reconnect([]);
    await expect
      .poll(async () => (await c.call('GET', `/v1/vms/${r.body.vm_id}`, { token: tenant.token })).status)
      .toBe(404);
    expect(released).toEqual(['node_report']);
    await again.close();
  });
});
