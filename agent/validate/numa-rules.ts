import { parseCpuList } from '../../shared/cpulist.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { NumaNode } from '../../shared/topology.js';
import { SpawnValidationError } from './errors.js';
import type { HostIndex } from './host-view.js';

const NODESET = 'tuning.numa_memory.nodeset';

/** checkNuma requires known nodes, and under `strict` one node holding every pinned thread. */
export function checkNuma(spec: SpawnSpec, host: HostIndex): void {
  const nodes = memoryNodes(spec, host);
  if (spec.tuning.numa_memory.mode !== 'strict') return;
  const node = nodes[0];
  if (nodes.length !== 1 || node === undefined) {
    throw new SpawnValidationError(
      'numa_mismatch',
      NODESET,
      `Cannot bind VM "${spec.name}" memory: strict mode needs exactly one NUMA node`,
      {
        details: { nodeset: spec.tuning.numa_memory.nodeset },
      },
    );
  }
  spec.tuning.vcpu_pins.forEach((text, i) => {
    const thread = Number(text);
    const on = host.nodeOfThread.get(thread);
    if (on === undefined || on === node.id) return; // offline pins are checkPins' to report
    throw new SpawnValidationError(
      'numa_mismatch',
      `tuning.vcpu_pins[${i}]`,
      `Cannot pin VM "${spec.name}" to thread ${thread}: it is on NUMA node ${on}, memory is strict on node ${node.id}`,
      {
        details: { thread, thread_node: on, memory_node: node.id },
      },
    );
  });
}

/** checkMemory requires the memory to fit: on the strict node, else across the host, after other VMs. */
export function checkMemory(spec: SpawnSpec, host: HostIndex): void {
  const strict = spec.tuning.numa_memory.mode === 'strict';
  const nodes = strict ? memoryNodes(spec, host) : host.view.topology.numa_nodes;
  const ids = new Set(nodes.map((n) => n.id));
  const total = nodes.reduce((sum, n) => sum + n.memory_mb, 0);
  const used = host.view.vms.filter((vm) => ids.has(vm.numa_node)).reduce((sum, vm) => sum + vm.memory_mb, 0);
  const free = total - used;
  if (spec.memory_mb <= free) return;
  const where = strict ? `NUMA node ${[...ids].join(',')}` : 'this host';
  throw new SpawnValidationError(
    'insufficient_memory',
    'memory_mb',
    `Cannot fit VM "${spec.name}": ${spec.memory_mb} MiB requested, ${free} MiB free on ${where}`,
    {
      details: { requested_mb: spec.memory_mb, free_mb: free, numa_nodes: [...ids] },
    },
  );
}

function memoryNodes(spec: SpawnSpec, host: HostIndex): NumaNode[] {
  const text = spec.tuning.numa_memory.nodeset;
  let ids: number[] = [];
  try {
    ids = parseCpuList(text);
  } catch {
    // falls through to the unknown-node error below, which names the field
  }
  const byId = new Map(host.view.topology.numa_nodes.map((n) => [n.id, n]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (ids.length === 0 || unknown.length > 0) {
    const why =
      ids.length === 0
        ? `nodeset ${JSON.stringify(text)} names no node`
        : `NUMA node ${unknown.join(',')} does not exist`;
    throw new SpawnValidationError(
      'numa_node_unknown',
      NODESET,
      `Cannot bind VM "${spec.name}" memory: ${why}`,
      {
        details: { nodeset: text, unknown },
      },
    );
  }
  return ids.map((id) => byId.get(id)!);
}
