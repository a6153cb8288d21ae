// Pure builders of placement fixtures for tests and benches (no fs): seed-003 and synthetic hosts.
import type { HostThread, HostTopology, NumaNode } from '../../shared/topology.js';
import type { Allocation, PlacementNode, PlacementRequest } from './types.js';

/** HostShape is a uniform host: one NUMA node per socket, Linux-style thread numbering. */
export interface HostShape {
  readonly sockets: number;
  readonly coresPerSocket: number;
  readonly threadsPerCore: number;
  readonly memoryMbPerNode: number;
}

/** HostOptions overrides a built node's flags, reserved threads/memory and allocations. */
export interface HostOptions {
  readonly alive?: boolean;
  readonly reserved?: boolean;
  readonly kvm?: boolean;
  readonly hostReservedCpus?: readonly number[];
  /** reservedCoresPerSocket reserves the last N cores of each socket (all their threads) */
  readonly reservedCoresPerSocket?: number;
  readonly hostReservedMemoryMb?: number;
  readonly allocations?: readonly Allocation[];
}

/** SEED003_SHAPE is the seed-003 host: 2 sockets × 18 cores × 2 threads, 128 GiB per NUMA node. */
export const SEED003_SHAPE: HostShape = {
  sockets: 2,
  coresPerSocket: 18,
  threadsPerCore: 2,
  memoryMbPerNode: 131072,
};

/** SEED003_HOST_RESERVED_CPUS are cores 16-17 of each socket: the seed's host + emulator threads. */
export const SEED003_HOST_RESERVED_CPUS: readonly number[] = [16, 17, 52, 53, 34, 35, 70, 71];

/** syntheticTopology numbers thread t of core c on socket s as t·(sockets·cores) + s·cores + c, like Linux. */
export function syntheticTopology(shape: HostShape, hostname = 'synthetic'): HostTopology {
  const totalCores = shape.sockets * shape.coresPerSocket;
  const numa_nodes: NumaNode[] = [];
  for (let s = 0; s < shape.sockets; s++) {
    const cpus: HostThread[] = [];
    for (let t = 0; t < shape.threadsPerCore; t++) {
      for (let c = 0; c < shape.coresPerSocket; c++) {
        const core = s * shape.coresPerSocket + c;
        const siblings = Array.from({ length: shape.threadsPerCore }, (_, k) => k * totalCores + core);
        cpus.push({ id: t * totalCores + core, core_id: c, socket_id: s, siblings });
      }
    }
    cpus.sort((a, b) => a.id - b.id);
    numa_nodes.push({ id: s, memory_mb: shape.memoryMbPerNode, free_memory_mb: shape.memoryMbPerNode, cpus });
  }
  return {
    hostname,
    kvm: true,
    cpu_model: 'Synthetic CPU',
    sockets: shape.sockets,
    cores_per_socket: shape.coresPerSocket,
    threads_per_core: shape.threadsPerCore,
    memory_mb: shape.memoryMbPerNode * shape.sockets,
    numa_nodes,
    offline_cpus: [],
  };
}

/** lastCoresThreads lists every thread of the last `count` cores of each socket. */
export function lastCoresThreads(topology: HostTopology, count: number): number[] {
  const threads: number[] = [];
  for (const numa of topology.numa_nodes) {
    for (const cpu of numa.cpus) {
      if (cpu.core_id >= topology.cores_per_socket - count) threads.push(cpu.id);
    }
  }
  return threads.sort((a, b) => a - b);
}

/** syntheticHost builds a placement node of the given shape (nothing reserved unless asked). */
export function syntheticHost(shape: HostShape & { id?: string }, opts: HostOptions = {}): PlacementNode {
  const id = shape.id ?? 'synthetic';
  const topology = syntheticTopology(shape, id);
  const kvm = opts.kvm ?? true;
  return {
    id,
    alive: opts.alive ?? true,
    reserved: opts.reserved ?? false,
    kvm,
    topology: kvm ? topology : { ...topology, kvm: false, kvm_reason: 'synthetic host without KVM' },
    host_reserved_cpus: opts.hostReservedCpus ?? lastCoresThreads(topology, opts.reservedCoresPerSocket ?? 0),
    host_reserved_memory_mb: opts.hostReservedMemoryMb ?? 0,
    allocations: opts.allocations ?? [],
  };
}

/** seed003Host builds the seed-003 host with cores 16-17 of each socket reserved for host + emulator. */
export function seed003Host(id: string, opts: HostOptions = {}): PlacementNode {
  return syntheticHost({ ...SEED003_SHAPE, id }, { hostReservedCpus: SEED003_HOST_RESERVED_CPUS, ...opts });
}

/** withAllocation returns a copy of the node holding one more allocation (nodes are never mutated). */
export function withAllocation(node: PlacementNode, allocation: Allocation): PlacementNode {
  return { ...node, allocations: [...node.allocations, allocation] };
}

/** smallRequest is the tests' usual VM: 2 dedicated vCPUs and 2 GiB, no KVM needed, id `vm-<i>`. */
export function smallRequest(i: number, allowReserved = false): PlacementRequest {
  return {
    vm_id: `vm-${i}`,
    vcpu_count: 2,
    memory_mb: 2048,
    cpu_policy: 'dedicated',
    requires_kvm: false,
    allow_reserved: allowReserved,
  };
}
