import { formatCpuList } from '../../../../shared/cpulist.js';
import type { SpawnSpec } from '../../../../shared/spec.js';
import {
  type CpuMode,
  cpuElement,
  effectiveCpuMode,
  type GuestCpuTopology,
  guestCpuTopology,
} from './cpu.js';
import {
  consoleElements,
  type DiskAttachment,
  dataDiskTargets,
  interfaceElement,
  qcow2DiskElement,
  seedDiskElement,
} from './devices.js';
import { DomainXmlError } from './errors.js';
import { metadataElement, specSha256 } from './metadata.js';
import { QEMU_XMLNS, userNetCommandline } from './network.js';
import { el, renderXml, type XmlNode } from './xmlnode.js';

// xml.js is the module's front door: the builder plus the readers the agent pairs with it
export { bridgeExists } from './bridge.js';
export type { CpuMode, GuestCpuTopology } from './cpu.js';
export type { DiskAttachment } from './devices.js';
export { DomainXmlError } from './errors.js';
export { VMPOOL_XMLNS, type VmpoolMetadata } from './metadata.js';
export { type DomainTuning, parseDomainTuning, parseVmpoolMetadata } from './parse.js';

/** DomainContext is what the agent knows beyond the spec: host facts, identity and parsed cpu sets. */
export interface DomainContext {
  readonly kvm: boolean;
  readonly vmId: string;
  readonly vmid?: number;
  readonly tenant?: string;
  /** uuid keeps an existing domain's id when it is redefined (resize); libvirt picks one when absent */
  readonly uuid?: string;
  /** pins[i] is the host thread for vCPU i (parsed from spec.tuning.vcpu_pins) */
  readonly pins: readonly number[];
  readonly emulatorCpus: readonly number[];
  /** seedIsoPath defaults to spec.cloud_init_iso_path */
  readonly seedIsoPath?: string;
  readonly bridgeExists: boolean;
  /** userNetwork gives a user-mode NIC when the spec names no bridge */
  readonly userNetwork?: boolean;
  /** mac is the VM's NIC address (derived from its id) */
  readonly mac?: string;
  /** sshPort is the 127.0.0.1 port forwarded to the guest's SSH on user networking */
  readonly sshPort?: number;
  /** consoleLogPath is where virtlogd writes the serial console */
  readonly consoleLogPath?: string;
  readonly cpuMode?: CpuMode;
  /** topology overrides the shape guestCpuTopology derives from the pins */
  readonly topology?: GuestCpuTopology;
  readonly threadsPerCore?: number;
  readonly areSiblings?: (a: number, b: number) => boolean;
  readonly machine?: string;
  readonly emulatorPath?: string;
  /** extraDisks default to spec.extra_disks with targets vdb, vdc, … */
  readonly extraDisks?: readonly DiskAttachment[];
  /** specSha256 defaults to the digest of the spec's canonical JSON */
  readonly specSha256?: string;
}

