import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from '../coordinator/testing/fake-agent.js';
import { helloFor } from '../coordinator/registry/testing.js';
import { AGENT_PATH } from '../coordinator/link/server.js';
import {
  type FakeHost,
  listNodes,
  makeFakeHost,
  startFakeAgent,
  waitNodeState,
  waitNodesReady,
} from './helpers/fleet.js';
import {
  type Coordinator,
  JOIN_TOKEN,
  type Proc,
  requireBuild,
  startCoordinator,
  waitFor,
} from './helpers/procs.js';
import { frame, rawExchange } from './helpers/raw-ws.js';

// The agent link as an attacker holding the join token sees it: real coordinator process, a real
// agent (libvirt test driver) beating throughout, raw TCP frames no WebSocket library would send.

const NODE = 'hostile-real';
const LIVENESS = ['--min-heartbeat-ms', '300', '--missed-heartbeats', '4'];
/** FUZZ_RUNS is how many random frames the fuzz run throws (reported in the closing note). */
const FUZZ_RUNS = 150;
let coord: Coordinator;
let agent: Proc;
let host: FakeHost;
const fakes: FakeAgent[] = [];

const logs = () => `${coord?.out().slice(-3000)}\n${agent?.out().slice(-3000)}`;
const agentUrl = () => `${coord.url.replace('http', 'ws')}${AGENT_PATH}`;
const bearer = `Bearer ${JOIN_TOKEN}`;

async function heartbeats(): Promise<number> {
  const text = await (await fetch(`${coord.url}/metrics`)).text();
  return Number(/^vmpool_heartbeats_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** stillServing: the coordinator process lives, answers, and the real node is ready and beating. */
async function stillServing(): Promise<void> {
  expect(coord.child.exitCode, logs()).toBeNull();
  expect((await fetch(`${coord.url}/healthz`)).status).toBe(200);
  const before = await heartbeats();
  await waitFor(async () => (await heartbeats()) > before, { what: `a fresh heartbeat\n${logs()}` });
  expect((await listNodes(coord)).find((n) => n.id === NODE)?.state).toBe('ready');
}

beforeAll(async () => {
  requireBuild();
  host = await makeFakeHost('hostile');
  coord = await startCoordinator({ args: [...LIVENESS, '--agent-max-message-bytes', '65536'] });
  agent = startFakeAgent(coord, NODE, host);
  await waitNodesReady(coord, [NODE], logs);
});

afterAll(async () => {
  for (const f of fakes) await f.close().catch(() => undefined);
  await agent?.kill();
  await coord?.kill();
  if (host) await rm(host.imagesDir, { recursive: true, force: true });
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
});

describe('agent link under hostile frames', () => {
  it.each([
    ['invalid UTF-8 in a text frame', [frame(Buffer.from([0xc3, 0x28, 0xff]))], 1007],
    ['an unmasked client frame', [frame(Buffer.from('{"type":"hello"}'), { mask: false })], 1002],
    ['a frame over the size limit', [frame(Buffer.alloc(16), { claimedLength: 70_000 })], 1009],
    ['a reserved opcode', [frame(Buffer.from('x'), { opcode: 3 })], 1002],
    ['malformed JSON', [frame(Buffer.from('{"type":'))], 4002],
    ['a hello failing its schema', [frame(Buffer.from('{"type":"hello","v":1}'))], 4002],
    [
      'a heartbeat before hello',
      [frame(Buffer.from('{"type":"heartbeat","seq":1,"free_memory_mb":[],"vms":[]}'))],
      4002,
    ],
    ['a binary frame', [frame(Buffer.from([1, 2, 3]), { opcode: 2 })], 4002],
  ])('%s closes that socket only and the coordinator keeps serving', async (_label, bytes, code) => {
    const r = await rawExchange(agentUrl(), bearer, bytes);
    expect(r.status).toBe(101);
    expect(r.closeCode).toBe(code);
    await stillServing();
  });

  it(`survives ${FUZZ_RUNS} random frames (fast-check) while the real agent keeps beating`, async () => {
    const anyFrame = fc.record({
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        fc.json().map((j) => Buffer.from(j)),
        fc
          .constantFrom('hello', 'heartbeat', 'spawn_result')
          .map((t) => Buffer.from(JSON.stringify({ type: t }))),
      ),
      opcode: fc.constantFrom(0, 1, 1, 1, 2, 3, 8, 9, 10, 15),
      fin: fc.boolean(),
      mask: fc.boolean(),
      claimedLength: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { minLength: 1, maxLength: 3 }), async (frames) => {
        const bytes = frames.map((f) => frame(f.payload, f));
        const r = await rawExchange(agentUrl(), bearer, bytes, 400);
        return r.status === 101 && coord.child.exitCode === null;
      }),
      { numRuns: FUZZ_RUNS },
    );
    await stillServing();
  });

  it('refuses the upgrade with 401 without the join token or with a forged node credential', async () => {
    expect((await rawExchange(agentUrl(), 'Bearer nope-nope-nope', [])).status).toBe(401);
    expect((await rawExchange(agentUrl(), `VmpoolNode ${NODE}:${'A'.repeat(43)}`, [])).status).toBe(401);
    expect((await rawExchange(agentUrl(), '', [])).status).toBe(401);
  });
});

