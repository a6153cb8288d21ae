import { describe, expect, it } from 'vitest';
import { emulatorPinFromXml, numaTuneFromXml, vcpuPinsFromXml } from './pins.js';

const PINNED = `<domain type='test'><name>a</name><vcpu placement='static'>4</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='36'/><vcpupin vcpu='2' cpuset='1,37'/>
  <emulatorpin cpuset='16-17,52-53'/></cputune>
  <numatune><memory mode='interleave' nodeset='0-1'/></numatune></domain>`;

describe('vcpuPinsFromXml', () => {
  it.each([
    [
      'pinned vCPUs get their cpuset, an unpinned one every host cpu',
      PINNED,
      2,
      [[0], [36], [1, 37], [0, 1]],
    ],
    [
      'a single vcpupin element is still read as a list',
      "<domain><vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='3'/></cputune></domain>",
      4,
      [[3]],
    ],
    [
      'no cputune uses <vcpu cpuset>',
      "<domain><vcpu cpuset='2-3'>2</vcpu></domain>",
      8,
      [
        [2, 3],
        [2, 3],
      ],
    ],
    ['current vCPUs below the maximum count', "<domain><vcpu current='1'>4</vcpu></domain>", 2, [[0, 1]]],
    [
      'a vcpupin beyond the vCPU count is ignored',
      "<domain><vcpu>1</vcpu><cputune><vcpupin vcpu='5' cpuset='1'/></cputune></domain>",
      2,
      [[0, 1]],
    ],
  ])('%s', (_label, xml, hostCpus, expected) => {
    expect(vcpuPinsFromXml(xml, hostCpus)).toEqual(expected);
  });
});

describe('emulatorPinFromXml', () => {
  it.each([
    ['reads <emulatorpin cpuset>', PINNED, 64, [16, 17, 52, 53]],
    ['falls back to <vcpu cpuset>', "<domain><vcpu cpuset='4'>1</vcpu></domain>", 8, [4]],
    ['falls back to every host cpu', '<domain><vcpu>1</vcpu></domain>', 3, [0, 1, 2]],
  ])('%s', (_label, xml, hostCpus, expected) => {
    expect(emulatorPinFromXml(xml, hostCpus)).toEqual(expected);
  });
});

describe('numaTuneFromXml', () => {
  it.each([
    ['reads mode and nodeset', PINNED, { mode: 'interleave', nodeset: '0-1' }],
    [
      'defaults the mode to strict like libvirt',
      "<domain><numatune><memory nodeset='1'/></numatune></domain>",
      { mode: 'strict', nodeset: '1' },
    ],
    ['no numatune is strict with an empty nodeset', '<domain/>', { mode: 'strict', nodeset: '' }],
    [
      'an unknown mode reads as unknown',
      "<domain><numatune><memory mode='bogus' nodeset='0'/></numatune></domain>",
      { mode: 'unknown', nodeset: '0' },
    ],
  ])('%s', (_label, xml, expected) => {
    expect(numaTuneFromXml(xml)).toEqual(expected);
  });
});
