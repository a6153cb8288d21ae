// Simulated agents for the creates bench: hello on a seed-003 topology, spawns acknowledged at once and
// reported in later beats (so the coordinator never takes a created VM for lost).
import WebSocket from 'ws';
import {
  SEED003_HOST_RESERVED_CPUS,
  SEED003_SHAPE,
  syntheticTopology,
} from '../../coordinator/placement/testing.js';
import type { Hello, SpawnOrder, VmReport } from '../../shared/protocol.js';
import { BENCH_JOIN_TOKEN } from './coordinator-proc.js';

/** SimAgent is one simulated node: its socket and the VMs it has "spawned". */
export interface SimAgent {
  ws: WebSocket;
  vms: VmReport[];
  timer?: NodeJS.Timeout;
  seq: number;
}

function hello(nodeId: string): Hello {
  return {
    type: 'hello',
    v: 1, // link version 1: full heartbeats, which is what this simulator sends
    node_id: nodeId,
    boot_id: `${nodeId}-boot`,
    reserved: false,
    kvm: true,
    topology: syntheticTopology(SEED003_SHAPE, nodeId) as Hello['topology'],
    host_reserved_cpus: [...SEED003_HOST_RESERVED_CPUS],
    host_reserved_memory_mb: 0,
    vms: [],
    agent_version: 'bench',
    images_dir: '/var/lib/libvirt/images',
    images: ['debian'],
  };
}

function report(o: SpawnOrder): VmReport {
  return {
    vm_id: o.vm_id,
    name: o.name,
    vmid: o.vmid,
    tenant: o.tenant,
    state: 'running',
    numa_node: o.numa_node,
    vcpu_pins: o.vcpu_pins,
    emulator_cpuset: o.emulator_cpuset,
    memory_mb: o.memory_mb,
    vcpu_count: o.vcpu_count,
    cpu_policy: o.cpu_policy,
    domain_uuid: null,
  };
}

function onMessage(a: SimAgent, text: string): void {
  const msg = JSON.parse(text) as { type: string; request_id?: string; vm?: SpawnOrder; vm_id?: string };
  if (msg.type === 'spawn' && msg.vm) {
    const vm = report(msg.vm);
    a.vms.push(vm);
    a.ws.send(JSON.stringify({ type: 'spawn_result', request_id: msg.request_id, ok: true, vm }));
  } else if (msg.type === 'destroy') {
    a.vms = a.vms.filter((v) => v.vm_id !== msg.vm_id);
    a.ws.send(JSON.stringify({ type: 'destroy_result', request_id: msg.request_id, ok: true }));
  } else if (msg.type === 'interval') {
    schedule(a, (msg as unknown as { heartbeat_interval_ms: number }).heartbeat_interval_ms);
  }
}

function beat(a: SimAgent): void {
  const numa = [0, 1].map((id) => ({ numa_node: id, free_memory_mb: SEED003_SHAPE.memoryMbPerNode }));
  a.ws.send(JSON.stringify({ type: 'heartbeat', seq: ++a.seq, free_memory_mb: numa, vms: a.vms }));
}

/** schedule beats every `every` ms after a random phase, so the fleet does not beat in lockstep. */
function schedule(a: SimAgent, every: number): void {
  clearTimeout(a.timer);
  clearInterval(a.timer);
  a.timer = setTimeout(() => {
    beat(a);
    a.timer = setInterval(() => beat(a), every);
  }, Math.random() * every);
}

/** connectAgent dials, says hello, and once welcomed answers spawns and beats at the given interval. */
export function connectAgent(url: string, nodeId: string): Promise<SimAgent> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${BENCH_JOIN_TOKEN}` } });
    ws.once('open', () => ws.send(JSON.stringify(hello(nodeId))));
    ws.once('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; heartbeat_interval_ms: number };
      if (msg.type !== 'welcome') return reject(new Error(`Cannot connect ${nodeId}: got ${msg.type}`));
      const agent: SimAgent = { ws, vms: [], seq: 0 };
      ws.on('message', (next) => onMessage(agent, next.toString()));
      schedule(agent, msg.heartbeat_interval_ms);
      resolve(agent);
    });
    ws.once('error', reject);
  });
}

/** connectAll opens n agents with at most `concurrency` handshakes in flight. */
export async function connectAll(url: string, n: number, concurrency: number): Promise<SimAgent[]> {
  const agents: SimAgent[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      agents[i] = await connectAgent(url, `sim-${String(i).padStart(5, '0')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return agents;
}

/** closeAll stops every agent's beats and closes its socket. */
export function closeAll(agents: readonly SimAgent[]): void {
  for (const a of agents) {
    clearTimeout(a.timer);
    clearInterval(a.timer);
    a.ws.terminate();
  }
}
