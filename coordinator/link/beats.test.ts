import { afterEach, describe, expect, it } from 'vitest';
import { vmsDigest } from '../../shared/beat.js';
import type { VmReport } from '../../shared/protocol.js';
import { helloFor } from '../registry/testing.js';
import { FakeAgent } from '../testing/fake-agent.js';
import { type InProcess, JOIN_TOKEN, startInProcess } from '../testing/in-process.js';

// The small beat (link version 2) against the real link server, registry and claim book in-process.

async function until(what: string, ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function vm(id: string, state: VmReport['state']): VmReport {
  return {
    vm_id: id,
    name: id,
    state,
    numa_node: 0,
    vcpu_pins: [2],
    emulator_cpuset: [],
    memory_mb: 512,
    vcpu_count: 1,
    cpu_policy: 'dedicated',
    domain_uuid: null,
  };
}

const closed = (a: FakeAgent) =>
  new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)));

describe('agent link, version 2 beats', () => {
  let c: InProcess;
  const agents: FakeAgent[] = [];
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    await c.close();
  });

  async function connect(over: Parameters<typeof helloFor>[1]): Promise<FakeAgent> {
    const a = await FakeAgent.connect(c.agentUrl, { joinToken: JOIN_TOKEN, hello: helloFor('n1', over) });
    agents.push(a);
    return a;
  }

  it('keeps a node alive on matching beats, asks a mismatch to resync, and reconciles the kept list', async () => {
    c = await startInProcess();
    const empty = vmsDigest([]);
    const a = await connect({ vms: [], vms_digest: empty });
    expect(a.received.find((m) => m.type === 'welcome')).toMatchObject({ v: 2 });
    const node = () => c.registry.get('n1')!;
    const seen = node().lastSeen;
    await new Promise((r) => setTimeout(r, 5));
    a.beat(1, empty, { stats: { x: { 'cpu.time': 9 } } });
    await until('the beat', () => node().lastSeen > seen);
    expect(node().stats.toRecord()).toEqual({ x: { 'cpu.time': 9 } });
    const resyncs = () => a.received.filter((m) => m.type === 'resync').length;
    expect(resyncs()).toBe(0);

    const list = [vm('x', 'running')];
    a.beat(2, vmsDigest(list));
    await until('a resync', () => resyncs() === 1);
    a.heartbeat(3, list, vmsDigest(list));
    await until('x adopted', () => c.store.read().vms.x?.state === 'running');
    expect(node().reported.digest).toBe(vmsDigest(list));
    // sampled stats stay until the next sample
    expect(node().stats.toRecord()).toEqual({ x: { 'cpu.time': 9 } });

    // the store moves under an unchanged list: the next small beat reconciles the kept list again
    await c.store.update((d) => {
      d.vms.x!.state = 'stopped';
    });
    a.beat(4, vmsDigest(list));
    await until('x running again', () => c.store.read().vms.x?.state === 'running');
    expect(resyncs()).toBe(1);
  });

  it('still speaks version 1: welcome v1, full heartbeats reconcile, a small beat closes the socket', async () => {
    c = await startInProcess();
    const a = await connect({ v: 1, vms: [] });
    expect(a.received.find((m) => m.type === 'welcome')).toMatchObject({ v: 1 });
    a.heartbeat(1, [vm('y', 'running')]);
    await until('y adopted', () => c.store.read().vms.y?.state === 'running');
    const code = closed(a);
    a.beat(2, vmsDigest([]));
    expect(await code).toBe(4002);
  });

  it('reads a beat in another form through the general path, and refuses a beat sent as a binary frame', async () => {
    c = await startInProcess();
    const a = await connect({ vms: [], vms_digest: vmsDigest([]) });
    const node = () => c.registry.get('n1')!;
    // keys in another order and whitespace: not the canonical form, still a valid beat
    a.ws.send(`{ "seq": 1, "type": "beat", "digest": "${vmsDigest([])}", "free_memory_mb": [],
      "stats": { "x": { "cpu.time": 4 } } }`);
    await until('the beat', () => node().stats.size === 1);
    expect(node().stats.toRecord()).toEqual({ x: { 'cpu.time': 4 } });
    const code = closed(a);
    const canonical = { type: 'beat', seq: 2, digest: vmsDigest([]), free_memory_mb: [] };
    a.ws.send(Buffer.from(JSON.stringify(canonical)), { binary: true });
    expect(await code).toBe(4002);
  });

  it('refuses a malformed beat (unknown key) with 4002 and a hello of an unknown version with 4003', async () => {
    c = await startInProcess();
    const a = await connect({ vms: [], vms_digest: vmsDigest([]) });
    const code = closed(a);
    a.beat(1, vmsDigest([]), { vms: [] });
    expect(await code).toBe(4002);
    await expect(connect({ v: 3, vms: [] })).rejects.toThrow(/4003 protocol 3 unsupported; want 1 or 2/);
  });
});
