import type { HostThread } from '../../shared/topology.js';
import { TopologyError } from './errors.js';
import type { HostFiles } from './reader.js';

const CPU_DIR = '/sys/devices/system/cpu';
const NODE_DIR = '/sys/devices/system/node';

/** CpuStates splits the host's CPUs into usable (online) and offline ids, both sorted. */
export interface CpuStates {
  readonly online: readonly number[];
  readonly offline: readonly number[];
}

/** readCpuStates reads cpu/online and cpu/offline, and drops CPUs whose own `cpuN/online` says 0. */
export async function readCpuStates(files: HostFiles): Promise<CpuStates> {
  const listed = await files.cpuList(`${CPU_DIR}/online`);
  if (listed === null)
    throw new TopologyError(`Cannot read host topology: ${files.path(`${CPU_DIR}/online`)} is missing`);
  const offline = new Set((await files.cpuList(`${CPU_DIR}/offline`)) ?? []);
  // The per-CPU flag can disagree with the summary list during a hotplug; trust the per-CPU one.
  const flags = await Promise.all(listed.map((id) => files.optional(`${CPU_DIR}/cpu${id}/online`)));
  listed.forEach((id, i) => {
    if (flags[i] === '0') offline.add(id);
  });
  return {
    online: listed.filter((id) => !offline.has(id)),
    offline: [...offline].sort((a, b) => a - b),
  };
}

/** readThread reads one online CPU's core, socket and siblings (core_cpus_list, else thread_siblings_list). */
export async function readThread(
  files: HostFiles,
  id: number,
  online: ReadonlySet<number>,
): Promise<HostThread> {
  const dir = `${CPU_DIR}/cpu${id}/topology`;
  const [coreId, socketId, coreCpus] = await Promise.all([
    files.integer(`${dir}/core_id`),
    files.integer(`${dir}/physical_package_id`),
    files.cpuList(`${dir}/core_cpus_list`),
  ]);
  // thread_siblings_list is the deprecated name of core_cpus_list; older kernels only have it.
  const listed = coreCpus ?? (await files.cpuList(`${dir}/thread_siblings_list`)) ?? [id];
  const siblings = [...new Set([...listed.filter((s) => online.has(s)), id])].sort((a, b) => a - b);
  return { id, core_id: coreId, socket_id: socketId, siblings };
}

/** readNodeIds lists the online NUMA node ids; null when the kernel exposes no node directory (no NUMA). */
export async function readNodeIds(files: HostFiles): Promise<number[] | null> {
  return files.cpuList(`${NODE_DIR}/online`);
}

/** readNodeCpus lists the CPUs the kernel assigns to a NUMA node; empty for a memory-only node. */
export async function readNodeCpus(files: HostFiles, node: number): Promise<number[]> {
  const cpus = await files.cpuList(`${NODE_DIR}/node${node}/cpulist`);
  if (cpus === null) {
    throw new TopologyError(
      `Cannot read NUMA node ${node}: ${files.path(`${NODE_DIR}/node${node}/cpulist`)} is missing`,
    );
  }
  return cpus;
}

/** readNodeMeminfo returns the raw text of a NUMA node's meminfo ("Node 0 MemTotal: … kB"). */
export async function readNodeMeminfo(files: HostFiles, node: number): Promise<string> {
  return files.required(`${NODE_DIR}/node${node}/meminfo`);
}
