import { describe, expect, it } from 'vitest';
import { parseDomainTuning, parseVmpoolMetadata } from './parse.js';

// shaped like libvirt's own dumpxml output: KiB units, addresses, its own metadata prefix choice
const LIBVIRT_XML = `<domain type='kvm' id='3'>
  <name>web-1</name>
  <uuid>c0833c4f-96f2-4980-9736-992c09547455</uuid>
  <metadata>
    <other:thing xmlns:other="https://example.com/other"><other:id>not-ours</other:id></other:thing>
    <vp:vm xmlns:vp="https://vmpool.dev/xmlns/vm/1">
      <vp:id>vm-9</vp:id>
      <vp:vmid>1201</vp:vmid>
      <vp:tenant>t1</vp:tenant>
    </vp:vm>
  </metadata>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>3</vcpu>
  <cputune>
    <vcpupin vcpu='1' cpuset='4-5'/>
    <vcpupin vcpu='0' cpuset='2'/>
    <emulatorpin cpuset='0,8'/>
  </cputune>
  <numatune><memory mode='interleave' nodeset='0-1'/></numatune>
  <devices>
    <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='network' device='disk'><source protocol='nbd' name='x'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='/b.iso'/><target dev='sda' bus='sata'/></disk>
  </devices>
</domain>`;

describe('parseDomainTuning', () => {
  it('reads pins by vCPU number, leaving unpinned vCPUs empty', () => {
    expect(parseDomainTuning(LIBVIRT_XML)).toEqual({
      vcpuPins: [[2], [4, 5], []],
      emulatorCpus: [0, 8],
      numa: { mode: 'interleave', nodeset: '0-1' },
      kvm: true,
      diskPaths: ['/a.qcow2', '/b.iso'],
      cdromPaths: ['/b.iso'],
    });
  });

  it('gives null numa, no pins and kvm=false for a bare TCG domain', () => {
    const t = parseDomainTuning("<domain type='qemu'><name>x</name><vcpu>1</vcpu></domain>");
    expect(t).toEqual({
      vcpuPins: [[]],
      emulatorCpus: [],
      numa: null,
      kvm: false,
      diskPaths: [],
      cdromPaths: [],
    });
  });

  it.each(['<domain>', 'not xml', "<other type='kvm'/>"])('rejects %j with invalid_domain_xml', (xml) => {
    expect(() => parseDomainTuning(xml)).toThrow(expect.objectContaining({ code: 'invalid_domain_xml' }));
  });
});

describe('parseVmpoolMetadata', () => {
  it('finds the vmpool element by namespace whatever its prefix', () => {
    expect(parseVmpoolMetadata(LIBVIRT_XML)).toEqual({ id: 'vm-9', name: 'web-1', vmid: 1201, tenant: 't1' });
  });

  it('reads a default-namespace element', () => {
    const xml = `<domain><name>n</name><metadata><vm xmlns="https://vmpool.dev/xmlns/vm/1"><id>a</id></vm></metadata></domain>`;
    expect(parseVmpoolMetadata(xml)).toEqual({ id: 'a', name: 'n' });
  });

  it.each([
    ['no metadata', '<domain><name>n</name></domain>'],
    [
      'only foreign metadata',
      '<domain><name>n</name><metadata><o:x xmlns:o="urn:o"><o:id>1</o:id></o:x></metadata></domain>',
    ],
    [
      'the right prefix in the wrong namespace',
      '<domain><metadata><vmpool:vm xmlns:vmpool="urn:x"><vmpool:id>1</vmpool:id></vmpool:vm></metadata></domain>',
    ],
  ])('returns null with %s', (_name, xml) => {
    expect(parseVmpoolMetadata(xml)).toBeNull();
  });

  it('rejects a vmid that is not an integer', () => {
    const xml = LIBVIRT_XML.replace('1201', 'twelve');
    expect(() => parseVmpoolMetadata(xml)).toThrow(expect.objectContaining({ code: 'invalid_domain_xml' }));
  });
});
