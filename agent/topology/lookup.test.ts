import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostTopology } from '../../shared/topology.js';
import { readHostTopology } from './detect.js';
import { numaNodeOfCpu, siblingGroups, siblingOf, threadIndex } from './lookup.js';

const fixtureRoot = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/sysfs/${name}`, import.meta.url));
const topologies: Record<string, HostTopology> = {};

beforeAll(async () => {
  for (const name of ['seed003', 'numa4-nosmt', 'sparse-offline']) {
    topologies[name] = await readHostTopology({ sysfsRoot: fixtureRoot(name), devKvmPath: '/nonexistent' });
  }
});
const topo = (name: string): HostTopology => topologies[name]!;

describe('siblingOf', () => {
  it.each([
    ['seed003', 0, 36],
    ['seed003', 36, 0],
    ['seed003', 17, 53],
    ['seed003', 71, 35],
    ['numa4-nosmt', 5, undefined],
    ['sparse-offline', 4, 12],
    ['sparse-offline', 5, undefined], // its sibling 13 is offline
    ['sparse-offline', 13, undefined], // offline itself
    ['seed003', 72, undefined], // no such CPU
  ])('on %s gives thread %i the sibling %s', (name, cpu, sibling) => {
    expect(siblingOf(topo(name), cpu)).toBe(sibling);
  });
});

describe('numaNodeOfCpu', () => {
  it.each([
    ['seed003', 0, 0],
    ['seed003', 18, 1],
    ['seed003', 53, 0],
    ['seed003', 54, 1],
    ['numa4-nosmt', 23, 2],
    ['sparse-offline', 12, 1],
    ['sparse-offline', 13, undefined],
  ])('on %s puts thread %i on node %s', (name, cpu, node) => {
    expect(numaNodeOfCpu(topo(name), cpu)).toBe(node);
  });
});

describe('threadIndex', () => {
  it('indexes every online thread once with its node', () => {
    const index = threadIndex(topo('seed003'));
    expect([...index.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 72 }, (_, i) => i));
    expect(index.get(40)).toEqual({ id: 40, core_id: 4, socket_id: 0, siblings: [4, 40], numa_node: 0 });
  });
});

describe('siblingGroups', () => {
  it('lists each core once, ordered by its first thread', () => {
    const node1 = topo('sparse-offline').numa_nodes[1]!;
    expect(siblingGroups(node1.cpus)).toEqual([[4, 12], [5], [6, 14], [7, 15]]);
  });
});
