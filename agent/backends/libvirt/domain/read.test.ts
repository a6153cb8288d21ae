import { describe, expect, it } from 'vitest';
import { readDomainXml } from './read.js';

describe('readDomainXml', () => {
  it.each([
    ["<memory unit='KiB'>131072</memory>", 131_072],
    ["<memory unit='MiB'>128</memory>", 131_072],
    ["<memory unit='G'>2</memory>", 2 * 1024 * 1024],
    ['<memory>4096</memory>', 4096],
    ["<memory unit='bogus'>1</memory>", 0],
    ['', 0],
  ])('reads %j as %i KiB', (memory, kib) => {
    expect(readDomainXml(`<domain><name>a</name>${memory}</domain>`).memoryKib).toBe(kib);
  });

  it('reads vCPU counts, pins and NUMA memory as written, without applying defaults', () => {
    const doc = readDomainXml(
      "<domain type='kvm'><vcpu current='2' cpuset='4-7'>4</vcpu><cputune><vcpupin vcpu='1' cpuset='5'/></cputune></domain>",
    );
    expect(doc).toMatchObject({
      type: 'kvm',
      vcpu: { max: 4, current: 2, cpuset: '4-7' },
      vcpupins: [{ vcpu: 1, cpuset: '5' }],
      emulatorCpuset: undefined,
      numaMemory: null,
    });
  });
});
