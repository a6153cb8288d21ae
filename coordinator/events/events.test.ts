import { afterEach, describe, expect, it } from 'vitest';
import { type CoordinatorEvent, EventSchema } from '../../shared/events.js';
import { helloFor } from '../registry/testing.js';
import { FakeAgent, type SpawnReply } from '../testing/fake-agent.js';
import { type InProcess, JOIN_TOKEN, startInProcess, vmBody } from '../testing/in-process.js';

/** until polls a condition (reconciliation after a hello runs asynchronously). */
async function until(what: string, ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('state-change events (real link over a WebSocket, real app in-process)', () => {
  let c: InProcess;
  let seen: CoordinatorEvent[];
  const agents: FakeAgent[] = [];
  const types = () => seen.map((e) => e.type);
  const since = (n: number) => seen.slice(n).map((e) => e.type);

  async function start(reply?: (spec: { name: string }) => SpawnReply) {
    c = await startInProcess();
    seen = [];
    c.bus.subscribe((e) => void seen.push(e));
    const agent = await FakeAgent.connect(c.agentUrl, {
      joinToken: JOIN_TOKEN,
      hello: helloFor('n1'),
      ...(reply ? { reply } : {}),
    });
    agents.push(agent);
    return agent;
  }

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    await c.close();
  });

  it('a spawn emits claimed, placed, spawning, running with the VM ids, each a valid versioned event', async () => {
    await start();
    const t = await c.tenant('acme');
    const r = await c.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') });
    expect(r.status).toBe(201);
    expect(types()).toEqual(['node.joined', 'vm.claimed', 'vm.placed', 'vm.spawning', 'vm.running']);
    for (const e of seen) expect(EventSchema.safeParse(e).success).toBe(true);
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[1]).toMatchObject({
      v: 1,
      vm_id: r.body.id,
      vmid: 100,
      tenant_id: t.id,
      name: 'web-1',
      node_id: 'n1',
    });
    expect(seen[2]).toMatchObject({ type: 'vm.placed', numa_node: 0, pass: 1, seed: 0, attempt: 1 });
    expect(seen[4]).toMatchObject({ type: 'vm.running', via: 'spawn', vm_id: r.body.id });
  });

  it('a failed spawn emits failed then released, and the audit line comes from the failed event', async () => {
    await start(() => ({ ok: false, code: 'bridge_not_found' }));
    const t = await c.tenant('acme');
    const r = await c.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') });
    expect(r.status).toBe(502);
    expect(since(1)).toEqual(['vm.claimed', 'vm.placed', 'vm.spawning', 'vm.failed', 'vm.released']);
    expect(seen.at(-2)).toMatchObject({ type: 'vm.failed', code: 'spawn_failed' });
    expect(seen.at(-1)).toMatchObject({ type: 'vm.released', reason: 'spawn_failed' });
    const audit = await c.audit.list({ limit: 10 });
    expect(audit.map((a) => a.result)).toEqual([
      'rejected:spawn_failed',
      'failed:spawn_failed',
      'claimed',
      'ok',
    ]);
  });

  it('a destroy emits destroyed with who asked and whether the disk was kept', async () => {
    await start();
    const t = await c.tenant('acme');
    const vm = (await c.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') })).body;
    const before = seen.length;
    expect((await c.call('DELETE', `/v1/vms/${vm.id}?keep_disk=true`)).status).toBe(204); // admin-only
    expect(since(before)).toEqual(['vm.destroyed']);
    expect(seen.at(-1)).toMatchObject({
      vm_id: vm.id,
      keep_disk: true,
      source: expect.stringMatching(/^http /),
    });
  });

  it('a node loss emits down; the node coming back without its VM emits up then lost', async () => {
    const agent = await start();
    const t = await c.tenant('acme');
    const vm = (await c.call('POST', '/v1/vms', { token: t.token, body: vmBody('web-1') })).body;
    const before = seen.length;
    await agent.close();
    expect(c.registry.sweep(Date.now() + 60_000)).toEqual(['n1']);
    const again = {
      joinToken: JOIN_TOKEN,
      hello: helloFor('n1'),
      ...(agent.secret ? { secret: agent.secret } : {}),
    };
    agents.push(await FakeAgent.connect(c.agentUrl, again));
    await until('vm.lost', () => types().includes('vm.lost'));
    expect(since(before)).toEqual(['node.down', 'node.up', 'vm.lost']);
    expect(seen.at(-1)).toMatchObject({ vm_id: vm.id, node_id: 'n1', tenant_id: t.id });
    expect((await c.call('GET', `/v1/vms/${vm.id}`)).body.state).toBe('lost');
  });
});
