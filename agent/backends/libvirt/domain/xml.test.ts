import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { SpawnSpec } from '../../../../shared/spec.js';
import { parseDomainTuning, parseVmpoolMetadata } from './parse.js';
import { parseDomainElement } from './read.js';
import { contextFor, seedVm1Spec } from './testing/testdata.js';
import { buildDomainXml, VMPOOL_XMLNS } from './xml.js';

const raw = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', htmlEntities: true });
// biome-ignore lint/suspicious/noExplicitAny: tests walk parsed XML whose shape the assertions check
type Obj = Record<string, any>;

function domainOf(xml: string): Obj {
  expect(XMLValidator.validate(xml)).toBe(true);
  return raw.parse(xml).domain as Obj;
}

function smallSpec(overrides: Partial<SpawnSpec> = {}): SpawnSpec {
  return seedVm1Spec({
    name: 'vm-small',
    vcpu_count: 4,
    memory_mb: 1024,
    tuning: {
      vcpu_pins: ['2', '6', '3', '7'],
      emulator_cpuset: '0,4',
      numa_memory: { nodeset: '1', mode: 'preferred' },
    },
    ...overrides,
  });
}

describe('buildDomainXml', () => {
  it.each([
    [true, 'kvm'],
    [false, 'qemu'],
  ])('uses domain type for kvm=%s: %s', (kvm, type) => {
    const spec = smallSpec();
    expect(domainOf(buildDomainXml(spec, contextFor(spec, { kvm })))['@_type']).toBe(type);
  });

  it.each([
    { kvm: true, cpuMode: undefined, mode: undefined, archCapsOff: false },
    { kvm: false, cpuMode: undefined, mode: 'maximum', archCapsOff: false },
    { kvm: true, cpuMode: 'host-model', mode: 'host-model', archCapsOff: false },
    { kvm: true, cpuMode: 'host-passthrough', mode: 'host-passthrough', archCapsOff: true },
    { kvm: false, cpuMode: 'default', mode: undefined, archCapsOff: false },
    { kvm: true, cpuMode: 'maximum', mode: 'maximum', archCapsOff: false },
  ] as const)('sets cpu mode $mode for kvm=$kvm cpuMode=$cpuMode', ({ kvm, cpuMode, mode, archCapsOff }) => {
    const spec = smallSpec();
    const cpu = domainOf(buildDomainXml(spec, contextFor(spec, { kvm, cpuMode }))).cpu as Obj;
    expect(cpu['@_mode']).toBe(mode);
    const feature = cpu.feature as Obj | undefined;
    expect(feature?.['@_name'] === 'arch-capabilities' && feature['@_policy'] === 'disable').toBe(
      archCapsOff,
    );
  });

  it('takes the cpu mode from the spec when the context names none', () => {
    const spec = smallSpec({ cpu_mode: 'host-model' });
    expect(domainOf(buildDomainXml(spec, contextFor(spec))).cpu['@_mode']).toBe('host-model');
  });

  it.each([
    { threadsPerCore: 2, cores: '2', threads: '2' },
    { threadsPerCore: 1, cores: '4', threads: '1' },
  ])('writes topology cores=$cores threads=$threads for threadsPerCore=$threadsPerCore', (c) => {
    const spec = smallSpec();
    const topo = domainOf(buildDomainXml(spec, contextFor(spec, { threadsPerCore: c.threadsPerCore }))).cpu
      .topology;
    expect(topo).toEqual({ '@_sockets': '1', '@_dies': '1', '@_cores': c.cores, '@_threads': c.threads });
  });

  it('writes memory, vcpu and numatune from the spec', () => {
    const spec = smallSpec();
    const d = domainOf(buildDomainXml(spec, contextFor(spec)));
    expect(d.memory).toEqual({ '#text': 1024, '@_unit': 'MiB' });
    expect(d.currentMemory).toEqual({ '#text': 1024, '@_unit': 'MiB' });
    expect(d.vcpu).toEqual({ '#text': 4, '@_placement': 'static' });
    expect(d.numatune.memory).toEqual({ '@_mode': 'preferred', '@_nodeset': '1' });
    expect(d.os.type).toEqual({ '#text': 'hvm', '@_arch': 'x86_64', '@_machine': 'pc' });
    expect([d.on_poweroff, d.on_reboot, d.on_crash]).toEqual(['destroy', 'restart', 'destroy']);
  });

  it('pins all 32 vCPUs of seed-003 VM1 to the seed threads with the seed emulator cpuset', () => {
    const spec = seedVm1Spec();
    const tuning = parseDomainTuning(buildDomainXml(spec, contextFor(spec)));
    expect(tuning.vcpuPins).toHaveLength(32);
    expect(tuning.vcpuPins).toEqual(spec.tuning.vcpu_pins.map((p) => [Number(p)]));
    expect(tuning.vcpuPins.slice(0, 4)).toEqual([[0], [36], [1], [37]]);
    expect(tuning.emulatorCpus).toEqual([16, 17, 52, 53]);
    expect(tuning.numa).toEqual({ mode: 'strict', nodeset: '0' });
    const d = domainOf(buildDomainXml(spec, contextFor(spec)));
    expect(d.cputune.emulatorpin['@_cpuset']).toBe('16-17,52-53');
    expect(d.cpu.topology['@_cores']).toBe('16');
  });

  it('rejects a pin count that does not match vcpu_count', () => {
    const spec = smallSpec();
    expect(() => buildDomainXml(spec, contextFor(spec, { pins: [1, 2] }))).toThrow(
      expect.objectContaining({ code: 'invalid_domain_spec' }),
    );
  });

  it('attaches root, extra and seed disks in order with the right targets', () => {
    const spec = smallSpec({
      extra_disks: [
        { path: '/data/hot.qcow2', size_gb: 80 },
        { path: '/data/cold.qcow2', size_gb: 8000 },
      ],
    });
    const disks = domainOf(buildDomainXml(spec, contextFor(spec, { seedIsoPath: '/seed/x.iso' }))).devices
      .disk as Obj[];
    expect(
      disks.map((d) => [d['@_device'], d.source['@_file'], d.target['@_dev'], d.target['@_bus']]),
    ).toEqual([
      ['disk', spec.disk_path, 'vda', 'virtio'],
      ['disk', '/data/hot.qcow2', 'vdb', 'virtio'],
      ['disk', '/data/cold.qcow2', 'vdc', 'virtio'],
      ['disk', '/seed/x.iso', 'vdz', 'virtio'],
    ]);
    expect(disks[0]!.driver).toEqual({ '@_name': 'qemu', '@_type': 'qcow2', '@_discard': 'unmap' });
    expect(disks[3]!.driver).toEqual({ '@_name': 'qemu', '@_type': 'raw' });
    expect(disks[3]).toHaveProperty('readonly');
  });

  it('rejects extra disks that collide on a target', () => {
    const spec = smallSpec();
    const extraDisks = [
      { path: '/a', target: 'vdb' },
      { path: '/b', target: 'vdb' },
    ];
    expect(() => buildDomainXml(spec, contextFor(spec, { extraDisks }))).toThrow(
      expect.objectContaining({ code: 'invalid_domain_spec' }),
    );
  });

  it.each([
    { bridge: 'br0', exists: true, user: false, type: 'bridge' },
    { bridge: null, exists: false, user: false, type: undefined },
    { bridge: undefined, exists: false, user: false, type: undefined },
    { bridge: null, exists: false, user: true, type: 'user' },
  ])('gives interface type $type for bridge=$bridge exists=$exists user=$user', (c) => {
    const spec = smallSpec({ bridge_network_interface: c.bridge });
    const ctx = contextFor(spec, { bridgeExists: c.exists, userNetwork: c.user });
    const xml = buildDomainXml(spec, { ...ctx, mac: '52:54:00:0a:0b:0c', sshPort: 20222 });
    const d = domainOf(xml);
    // user networking is QEMU's NIC with the SSH forward on <qemu:commandline>, not a libvirt <interface>
    expect(d.devices.interface?.['@_type']).toBe(c.type === 'user' ? undefined : c.type);
    if (c.type === 'bridge') expect(d.devices.interface.source['@_bridge']).toBe('br0');
    if (c.type === 'bridge') expect(d.devices.interface.mac['@_address']).toBe('52:54:00:0a:0b:0c');
    if (c.type === 'bridge') expect(d.devices.interface.model['@_type']).toBe('virtio');
    const forward = 'hostfwd=tcp:127.0.0.1:20222-:22';
    expect(xml.includes(forward)).toBe(c.type === 'user');
    if (c.type === 'user') expect(xml).toContain('mac=52:54:00:0a:0b:0c,bus=pci.0,addr=0x1e');
  });

  it('refuses user networking without a MAC and an SSH port', () => {
    const spec = smallSpec({ bridge_network_interface: null });
    expect(() => buildDomainXml(spec, contextFor(spec, { bridgeExists: false, userNetwork: true }))).toThrow(
      /needs a MAC and an SSH port/,
    );
  });

  it('logs the serial console to the given file and adds the guest agent channel', () => {
    const spec = smallSpec();
    const xml = buildDomainXml(spec, { ...contextFor(spec), consoleLogPath: '/vms/a/console.log' });
    const d = domainOf(xml);
    expect(d.devices.serial.log['@_file']).toBe('/vms/a/console.log');
    expect(d.devices.channel.target['@_name']).toBe('org.qemu.guest_agent.0');
  });

  it('throws bridge_not_found when the spec names a bridge the host lacks', () => {
    const spec = smallSpec({ bridge_network_interface: 'br9' });
    expect(() => buildDomainXml(spec, contextFor(spec, { bridgeExists: false }))).toThrow(
      expect.objectContaining({
        code: 'bridge_not_found',
        message: 'Cannot attach network: bridge "br9" not found',
      }),
    );
  });

  it('adds pty serial and console, no balloon and no graphics', () => {
    const spec = smallSpec();
    const devices = domainOf(buildDomainXml(spec, contextFor(spec))).devices;
    expect(devices.serial['@_type']).toBe('pty');
    expect(devices.console['@_type']).toBe('pty');
    expect(devices.memballoon['@_model']).toBe('none');
    expect(devices.graphics).toBeUndefined();
  });

  it('round-trips vmpool metadata through parseVmpoolMetadata', () => {
    const spec = smallSpec({ vmid: 4242, tenant: 'acme', cpu_policy: 'shared', cpu_mode: 'host-model' });
    const xml = buildDomainXml(spec, contextFor(spec, { vmId: 'vm-77' }));
    expect(xml).toContain(`xmlns:vmpool='${VMPOOL_XMLNS}'`);
    const meta = parseVmpoolMetadata(xml);
    expect(meta).toEqual({
      id: 'vm-77',
      name: 'vm-small',
      vmid: 4242,
      tenant: 'acme',
      specSha256: expect.any(String),
      cpuPolicy: 'shared',
      cpuMode: 'host-model',
      bridge: 'br0',
    });
    expect(meta?.specSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a different spec digest when the spec changes', () => {
    const a = smallSpec();
    const b = smallSpec({ memory_mb: 2048 });
    const digest = (s: SpawnSpec) => parseVmpoolMetadata(buildDomainXml(s, contextFor(s)))?.specSha256;
    expect(digest(a)).toBe(digest(smallSpec()));
    expect(digest(a)).not.toBe(digest(b));
  });
});

describe('buildDomainXml with hostile strings', () => {
  const hostile = [
    `a<b`,
    `it's`,
    `x&amp;y`,
    `say "hi"`,
    `line1\nline2`,
    `]]><evil/>`,
    `</vmpool:id><evil/><vmpool:id>`,
    `' evil='1`,
    `&#10;literal`,
    `tab\there\r`,
  ];

  it.each(hostile)('round-trips %j exactly in text, attributes and metadata', (s) => {
    const path = `/images/${s}.qcow2`;
    // bypass the schema on purpose: the builder must be safe even for values no schema checked
    const spec = { ...smallSpec(), disk_path: path } as SpawnSpec;
    const xml = buildDomainXml(spec, contextFor(spec, { vmId: s, tenant: s, seedIsoPath: `/seed/${s}` }));
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(parseVmpoolMetadata(xml)).toMatchObject({ id: s, tenant: s });
    expect(parseDomainTuning(xml).diskPaths).toEqual([path, `/seed/${s}`]);
    expect(JSON.stringify(parseDomainElement(xml))).not.toContain('"evil"');
    expect(xml).not.toContain('<evil');
  });

  it('rejects control characters XML cannot carry', () => {
    const spec = smallSpec();
    expect(() => buildDomainXml(spec, contextFor(spec, { vmId: 'a\u0001b' }))).toThrow(
      expect.objectContaining({ code: 'invalid_xml_char' }),
    );
  });
});
