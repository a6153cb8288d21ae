import { hostname as osHostname } from 'node:os';
import type { HostThread, HostTopology, NumaNode } from '../../shared/topology.js';
import { detectKvm } from './kvm.js';
import { readCpuModel, readProcMemory, parseMeminfo } from './procfs.js';
import { HostFiles, type ReadFileFn } from './reader.js';
import { readCpuStates, readNodeCpus, readNodeIds, readNodeMeminfo, readThread } from './sysfs.js';

/** ReadHostTopologyOptions locate the host's files (a fixture tree in tests) and the KVM evidence. */
export interface ReadHostTopologyOptions {
  /** sysfsRoot is the directory holding `sys/` and `proc/`; `/` on a real host. */
  readonly sysfsRoot?: string;
  /** capabilitiesXml is libvirt's capabilities document; null or absent means KVM is reported unusable. */
  readonly capabilitiesXml?: string | null;
  readonly devKvmPath?: string;
  readonly hostname?: string;
  readonly readFile?: ReadFileFn;
  /** cpuModelFallback names the CPU when /proc/cpuinfo has no model name; only consulted when the root is `/`. */
  readonly cpuModelFallback?: () => Promise<string | null>;
}

const UNKNOWN_CPU_MODEL = 'unknown';

/** readHostTopology detects KVM, NUMA nodes, sockets, cores and sibling threads of the host below the root. */
export async function readHostTopology(opts: ReadHostTopologyOptions = {}): Promise<HostTopology> {
  const files = new HostFiles(opts.sysfsRoot ?? '/', opts.readFile);
  const states = await readCpuStates(files);
  const online = new Set(states.online);
  const threads = await Promise.all(states.online.map((id) => readThread(files, id, online)));
  const numaNodes = await readNumaNodes(files, threads);
  const kvm = detectKvm({ capabilitiesXml: opts.capabilitiesXml ?? null, devKvmPath: opts.devKvmPath });
  return {
    hostname: opts.hostname ?? osHostname(),
    kvm: kvm.kvm,
    ...(kvm.reason === undefined ? {} : { kvm_reason: kvm.reason }),
    cpu_model: await resolveCpuModel(files, opts.cpuModelFallback ?? systeminformationCpuModel),
    ...cpuShape(threads),
    memory_mb: numaNodes.reduce((sum, node) => sum + node.memory_mb, 0),
    numa_nodes: numaNodes,
    offline_cpus: states.offline,
  };
}

/** readNumaNodes builds each node with its online threads; without a node directory, one implicit node 0. */
async function readNumaNodes(files: HostFiles, threads: readonly HostThread[]): Promise<NumaNode[]> {
  const nodeIds = await readNodeIds(files);
  if (nodeIds === null) return [{ id: 0, ...(await readProcMemory(files)), cpus: threads }];
  const byId = new Map(threads.map((t) => [t.id, t]));
  return Promise.all(
    nodeIds.map(async (id) => {
      const [cpuIds, meminfo] = await Promise.all([readNodeCpus(files, id), readNodeMeminfo(files, id)]);
      // A node's cpulist may still name an offline CPU; only online threads are usable.
      const cpus = cpuIds.flatMap((cpu) => byId.get(cpu) ?? []);
      return { id, ...parseMeminfo(meminfo, `NUMA node ${id} meminfo`), cpus };
    }),
  );
}

/** cpuShape summarises threads as sockets × cores per socket × threads per core. */
function cpuShape(threads: readonly HostThread[]) {
  const sockets = new Set(threads.map((t) => t.socket_id)).size;
  const cores = new Set(threads.map((t) => `${t.socket_id}/${t.core_id}`)).size;
  return {
    sockets: Math.max(sockets, 1),
    cores_per_socket: Math.max(Math.round(cores / Math.max(sockets, 1)), 1),
    threads_per_core: Math.max(1, ...threads.map((t) => t.siblings.length)),
  };
}

async function resolveCpuModel(files: HostFiles, fallback: () => Promise<string | null>): Promise<string> {
  const model = await readCpuModel(files);
  if (model !== null) return model;
  // The fallback inspects the machine we run on, so it would lie about a fixture tree.
  if (files.root !== '/') return UNKNOWN_CPU_MODEL;
  return (await fallback().catch(() => null)) ?? UNKNOWN_CPU_MODEL;
}

async function systeminformationCpuModel(): Promise<string | null> {
  const si = await import('systeminformation');
  const cpu = await si.cpu();
  return [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ') || null;
}