/** buildDomainXml renders the libvirt domain for a parsed spec; pure, and every value is escaped. */
export function buildDomainXml(spec: SpawnSpec, ctx: DomainContext): string {
  checkPins(spec, ctx);
  const topology = ctx.topology ?? guestCpuTopology(ctx.pins, ctx);
  const userNet = userNetOf(spec, ctx);
  const domain = el(
    'domain',
    { type: ctx.kvm ? 'kvm' : 'qemu', ...(userNet ? { 'xmlns:qemu': QEMU_XMLNS } : {}) },
    el('name', {}, spec.name),
    ctx.uuid !== undefined && el('uuid', {}, ctx.uuid),
    metadataElement({
      id: ctx.vmId,
      vmid: ctx.vmid ?? spec.vmid,
      tenant: ctx.tenant ?? spec.tenant,
      specSha256: ctx.specSha256 ?? specSha256(spec),
      ...(spec.cpu_policy ? { cpuPolicy: spec.cpu_policy } : {}),
      ...(spec.cpu_mode ? { cpuMode: spec.cpu_mode } : {}),
      ...(spec.bridge_network_interface ? { bridge: spec.bridge_network_interface } : {}),
      ...(ctx.mac !== undefined ? { mac: ctx.mac } : {}),
      ...(userNet ? { sshPort: userNet.sshPort } : {}),
    }),
    el('memory', { unit: 'MiB' }, spec.memory_mb),
    el('currentMemory', { unit: 'MiB' }, spec.memory_mb),
    el('vcpu', { placement: 'static' }, spec.vcpu_count),
    cputuneElement(ctx.pins, ctx.emulatorCpus),
    el(
      'numatune',
      {},
      el('memory', { mode: spec.tuning.numa_memory.mode, nodeset: spec.tuning.numa_memory.nodeset }),
    ),
    el(
      'os',
      {},
      el('type', { arch: 'x86_64', machine: ctx.machine ?? 'pc' }, 'hvm'),
      el('boot', { dev: 'hd' }),
    ),
    el('features', {}, el('acpi'), el('apic')),
    cpuElement(effectiveCpuMode(ctx.kvm, ctx.cpuMode ?? spec.cpu_mode), topology),
    el('on_poweroff', {}, 'destroy'),
    el('on_reboot', {}, 'restart'),
    el('on_crash', {}, 'destroy'),
    devicesElement(spec, ctx),
    userNet && userNetCommandline(userNet),
  );
  return renderXml(domain);
}

/** userNetOf is the user-mode NIC when the spec names no bridge and the host allows user networking. */
function userNetOf(spec: SpawnSpec, ctx: DomainContext): { mac: string; sshPort: number } | null {
  if (spec.bridge_network_interface || !ctx.userNetwork) return null;
  if (ctx.mac === undefined || ctx.sshPort === undefined) {
    throw new DomainXmlError(
      'invalid_domain_spec',
      `Cannot build domain "${spec.name}": user networking needs a MAC and an SSH port`,
    );
  }
  return { mac: ctx.mac, sshPort: ctx.sshPort };
}

function checkPins(spec: SpawnSpec, ctx: DomainContext): void {
  if (ctx.pins.length !== spec.vcpu_count) {
    throw new DomainXmlError(
      'invalid_domain_spec',
      `Cannot build domain "${spec.name}": ${ctx.pins.length} pins for ${spec.vcpu_count} vCPUs`,
    );
  }
  if (ctx.emulatorCpus.length === 0) {
    throw new DomainXmlError(
      'invalid_domain_spec',
      `Cannot build domain "${spec.name}": emulator cpuset is empty`,
    );
  }
}

/** cputuneElement pins vCPU i to pins[i] and the QEMU emulator threads to the reserved set. */
export function cputuneElement(pins: readonly number[], emulatorCpus: readonly number[]): XmlNode {
  return el(
    'cputune',
    {},
    ...pins.map((cpu, vcpu) => el('vcpupin', { vcpu, cpuset: cpu })),
    el('emulatorpin', { cpuset: formatCpuList(emulatorCpus) }),
  );
}

function devicesElement(spec: SpawnSpec, ctx: DomainContext): XmlNode {
  const extra = dataDiskTargets(ctx.extraDisks ?? spec.extra_disks ?? []);
  return el(
    'devices',
    {},
    ctx.emulatorPath !== undefined && el('emulator', {}, ctx.emulatorPath),
    qcow2DiskElement(spec.disk_path, 'vda'),
    ...extra.map((d) => qcow2DiskElement(d.path, d.target)),
    seedDiskElement(ctx.seedIsoPath ?? spec.cloud_init_iso_path),
    interfaceElement({
      bridge: spec.bridge_network_interface,
      bridgeExists: ctx.bridgeExists,
      userNetwork: ctx.userNetwork ?? false,
      ...(ctx.mac !== undefined ? { mac: ctx.mac } : {}),
    }),
    ...consoleElements(ctx.consoleLogPath),
  );
}