describe('node identity against impostors', () => {
  const rogueHello = (id: string) => helloFor(id);

  it('refuses the join token for an enrolled node id while it is up (4009), the real node keeps beating', async () => {
    await expect(
      FakeAgent.connect(agentUrl(), { joinToken: JOIN_TOKEN, hello: rogueHello(NODE) }),
    ).rejects.toThrow(/4009/);
    await stillServing();
  });

  it('a rogue new node cannot inject VMs: its unknown VMs are foreign, VMID 0, admin only; purge removes them', async () => {
    const rogue = await FakeAgent.connect(agentUrl(), {
      joinToken: JOIN_TOKEN,
      hello: rogueHello('rogue-1'),
    });
    fakes.push(rogue);
    expect(rogue.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const fake = (i: number) => ({
      vm_id: `fake-${i}`,
      name: `fake-${i}`,
      vmid: 100 + i,
      tenant: 'victim',
      state: 'running' as const,
      numa_node: 0,
      vcpu_pins: [0],
      emulator_cpuset: [1],
      memory_mb: 64,
      vcpu_count: 1,
      cpu_policy: 'shared' as const,
      domain_uuid: null,
    });
    rogue.heartbeat(1, [fake(1), fake(2)]);
    const vms = (await waitFor(
      async () => {
        const all = (await coord.api('GET', '/v1/vms')).body.vms as {
          id: string;
          vmid: number;
          tenant: string;
          tags: string[];
        }[];
        const found = all.filter((v) => v.id.startsWith('fake-'));
        return found.length === 2 ? found : null;
      },
      { what: 'foreign VMs recorded' },
    ))!;
    expect(vms.every((v) => v.vmid === 0 && v.tenant === '_local' && v.tags.includes('foreign'))).toBe(true);
    const bands = (await coord.api('GET', '/v1/vmid-bands')).body.bands as { used: number }[];
    expect(bands.every((b) => b.used === 0)).toBe(true);
    expect((await coord.api('DELETE', '/v1/nodes/rogue-1')).status).toBe(409);
    expect((await coord.api('DELETE', '/v1/nodes/rogue-1?purge=true')).status).toBe(204);
    const left = (await coord.api('GET', '/v1/vms')).body.vms as { id: string }[];
    expect(left.filter((v) => v.id.startsWith('fake-'))).toEqual([]);
    expect((await listNodes(coord)).map((n) => n.id)).toEqual([NODE]);
    // its credential is revoked: the upgrade is refused
    expect((await rawExchange(agentUrl(), `VmpoolNode rogue-1:${rogue.secret}`, [])).status).toBe(401);
  });

  it('stats are numbers from a fixed key set: a heartbeat with text stats closes that socket', async () => {
    const rogue = await FakeAgent.connect(agentUrl(), {
      joinToken: JOIN_TOKEN,
      hello: rogueHello('rogue-2'),
    });
    fakes.push(rogue);
    const closed = new Promise<number>((r) => rogue.ws.once('close', (code) => r(code)));
    rogue.ws.send(
      JSON.stringify({
        type: 'heartbeat',
        seq: 1,
        free_memory_mb: [],
        vms: [],
        stats: { x: { 'cpu.time': 'pwned' } },
      }),
    );
    expect(await closed).toBe(4002);
    await stillServing();
  });

  it('a second connection with the same credential displaces the first with 4011', async () => {
    const first = await FakeAgent.connect(agentUrl(), { joinToken: JOIN_TOKEN, hello: rogueHello('twin') });
    fakes.push(first);
    const closed = new Promise<number>((r) => first.ws.once('close', (code) => r(code)));
    const second = await FakeAgent.connect(agentUrl(), {
      joinToken: JOIN_TOKEN,
      hello: rogueHello('twin'),
      ...(first.secret ? { secret: first.secret } : {}),
    });
    fakes.push(second);
    expect(await closed).toBe(4011);
    expect((await coord.api('DELETE', '/v1/nodes/twin')).status).toBe(204);
  });

  it('refuses the join token for the node while it is down and after a coordinator restart; the real agent returns with its credential', async () => {
    await agent.kill();
    await waitNodeState(coord, NODE, 'down');
    await expect(
      FakeAgent.connect(agentUrl(), { joinToken: JOIN_TOKEN, hello: rogueHello(NODE) }),
    ).rejects.toThrow(/4009/);
    await coord.kill();
    coord = await startCoordinator({ dataDir: coord.dataDir, port: coord.port, args: LIVENESS });
    await expect(
      FakeAgent.connect(agentUrl(), { joinToken: JOIN_TOKEN, hello: rogueHello(NODE) }),
    ).rejects.toThrow(/4009/);
    expect((await listNodes(coord)).map((n) => n.id)).toEqual([]);
    agent = startFakeAgent(coord, NODE, host);
    await waitNodesReady(coord, [NODE], logs);
    expect(agent.out()).not.toContain('enrolled with the coordinator; node credential stored');
  });

  it('rotates the join token without a restart: the old one no longer enrols, the new one does', async () => {
    const r = await coord.api('POST', '/v1/join-token');
    expect(r.status).toBe(201);
    expect((await rawExchange(agentUrl(), bearer, [])).status).toBe(401);
    const fresh = await FakeAgent.connect(agentUrl(), {
      joinToken: r.body.join_token,
      hello: rogueHello('late-1'),
    });
    fakes.push(fresh);
    expect(fresh.secret).toBeDefined();
    await stillServing();
  });
});
