import { describe, expect, it } from 'vitest';
import { effectiveCpuMode, guestCpuTopology } from './cpu.js';

describe('guestCpuTopology', () => {
  const siblings = (a: number, b: number) => Math.abs(a - b) === 36;

  it.each([
    {
      name: 'sibling pairs on an SMT host',
      pins: [0, 36, 1, 37],
      tpc: 2,
      sib: siblings,
      cores: 2,
      threads: 2,
    },
    {
      name: 'pairs trusted without a sibling check',
      pins: [0, 36, 1, 37],
      tpc: 2,
      sib: undefined,
      cores: 2,
      threads: 2,
    },
    { name: 'a host without SMT', pins: [0, 1, 2, 3], tpc: 1, sib: undefined, cores: 4, threads: 1 },
    { name: 'an odd vCPU count', pins: [0, 36, 1], tpc: 2, sib: siblings, cores: 3, threads: 1 },
    {
      name: 'pairs that are not siblings',
      pins: [0, 1, 36, 37],
      tpc: 2,
      sib: siblings,
      cores: 4,
      threads: 1,
    },
    { name: 'a repeated thread', pins: [5, 5], tpc: 2, sib: undefined, cores: 2, threads: 1 },
    { name: 'one vCPU', pins: [7], tpc: 2, sib: undefined, cores: 1, threads: 1 },
  ])('gives cores=$cores threads=$threads for $name', ({ pins, tpc, sib, cores, threads }) => {
    expect(guestCpuTopology(pins, { threadsPerCore: tpc, areSiblings: sib })).toEqual({
      sockets: 1,
      dies: 1,
      cores,
      threads,
    });
  });
});

describe('effectiveCpuMode', () => {
  it.each([
    [true, undefined, 'default'],
    [false, undefined, 'maximum'],
    [false, 'host-model', 'host-model'],
    [true, 'host-passthrough', 'host-passthrough'],
  ] as const)('kvm=%s requested=%s gives %s', (kvm, requested, expected) => {
    expect(effectiveCpuMode(kvm, requested)).toBe(expected);
  });
});
