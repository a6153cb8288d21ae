import { describe, expect, it } from 'vitest';
import type { NodeRow } from '../api/index.js';
import { formatBands, formatNodes, holders } from './fleet-format.js';

const row = (over: Partial<NodeRow>): NodeRow => ({
  id: 'node-a',
  state: 'up',
  reserved: false,
  kvm: true,
  vms: [],
  vcpu_used: 0,
  vcpu_total: 64,
  ram_used_mb: 0,
  ram_total_mb: 256_000,
  vcpu_available: 64,
  ram_available_mb: 256_000,
  over_allocated: false,
  last_seen: '2026-01-01T00:00:00.000Z',
  numa: [],
  ...over,
});

describe('formatNodes', () => {
  const numa = (numa_node: number, threads_free: number, memory_free_mb: number) => ({
    numa_node,
    threads_total: 36,
    threads_host_reserved: 4,
    threads_free,
    memory_mb: 131_072,
    memory_free_mb,
    shared_vcpus_used: 0,
    shared_vcpus_capacity: 128,
  });

  it('shows free room per NUMA node, never summed; counts VMs; Over-allocated past the totals', () => {
    const lines = formatNodes([
      row({
        vms: ['a', 'b'],
        vcpu_used: 32,
        ram_used_mb: 120_832,
        numa: [numa(0, 0, 21_504), numa(1, 32, 21_504)],
      }),
      row({ id: 'node-b', vcpu_used: 70, vcpu_available: 0, over_allocated: true }),
    ])
      .trimEnd()
      .split('\n');
    expect(lines[1]).toMatch(/^node-a\s+up\s+no\s+yes\s+2\s+32\/64\s+118\/250\s+n0: 0t 21, n1: 32t 21\s+no$/);
    expect(lines[2]).toMatch(/^node-b\s+.*70\/64\s+0\/250\s+Over-allocated\s+yes$/);
  });

  it('shows a down node as down with no capacity', () => {
    const [, line] = formatNodes([row({ state: 'down', numa: [numa(0, 32, 65_536)] })]).split('\n');
    expect(line).toMatch(/down: no capacity/);
    expect(line).not.toMatch(/32t/);
  });
});

describe('holders', () => {
  it('groups threads by VM, then host-reserved, then free', () => {
    const t = (id: number, vms: string[], host_reserved = false) => ({
      id,
      core_id: id,
      socket_id: 0,
      siblings: [],
      host_reserved,
      vms,
    });
    expect(holders([t(0, ['vm1']), t(1, []), t(2, [], true), t(3, ['vm1', 'vm2'])])).toEqual([
      ['vm1', [0, 3]],
      ['vm2', [3]],
      ['(host)', [2]],
      ['(free)', [1]],
    ]);
  });
});

describe('formatBands', () => {
  it('renders range, counts and percent with one decimal', () => {
    const text = formatBands([
      { name: 'ai', from: 100, to: 199, total: 100, used: 3, available: 97, percent_used: 3.333 },
    ]);
    expect(text.split('\n')[1]).toMatch(/^100-199\s+ai\s+100\s+3\s+97\s+3\.3$/);
  });
});
