import { notRun } from './explain.js';
import { describe, expect, it } from 'vitest';
import { freeSummary, rejectionCounts } from './summary.js';
import { seed003Host } from './testing.js';

describe('freeSummary', () => {
  it('reports free threads, memory and shared load per NUMA node after host reservations', () => {
    const node = seed003Host('h', {
      hostReservedMemoryMb: 4096,
      allocations: [
        { vm_id: 'd', numa_node: 0, pins: [0, 36], memory_mb: 8192, cpu_policy: 'dedicated' },
        { vm_id: 's', numa_node: 1, pins: [18, 19, 18], memory_mb: 2048, cpu_policy: 'shared' },
      ],
    });
    const summary = freeSummary(node, { cpu_overcommit: 2 });
    expect(summary).toMatchObject({
      node_id: 'h',
      threads_free: 60,
      memory_free_mb: 131072 * 2 - 8192 - 10240,
    });
    expect(summary.numa).toEqual([
      {
        numa_node: 0,
        threads_total: 36,
        threads_host_reserved: 4,
        threads_free: 30,
        memory_mb: 131072,
        memory_free_mb: 131072 - 4096 - 8192,
        shared_vcpus_used: 0,
        shared_vcpus_capacity: 60,
      },
      {
        numa_node: 1,
        threads_total: 36,
        threads_host_reserved: 4,
        threads_free: 30,
        memory_mb: 131072,
        memory_free_mb: 131072 - 4096 - 2048,
        shared_vcpus_used: 3,
        shared_vcpus_capacity: 64,
      },
    ]);
  });

  it('sees a replaced node with a new allocation, not the cached view of the old one', () => {
    const before = seed003Host('h');
    const after = {
      ...before,
      allocations: [{ vm_id: 'd', numa_node: 0, pins: [0], memory_mb: 1, cpu_policy: 'dedicated' as const }],
    };
    expect([freeSummary(before).threads_free, freeSummary(after).threads_free]).toEqual([64, 63]);
  });
});

describe('rejectionCounts', () => {
  it('counts rejections per reason code', () => {
    const report = {
      ...notRun(1),
      ran: true,
      rejected: [
        { node_id: 'a', reason: 'node_down' as const, detail: '' },
        { node_id: 'b', reason: 'capacity_vcpu' as const, detail: '' },
        { node_id: 'c', reason: 'node_down' as const, detail: '' },
      ],
    };
    expect(rejectionCounts(report)).toEqual({ node_down: 2, capacity_vcpu: 1 });
  });
});
