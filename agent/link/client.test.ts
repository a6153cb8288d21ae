import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  AgentMessageSchema,
  type AgentMessage,
  type Hello,
  PROTOCOL_VERSION,
  type SpawnOrder,
  type VmReport,
} from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { HostTopology } from '../../shared/topology.js';
import { readHostTopology } from '../topology/index.js';
import { VmNotFoundError, type VmManager } from '../vms/manager.js';
import { queuedReport } from '../vms/report.js';
import { resolveSpawnOrder } from '../vms/resolve.js';
import { readSnapshot } from '../vms/snapshot.js';
import { quietLog, SEED003_SYSFS } from '../vms/testing.js';
import type { VmBackend } from '../backends/backend.js';
import { AgentLink } from './client.js';
import { fileCredential, memoryCredential, type NodeCredential } from './credential.js';

const TOKEN = 'join-secret-123';

/** FakeCoordinator accepts agent sockets and records what each connection sent, already schema-checked. */
class FakeCoordinator {
  readonly wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  readonly conns: { ws: WebSocket; req: IncomingMessage; msgs: AgentMessage[] }[] = [];
  private waiters: (() => void)[] = [];

  constructor() {
    this.wss.on('connection', (ws, req) => {
      const conn = { ws, req, msgs: [] as AgentMessage[] };
      this.conns.push(conn);
      ws.on('message', (data) => {
        // parse, not safeParse: an off-protocol message fails the test right here
        conn.msgs.push(AgentMessageSchema.parse(JSON.parse(data.toString())));
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v1/agents/connect`;
  }

  latest(): { ws: WebSocket; msgs: AgentMessage[] } {
    const conn = this.conns.at(-1);
    if (!conn) throw new Error('no agent connected');
    return conn;
  }

  /** waitFor resolves with the first message on connection `index` (default: latest) that matches. */
  async waitFor<T extends AgentMessage>(
    match: (m: AgentMessage) => m is T,
    index?: number,
    ms = 3_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const conn = index === undefined ? this.conns.at(-1) : this.conns[index];
      const found = conn?.msgs.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('timed out waiting for an agent message');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  send(msg: object): void {
    this.latest().ws.send(JSON.stringify(msg));
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

const is =
  <K extends AgentMessage['type']>(
    type: K,
    extra: (m: Extract<AgentMessage, { type: K }>) => boolean = () => true,
  ) =>
  (m: AgentMessage): m is Extract<AgentMessage, { type: K }> =>
    m.type === type && extra(m as Extract<AgentMessage, { type: K }>);

/** StubManager is the part of VmManager the link uses, with a spawn the test releases by hand. */
function stubManager(topology: HostTopology) {
  const made: VmReport[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const stub = {
    reports: () => [...made],
    // the real snapshot reader over the seed-003 sysfs fixture; a backend with no VM stats
    snapshot: () =>
      readSnapshot({
        topology,
        sysRoot: SEED003_SYSFS,
        backend: { stats: async () => new Map() } as unknown as VmBackend,
        idByName: new Map(),
      }),
    resolve: (order: SpawnOrder) => resolveSpawnOrder(order, IMAGES_DIR),
    spawn: async (spec: SpawnSpec) => {
      await gate;
      const vm: VmReport = { ...queuedReport({ ...spec, vm_id: spec.vm_id ?? 'x' }), state: 'running' };
      made.push(vm);
      return vm;
    },
    destroy: async (ref: string) => {
      throw new VmNotFoundError(ref);
    },
  };
  return { manager: stub as unknown as VmManager, release: () => release() };
}

const IMAGES_DIR = '/var/lib/vmpool/images';

function wireOrder(vmId: string): SpawnOrder {
  return {
    vm_id: vmId,
    vmid: 101,
    tenant: 'acme',
    name: 'acme-link-vm-1',
    image: 'blank',
    vcpu_count: 2,
    memory_mb: 512,
    disk_size_gb: 2,
    extra_disks: [],
    vcpu_pins: [0, 36],
    emulator_cpuset: [16, 17, 52, 53],
    numa_node: 0,
    cpu_policy: 'dedicated',
    users: [],
    bridge: null,
  };
}

let coord: FakeCoordinator;
let link: AgentLink | undefined;
let topology: HostTopology;
let helloCalls = 0;

beforeEach(async () => {
  coord = new FakeCoordinator();
  await new Promise<void>((r) => coord.wss.once('listening', () => r()));
  topology = await readHostTopology({ sysfsRoot: SEED003_SYSFS, capabilitiesXml: null, hostname: 'seed003' });
  helloCalls = 0;
});
afterEach(async () => {
  link?.stop();
  link = undefined;
  await coord.close();
});

function startLink(
  manager: VmManager,
  credential: NodeCredential = memoryCredential(),
  extra: { images?: () => Promise<string[]> } = {},
): AgentLink {
  const hello = async (): Promise<Omit<Hello, 'vms'>> => {
    helloCalls++;
    return {
      type: 'hello',
      v: PROTOCOL_VERSION,
      node_id: 'seed003',
      boot_id: 'boot-1',
      reserved: false,
      kvm: false,
      topology: topology as Hello['topology'],
      host_reserved_cpus: [],
      host_reserved_memory_mb: 0,
      agent_version: '0.1.0',
      images_dir: '/var/lib/vmpool/images',
      images: ['blank'],
    };
  };
  // rand 0: reconnect at once, so the test does not wait out a backoff
  link = new AgentLink({
    url: coord.url,
    joinToken: TOKEN,
    nodeId: 'seed003',
    credential,
    hello,
    vms: manager,
    log: quietLog,
    rand: () => 0,
    ...extra,
  });
  link.start();
  return link;
}

/** welcome accepts the hello at version `v` (1: an older coordinator, full heartbeats every beat). */
function welcome(v = PROTOCOL_VERSION): void {
  coord.send({ type: 'welcome', v, node_id: 'seed003', heartbeat_interval_ms: 50 });
}

/** beatSeqs are the seqs of every heartbeat and small beat on the latest connection. */
const beatSeqs = () =>
  coord.latest().msgs.flatMap((m) => (m.type === 'heartbeat' || m.type === 'beat' ? [m.seq] : []));

describe('AgentLink against an in-process coordinator', () => {
  it('sends the base image list in the next heartbeat after it changes, and only then', async () => {
    let images = ['blank'];
    startLink(stubManager(topology).manager, memoryCredential(), { images: async () => images });
    await coord.waitFor(is('hello'));
    welcome(1);
    await coord.waitFor(is('heartbeat', (h) => h.seq >= 2));
    // the list the hello carried is not repeated
    expect(coord.latest().msgs.some((m) => m.type === 'heartbeat' && m.images)).toBe(false);
    images = ['blank', 'debian-12'];
    const since = coord.latest().msgs.filter((m) => m.type === 'heartbeat').length;
    const carried = await coord.waitFor(is('heartbeat', (h) => h.images !== undefined));
    expect(carried.images).toEqual(['blank', 'debian-12']);
    // within two beats of the change
    expect(carried.seq).toBeLessThanOrEqual(since + 2);
    await coord.waitFor(is('heartbeat', (h) => h.seq >= carried.seq + 2));
    expect(coord.latest().msgs.filter((m) => m.type === 'heartbeat' && m.images).length).toBe(1);
  });

  it('sends hello with the join token, then heartbeats with rising seq and per-node free memory after welcome', async () => {
    startLink(stubManager(topology).manager);
    const hello = await coord.waitFor(is('hello'));
    expect(coord.conns[0]?.req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(hello).toMatchObject({ node_id: 'seed003', v: PROTOCOL_VERSION, vms: [] });
    welcome();
    // nothing changed since the hello: small beats naming the hello's list by its digest
    const third = await coord.waitFor(is('beat', (h) => h.seq >= 3));
    expect(beatSeqs().slice(0, 3)).toEqual([1, 2, 3]);
    expect(third.digest).toBe(hello.vms_digest);
    expect(coord.latest().msgs.some((m) => m.type === 'heartbeat')).toBe(false);
    expect(third.free_memory_mb).toEqual(
      topology.numa_nodes.map((n) => ({ numa_node: n.id, free_memory_mb: n.free_memory_mb })),
    );
  });

  it('sends the full list once when the coordinator asks to resync, then small beats again', async () => {
    startLink(stubManager(topology).manager);
    const hello = await coord.waitFor(is('hello'));
    welcome();
    const before = await coord.waitFor(is('beat'));
    coord.send({ type: 'resync' });
    const full = await coord.waitFor(is('heartbeat'));
    expect(full).toMatchObject({ vms: [], digest: hello.vms_digest });
    expect(full.seq).toBeGreaterThan(before.seq);
    await coord.waitFor(is('beat', (b) => b.seq > full.seq));
    expect(coord.latest().msgs.filter((m) => m.type === 'heartbeat')).toHaveLength(1);
  });

  it('falls back to version 1 when an older coordinator refuses version 2', async () => {
    startLink(stubManager(topology).manager);
    const offered = await coord.waitFor(is('hello'), 0);
    expect(offered.v).toBe(2);
    coord.latest().ws.close(4003, 'protocol 2 unsupported; want 1');
    const again = await coord.waitFor(is('hello'), 1);
    expect(again.v).toBe(1);
    expect(again.vms_digest).toBeUndefined();
    welcome(1);
    await coord.waitFor(
      is('heartbeat', (h) => h.seq >= 2),
      1,
    );
    expect(coord.latest().msgs.some((m) => m.type === 'beat')).toBe(false);
  });

  it('reports a queued spawn as creating in heartbeats, then answers spawn_result with the VM', async () => {
    const stub = stubManager(topology);
    startLink(stub.manager);
    await coord.waitFor(is('hello'));
    welcome();
    coord.send({ type: 'spawn', request_id: 'req-1', vm: wireOrder('vm-link-1') });
    const creating = await coord.waitFor(
      is('heartbeat', (h) => h.vms.some((v) => v.vm_id === 'vm-link-1' && v.state === 'creating')),
    );
    expect(creating.vms.find((v) => v.vm_id === 'vm-link-1')).toMatchObject({
      numa_node: 0,
      vcpu_pins: [0, 36],
    });
    expect(coord.latest().msgs.some((m) => m.type === 'spawn_result')).toBe(false);

    stub.release();
    const result = await coord.waitFor(is('spawn_result'));
    expect(result).toMatchObject({
      request_id: 'req-1',
      ok: true,
      vm: { vm_id: 'vm-link-1', state: 'running' },
    });
    const after = await coord.waitFor(is('heartbeat', (h) => h.vms.some((v) => v.state === 'running')));
    expect(after.vms.map((v) => [v.vm_id, v.state])).toEqual([['vm-link-1', 'running']]);
  });

  it.each([
    ['spawn without vm', { type: 'spawn', request_id: 'bad-1' }, 'spawn_result'],
    [
      'spawn carrying an agent path',
      { type: 'spawn', request_id: 'bad-1', vm: { ...wireOrder('x'), disk_path: '/etc/passwd' } },
      'spawn_result',
    ],
    ['destroy without vm_id', { type: 'destroy', request_id: 'bad-1' }, 'destroy_result'],
  ] as const)('answers a malformed %s with bad_message', async (_label, msg, answerType) => {
    startLink(stubManager(topology).manager);
    await coord.waitFor(is('hello'));
    coord.send(msg);
    const answer = await coord.waitFor(is(answerType));
    expect(answer).toMatchObject({ request_id: 'bad-1', ok: false, error: { code: 'bad_message' } });
  });

  it('answers a destroy the manager refuses with the error code', async () => {
    startLink(stubManager(topology).manager);
    await coord.waitFor(is('hello'));
    coord.send({ type: 'destroy', request_id: 'd-1', vm_id: 'nope' });
    const answer = await coord.waitFor(is('destroy_result'));
    expect(answer).toMatchObject({ request_id: 'd-1', ok: false, error: { code: 'vm_not_found' } });
  });

  it('reconnects after the coordinator drops the socket and says hello afresh', async () => {
    startLink(stubManager(topology).manager);
    await coord.waitFor(is('hello'), 0);
    coord.latest().ws.close(1011, 'coordinator restarting');
    const again = await coord.waitFor(is('hello'), 1);
    expect(again.node_id).toBe('seed003');
    expect(helloCalls).toBe(2);
    expect(coord.conns).toHaveLength(2);
    expect(coord.conns[1]?.req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('keeps the secret issued at enrolment and proves its node id with it on the next connection', async () => {
    const credential = memoryCredential();
    startLink(stubManager(topology).manager, credential);
    await coord.waitFor(is('hello'), 0);
    const secret = 'A'.repeat(43);
    coord.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      node_id: 'seed003',
      heartbeat_interval_ms: 50,
      node_secret: secret,
    });
    await coord.waitFor(is('beat'), 0);
    expect(await credential.read()).toBe(secret);
    coord.latest().ws.close(1011, 'coordinator restarting');
    await coord.waitFor(is('hello'), 1);
    expect(coord.conns[1]?.req.headers.authorization).toBe(`VmpoolNode seed003:${secret}`);
  });

  it('stores the credential 0600 in a 0700 directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmpool-cred-'));
    const file = fileCredential(join(dir, 'state', 'node-credential'));
    expect(await file.read()).toBeNull();
    await file.save('B'.repeat(43));
    expect(await file.read()).toBe('B'.repeat(43));
    expect((await stat(join(dir, 'state', 'node-credential'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
  });

  it('stays down after stop() instead of reconnecting', async () => {
    const l = startLink(stubManager(topology).manager);
    await coord.waitFor(is('hello'));
    l.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(coord.conns).toHaveLength(1);
    expect(helloCalls).toBe(1);
  });
});
