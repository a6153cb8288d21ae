import { describe, expect, it } from 'vitest';
import { dedicatedPins, emulatorCpuset } from './pins.js';
import { seed003Host, syntheticHost, syntheticTopology } from './testing.js';
import { nodeView } from './view.js';

const smt2 = syntheticTopology({ sockets: 1, coresPerSocket: 4, threadsPerCore: 2, memoryMbPerNode: 1024 });
const smt1 = syntheticTopology({ sockets: 1, coresPerSocket: 4, threadsPerCore: 1, memoryMbPerNode: 1024 });

describe('dedicatedPins', () => {
  // smt2 siblings: 0/4, 1/5, 2/6, 3/7
  it.each([
    ['whole pairs lowest core first', [0, 1, 2, 3, 4, 5, 6, 7], 4, [0, 4, 1, 5]],
    ['a whole pair before a lower half-free pair', [0, 2, 3, 6, 7], 2, [2, 6]],
    ['an odd count ends with the lowest leftover thread', [0, 1, 4, 5], 3, [0, 4, 1]],
    ['single threads when no pair is whole', [0, 5, 2, 7], 3, [0, 2, 5]],
    ['every free thread when count equals the free count', [1, 3, 5], 3, [1, 5, 3]],
  ])('takes %s', (_name, free, count, expected) => {
    const sorted = [...free].sort((a, b) => a - b);
    expect(dedicatedPins(smt2.numa_nodes[0]!, sorted, count)).toEqual(expected);
  });

  it('takes threads in order on a host without SMT', () => {
    expect(dedicatedPins(smt1.numa_nodes[0]!, [1, 2, 3], 2)).toEqual([1, 2]);
  });
});

describe('emulatorCpuset', () => {
  it('is the NUMA node host-reserved threads, sorted', () => {
    const node = seed003Host('h');
    expect(emulatorCpuset(node, nodeView(node).numa[1]!, [18])).toEqual([34, 35, 70, 71]);
  });

  it('falls back to the VM pins when the node reserves nothing', () => {
    const node = syntheticHost({ sockets: 1, coresPerSocket: 4, threadsPerCore: 2, memoryMbPerNode: 1024 });
    expect(emulatorCpuset(node, nodeView(node).numa[0]!, [4, 0, 4])).toEqual([0, 4]);
  });

  it('falls back to the node reserved threads when this NUMA node has none', () => {
    const node = seed003Host('h', { hostReservedCpus: [16, 52] });
    expect(emulatorCpuset(node, nodeView(node).numa[1]!, [18])).toEqual([16, 52]);
  });
});
