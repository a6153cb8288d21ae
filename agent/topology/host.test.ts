import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../shared/cpulist.js';
import type { HostTopology } from '../../shared/topology.js';
import { readHostTopology } from './detect.js';
import { numaNodeOfCpu, threadIndex } from './lookup.js';
import { STRICT_TESTS } from '../../shared/testing-env.js';

// These tests read the machine they run on (root '/'), checked against sources we do not parse ourselves.
let topo: HostTopology;
beforeAll(async () => {
  topo = await readHostTopology();
});

function lscpuRows(): { cpu: number; core: number; socket: number; node: number }[] | null {
  try {
    const text = execFileSync('lscpu', ['-p=CPU,CORE,SOCKET,NODE'], { encoding: 'utf8' });
    return text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const [cpu, core, socket, node] = line.split(',');
        // lscpu leaves NODE empty on kernels without NUMA; we report that as node 0.
        return { cpu: Number(cpu), core: Number(core), socket: Number(socket), node: Number(node || 0) };
      });
  } catch {
    return null;
  }
}

/** partition groups ids by a key and returns the groups in a canonical order, so numbering does not matter. */
function partition<T>(items: readonly T[], id: (item: T) => number, key: (item: T) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), id(item)]);
  return [...groups.values()].map((g) => g.sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
}

describe('readHostTopology on this machine', () => {
  it('finds at least one NUMA node and one thread per online CPU', () => {
    expect(topo.numa_nodes.length).toBeGreaterThanOrEqual(1);
    expect(threadIndex(topo).size).toBe(cpus().length);
    expect(threadIndex(topo).size).toBeGreaterThanOrEqual(availableParallelism());
  });

  it('agrees with /sys/devices/system/cpu/online', () => {
    const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    expect([...threadIndex(topo).keys()].sort((a, b) => a - b)).toEqual(online);
  });

  it('reports memory and a CPU model', () => {
    expect(topo.memory_mb).toBeGreaterThan(0);
    expect(topo.cpu_model).not.toBe('unknown');
    expect(topo.sockets * topo.cores_per_socket * topo.threads_per_core).toBeGreaterThanOrEqual(1);
  });

  const rows = lscpuRows();
  it.skipIf(rows === null && !STRICT_TESTS)(
    'matches lscpu -p=CPU,CORE,SOCKET,NODE (CPUs, nodes, cores, sockets)',
    () => {
      const lscpu = rows!;
      const threads = [...threadIndex(topo).values()];
      expect(threads.map((t) => t.id).sort((a, b) => a - b)).toEqual(
        lscpu.map((r) => r.cpu).sort((a, b) => a - b),
      );
      for (const row of lscpu) expect(numaNodeOfCpu(topo, row.cpu), `cpu ${row.cpu}`).toBe(row.node);
      // lscpu renumbers cores and sockets logically, so compare how CPUs are grouped, not the numbers.
      expect(
        partition(
          threads,
          (t) => t.id,
          (t) => t.siblings.join(','),
        ),
      ).toEqual(
        partition(
          lscpu,
          (r) => r.cpu,
          (r) => String(r.core),
        ),
      );
      expect(
        partition(
          threads,
          (t) => t.id,
          (t) => String(t.socket_id),
        ),
      ).toEqual(
        partition(
          lscpu,
          (r) => r.cpu,
          (r) => String(r.socket),
        ),
      );
    },
  );
});
