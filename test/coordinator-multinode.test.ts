import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeHost,
  listNodes,
  makeFakeHost,
  readSidecar,
  sharedThreads,
  siblingPins,
  startFakeAgent,
  vmRequest,
  waitNodesReady,
} from './helpers/fleet.js';
import {
  type Coordinator,
  createTenant,
  type Proc,
  requireBuild,
  startCoordinator,
} from './helpers/procs.js';

// Three fake seed-003 hosts (libvirt test driver, one per agent process) behind one real coordinator:
// two-pass placement, pack ranking and anti-affinity seen through the real HTTP API and WebSocket.

const NODES = ['n1', 'n2', 'n3r'] as const;
const SEED_VMS = [
  { name: 'mn-seed-vm1', vcpu: 32, mem: 120_832 },
  { name: 'mn-seed-vm2', vcpu: 12, mem: 61_440 },
  { name: 'mn-seed-vm3', vcpu: 8, mem: 32_768 },
  { name: 'mn-seed-vm4', vcpu: 12, mem: 24_576 },
];
// The seed's exact pins, in order: VM1 NUMA 0 cores 0-15, then VM2-4 on NUMA 1 cores 18-23, 24-27, 28-33.
const SEED_PINS = [
  { pins: siblingPins(0, 15), emulator: [16, 17, 52, 53], nodeset: '0' },
  { pins: siblingPins(18, 23), emulator: [34, 35, 70, 71], nodeset: '1' },
  { pins: siblingPins(24, 27), emulator: [34, 35, 70, 71], nodeset: '1' },
  { pins: siblingPins(28, 33), emulator: [34, 35, 70, 71], nodeset: '1' },
];

let coord: Coordinator;
let token: string;
const hosts = new Map<string, FakeHost>();
const agents: Proc[] = [];
const vmsByName = new Map<string, { id: string; node_id: string }>();

const logs = () => [coord?.out() ?? '', ...agents.map((a) => a.out())].join('\n').slice(-6000);

async function createVm(body: Record<string, unknown>): ReturnType<Coordinator['api']> {
  const r = await coord.api('POST', '/v1/vms', { token, body });
  if (r.status === 201) vmsByName.set(r.body.name, { id: r.body.id, node_id: r.body.node_id });
  return r;
}

beforeAll(async () => {
  requireBuild();
  coord = await startCoordinator();
  for (const id of NODES) {
    const host = await makeFakeHost(`mn-${id}`);
    hosts.set(id, host);
    agents.push(startFakeAgent(coord, id, host, id === 'n3r' ? ['--reserved'] : []));
  }
  await waitNodesReady(coord, [...NODES], logs);
  token = (await createTenant(coord, 'multinode')).token;
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await coord?.kill();
  for (const h of hosts.values()) await rm(h.imagesDir, { recursive: true, force: true });
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
});

