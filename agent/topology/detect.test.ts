import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { HostTopology } from '../../shared/topology.js';
import { readHostTopology } from './detect.js';
import { TopologyError } from './errors.js';
import { siblingOf, threadIndex } from './lookup.js';
import type { ReadFileFn } from './reader.js';

const fixtureRoot = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/sysfs/${name}`, import.meta.url));

const read = (name: string): Promise<HostTopology> =>
  readHostTopology({ sysfsRoot: fixtureRoot(name), hostname: name, devKvmPath: '/nonexistent/kvm' });

const nodeCpuIds = (topo: HostTopology, node: number) =>
  topo.numa_nodes.find((n) => n.id === node)?.cpus.map((t) => t.id);

describe('readHostTopology on fixture trees', () => {
  it.each([
    // name, numa nodes, sockets, cores/socket, threads/core, online threads, memory MiB, offline
    ['seed003', 2, 2, 18, 2, 72, 262144, []],
    ['numa4-nosmt', 4, 2, 16, 1, 32, 131072, []],
    ['sparse-offline', 3, 2, 4, 2, 15, 40960, [13]],
  ] as const)(
    'reads %s as %i nodes, %i sockets × %i cores × %i threads',
    async (name, nodes, sockets, cores, tpc, threads, memory, offline) => {
      const topo = await read(name);
      expect(topo.numa_nodes).toHaveLength(nodes);
      expect(topo.sockets).toBe(sockets);
      expect(topo.cores_per_socket).toBe(cores);
      expect(topo.threads_per_core).toBe(tpc);
      expect(threadIndex(topo).size).toBe(threads);
      expect(topo.memory_mb).toBe(memory);
      expect(topo.offline_cpus).toEqual(offline);
      expect(topo.hostname).toBe(name);
    },
  );

  it('reads the seed-003 host: node 1 holds 18-35,54-71 and N pairs with N+36', async () => {
    const topo = await read('seed003');
    expect(topo.cpu_model).toBe('Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz');
    expect(topo.numa_nodes.map((n) => n.cpus.length)).toEqual([36, 36]);
    expect(nodeCpuIds(topo, 1)).toEqual([...range(18, 35), ...range(54, 71)]);
    const index = threadIndex(topo);
    expect(index.get(0)?.siblings).toEqual([0, 36]);
    expect(index.get(71)?.siblings).toEqual([35, 71]);
    expect(index.get(53)).toMatchObject({ socket_id: 0, core_id: 17, numa_node: 0 });
    expect(topo.numa_nodes[0]).toMatchObject({ memory_mb: 131072, free_memory_mb: 129024 });
  });

  it('reads siblings from core_cpus_list when thread_siblings_list is absent (numa4-nosmt)', async () => {
    const topo = await read('numa4-nosmt');
    expect(threadIndex(topo).get(9)?.siblings).toEqual([9]);
    expect(siblingOf(topo, 9)).toBeUndefined();
    expect(nodeCpuIds(topo, 3)).toEqual(range(24, 31));
  });

  it('drops an offline CPU even when its node cpulist still names it (sparse-offline)', async () => {
    const topo = await read('sparse-offline');
    expect(threadIndex(topo).has(13)).toBe(false);
    expect(nodeCpuIds(topo, 1)).toEqual([4, 5, 6, 7, 12, 14, 15]);
    expect(threadIndex(topo).get(5)?.siblings).toEqual([5]);
    expect(nodeCpuIds(topo, 0)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
  });

  it('keeps a memory-only NUMA node with its memory and no CPUs (sparse-offline node 2)', async () => {
    const topo = await read('sparse-offline');
    expect(topo.numa_nodes[2]).toEqual({ id: 2, memory_mb: 8192, free_memory_mb: 8000, cpus: [] });
  });

  it('reports KVM unusable with a reason when capabilities are missing', async () => {
    const topo = await read('seed003');
    expect(topo.kvm).toBe(false);
    expect(topo.kvm_reason).toMatch(/capabilities are unavailable/);
  });
});

describe('readHostTopology with an injected reader', () => {
  // A host without NUMA support: no sys/devices/system/node directory at all.
  const flatHost: Record<string, string> = {
    '/r/sys/devices/system/cpu/online': '0-3\n',
    '/r/sys/devices/system/cpu/offline': '\n',
    '/r/proc/meminfo': 'MemTotal:        8388608 kB\nMemFree:         4194304 kB\nMemAvailable: 1 kB\n',
    '/r/proc/cpuinfo': 'processor\t: 0\nmodel name\t: Test CPU 4000\n',
    ...Object.fromEntries(
      [0, 1, 2, 3].flatMap((cpu) => [
        [`/r/sys/devices/system/cpu/cpu${cpu}/topology/core_id`, `${cpu % 2}\n`],
        [`/r/sys/devices/system/cpu/cpu${cpu}/topology/physical_package_id`, '0\n'],
        [
          `/r/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`,
          cpu % 2 === 0 ? '0,2\n' : '1,3\n',
        ],
      ]),
    ),
  };
  const readFrom =
    (files: Record<string, string>): ReadFileFn =>
    async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    };

  it('makes one implicit node 0 with every CPU and /proc/meminfo memory when there is no node directory', async () => {
    const topo = await readHostTopology({ sysfsRoot: '/r', readFile: readFrom(flatHost), hostname: 'flat' });
    expect(topo.numa_nodes).toHaveLength(1);
    expect(topo.numa_nodes[0]).toMatchObject({ id: 0, memory_mb: 8192, free_memory_mb: 4096 });
    expect(nodeCpuIds(topo, 0)).toEqual([0, 1, 2, 3]);
    expect(topo).toMatchObject({
      sockets: 1,
      cores_per_socket: 2,
      threads_per_core: 2,
      cpu_model: 'Test CPU 4000',
    });
  });

  it('names the CPU "unknown" below a non-root tree whose cpuinfo has no model, without asking the fallback', async () => {
    const files = { ...flatHost, '/r/proc/cpuinfo': 'processor\t: 0\n' };
    let asked = false;
    const fallback = async () => {
      asked = true;
      return 'Real Host CPU';
    };
    const topo = await readHostTopology({
      sysfsRoot: '/r',
      readFile: readFrom(files),
      cpuModelFallback: fallback,
    });
    expect(topo.cpu_model).toBe('unknown');
    expect(asked).toBe(false);
  });

  it.each([
    ['cpu/online is missing', { '/r/sys/devices/system/cpu/online': undefined }, /cpu\/online is missing/],
    ['a cpulist is malformed', { '/r/sys/devices/system/cpu/online': '0-x\n' }, /Cannot parse .*cpu\/online/],
    [
      'core_id is not a number',
      { '/r/sys/devices/system/cpu/cpu1/topology/core_id': 'one\n' },
      /expected an integer/,
    ],
  ])('fails with TopologyError when %s', async (_label, patch, message) => {
    const files = Object.fromEntries(
      Object.entries({ ...flatHost, ...patch }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const result = readHostTopology({ sysfsRoot: '/r', readFile: readFrom(files) });
    await expect(result).rejects.toBeInstanceOf(TopologyError);
    await expect(result).rejects.toMatchObject({
      code: 'topology_unreadable',
      message: expect.stringMatching(message),
    });
  });
});

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