describe('coordinator with three fake seed-003 hosts', () => {
  let packNode = '';
  let otherNode = '';

  it('places the four seed-003 VMs on one non-reserved node with exactly the seed pins', async () => {
    for (const [i, vm] of SEED_VMS.entries()) {
      const r = await createVm(vmRequest(vm.name, vm.vcpu, vm.mem, { allow_reserved: true }));
      expect(r.status, JSON.stringify(r.body) + logs()).toBe(201);
      expect(r.body.state).toBe('running');
      const want = SEED_PINS[i]!;
      expect(r.body.vcpu_pins).toEqual(want.pins);
      expect(r.body.emulator_cpuset).toEqual(want.emulator);
      expect(r.body.memory_nodeset).toBe(want.nodeset);
      expect(r.body.placement_pass).toBe(1);
      packNode ||= r.body.node_id;
      expect(r.body.node_id).toBe(packNode);
    }
    expect(['n1', 'n2']).toContain(packNode);
    otherNode = packNode === 'n1' ? 'n2' : 'n1';
  });

  it('keeps anti-affinity group members on different nodes', async () => {
    const group = { allow_reserved: true, anti_affinity_group: 'mn-aa' };
    const a = await createVm(vmRequest('mn-aa-1', 2, 1024, group));
    const b = await createVm(vmRequest('mn-aa-2', 2, 1024, group));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.node_id).toBe(otherNode);
    expect(b.body.node_id).not.toBe(a.body.node_id);
    // the only other node with room is the reserved one, reached in pass 2
    expect(b.body.node_id).toBe('n3r');
    // the tenant's dry run says only that there is no room now (no node ids, pins or occupancy)
    const dry = await coord.api('POST', '/v1/placements/dry-run', {
      token,
      body: vmRequest('mn-aa-3', 2, 1024, group),
    });
    expect(dry.body).toMatchObject({ ok: false, redacted: true, shortfall: 'no_room_now' });
    // the tenant's own anti-affinity group may be named: it and its VMs are the tenant's own
    expect(dry.body.reason).toMatch(
      /^no capacity for 2 \w+ vCPUs and 1024 MiB on one NUMA node right now; your anti-affinity group "mn-aa" rules out every node that already holds one of its VMs$/,
    );
    for (const id of ['n1', 'n2', 'n3r']) expect(JSON.stringify(dry.body)).not.toContain(id);
    for (const vm of [a.body, b.body])
      expect((await coord.api('DELETE', `/v1/vms/${vm.id}`, { token })).status).toBe(204);
    vmsByName.delete('mn-aa-1');
    vmsByName.delete('mn-aa-2');
  });

  it('fills the non-reserved nodes before the reserved one, and pass 2 only runs when allowed', async () => {
    for (const name of ['mn-big-1', 'mn-big-2']) {
      const r = await createVm(vmRequest(name, 32, 120_832, { allow_reserved: true }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.node_id).toBe(otherNode);
      expect(r.body.placement_pass).toBe(1);
    }
    const big = vmRequest('mn-big-3', 32, 120_832, { allow_reserved: true });
    const dry = await coord.api('POST', '/v1/placements/dry-run', { body: big }); // admin: every node
    expect(dry.status).toBe(200);
    expect(dry.body.ok).toBe(true);
    const [pass1, pass2] = dry.body.passes;
    const reasons = Object.fromEntries(
      pass1.rejected.map((r: { node_id: string; reason: string }) => [r.node_id, r.reason]),
    );
    expect(reasons.n3r).toBe('reserved_node');
    expect(['capacity_vcpu', 'capacity_memory', 'numa_cpu_fit', 'numa_memory_fit']).toContain(reasons.n1);
    expect(['capacity_vcpu', 'capacity_memory', 'numa_cpu_fit', 'numa_memory_fit']).toContain(reasons.n2);
    expect(pass1.candidates).toEqual([]);
    expect(pass2.ran).toBe(true);
    expect(pass2.candidates).toEqual(['n3r']);
    expect(dry.body.decision.node_id).toBe('n3r');

    const refused = await createVm({ ...big, placement: { allow_reserved: false } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('no_capacity');
    // the tenant is told there is no room now, not which nodes are full
    expect(refused.body).toMatchObject({ shortfall: 'no_room_now' });
    expect(refused.body).not.toHaveProperty('passes');
    expect(refused.body.detail).toMatch(/no capacity for 32 \w+ vCPUs and 120832 MiB/);

    const placed = await createVm(big);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.node_id).toBe('n3r');
    expect(placed.body.placement_pass).toBe(2);
  });

  it('shows the per-node allocation table and which VM holds each thread', async () => {
    const rows = Object.fromEntries((await listNodes(coord)).map((n) => [n.id, n]));
    for (const id of NODES) {
      expect(rows[id]!.vcpu_total).toBe(64);
      expect(rows[id]!.ram_total_mb).toBe(262_144);
      expect(rows[id]!.reserved).toBe(id === 'n3r');
      expect(rows[id]!.state).toBe('ready');
    }
    expect(rows[packNode]!.vcpu_used).toBe(64);
    expect(rows[packNode]!.ram_used_mb).toBe(120_832 + 61_440 + 32_768 + 24_576);
    expect(rows[packNode]!.vms.sort()).toEqual(SEED_VMS.map((v) => v.name).sort());
    expect(rows[otherNode]!.vcpu_used).toBe(64);
    expect(rows.n3r!.vcpu_used).toBe(32);
    expect(rows.n3r!.ram_used_mb).toBe(120_832);

    const detail = await coord.api('GET', `/v1/nodes/${packNode}`);
    expect(detail.status).toBe(200);
    const threads = detail.body.numa_nodes.flatMap((n: { threads: unknown[] }) => n.threads);
    expect(threads.find((t: { id: number }) => t.id === 0)).toMatchObject({
      vms: ['mn-seed-vm1'],
      host_reserved: false,
    });
    expect(threads.find((t: { id: number }) => t.id === 16)).toMatchObject({ vms: [], host_reserved: true });
    expect(threads.find((t: { id: number }) => t.id === 54)).toMatchObject({ vms: ['mn-seed-vm2'] });
    expect((await coord.api('GET', '/v1/nodes/nope')).status).toBe(404);
  });

  it('has no host thread in two VMs and a sidecar on the right node for every VM', async () => {
    const list = await coord.api('GET', '/v1/vms', { token });
    expect(list.body.vms).toHaveLength(vmsByName.size);
    expect(sharedThreads(list.body.vms)).toEqual([]);
    for (const vm of list.body.vms) {
      expect(vm.state).toBe('running');
      const sidecar = await readSidecar(hosts.get(vm.node_id)!.imagesDir, vm.id);
      expect(sidecar).toMatchObject({ vm_id: vm.id, observed_state: 'running', desired_state: 'running' });
      const tuning = (sidecar.spec as { tuning: { vcpu_pins: string[]; numa_memory: { nodeset: string } } })
        .tuning;
      expect(tuning.vcpu_pins.map(Number)).toEqual(vm.vcpu_pins);
      expect(tuning.numa_memory.nodeset).toBe(vm.memory_nodeset);
      // the agent keeps no sidecar for a VM that lives on another node
      for (const [id, host] of hosts)
        if (id !== vm.node_id) await expect(readSidecar(host.imagesDir, vm.id)).rejects.toThrow();
    }
  });
});
